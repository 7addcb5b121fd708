#include "cli/vrrp_view.h"

#include "cli/rpc.h"
#include "common/strings.h"

namespace tandem::cli {

namespace v1 = tandem::vrrp::v1;

std::string vrrp_state_word(v1::State s) {
  switch (s) {
    case v1::STATE_INIT:
      return "INIT";
    case v1::STATE_BACKUP:
      return "BACKUP";
    case v1::STATE_MASTER:
      return "MASTER";
    case v1::STATE_FAULT:
      return "FAULT";
    case v1::STATE_STOPPED:
      return "STOPPED";
    default:
      return "?";
  }
}

std::string tracker_kind_word(v1::TrackerKind k) {
  switch (k) {
    case v1::TRACKER_KIND_SCRIPT:
      return "script";
    case v1::TRACKER_KIND_INTERFACE:
      return "interface";
    case v1::TRACKER_KIND_BALANCER:
      return "balancer";
    default:
      return "?";
  }
}

std::string priority_why(const v1::Instance& i) {
  // In FAULT the priority is not advertised: the reason is the whole story.
  if (i.state() == v1::STATE_FAULT) return "FAULT: " + (i.fault_reason().empty() ? "?" : i.fault_reason());
  std::vector<std::string> parts{cat("configured ", i.configured_priority())};
  for (const v1::PriorityShare& s : i.priority_shares()) {
    std::string p = cat(s.tracker(), s.ok() ? " ok" : " failing");
    if (s.delta() > 0)
      append(p, " +", s.delta());
    else if (s.delta() < 0)
      append(p, ' ', s.delta());
    if (!s.ok() && !s.detail().empty()) append(p, " (", s.detail(), ')');
    parts.push_back(std::move(p));
  }
  return join(parts, "; ");
}

std::string vip_holder(const v1::Instance& i, const std::string& self) {
  if (i.vips_held()) return self;
  if (i.state() == v1::STATE_BACKUP && !i.master_address().empty())
    return cat(i.master_address(), " (priority ", i.master_priority(), ')');
  return "nobody";
}

std::string vips_text(const v1::Instance& i) {
  std::vector<std::string> v(i.vips().begin(), i.vips().end());
  return v.empty() ? "-" : join(v, ",");
}

bool vrrp_degraded(const v1::Instance& i) { return i.state() == v1::STATE_FAULT; }

void instance_json(JsonWriter& j, const v1::Instance& i) {
  j.begin_object();
  j.key("name").value(i.name()).key("interface").value(i.interface()).key("vrid").value(i.vrid());
  j.key("version").value(i.version()).key("state").value(vrrp_state_word(i.state()));
  j.key("state_since_unix_ms").value(static_cast<long long>(i.state_since_unix_ms()));
  j.key("configured_priority").value(i.configured_priority());
  j.key("effective_priority").value(i.effective_priority());
  j.key("priority_shares").begin_array();
  for (const v1::PriorityShare& s : i.priority_shares()) {
    j.begin_object().key("tracker").value(s.tracker()).key("kind").value(tracker_kind_word(s.kind()));
    j.key("ok").value(s.ok()).key("delta").value(s.delta()).key("causes_fault").value(s.causes_fault());
    j.key("detail").value(s.detail()).end_object();
  }
  j.end_array();
  j.key("vips").begin_array();
  for (const auto& v : i.vips()) j.value(v);
  j.end_array();
  j.key("vips_held").value(i.vips_held()).key("holder").value(vip_holder(i));
  j.key("master_address").value(i.master_address()).key("master_priority").value(i.master_priority());
  j.key("advert_interval_ms").value(i.advert_interval_ms()).key("preempt").value(i.preempt());
  j.key("preempt_delay_ms").value(i.preempt_delay_ms()).key("accept").value(i.accept());
  j.key("unicast_peers").begin_array();
  for (const auto& p : i.unicast_peers()) j.value(p);
  j.end_array();
  j.key("sync_group").value(i.sync_group()).key("fault_reason").value(i.fault_reason());
  const v1::Counters& c = i.counters();
  j.key("counters").begin_object();
  j.key("adverts_received").value(static_cast<unsigned long long>(c.adverts_received()));
  j.key("adverts_sent").value(static_cast<unsigned long long>(c.adverts_sent()));
  j.key("priority_zero_received").value(static_cast<unsigned long long>(c.priority_zero_received()));
  j.key("priority_zero_sent").value(static_cast<unsigned long long>(c.priority_zero_sent()));
  j.key("became_master").value(static_cast<unsigned long long>(c.became_master()));
  j.key("released_master").value(static_cast<unsigned long long>(c.released_master()));
  j.key("drops").begin_object();
  for (const v1::Drop& d : c.drops()) j.key(d.reason()).value(static_cast<unsigned long long>(d.count()));
  j.end_object().end_object();
  j.key("recent_transitions").begin_array();
  for (const v1::Transition& t : i.recent_transitions()) {
    j.begin_object().key("from").value(vrrp_state_word(t.from())).key("to").value(vrrp_state_word(t.to()));
    j.key("reason").value(t.reason()).key("unix_ms").value(static_cast<long long>(t.unix_ms())).end_object();
  }
  j.end_array();
  j.end_object();
}

InstancesAnswer fetch_instances(const Options& o, bool quiet) {
  auto stub = v1::Vrrp::NewStub(channel_to(o.vrrpd_socket));
  grpc::ClientContext ctx;
  with_deadline(ctx);
  InstancesAnswer a;
  grpc::Status s = stub->ListInstances(&ctx, {}, &a.resp);
  if (!s.ok()) {
    a.error = rpc_error_text("vrrpd", o.vrrpd_socket, s);
    a.rc = quiet ? rpc_error_status(o.vrrpd_socket, s) : report_rpc_error("vrrpd", o.vrrpd_socket, s);
  }
  return a;
}

}  // namespace tandem::cli
