// A test client of the balancer's admin socket for the integration tests
// (Python without gRPC): one unary call, request and answer as JSON.
//   balancer_rpc SOCKET METHOD [JSON]
// METHOD: ListTables, ShowTable, ClearTable, SetTableEntry (tandem.balancer.v1.Admin),
//         StickTables.ListTables, StickTables.Watch (prints the first batch).
#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "tandem/balancer/v1/admin.grpc.pb.h"
#include "tandem/balancer/v1/stick_tables.grpc.pb.h"

namespace v1 = tandem::balancer::v1;

namespace {

std::string json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

bool parse(const std::string& text, google::protobuf::Message& m) {
  if (text.empty()) return true;
  auto s = google::protobuf::util::JsonStringToMessage(text, &m);
  if (!s.ok()) std::cerr << "bad request JSON: " << s.ToString() << "\n";
  return s.ok();
}

template <typename Req, typename Resp, typename Call>
int unary(const std::string& body, Call call) {
  Req req;
  if (!parse(body, req)) return 2;
  Resp resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Status s = call(&ctx, req, &resp);
  if (!s.ok()) {
    std::cerr << "error: " << static_cast<int>(s.error_code()) << " " << s.error_message() << "\n";
    return 1;
  }
  std::cout << json(resp) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: balancer_rpc SOCKET METHOD [JSON]\n";
    return 2;
  }
  auto channel = grpc::CreateChannel(std::string("unix:") + argv[1], grpc::InsecureChannelCredentials());
  auto admin = v1::Admin::NewStub(channel);
  auto sticks = v1::StickTables::NewStub(channel);
  const std::string m = argv[2];
  const std::string body = argc > 3 ? argv[3] : "";
  if (m == "ListTables")
    return unary<v1::ListTablesRequest, v1::ListTablesResponse>(
        body, [&](auto* c, auto& q, auto* r) { return admin->ListTables(c, q, r); });
  if (m == "ShowTable")
    return unary<v1::ShowTableRequest, v1::ShowTableResponse>(
        body, [&](auto* c, auto& q, auto* r) { return admin->ShowTable(c, q, r); });
  if (m == "ClearTable")
    return unary<v1::ClearTableRequest, v1::ClearTableResponse>(
        body, [&](auto* c, auto& q, auto* r) { return admin->ClearTable(c, q, r); });
  if (m == "SetTableEntry")
    return unary<v1::SetTableEntryRequest, v1::StickEntry>(
        body, [&](auto* c, auto& q, auto* r) { return admin->SetTableEntry(c, q, r); });
  if (m == "StickTables.ListTables")
    return unary<v1::ListTablesRequest, v1::ListTablesResponse>(
        body, [&](auto* c, auto& q, auto* r) { return sticks->ListTables(c, q, r); });
  if (m == "StickTables.Watch") {
    v1::WatchRequest req;
    if (!parse(body, req)) return 2;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto reader = sticks->Watch(&ctx, req);
    v1::WatchBatch batch;
    if (!reader->Read(&batch)) {
      auto s = reader->Finish();
      std::cerr << "error: " << s.error_message() << "\n";
      return 1;
    }
    std::cout << json(batch) << "\n";
    ctx.TryCancel();
    return 0;
  }
  std::cerr << "unknown method " << m << "\n";
  return 2;
}
