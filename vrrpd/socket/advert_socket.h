#pragma once
// Sending and receiving VRRP packets on one interface and address family:
// an interface with a fake beside it (FakeAdvertSocket), and the raw
// IPPROTO_VRRP socket for the kernel (RawAdvertSocket).

#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"
#include "vrrpd/packet/receive_check.h"

namespace tandem::vrrpd::socket {

class AdvertSocket {
 public:
  // Called for every packet received, before any check.
  using Receiver = std::function<void(const packet::Received&)>;
  virtual ~AdvertSocket() = default;
  // Sends `vrrp` (an encoded packet) from `src` to `dst` with TTL/hop limit 255.
  virtual Result<void> send(const IpAddress& src, const IpAddress& dst, std::span<const std::uint8_t> vrrp) = 0;
  virtual void set_receiver(Receiver r) = 0;
};

class RawAdvertSocket final : public AdvertSocket {
 public:
  // Opens a raw IPPROTO_VRRP socket bound to `ifname` and joins the VRRP
  // multicast group on it (RFC 5798 §5.1.1.2, §5.1.2.2).
  static Result<std::unique_ptr<RawAdvertSocket>> open(asio::io_context& io, const std::string& ifname, int ifindex,
                                                       bool ipv6);
  ~RawAdvertSocket() override;
  Result<void> send(const IpAddress& src, const IpAddress& dst, std::span<const std::uint8_t> vrrp) override;
  void set_receiver(Receiver r) override { receiver_ = std::move(r); }

 private:
  struct Impl;
  explicit RawAdvertSocket(std::unique_ptr<Impl> impl);
  void arm();
  void drain();

  std::unique_ptr<Impl> impl_;
  Receiver receiver_;
};

class FakeAdvertSocket final : public AdvertSocket {
 public:
  struct Sent {
    IpAddress src;
    IpAddress dst;
    std::vector<std::uint8_t> vrrp;
  };
  Result<void> send(const IpAddress& src, const IpAddress& dst, std::span<const std::uint8_t> vrrp) override {
    sent.push_back({src, dst, {vrrp.begin(), vrrp.end()}});
    return {};
  }
  void set_receiver(Receiver r) override { receiver = std::move(r); }
  void deliver(const packet::Received& rx) {
    if (receiver) receiver(rx);
  }
  std::vector<Sent> sent;
  Receiver receiver;
};

}  // namespace tandem::vrrpd::socket
