#include "balancer/stick/stick_registry.h"

#include "common/strings.h"

namespace tandem::balancer::stick {

namespace {
// Origin ids are one byte in an entry; two nodes need two.
constexpr std::uint32_t kMaxNodes = 255;
// Sources GetApplied remembers (a peer, maybe a few during a migration).
constexpr std::size_t kMaxSources = 64;

bool same_definition(const TableDef& a, const TableDef& b) {
  return a.name == b.name && a.key_type == b.key_type && a.key_len == b.key_len && a.size == b.size &&
         a.expire_ms == b.expire_ms && a.nopurge == b.nopurge && a.peers == b.peers && a.store == b.store;
}
}  // namespace

StickRegistry::StickRegistry(Options options)
    : node_(std::move(options.node)),
      instance_id_(std::move(options.instance_id)),
      nodes_(kMaxNodes),
      log_(options.log_capacity) {
  nodes_.intern(node_);  // id 0: local changes carry it
}

StickRegistry::~StickRegistry() = default;

Result<std::shared_ptr<StickTable>> StickRegistry::install(TableDef def, std::uint64_t seed, StickNow now) {
  std::unique_lock lock(tables_mutex_);
  if (auto it = by_name_.find(def.name); it != by_name_.end() && same_definition(it->second->def(), def))
    return it->second;
  // Change-log records name tables in 24 bits (log_record.h).
  if (next_id_ > LogRecord::kMaxTableId) return fail("too many stick-table definitions since start; restart the balancer");
  StickTable::Options opts;
  opts.id = next_id_;
  opts.seed = seed;
  opts.signal = &signal_;
  auto t = StickTable::create(std::move(def), opts, now);
  if (!t) return t;
  ++next_id_;
  if (auto it = by_name_.find((*t)->name()); it != by_name_.end()) by_id_.erase(it->second->id());
  by_name_[(*t)->name()] = *t;
  by_id_[(*t)->id()] = *t;
  return t;
}

void StickRegistry::retain(const std::vector<std::string>& names) {
  std::unique_lock lock(tables_mutex_);
  for (auto it = by_name_.begin(); it != by_name_.end();) {
    bool keep = false;
    for (const std::string& n : names) keep = keep || n == it->first;
    if (keep) {
      ++it;
    } else {
      by_id_.erase(it->second->id());
      it = by_name_.erase(it);
    }
  }
}

std::shared_ptr<StickTable> StickRegistry::find(std::string_view name) const {
  std::shared_lock lock(tables_mutex_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::shared_ptr<StickTable> StickRegistry::find(std::uint32_t id) const {
  std::shared_lock lock(tables_mutex_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<StickTable>> StickRegistry::tables() const {
  std::shared_lock lock(tables_mutex_);
  std::vector<std::shared_ptr<StickTable>> out;
  out.reserve(by_name_.size());
  for (const auto& [name, t] : by_name_) out.push_back(t);
  return out;
}

void StickRegistry::collect() {
  auto all = tables();
  std::lock_guard lock(seq_mutex_);
  std::uint64_t next = log_.head() + 1;
  records_.clear();
  tombstones_.clear();
  bool lost = false;
  for (const auto& t : all) {
    if (!t->def().replicated()) continue;
    t->collect(next, records_, tombstones_);
    lost = t->take_lost() || lost;
  }
  if (!records_.empty()) log_.append(records_, tombstones_);
  if (lost) log_.lose_history();
}

Result<ApplyOutcome> StickRegistry::apply(StickTable& table, const IncomingEntry& in, StickNow now, ApplyCache* cache) {
  if (auto r = validate_incoming(table.def(), in); !r) return std::unexpected(r.error());
  ApplyCache local;
  ApplyCache& c = cache ? *cache : local;
  if (c.origin.empty() || c.origin != in.origin_node) {
    auto origin = nodes_.intern(in.origin_node);
    if (!origin) return fail(cat("too many origin nodes (", kMaxNodes, "): '", in.origin_node, "' refused"));
    c.origin.assign(in.origin_node);
    c.origin_id = static_cast<std::uint8_t>(*origin);
  }
  ServerRef server = 0;
  if (!in.deleted && !in.server_name.empty()) {
    if (c.table != &table || c.server != in.server_name) {
      auto r = table.intern_server(in.server_name);
      if (!r)
        return fail(cat("table '", table.name(), "' knows too many server names: '", in.server_name, "' refused"));
      c.table = &table;
      c.server.assign(in.server_name);
      c.server_ref = *r;
    }
    server = c.server_ref;
  }
  auto outcome = table.apply(in, c.origin_id, server, nodes_, now);
  if (outcome == ApplyOutcome::full) return fail(cat("table '", table.name(), "' is full"));
  return outcome;
}

void StickRegistry::set_applied(std::string_view source, Cursor cursor) {
  std::lock_guard lock(applied_mutex_);
  auto it = applied_.find(source);
  if (it != applied_.end())
    it->second = std::move(cursor);
  else if (applied_.size() < kMaxSources)
    applied_.emplace(std::string(source), std::move(cursor));
}

Cursor StickRegistry::applied(std::string_view source) const {
  std::lock_guard lock(applied_mutex_);
  auto it = applied_.find(source);
  return it == applied_.end() ? Cursor{} : it->second;
}

bool StickRegistry::maintain(StickNow now, std::uint32_t budget) {
  bool more = false;
  for (const auto& t : tables()) more = t->expire(now, budget) || more;
  collect();
  return more;
}

}  // namespace tandem::balancer::stick
