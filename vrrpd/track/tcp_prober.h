#pragma once
// The data-path probe of track_balancer over TCP, on the io_context.

#include <asio/io_context.hpp>

#include "vrrpd/track/balancer_probes.h"

namespace tandem::vrrpd::track {

class TcpProber final : public Prober {
 public:
  explicit TcpProber(asio::io_context& io) : io_(io) {}
  void probe(const HostPort& target, const std::string& send, config::Micros timeout, Done done) override;

 private:
  asio::io_context& io_;
};

}  // namespace tandem::vrrpd::track
