#pragma once
// The local balancer's StickTables service on its unix socket.

#include <chrono>
#include <memory>
#include <string>

#include "common/error.h"
#include "tandem/balancer/v1/stick_tables.grpc.pb.h"

namespace tandem::peersync {

class BalancerLink {
 public:
  explicit BalancerLink(const std::string& socket_path);
  const std::string& socket() const { return path_; }
  tandem::balancer::v1::StickTables::Stub& stub() { return *stub_; }
  // ListTables with a deadline.
  Result<tandem::balancer::v1::ListTablesResponse> list_tables(std::chrono::milliseconds timeout);
  Result<tandem::balancer::v1::Cursor> applied(const std::string& source, std::chrono::milliseconds timeout);

 private:
  std::string path_;
  std::unique_ptr<tandem::balancer::v1::StickTables::Stub> stub_;
};

}  // namespace tandem::peersync
