#include "peersync/service/balancer_link.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include "common/strings.h"
#include "peersync/service/tls.h"

namespace tandem::peersync {

namespace bpb = tandem::balancer::v1;

namespace {
grpc::ChannelArguments link_arguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // Apply batches merge up to InboundLimits' 16384 entries of several peer
  // batches (keys up to 1 KiB): more than one peer message may carry; the
  // balancer's admin socket takes 64 MiB.
  args.SetMaxSendMessageSize(kMaxApplyBytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return args;
}
}  // namespace

BalancerLink::BalancerLink(const std::string& socket_path)
    : path_(socket_path),
      channel_(grpc::CreateCustomChannel("unix:" + socket_path, grpc::InsecureChannelCredentials(), link_arguments())),
      watch_method_("/tandem.balancer.v1.StickTables/Watch", grpc::internal::RpcMethod::SERVER_STREAMING, channel_),
      apply_method_("/tandem.balancer.v1.StickTables/Apply", grpc::internal::RpcMethod::BIDI_STREAMING, channel_) {
  stub_ = bpb::StickTables::NewStub(channel_);
}

std::unique_ptr<grpc::ClientReader<tandem::peersync::v1::WatchBatchWire>> BalancerLink::watch_wire(
    grpc::ClientContext* ctx, const bpb::WatchRequest& req) {
  return std::unique_ptr<grpc::ClientReader<tandem::peersync::v1::WatchBatchWire>>(
      grpc::internal::ClientReaderFactory<tandem::peersync::v1::WatchBatchWire>::Create(channel_.get(), watch_method_,
                                                                                        ctx, req));
}

std::unique_ptr<grpc::ClientReaderWriter<tandem::peersync::v1::ApplyBatchWire, bpb::ApplyAck>> BalancerLink::apply_wire(
    grpc::ClientContext* ctx) {
  return std::unique_ptr<grpc::ClientReaderWriter<tandem::peersync::v1::ApplyBatchWire, bpb::ApplyAck>>(
      grpc::internal::ClientReaderWriterFactory<tandem::peersync::v1::ApplyBatchWire, bpb::ApplyAck>::Create(
          channel_.get(), apply_method_, ctx));
}

Result<bpb::ListTablesResponse> BalancerLink::list_tables(std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  bpb::ListTablesResponse resp;
  auto st = stub_->ListTables(&ctx, {}, &resp);
  if (!st.ok()) return fail(cat("balancer at ", path_, ": ", st.error_message()));
  return resp;
}

Result<bpb::Cursor> BalancerLink::applied(const std::string& source, std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  bpb::GetAppliedRequest req;
  req.set_source_node(source);
  bpb::Cursor resp;
  auto st = stub_->GetApplied(&ctx, req, &resp);
  if (!st.ok()) return fail(cat("balancer at ", path_, ": ", st.error_message()));
  return resp;
}

}  // namespace tandem::peersync
