// tandemctl table show|clear: a stick table's entries through the balancer's
// Admin API (ShowTable, ClearTable).
#include <cstdio>

#include "cli/command_args.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/json.h"
#include "cli/rpc.h"
#include "cli/table.h"
#include "common/strings.h"
#include "tandem/balancer/v1/admin.grpc.pb.h"

namespace tandem::cli {

namespace pb = tandem::balancer::v1;

namespace {

// HAProxy's names: conn_cnt, http_req_rate...
std::string data_type_word(pb::DataType t) {
  const std::string& n = pb::DataType_Name(t);
  constexpr std::string_view kPrefix = "DATA_TYPE_";
  return n.starts_with(kPrefix) ? to_lower(n.substr(kPrefix.size())) : cat(static_cast<int>(t));
}

std::string key_type_word(const pb::StickTableDef& d) {
  switch (d.key_type()) {
    case pb::KEY_TYPE_IP:
      return "ip";
    case pb::KEY_TYPE_IPV6:
      return "ipv6";
    case pb::KEY_TYPE_INTEGER:
      return "integer";
    case pb::KEY_TYPE_STRING:
      return d.key_len() ? cat("string len ", d.key_len()) : "string";
    case pb::KEY_TYPE_BINARY:
      return d.key_len() ? cat("binary len ", d.key_len()) : "binary";
    default:
      return "?";
  }
}

std::string key_text(const pb::StickKey& k) {
  switch (k.value_case()) {
    case pb::StickKey::kIp:
      return ip_text(k.ip());
    case pb::StickKey::kInteger:
      return cat(k.integer());
    case pb::StickKey::kStr:
      return k.str();
    case pb::StickKey::kBinary:
      return hex_text(k.binary());
    default:
      return "?";
  }
}

std::uint64_t rate_of(const pb::RateSample& r) {
  return sliding_rate(r.current(), r.previous(), r.current_age_ms(), r.period_ms());
}

// The column heading of a stored value: conn_cnt, http_req_rate(10s).
std::string data_heading(const pb::DataDef& d) {
  std::string w = data_type_word(d.type());
  if (d.period_ms()) append(w, '(', duration_text(d.period_ms()), ')');
  return w;
}

void table_def_json(JsonWriter& j, const pb::StickTableDef& d) {
  j.begin_object()
      .key("name")
      .value(d.name())
      .key("key_type")
      .value(to_lower(pb::KeyType_Name(d.key_type()).substr(9)));
  j.key("key_len").value(d.key_len()).key("size").value(static_cast<unsigned long long>(d.size()));
  j.key("expire_ms").value(static_cast<long long>(d.expire_ms())).key("nopurge").value(d.nopurge());
  j.key("peers").value(d.peers()).key("data").begin_array();
  for (const pb::DataDef& dd : d.data())
    j.begin_object().key("type").value(data_type_word(dd.type())).key("period_ms").value(dd.period_ms()).end_object();
  j.end_array().key("entries").value(static_cast<unsigned long long>(d.entries()));
  j.key("last_seq").value(static_cast<unsigned long long>(d.last_seq())).end_object();
}

int table_show(const Options& o, const CommandArgs& a) {
  pb::ShowTableRequest req;
  req.set_table(a.positional[0]);
  if (const std::string* k = a.value("--key")) req.set_key(*k);
  if (const std::string* l = a.value("--limit")) {
    unsigned long long n = 0;
    if (!parse_uint(*l, n) || n == 0 || n > 0xffffffffULL) {
      std::fprintf(stderr, "tandemctl: table show: --limit must be a number of entries (1 or more)\n");
      return kUsage;
    }
    req.set_limit(static_cast<std::uint32_t>(n));
  }
  auto stub = pb::Admin::NewStub(channel_to(o.balancer_socket));
  grpc::ClientContext ctx;
  with_deadline(ctx, std::chrono::seconds(30));
  pb::ShowTableResponse resp;
  grpc::Status s = stub->ShowTable(&ctx, req, &resp);
  if (!s.ok()) return report_rpc_error("balancer", o.balancer_socket, s);
  const pb::StickTableDef& d = resp.table();
  bool has_server = false;
  for (const pb::DataDef& dd : d.data()) has_server |= dd.type() == pb::DATA_TYPE_SERVER_ID;

  JsonWriter j;
  j.begin_object().key("table");
  table_def_json(j, d);
  j.key("entries").begin_array();
  std::vector<std::string> head{"KEY"};
  if (has_server) head.push_back("SERVER");
  head.push_back("EXPIRES");
  head.push_back("ORIGIN");
  for (const pb::DataDef& dd : d.data())
    if (dd.type() != pb::DATA_TYPE_SERVER_ID) head.push_back(data_heading(dd));
  Table t(head);
  size_t shown = 0;
  for (const pb::StickEntry& e : resp.entries()) {
    if (e.deleted()) continue;
    ++shown;
    std::vector<std::string> row{key_text(e.key())};
    if (has_server) row.push_back(e.server_name().empty() ? "-" : e.server_name());
    row.push_back(d.expire_ms() ? duration_text(e.expire_in_ms()) : "never");
    row.push_back(e.origin_node().empty() ? "-" : e.origin_node());
    j.begin_object().key("key").value(key_text(e.key())).key("server").value(e.server_name());
    j.key("expire_in_ms").value(static_cast<long long>(e.expire_in_ms())).key("origin_node").value(e.origin_node());
    j.key("origin_unix_us").value(static_cast<long long>(e.origin_unix_us()));
    j.key("seq").value(static_cast<unsigned long long>(e.seq())).key("data").begin_object();
    for (const pb::DataDef& dd : d.data()) {
      if (dd.type() == pb::DATA_TYPE_SERVER_ID) continue;
      const pb::StickDatum* found = nullptr;
      for (const pb::StickDatum& v : e.data())
        if (v.type() == dd.type()) found = &v;
      j.key(data_type_word(dd.type()));
      if (!found) {
        row.push_back("-");
        j.null();
      } else if (dd.period_ms()) {
        row.push_back(cat(rate_of(found->rate())));
        const pb::RateSample& r = found->rate();
        j.begin_object().key("rate").value(static_cast<unsigned long long>(rate_of(r)));
        j.key("period_ms").value(r.period_ms()).key("current").value(static_cast<unsigned long long>(r.current()));
        j.key("previous").value(static_cast<unsigned long long>(r.previous()));
        j.key("current_age_ms").value(r.current_age_ms()).end_object();
      } else {
        row.push_back(cat(found->value()));
        j.value(static_cast<unsigned long long>(found->value()));
      }
    }
    j.end_object().end_object();
    t.add(std::move(row));
  }
  j.end_array().key("truncated").value(resp.truncated()).end_object();
  if (o.json) {
    std::fputs(j.str().c_str(), stdout);
    return kOk;
  }
  std::string out = cat("table ", d.name(), ": type ", key_type_word(d), ", size ", d.size(), ", expire ",
                        d.expire_ms() ? duration_text(d.expire_ms()) : "never", d.nopurge() ? ", nopurge" : "",
                        d.peers().empty() ? "" : cat(", peers ", d.peers()), ", ", d.entries(),
                        d.entries() == 1 ? " entry\n" : " entries\n");
  if (shown) out += t.render();
  if (resp.truncated()) append(out, "(more entries match: raise --limit)\n");
  std::fputs(out.c_str(), stdout);
  return kOk;
}

int table_clear(const Options& o, const CommandArgs& a) {
  pb::ClearTableRequest req;
  req.set_table(a.positional[0]);
  if (const std::string* k = a.value("--key")) req.set_key(*k);
  auto stub = pb::Admin::NewStub(channel_to(o.balancer_socket));
  grpc::ClientContext ctx;
  with_deadline(ctx, std::chrono::seconds(30));
  pb::ClearTableResponse resp;
  grpc::Status s = stub->ClearTable(&ctx, req, &resp);
  if (!s.ok()) return report_rpc_error("balancer", o.balancer_socket, s);
  if (o.json) {
    JsonWriter j;
    j.begin_object().key("table").value(req.table()).key("key").value(req.key());
    j.key("removed").value(static_cast<unsigned long long>(resp.removed())).end_object();
    std::fputs(j.str().c_str(), stdout);
  } else {
    std::printf("table %s: removed %llu %s%s\n", req.table().c_str(), static_cast<unsigned long long>(resp.removed()),
                resp.removed() == 1 ? "entry" : "entries",
                req.key().empty() ? "" : cat(" (key ", req.key(), ')').c_str());
  }
  return kOk;
}

}  // namespace

int cmd_table(const Options& o) {
  const auto& c = o.command;
  auto usage = [] {
    std::fprintf(stderr, "tandemctl: usage: table show NAME [--key K] [--limit N] | table clear NAME [--key K]\n");
    return kUsage;
  };
  if (c.size() < 3 || (c[1] != "show" && c[1] != "clear")) return usage();
  const bool show = c[1] == "show";
  auto a = show ? parse_command_args(std::span(c).subspan(2), {"--key", "--limit"}, {})
                : parse_command_args(std::span(c).subspan(2), {"--key"}, {});
  if (!a) {
    std::fprintf(stderr, "tandemctl: table %s: %s\n", c[1].c_str(), a.error().message.c_str());
    return kUsage;
  }
  if (a->positional.size() != 1) return usage();
  return show ? table_show(o, *a) : table_clear(o, *a);
}

}  // namespace tandem::cli
