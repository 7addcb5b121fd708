#include "balancer/runtime/runtime.h"

#include <sys/resource.h>

#include "common/strings.h"

namespace tandem::balancer::runtime {

Result<std::unique_ptr<Runtime>> Runtime::build(const config::Config& cfg, unsigned workers) {
  std::unique_ptr<Runtime> rt(new Runtime(cfg, workers));
  for (const config::Proxy& p : rt->cfg_.proxies)
    if (p.is_backend()) rt->backends_.push_back(std::make_unique<Backend>(p, workers));
  for (const config::Proxy& p : rt->cfg_.proxies) {
    if (!p.is_frontend()) continue;
    Backend* def = nullptr;
    if (p.kind == config::Proxy::Kind::listen) def = rt->find_backend(p.name);
    else if (!p.default_backend.empty()) def = rt->find_backend(p.default_backend);
    rt->frontends_.push_back(std::make_unique<Frontend>(p, def, workers));
  }
  std::uint32_t maxconn = cfg.global.maxconn;
  if (maxconn == 0) {
    // As HAProxy: what the open-file limit allows, two descriptors per
    // connection (client and server) and some room for the rest.
    rlimit rl{};
    std::uint64_t files = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    if (cfg.global.ulimit_n) files = cfg.global.ulimit_n;
    maxconn = static_cast<std::uint32_t>(files > 200 ? (files - 100) / 2 : 50);
  }
  rt->maxconn_ = maxconn;
  return rt;
}

Backend* Runtime::find_backend(std::string_view name) const {
  for (const auto& b : backends_)
    if (b->name() == name) return b.get();
  return nullptr;
}

Frontend* Runtime::find_frontend(std::string_view name) const {
  for (const auto& f : frontends_)
    if (f->name() == name) return f.get();
  return nullptr;
}

}  // namespace tandem::balancer::runtime
