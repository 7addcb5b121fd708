#pragma once
// The running peersync: the configuration in force, the peer book, one
// outbound driver per peer and the peer port, and the reload that changes
// them in place (SIGHUP, Cluster.Reload). What a reload changes is decided
// by config::plan_reload; this applies it:
//  - a removed peer: its driver stops, its inbound stream ends;
//  - an added peer: a new entry and driver;
//  - a peer at another address: only its driver is replaced (its sync state
//    stays: the cursors live in the balancers, so the new session resumes);
//  - other TLS material: the peer port is opened again with it and every
//    driver re-dials with it;
//  - anything else is untouched: an unchanged link keeps its streams.
// An invalid file, or TLS files that cannot serve, change nothing.
//
// Threads: reload() and stop() are serialized by one mutex; the drivers' map
// has its own, taken briefly by inbound handlers (redial) and never held
// while a driver stops.

#include <map>
#include <memory>
#include <mutex>

#include "common/clock.h"
#include "peersync/config/model.h"
#include "peersync/service/balancer_link.h"
#include "peersync/service/cluster_service.h"
#include "peersync/service/outbound_driver.h"
#include "peersync/service/peer_book.h"
#include "peersync/service/peer_server.h"
#include "peersync/service/tls.h"

namespace tandem::peersync {

class Supervisor {
 public:
  Supervisor(config::Config cfg, TlsMaterial tls, const Clock& clock);
  ~Supervisor();

  PeerBook& peers() { return peers_; }
  BalancerLink& balancer() { return balancer_; }
  // The Cluster service learns the peers again after each reload.
  void set_cluster(ClusterService* cluster) { cluster_ = cluster; }

  // Opens the peer port and starts a driver per peer.
  Result<void> start(InboundService::StatusSource status);
  Result<ClusterService::ReloadOutcome> reload();
  void stop();

 private:
  void start_driver(const std::shared_ptr<PeerEntry>& entry, const config::Peer& target, const TlsMaterial& tls);
  void stop_driver(const std::string& name);
  void redial(const std::string& name);

  std::mutex reload_mu_;  // reload() and stop()
  config::Config cfg_;    // guarded by reload_mu_ after start
  TlsMaterial tls_;       // guarded by reload_mu_ after start
  const Clock& clock_;
  PeerBook peers_;
  BalancerLink balancer_;
  ClusterService* cluster_ = nullptr;
  std::unique_ptr<PeerServer> server_;
  std::mutex drivers_mu_;
  std::map<std::string, std::unique_ptr<OutboundDriver>> drivers_;  // guarded by drivers_mu_
  bool stopped_ = false;                                            // guarded by reload_mu_
};

}  // namespace tandem::peersync
