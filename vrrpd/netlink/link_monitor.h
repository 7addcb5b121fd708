#pragma once
// Interfaces, their state and addresses, and their changes: an interface with
// a fake beside it (FakeLinkMonitor), and the libnl-route implementation that
// follows the kernel's RTNLGRP_LINK / *_IFADDR notifications on the control
// io_context.

#include <asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "vrrpd/netlink/netlink_types.h"

namespace tandem::vrrpd::netlink {

class LinkMonitor {
 public:
  using Listener = std::function<void(const LinkInfo&)>;
  virtual ~LinkMonitor() = default;
  virtual std::optional<LinkInfo> find(std::string_view name) const = 0;
  // Called with the new state of an interface whenever it changes.
  virtual void subscribe(Listener listener) = 0;
};

class RtnlLinkMonitor final : public LinkMonitor {
 public:
  static Result<std::unique_ptr<RtnlLinkMonitor>> create(asio::io_context& io);
  ~RtnlLinkMonitor() override;
  std::optional<LinkInfo> find(std::string_view name) const override;
  void subscribe(Listener listener) override { listeners_.push_back(std::move(listener)); }

 private:
  struct State;
  explicit RtnlLinkMonitor(std::unique_ptr<State> s);
  void arm();
  void refresh();

  std::unique_ptr<State> s_;
  std::vector<Listener> listeners_;
  std::map<std::string, LinkInfo, std::less<>> last_;
};

class FakeLinkMonitor final : public LinkMonitor {
 public:
  std::optional<LinkInfo> find(std::string_view name) const override;
  void subscribe(Listener listener) override { listeners_.push_back(std::move(listener)); }
  // Sets (or replaces) an interface and tells the listeners.
  void set(const LinkInfo& link);

 private:
  std::map<std::string, LinkInfo, std::less<>> links_;
  std::vector<Listener> listeners_;
};

}  // namespace tandem::vrrpd::netlink
