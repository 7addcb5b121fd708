#pragma once
// Stick tables between the core's plain types and the protobuf contract
// (proto/tandem/balancer/v1/stick_tables.proto). No locks, no I/O.

#include <string>
#include <vector>

#include "balancer/stick/entry_image.h"
#include "balancer/stick/stick_registry.h"
#include "balancer/stick/stick_watch.h"
#include "common/error.h"
#include "tandem/balancer/v1/stick_tables.pb.h"

namespace tandem::balancer::admin {

namespace pb = tandem::balancer::v1;

// Definitions, for ListTables and peersync's schema comparison.
void to_proto(const stick::TableDef& def, pb::StickTableDef* out);

// One copied entry. `nodes` resolves origin ids.
void to_proto(const stick::ImageBatch& batch, const stick::EntryImage& e, const stick::NamePool& nodes,
              pb::StickEntry* out);
// A Watch batch. `out` is reused from batch to batch: clearing keeps its
// sub-messages allocated, so steady streaming allocates little.
void to_proto(const stick::WatchOutput& w, const stick::NamePool& nodes, pb::WatchBatch* out);

pb::Cursor to_proto(const stick::Cursor& c);
stick::Cursor from_proto(const pb::Cursor& c);

// A key as the table's canonical bytes; errors say what does not fit.
Result<void> key_from_proto(const stick::KeyFormat& f, const pb::StickKey& key, stick::KeyBuf& out);
void key_to_proto(const stick::KeyFormat& f, stick::KeyView key, pb::StickKey* out);

// Values (StickDatum) for the core. Errors: an unknown data type.
Result<void> data_from_proto(const google::protobuf::RepeatedPtrField<pb::StickDatum>& in,
                             std::vector<stick::IncomingDatum>& out);

// An untrusted entry from a peer, decoded into views of `in` plus the key
// and values held by this object (reuse one per stream). Validation of the
// values against the table is StickRegistry::apply()'s.
class IncomingDecoder {
 public:
  Result<stick::IncomingEntry> decode(const stick::TableDef& def, const pb::StickEntry& in);

 private:
  stick::KeyBuf key_;
  std::vector<stick::IncomingDatum> data_;
};

}  // namespace tandem::balancer::admin
