#include "vrrpd/netlink/link_monitor.h"

#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <unistd.h>

#include <asio/posix/stream_descriptor.hpp>
#include <cstring>

#include "common/log.h"
#include "common/strings.h"

namespace tandem::vrrpd::netlink {

struct RtnlLinkMonitor::State {
  explicit State(asio::io_context& io) : fd(io) {}
  ~State() {
    // The descriptor belongs to the cache manager's socket: release it before
    // libnl closes it.
    if (fd.is_open()) (void)fd.release();
    if (mngr) nl_cache_mngr_free(mngr);
    if (sync) nl_socket_free(sync);
  }
  nl_cache_mngr* mngr = nullptr;
  nl_sock* sync = nullptr;  // for re-reading the caches after lost notifications
  nl_cache* links = nullptr;
  nl_cache* addrs = nullptr;
  asio::posix::stream_descriptor fd;
};

namespace {

void on_change(nl_cache*, nl_object*, int, void*) {}  // we re-read the caches after each batch

LinkInfo info_of(rtnl_link* l, nl_cache* addrs) {
  LinkInfo info;
  info.ifindex = rtnl_link_get_ifindex(l);
  if (const char* n = rtnl_link_get_name(l)) info.name = n;
  const unsigned flags = rtnl_link_get_flags(l);
  info.admin_up = flags & IFF_UP;
  info.carrier = flags & IFF_RUNNING;
  if (nl_addr* mac = rtnl_link_get_addr(l); mac && nl_addr_get_len(mac) == info.mac.size())
    std::memcpy(info.mac.data(), nl_addr_get_binary_addr(mac), info.mac.size());
  for (nl_object* o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != info.ifindex) continue;
    // An IPv6 address still in duplicate address detection cannot be a source.
    if (rtnl_addr_get_flags(a) & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) continue;
    nl_addr* local = rtnl_addr_get_local(a);
    if (!local) continue;
    const int fam = nl_addr_get_family(local);
    const auto* b = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(local));
    if (fam == AF_INET && nl_addr_get_len(local) == 4)
      info.addresses.push_back({IpAddress::v4(std::span<const std::uint8_t, 4>(b, 4)), rtnl_addr_get_prefixlen(a)});
    else if (fam == AF_INET6 && nl_addr_get_len(local) == 16)
      info.addresses.push_back({IpAddress::v6(std::span<const std::uint8_t, 16>(b, 16)), rtnl_addr_get_prefixlen(a)});
  }
  return info;
}

}  // namespace

Result<std::unique_ptr<RtnlLinkMonitor>> RtnlLinkMonitor::create(asio::io_context& io) {
  auto s = std::make_unique<State>(io);
  s->sync = nl_socket_alloc();
  if (!s->sync) return fail("netlink: out of memory");
  if (int rc = nl_connect(s->sync, NETLINK_ROUTE); rc < 0) return fail(cat("netlink: ", nl_geterror(rc)));
  if (int rc = nl_cache_mngr_alloc(nullptr, NETLINK_ROUTE, NL_AUTO_PROVIDE, &s->mngr); rc < 0)
    return fail(cat("netlink: ", nl_geterror(rc)));
  if (int rc = nl_cache_mngr_add(s->mngr, "route/link", on_change, nullptr, &s->links); rc < 0)
    return fail(cat("netlink: links: ", nl_geterror(rc)));
  if (int rc = nl_cache_mngr_add(s->mngr, "route/addr", on_change, nullptr, &s->addrs); rc < 0)
    return fail(cat("netlink: addresses: ", nl_geterror(rc)));
  asio::error_code ec;
  s->fd.assign(nl_cache_mngr_get_fd(s->mngr), ec);
  if (ec) return fail(cat("netlink: ", ec.message()));
  std::unique_ptr<RtnlLinkMonitor> m(new RtnlLinkMonitor(std::move(s)));
  m->refresh();
  m->arm();
  return m;
}

RtnlLinkMonitor::RtnlLinkMonitor(std::unique_ptr<State> s) : s_(std::move(s)) {}

RtnlLinkMonitor::~RtnlLinkMonitor() = default;

void RtnlLinkMonitor::arm() {
  s_->fd.async_wait(asio::posix::stream_descriptor::wait_read, [this](asio::error_code ec) {
    if (ec) return;  // cancelled: we are being destroyed
    if (int rc = nl_cache_mngr_data_ready(s_->mngr); rc < 0) {
      // Lost notifications (ENOBUFS) leave the caches stale: resync them.
      log::warning("netlink: ", nl_geterror(rc), "; re-reading links and addresses");
      nl_cache_refill(s_->sync, s_->links);
      nl_cache_refill(s_->sync, s_->addrs);
    }
    refresh();
    arm();
  });
}

void RtnlLinkMonitor::refresh() {
  std::map<std::string, LinkInfo, std::less<>> now;
  for (nl_object* o = nl_cache_get_first(s_->links); o; o = nl_cache_get_next(o)) {
    LinkInfo info = info_of(reinterpret_cast<rtnl_link*>(o), s_->addrs);
    now.emplace(info.name, std::move(info));
  }
  for (const auto& [name, info] : now) {
    auto it = last_.find(name);
    if (it != last_.end() && it->second == info) continue;
    last_[name] = info;
    for (const auto& l : listeners_) l(info);
  }
  for (auto it = last_.begin(); it != last_.end();) {
    if (now.contains(it->first)) {
      ++it;
      continue;
    }
    LinkInfo gone = it->second;  // removed: report it down, without addresses
    gone.admin_up = gone.carrier = false;
    gone.addresses.clear();
    it = last_.erase(it);
    for (const auto& l : listeners_) l(gone);
  }
}

std::optional<LinkInfo> RtnlLinkMonitor::find(std::string_view name) const {
  auto it = last_.find(name);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

std::optional<LinkInfo> FakeLinkMonitor::find(std::string_view name) const {
  auto it = links_.find(name);
  if (it == links_.end()) return std::nullopt;
  return it->second;
}

void FakeLinkMonitor::set(const LinkInfo& link) {
  links_[link.name] = link;
  for (const auto& l : listeners_) l(link);
}

}  // namespace tandem::vrrpd::netlink
