#pragma once
// Drives OutboundLink for one peer on its own thread: dial, Hello/Welcome,
// then the balancer's Watch pumped into Batches while acks come back; on any
// failure the session ends, the core says how long to back off, and it starts
// over. Every wait on the peer has a deadline (the core's tick).

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "common/clock.h"
#include "peersync/service/balancer_link.h"
#include "peersync/service/peer_book.h"
#include "peersync/service/tls.h"
#include "tandem/peersync/v1/peersync.grpc.pb.h"

namespace tandem::peersync {

class OutboundDriver {
 public:
  // Dials `target` (the entry's peer when the driver was made: a reload that
  // changes the address or the TLS material replaces the driver).
  // `peer_names`: every configured peer's name, to compare with the
  // balancer's `peers` sections at each connect.
  using PeerNames = std::function<std::vector<std::string>()>;
  OutboundDriver(std::string node, std::shared_ptr<PeerEntry> peer, config::Peer target, BalancerLink& balancer,
                 TlsMaterial tls, const Clock& clock, PeerNames peer_names = {});
  ~OutboundDriver();
  void start();
  void stop();
  // The peer just dialled us, so it is up: end a backoff wait now rather than
  // leave its table stale for up to the backoff cap (a restarted node would
  // otherwise wait seconds for its resync). gRPC's own reconnect backoff on
  // the channel is reset too: a call on a channel still in TRANSIENT_FAILURE
  // fails at once, so without the reset the redial would wait up to gRPC's
  // cap (1 s) for a port that is already open.
  void redial_now();
  const std::string& peer() const { return target_.name; }

 private:
  void run();
  // One session, until it fails; returns why.
  std::string session();
  // Waits `d`, or less when stopped or redial_now() is called; true for the latter.
  bool sleep_for(Millis d);

  const std::string node_;
  const PeerNames peer_names_;
  std::string last_names_words_;  // the driver thread's: the last difference logged
  const std::shared_ptr<PeerEntry> entry_;  // kept alive while the driver runs
  PeerEntry& peer_;
  const config::Peer target_;
  BalancerLink& balancer_;
  const TlsMaterial tls_;
  const Clock& clock_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<tandem::peersync::v1::PeerSync::Stub> stub_;
  std::mt19937_64 rng_;
  std::thread thread_;
  std::mutex mu_;  // guards the two below
  std::condition_variable cv_;
  bool stopping_ = false;
  bool redial_ = false;
  grpc::ClientContext* live_ = nullptr;  // the session's call, cancelled by stop()
};

}  // namespace tandem::peersync
