#include "peersync/service/balancer_link.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include "common/strings.h"
#include "peersync/service/tls.h"

namespace tandem::peersync {

namespace bpb = tandem::balancer::v1;

BalancerLink::BalancerLink(const std::string& socket_path) : path_(socket_path) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // Apply batches merge up to InboundLimits' 16384 entries of several peer
  // batches (keys up to 1 KiB): more than one peer message may carry; the
  // balancer's admin socket takes 64 MiB.
  args.SetMaxSendMessageSize(kMaxApplyBytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  stub_ = bpb::StickTables::NewStub(
      grpc::CreateCustomChannel("unix:" + socket_path, grpc::InsecureChannelCredentials(), args));
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
