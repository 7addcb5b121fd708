#pragma once
// The local balancer's StickTables service on its unix socket.

#include <chrono>
#include <memory>
#include <string>

#include "common/error.h"
#include "tandem/balancer/v1/stick_tables.grpc.pb.h"
#include "tandem/peersync/v1/wire.pb.h"

namespace tandem::peersync {

class BalancerLink {
 public:
  explicit BalancerLink(const std::string& socket_path);
  const std::string& socket() const { return path_; }
  tandem::balancer::v1::StickTables::Stub& stub() { return *stub_; }
  // ListTables with a deadline.
  Result<tandem::balancer::v1::ListTablesResponse> list_tables(std::chrono::milliseconds timeout);
  Result<tandem::balancer::v1::Cursor> applied(const std::string& source, std::chrono::milliseconds timeout);

  // StickTables.Watch and .Apply with their entries kept serialized
  // (tandem/peersync/v1/wire.proto): the same calls on the wire.
  std::unique_ptr<grpc::ClientReader<tandem::peersync::v1::WatchBatchWire>> watch_wire(
      grpc::ClientContext* ctx, const tandem::balancer::v1::WatchRequest& req);
  std::unique_ptr<grpc::ClientReaderWriter<tandem::peersync::v1::ApplyBatchWire, tandem::balancer::v1::ApplyAck>>
  apply_wire(grpc::ClientContext* ctx);

 private:
  std::string path_;
  std::shared_ptr<grpc::Channel> channel_;
  grpc::internal::RpcMethod watch_method_;
  grpc::internal::RpcMethod apply_method_;
  std::unique_ptr<tandem::balancer::v1::StickTables::Stub> stub_;
};

}  // namespace tandem::peersync
