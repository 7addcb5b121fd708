#include "balancer/admin/stick_codec.h"

#include <cstring>
#include <limits>

#include "common/strings.h"

namespace tandem::balancer::admin {

using namespace tandem::balancer::stick;

namespace {
pb::KeyType key_type_to_proto(KeyType t) {
  switch (t) {
    case KeyType::ip:
      return pb::KEY_TYPE_IP;
    case KeyType::ipv6:
      return pb::KEY_TYPE_IPV6;
    case KeyType::integer:
      return pb::KEY_TYPE_INTEGER;
    case KeyType::string:
      return pb::KEY_TYPE_STRING;
    case KeyType::binary:
      return pb::KEY_TYPE_BINARY;
  }
  return pb::KEY_TYPE_UNSPECIFIED;
}
// DataType is the proto's minus one (stick_types.h).
pb::DataType data_type_to_proto(DataType t) { return static_cast<pb::DataType>(static_cast<int>(t) + 1); }
}  // namespace

void to_proto(const TableDef& def, pb::StickTableDef* out) {
  out->set_name(def.name);
  out->set_key_type(key_type_to_proto(def.key_type));
  out->set_key_len(def.key_type == KeyType::string || def.key_type == KeyType::binary ? def.key_len : 0);
  out->set_size(def.size);
  out->set_expire_ms(def.expire_ms);
  out->set_nopurge(def.nopurge);
  out->set_peers(def.peers);
  for (const DataDef& d : def.store) {
    pb::DataDef* p = out->add_data();
    p->set_type(data_type_to_proto(d.type));
    p->set_period_ms(d.period_ms);
  }
}

void key_to_proto(const KeyFormat& f, KeyView key, pb::StickKey* out) {
  switch (f.type) {
    case KeyType::ip:
    case KeyType::ipv6:
      out->mutable_ip()->assign(key.bytes());
      break;  // assign: reuses capacity
    case KeyType::integer: {
      std::int32_t v = 0;
      std::memcpy(&v, key.data, std::min<std::uint32_t>(key.size, 4));
      out->set_integer(v);
      break;
    }
    case KeyType::string:
      out->mutable_str()->assign(key.bytes());
      break;
    case KeyType::binary:
      out->mutable_binary()->assign(key.bytes());
      break;
  }
}

Result<void> key_from_proto(const KeyFormat& f, const pb::StickKey& key, KeyBuf& out) {
  auto bytes = [&](const std::string& b, bool exact) -> Result<void> {
    if (exact ? b.size() != f.len : b.size() > f.len)
      return fail(cat("key of ", b.size(), " bytes, the table's ", key_type_name(f.type), " keys are ",
                      exact ? "" : "at most ", f.len));
    out.assign(b);
    return {};
  };
  switch (f.type) {
    case KeyType::ip:
    case KeyType::ipv6:
      if (key.value_case() != pb::StickKey::kIp)
        return fail(cat("a ", key_type_name(f.type), " table needs an ip key"));
      return bytes(key.ip(), true);
    case KeyType::integer:
      if (key.value_case() != pb::StickKey::kInteger) return fail("an integer table needs an integer key");
      if (!key_from_int(f, key.integer(), out)) return fail(cat("integer key ", key.integer(), " is not 32-bit"));
      return {};
    case KeyType::string:
      if (key.value_case() != pb::StickKey::kStr) return fail("a string table needs a str key");
      return bytes(key.str(), false);
    case KeyType::binary:
      if (key.value_case() != pb::StickKey::kBinary) return fail("a binary table needs a binary key");
      return bytes(key.binary(), true);
  }
  return fail("unknown key type");
}

void to_proto(const ImageBatch& batch, const EntryImage& e, const NamePool& nodes, pb::StickEntry* out) {
  const StickTable& t = *e.table;
  out->set_table(t.name());
  key_to_proto(t.key_format(), batch.key(e), out->mutable_key());
  out->mutable_server_name()->assign(t.server_name(e.server));
  out->mutable_data()->Clear();
  for (const DatumImage& d : batch.datums(e)) {
    pb::StickDatum* p = out->add_data();
    p->set_type(data_type_to_proto(d.type));
    p->set_value(d.value);
    if (is_rate(d.type)) {
      pb::RateSample* r = p->mutable_rate();
      r->set_period_ms(d.period_ms);
      r->set_current(d.rate.current);
      r->set_previous(d.rate.previous);
      r->set_current_age_ms(d.rate.age_ms);
    } else {
      p->clear_rate();
    }
  }
  out->set_expire_in_ms(e.expire_in_ms);
  out->mutable_origin_node()->assign(nodes.name(e.origin));
  out->set_origin_unix_us(e.origin_us);
  out->set_seq(e.seq);
  out->set_deleted(e.deleted);
}

void to_proto(const WatchOutput& w, const NamePool& nodes, pb::WatchBatch* out) {
  out->Clear();
  *out->mutable_cursor() = to_proto(w.cursor);
  out->set_snapshot_begin(w.snapshot_begin);
  out->set_snapshot_end(w.snapshot_end);
  for (const EntryImage& e : w.images.entries) to_proto(w.images, e, nodes, out->add_entries());
}

pb::Cursor to_proto(const Cursor& c) {
  pb::Cursor p;
  p.set_instance_id(c.instance_id);
  p.set_seq(c.empty() ? 0 : c.seq);
  return p;
}

Cursor from_proto(const pb::Cursor& c) { return Cursor{c.instance_id(), c.instance_id().empty() ? 0 : c.seq()}; }

Result<void> data_from_proto(const google::protobuf::RepeatedPtrField<pb::StickDatum>& in,
                             std::vector<IncomingDatum>& out) {
  out.clear();
  for (const pb::StickDatum& d : in) {
    int t = static_cast<int>(d.type());
    if (t < 1 || t > static_cast<int>(kDataTypeCount)) return fail(cat("unknown data type ", t));
    IncomingDatum x;
    x.type = static_cast<DataType>(t - 1);
    x.value = d.value();
    if (d.has_rate()) {
      x.has_rate = true;
      x.period_ms = d.rate().period_ms();
      constexpr std::uint64_t kMax = std::numeric_limits<std::uint32_t>::max();
      if (d.rate().current() > kMax || d.rate().previous() > kMax)
        return fail(cat(data_type_name(x.type), " counts are out of range (32 bits)"));
      x.rate = RateState{static_cast<std::uint32_t>(d.rate().current()),
                         static_cast<std::uint32_t>(d.rate().previous()), d.rate().current_age_ms()};
    }
    out.push_back(x);
  }
  return {};
}

Result<IncomingEntry> IncomingDecoder::decode(const TableDef& def, const pb::StickEntry& in) {
  if (auto r = key_from_proto(KeyFormat::of(def), in.key(), key_); !r) return std::unexpected(r.error());
  if (auto r = data_from_proto(in.data(), data_); !r) return std::unexpected(r.error());
  IncomingEntry e;
  e.key = key_.view();
  e.server_name = in.server_name();
  e.data = data_;
  e.expire_in_ms = in.expire_in_ms();
  e.origin_node = in.origin_node();
  e.origin_us = in.origin_unix_us();
  e.deleted = in.deleted();
  return e;
}

}  // namespace tandem::balancer::admin
