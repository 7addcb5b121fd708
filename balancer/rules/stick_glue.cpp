#include "balancer/rules/stick_glue.h"

#include <deque>
#include <mutex>
#include <string>

namespace tandem::balancer::rules {

using stick::DataType;
using stick::StickEvent;
using stick::StickTable;

bool sample_to_key(const Sample& s, const stick::KeyFormat& f, stick::KeyBuf& out) {
  // The casts are HAProxy's (stick_key.h): text into an ip or integer table
  // is parsed, an unconvertible sample keys nothing.
  switch (s.type) {
    case Sample::Type::none:
      return false;
    case Sample::Type::ip:
      if (s.ip.is_v4()) {
        auto b = s.ip.to_v4().to_bytes();
        std::uint8_t a[4] = {b[0], b[1], b[2], b[3]};
        return stick::key_from_ipv4(f, a, out);
      } else {
        auto b = s.ip.to_v6().to_bytes();
        std::uint8_t a[16];
        for (size_t i = 0; i < 16; ++i) a[i] = b[i];
        return stick::key_from_ipv6(f, a, out);
      }
    case Sample::Type::integer:
      return stick::key_from_int(f, s.i, out);
    case Sample::Type::boolean:
      return stick::key_from_int(f, s.b ? 1 : 0, out);
    case Sample::Type::str:
      if (f.type == stick::KeyType::binary)
        return stick::key_from_binary(
            f, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.s.data()), s.s.size()), out);
      return stick::key_from_string(f, s.s, out);
  }
  return false;
}

// ---- SessionCounters --------------------------------------------------------

void SessionCounters::track(EvalContext& ctx, int counter, const SampleExpr& key, const void* table, bool http) {
  TrackedCounter& tc = sc_[static_cast<size_t>(counter)];
  if (tc.ref) return;  // already tracked: the first track-scN wins, as HAProxy
  auto* t = static_cast<StickTable*>(const_cast<void*>(table));
  stick::KeyBuf k;
  if (!sample_to_key(key.eval(ctx), t->key_format(), k)) return;
  stick::StickRef ref = t->track(k.view(), ctx.now);
  if (!ref) return;  // a full nopurge table: not tracked, as HAProxy
  const bool request_level = http || in_request_;
  if (request_level)
    t->count(ref, StickEvent::http_request, 1, ctx.now);
  else
    t->count(ref, StickEvent::session, 1, ctx.now);
  tc.ref = std::move(ref);
  tc.request_level = request_level;
  ctx.sc[static_cast<size_t>(counter)] = &tc;
}

void SessionCounters::inc_gpc(EvalContext& ctx, int counter, int gpc) {
  TrackedCounter* tc = ctx.sc[static_cast<size_t>(counter)];
  if (tc && tc->ref) tc->ref.table()->inc_gpc(tc->ref, gpc, ctx.now);
}

void SessionCounters::clr_gpc(EvalContext& ctx, int counter, int gpc) {
  TrackedCounter* tc = ctx.sc[static_cast<size_t>(counter)];
  if (tc && tc->ref) tc->ref.table()->clr_gpc(tc->ref, gpc, ctx.now);
}

void SessionCounters::attach(EvalContext& ctx) {
  for (size_t i = 0; i < sc_.size(); ++i) ctx.sc[i] = sc_[i].ref ? &sc_[i] : nullptr;
}

void SessionCounters::begin_request(stick::StickNow now) {
  for (TrackedCounter& tc : sc_)
    if (tc.ref) tc.ref.table()->count(tc.ref, StickEvent::http_request, 1, now);
}

void SessionCounters::count_bytes(stick::StickNow now, std::uint64_t in, std::uint64_t out) {
  for (TrackedCounter& tc : sc_) {
    if (!tc.ref) continue;
    if (in) tc.ref.table()->count(tc.ref, StickEvent::bytes_in, in, now);
    if (out) tc.ref.table()->count(tc.ref, StickEvent::bytes_out, out, now);
  }
}

void SessionCounters::end_request(stick::StickNow now, bool http_error, std::uint64_t in, std::uint64_t out) {
  count_bytes(now, in, out);
  for (TrackedCounter& tc : sc_) {
    if (!tc.ref) continue;
    if (http_error) tc.ref.table()->count(tc.ref, StickEvent::http_error, 1, now);
    if (tc.request_level) {
      tc.ref.table()->untrack(tc.ref, now);
      tc.ref = stick::StickRef();
      tc.request_level = false;
    }
  }
}

void SessionCounters::end_session(stick::StickNow now) {
  for (TrackedCounter& tc : sc_) {
    if (!tc.ref) continue;
    if (now.tick_ms || now.wall_us) tc.ref.table()->untrack(tc.ref, now);
    tc.ref = stick::StickRef();  // releases without refreshing when not untracked above
    tc.request_level = false;
  }
}

// ---- Fetches ---------------------------------------------------------------

namespace {

enum class Op { get, kbytes, inc, clr, tracked, trackers };

// What a fetch does with an entry's value: read it (rates as events over the
// period), read bytes as kilobytes, or change gpc0/gpc1.
constexpr int gpc_of(DataType t) { return t == DataType::gpc1 ? 1 : 0; }

StickTable* table_of(const void* p) { return static_cast<StickTable*>(const_cast<void*>(p)); }

template <DataType type, Op op>
Sample on_ref(EvalContext& ctx, const TrackedCounter& tc) {
  StickTable* t = tc.ref.table();
  if constexpr (op == Op::tracked) {
    return Sample::of_bool(true);
  } else if constexpr (op == Op::inc) {
    return Sample::of_int(t->inc_gpc(tc.ref, gpc_of(type), ctx.now));
  } else if constexpr (op == Op::clr) {
    return Sample::of_int(t->clr_gpc(tc.ref, gpc_of(type), ctx.now));
  } else if constexpr (op == Op::trackers) {
    return Sample::of_int(t->read(tc.ref, ctx.now).refs);
  } else {
    if (!t->def().stores(type)) return Sample::none();
    std::uint64_t v = t->get(tc.ref, type, ctx.now);
    if constexpr (op == Op::kbytes) v >>= 10;
    return Sample::of_int(static_cast<long long>(v));
  }
}

// The entry of `key` in `t`, by key (src_*, table_* and sc_*(N,T) on another
// table): 0 when there is none (HAProxy's rule, even for a value the table
// does not store), no sample when the entry exists but does not store the
// value. inc/clr create the entry when `create`.
template <DataType type, Op op>
Sample on_key(EvalContext& ctx, StickTable* t, stick::KeyView k, bool create) {
  if constexpr (op == Op::inc) {
    auto v = t->inc_gpc(k, gpc_of(type), ctx.now, create);
    return Sample::of_int(v ? *v : 0);
  } else if constexpr (op == Op::clr) {
    auto v = t->clr_gpc(k, gpc_of(type), ctx.now, create);
    return Sample::of_int(v ? *v : 0);
  } else if constexpr (op == Op::tracked) {
    return Sample::of_bool(true);
  } else if constexpr (op == Op::trackers) {
    auto v = t->lookup(k, ctx.now);
    return Sample::of_int(v ? v->refs : 0);
  } else {
    if (!t->def().stores(type)) return t->contains(k, ctx.now) ? Sample::none() : Sample::of_int(0);
    auto v = t->lookup(k, type, ctx.now);
    std::uint64_t x = v ? *v : 0;
    if constexpr (op == Op::kbytes) x >>= 10;
    return Sample::of_int(static_cast<long long>(x));
  }
}

// sc_X(N[,table]) and scN_X([table]). A table other than the tracked
// entry's: the tracked key is looked up there (HAProxy's
// smp_fetch_sc_stkctr), if both tables have the same key type and length
// (else no sample, as HAProxy since 3.2; 2.6 compared keys of different
// types); inc/clr then change only an existing entry.
template <DataType type, Op op, int fixed>
Sample f_sc(EvalContext& ctx, const FetchArgs& a) {
  size_t n = fixed >= 0 ? static_cast<size_t>(fixed) : static_cast<size_t>(a.number);
  const TrackedCounter* tc = n < ctx.sc.size() ? ctx.sc[n] : nullptr;
  if (!tc || !tc->ref) return op == Op::tracked ? Sample::of_bool(false) : Sample::none();
  if (!a.target || a.target == tc->ref.table()) return on_ref<type, op>(ctx, *tc);
  StickTable* other = table_of(a.target);
  const stick::TableDef& mine = tc->ref.table()->def();
  if (other->def().key_type != mine.key_type || other->def().key_len != mine.key_len)
    return op == Op::tracked ? Sample::of_bool(false) : Sample::none();
  stick::KeyBuf k;
  if (!tc->ref.table()->key_of(tc->ref, k)) return Sample::none();
  return on_key<type, op>(ctx, other, k.view(), false);
}

// src_X([table]): the entry of the connection's source address.
template <DataType type, Op op, int>
Sample f_src(EvalContext& ctx, const FetchArgs& a) {
  StickTable* t = table_of(a.target);
  if (!t) return Sample::none();
  stick::KeyBuf k;
  if (!sample_to_key(Sample::of_ip(ctx.src), t->key_format(), k)) return Sample::none();
  return on_key<type, op>(ctx, t, k.view(), true);
}

// SAMPLE,table_X(T): the entry whose key is the sample, converted to T's key
// type; no sample when it does not convert.
template <DataType type, Op op>
Sample c_table(EvalContext& ctx, const Sample& in, const FetchArgs& a) {
  StickTable* t = table_of(a.target);
  stick::KeyBuf k;
  if (!sample_to_key(in, t->key_format(), k)) return Sample::none();
  return on_key<type, op>(ctx, t, k.view(), false);
}

Sample c_in_table(EvalContext& ctx, const Sample& in, const FetchArgs& a) {
  StickTable* t = table_of(a.target);
  stick::KeyBuf k;
  if (!sample_to_key(in, t->key_format(), k)) return Sample::none();
  return Sample::of_bool(t->contains(k.view(), ctx.now));
}

// table_cnt([T]) / table_avl([T]): entries in use / free.
Sample f_table_cnt(EvalContext&, const FetchArgs& a) {
  return Sample::of_int(static_cast<long long>(table_of(a.target)->entries()));
}
Sample f_table_avl(EvalContext&, const FetchArgs& a) {
  const StickTable* t = table_of(a.target);
  const std::uint64_t used = t->entries(), size = t->def().size;
  return Sample::of_int(static_cast<long long>(used < size ? size - used : 0));
}

// One registration per (prefix, suffix): the function is a template instance
// chosen at compile time, so a fetch costs one indirect call and no lookup.
#define TANDEM_STICK_ITEMS(X)                            \
  X("conn_cur", DataType::conn_cur, Op::get)             \
  X("conn_cnt", DataType::conn_cnt, Op::get)             \
  X("conn_rate", DataType::conn_rate, Op::get)           \
  X("sess_cnt", DataType::sess_cnt, Op::get)             \
  X("sess_rate", DataType::sess_rate, Op::get)           \
  X("http_req_cnt", DataType::http_req_cnt, Op::get)     \
  X("http_req_rate", DataType::http_req_rate, Op::get)   \
  X("http_err_cnt", DataType::http_err_cnt, Op::get)     \
  X("http_err_rate", DataType::http_err_rate, Op::get)   \
  X("bytes_in_rate", DataType::bytes_in_rate, Op::get)   \
  X("bytes_out_rate", DataType::bytes_out_rate, Op::get) \
  X("kbytes_in", DataType::bytes_in_cnt, Op::kbytes)     \
  X("kbytes_out", DataType::bytes_out_cnt, Op::kbytes)   \
  X("get_gpc0", DataType::gpc0, Op::get)                 \
  X("get_gpc1", DataType::gpc1, Op::get)                 \
  X("gpc0_rate", DataType::gpc0_rate, Op::get)           \
  X("gpc1_rate", DataType::gpc1_rate, Op::get)           \
  X("inc_gpc0", DataType::gpc0, Op::inc)                 \
  X("inc_gpc1", DataType::gpc1, Op::inc)                 \
  X("clr_gpc0", DataType::gpc0, Op::clr)                 \
  X("clr_gpc1", DataType::gpc1, Op::clr)                 \
  X("trackers", DataType::conn_cur, Op::trackers)

void register_prefix_sc(std::string_view prefix, int fixed) {
  auto reg = [&](std::string_view suffix, FetchFn fn) {
    static std::deque<std::string> names;  // FetchDef keeps a view: the names live for the process
    names.push_back(std::string(prefix) + std::string(suffix));
    register_fetch(FetchDef{names.back(), fn, Sample::Type::integer, kNeedNothing,
                            fixed < 0 ? FetchDef::Arg::counter_table : FetchDef::Arg::table_opt_none});
  };
#define X(s, t, o)             \
  switch (fixed) {             \
    case 0:                    \
      reg(s, &f_sc<t, o, 0>);  \
      break;                   \
    case 1:                    \
      reg(s, &f_sc<t, o, 1>);  \
      break;                   \
    case 2:                    \
      reg(s, &f_sc<t, o, 2>);  \
      break;                   \
    default:                   \
      reg(s, &f_sc<t, o, -1>); \
      break;                   \
  }
  TANDEM_STICK_ITEMS(X)
#undef X
}

}  // namespace

void register_stick_fetches() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_prefix_sc("sc_", -1);
    register_prefix_sc("sc0_", 0);
    register_prefix_sc("sc1_", 1);
    register_prefix_sc("sc2_", 2);
    static std::deque<std::string> names;
    // (No src_trackers: HAProxy has none.)
#define X(s, t, o)                                                                                              \
  if (std::string_view(s) != "trackers") {                                                                      \
    names.push_back(std::string("src_") + s);                                                                   \
    register_fetch(                                                                                             \
        FetchDef{names.back(), &f_src<t, o, 0>, Sample::Type::integer, kNeedNothing, FetchDef::Arg::table_opt}); \
  }
    TANDEM_STICK_ITEMS(X)
#undef X
    register_fetch(FetchDef{"table_cnt", &f_table_cnt, Sample::Type::integer, kNeedNothing, FetchDef::Arg::table_opt});
    register_fetch(FetchDef{"table_avl", &f_table_avl, Sample::Type::integer, kNeedNothing, FetchDef::Arg::table_opt});
    // The table_* converters: the same values by any key (no inc/clr: HAProxy
    // 2.6 has none; no trackers counted per key other than by `use`).
    static std::deque<std::string> conv_names;
#define C(s, t, o)                                 \
  conv_names.push_back(std::string("table_") + s); \
  register_converter(ConvDef{conv_names.back(), &c_table<t, o>, Sample::Type::integer, ConvDef::Arg::table});
    C("conn_cur", DataType::conn_cur, Op::get)
    C("conn_cnt", DataType::conn_cnt, Op::get)
    C("conn_rate", DataType::conn_rate, Op::get)
    C("sess_cnt", DataType::sess_cnt, Op::get)
    C("sess_rate", DataType::sess_rate, Op::get)
    C("http_req_cnt", DataType::http_req_cnt, Op::get)
    C("http_req_rate", DataType::http_req_rate, Op::get)
    C("http_err_cnt", DataType::http_err_cnt, Op::get)
    C("http_err_rate", DataType::http_err_rate, Op::get)
    C("bytes_in_rate", DataType::bytes_in_rate, Op::get)
    C("bytes_out_rate", DataType::bytes_out_rate, Op::get)
    C("kbytes_in", DataType::bytes_in_cnt, Op::kbytes)
    C("kbytes_out", DataType::bytes_out_cnt, Op::kbytes)
    C("gpc0", DataType::gpc0, Op::get)
    C("gpc1", DataType::gpc1, Op::get)
    C("gpc0_rate", DataType::gpc0_rate, Op::get)
    C("gpc1_rate", DataType::gpc1_rate, Op::get)
    C("server_id", DataType::server_id, Op::get)
    C("trackers", DataType::conn_cur, Op::trackers)
#undef C
    register_converter(ConvDef{"in_table", &c_in_table, Sample::Type::boolean, ConvDef::Arg::table});
    register_fetch(FetchDef{"sc_tracked", &f_sc<DataType::gpc0, Op::tracked, -1>, Sample::Type::boolean, kNeedNothing,
                            FetchDef::Arg::counter_table});
    register_fetch(FetchDef{"sc0_tracked", &f_sc<DataType::gpc0, Op::tracked, 0>, Sample::Type::boolean, kNeedNothing,
                            FetchDef::Arg::table_opt_none});
    register_fetch(FetchDef{"sc1_tracked", &f_sc<DataType::gpc0, Op::tracked, 1>, Sample::Type::boolean, kNeedNothing,
                            FetchDef::Arg::table_opt_none});
    register_fetch(FetchDef{"sc2_tracked", &f_sc<DataType::gpc0, Op::tracked, 2>, Sample::Type::boolean, kNeedNothing,
                            FetchDef::Arg::table_opt_none});
  });
}

}  // namespace tandem::balancer::rules
