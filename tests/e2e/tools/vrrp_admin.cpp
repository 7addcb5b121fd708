// A test client of tandem.vrrp.v1.Vrrp: prints answers as JSON so that the
// e2e tests (Python) can read the daemon's state.
//   vrrp_admin SOCKET list
//   vrrp_admin SOCKET failover [INSTANCE]
//   vrrp_admin SOCKET reload
//   vrrp_admin SOCKET watch COUNT      (prints "watching", then COUNT events, one JSON per line)
#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <iostream>
#include <string>

#include "tandem/vrrp/v1/vrrp.grpc.pb.h"

namespace v1 = tandem::vrrp::v1;

namespace {

std::string json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

int failed(const grpc::Status& s) {
  std::cerr << "error: " << s.error_message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: vrrp_admin SOCKET list|failover [I]|reload|watch N\n";
    return 2;
  }
  auto stub =
      v1::Vrrp::NewStub(grpc::CreateChannel(std::string("unix:") + argv[1], grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  const std::string cmd = argv[2];
  if (cmd != "watch") ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (cmd == "list") {
    v1::ListInstancesResponse r;
    auto s = stub->ListInstances(&ctx, {}, &r);
    if (!s.ok()) return failed(s);
    std::cout << json(r) << "\n";
  } else if (cmd == "failover") {
    v1::FailoverRequest req;
    if (argc > 3) req.set_instance(argv[3]);
    v1::FailoverResponse r;
    auto s = stub->Failover(&ctx, req, &r);
    if (!s.ok()) return failed(s);
    std::cout << json(r) << "\n";
  } else if (cmd == "reload") {
    v1::ReloadResponse r;
    auto s = stub->Reload(&ctx, {}, &r);
    if (!s.ok()) return failed(s);
    std::cout << json(r) << "\n";
  } else if (cmd == "watch" && argc > 3) {
    int n = std::stoi(argv[3]);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = stub->WatchEvents(&ctx, {});
    reader->WaitForInitialMetadata();  // the server has registered the stream
    std::cout << "watching" << std::endl;
    v1::VrrpEvent e;
    while (n > 0 && reader->Read(&e)) {
      std::cout << json(e) << std::endl;
      --n;
    }
    ctx.TryCancel();
    (void)reader->Finish();
  } else {
    std::cerr << "unknown command " << cmd << "\n";
    return 2;
  }
  return 0;
}
