#include "balancer/admin/stick_admin.h"

#include "balancer/admin/stick_codec.h"
#include "common/strings.h"

namespace tandem::balancer::admin {

using namespace tandem::balancer::stick;

namespace {

grpc::Status table_or_error(StickRegistry& reg, const std::string& name, std::shared_ptr<StickTable>& out) {
  out = reg.find(name);
  if (!out) return grpc::Status(grpc::StatusCode::NOT_FOUND, cat("no stick table '", name, "'"));
  return grpc::Status::OK;
}

grpc::Status parse_key(const StickTable& t, const std::string& text, KeyBuf& key) {
  if (auto r = parse_key_text(t.key_format(), text, key); !r)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, cat("key: ", r.error().message));
  return grpc::Status::OK;
}

// The value a DataFilter compares: counters as stored, rates as read now,
// server_id as the local id.
std::int64_t filter_value(const ImageBatch& b, const EntryImage& e, DataType type) {
  if (type == DataType::server_id) return e.table->server(e.server).id;
  for (const DatumImage& d : b.datums(e))
    if (d.type == type) return static_cast<std::int64_t>(d.value);
  return 0;
}

bool matches(const pb::DataFilter& f, std::int64_t v) {
  switch (f.op()) {
    case pb::DataFilter::OP_EQ:
      return v == f.value();
    case pb::DataFilter::OP_NE:
      return v != f.value();
    case pb::DataFilter::OP_LT:
      return v < f.value();
    case pb::DataFilter::OP_LE:
      return v <= f.value();
    case pb::DataFilter::OP_GT:
      return v > f.value();
    case pb::DataFilter::OP_GE:
      return v >= f.value();
    default:
      return true;
  }
}

}  // namespace

grpc::Status show_table(StickRegistry& reg, const pb::ShowTableRequest& req, StickNow now,
                        pb::ShowTableResponse* resp) {
  std::shared_ptr<StickTable> t;
  if (auto s = table_or_error(reg, req.table(), t); !s.ok()) return s;
  const bool filtered = req.has_filter() && req.filter().type() != pb::DATA_TYPE_UNSPECIFIED;
  DataType ftype = DataType::server_id;
  if (filtered) {
    int ft = static_cast<int>(req.filter().type());
    if (ft < 1 || ft > static_cast<int>(kDataTypeCount))
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "filter: unknown data type");
    ftype = static_cast<DataType>(ft - 1);
    if (!t->def().stores(ftype))
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          cat("filter: table '", t->name(), "' does not store ", data_type_name(ftype)));
    if (req.filter().op() == pb::DataFilter::OP_UNSPECIFIED)
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "filter: no operator");
  }
  to_proto(t->def(), resp->mutable_table());
  resp->mutable_table()->set_entries(t->entries());
  resp->mutable_table()->set_last_seq(t->last_seq());
  const std::uint64_t head = reg.log().head();
  ImageBatch batch;
  auto emit = [&]() -> bool {  // false: limit reached
    for (const EntryImage& e : batch.entries) {
      if (filtered && !matches(req.filter(), filter_value(batch, e, ftype))) continue;
      if (req.limit() && static_cast<std::uint32_t>(resp->entries_size()) >= req.limit()) {
        resp->set_truncated(true);
        return false;
      }
      to_proto(batch, e, reg.nodes(), resp->add_entries());
    }
    batch.clear();
    return true;
  };
  if (!req.key().empty()) {
    KeyBuf key;
    if (auto s = parse_key(*t, req.key(), key); !s.ok()) return s;
    t->image_of_key(key.view(), now, head, batch);
    emit();
    return grpc::Status::OK;
  }
  StickTable::ScanPos pos;
  while (!t->scan_done(pos)) {
    t->scan(pos, 1024, now, head, batch);
    if (!emit()) break;
  }
  return grpc::Status::OK;
}

grpc::Status clear_table(StickRegistry& reg, const pb::ClearTableRequest& req, StickNow now,
                         pb::ClearTableResponse* resp) {
  std::shared_ptr<StickTable> t;
  if (auto s = table_or_error(reg, req.table(), t); !s.ok()) return s;
  if (req.key().empty()) {
    resp->set_removed(t->clear(now));
    return grpc::Status::OK;
  }
  KeyBuf key;
  if (auto s = parse_key(*t, req.key(), key); !s.ok()) return s;
  resp->set_removed(t->erase(key.view(), now) ? 1 : 0);
  return grpc::Status::OK;
}

grpc::Status set_table_entry(StickRegistry& reg, const pb::SetTableEntryRequest& req, StickNow now,
                             pb::StickEntry* resp) {
  std::shared_ptr<StickTable> t;
  if (auto s = table_or_error(reg, req.table(), t); !s.ok()) return s;
  if (req.key().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "key: required");
  KeyBuf key;
  if (auto s = parse_key(*t, req.key(), key); !s.ok()) return s;
  std::vector<IncomingDatum> data;
  if (auto r = data_from_proto(req.data(), data); !r)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, r.error().message);
  if (auto r = t->set_values(key.view(), req.server_name(), data, now); !r)
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, r.error().message);
  ImageBatch batch;
  if (t->image_of_key(key.view(), now, reg.log().head(), batch)) to_proto(batch, batch.entries[0], reg.nodes(), resp);
  return grpc::Status::OK;
}

}  // namespace tandem::balancer::admin
