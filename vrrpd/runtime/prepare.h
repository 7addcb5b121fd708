#pragma once
// What a loaded configuration still needs before it can run, done at load
// (and by -c): users and groups resolved to ids, enable_script_security
// checked. A failure names the file and line of the script concerned.

#include <map>
#include <string>

#include "common/error.h"
#include "vrrpd/config/model.h"
#include "vrrpd/runtime/virtual_router.h"
#include "vrrpd/track/script_runner.h"

namespace tandem::vrrpd::runtime {

struct Prepared {
  config::Config cfg;
  std::map<std::string, track::RunRequest> scripts;       // by vrrp_script name
  std::map<std::string, NotifyRequests> instance_notify;  // by instance name
  std::map<std::string, NotifyRequests> group_notify;     // by sync group name
};

Result<Prepared> prepare(config::Config cfg);

}  // namespace tandem::vrrpd::runtime
