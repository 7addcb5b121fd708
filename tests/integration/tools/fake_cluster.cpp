// A stand-in for tandem-peersync's local Cluster service, so that tandemctl's
// peer views (status, peers, failover --wait-synced) are tested against the
// proto before peersync exists, and against states a real pair is slow to
// reach (a lagging table, a schema difference).
//   fake_cluster SOCKET STATUS_FILE
// Every GetClusterStatus reads STATUS_FILE (a ClusterStatus in protobuf text
// format) again, so a test changes the answer by rewriting the file. Reload
// answers ok, unless STATUS_FILE.reload-error exists: then not ok, with its
// text as the error. Prints "ready" once serving; runs until SIGTERM/SIGINT.
#include <google/protobuf/text_format.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "tandem/peersync/v1/cluster.grpc.pb.h"

namespace ps = tandem::peersync::v1;

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

class FakeCluster final : public ps::Cluster::Service {
 public:
  explicit FakeCluster(std::string file) : file_(std::move(file)) {}

  grpc::Status GetClusterStatus(grpc::ServerContext*, const ps::GetClusterStatusRequest*,
                                ps::ClusterStatus* out) override {
    std::string text;
    if (!read_file(file_, text)) return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read " + file_);
    if (!google::protobuf::TextFormat::ParseFromString(text, out))
      return grpc::Status(grpc::StatusCode::INTERNAL, "bad text proto in " + file_);
    return grpc::Status::OK;
  }

  grpc::Status Reload(grpc::ServerContext*, const ps::ClusterReloadRequest*, ps::ClusterReloadResponse* out) override {
    std::string error;
    out->set_ok(!read_file(file_ + ".reload-error", error));
    out->set_error(error);
    return grpc::Status::OK;
  }

 private:
  std::string file_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fake_cluster SOCKET STATUS_FILE\n";
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  FakeCluster service(argv[2]);
  grpc::ServerBuilder b;
  b.AddListeningPort(std::string("unix:") + argv[1], grpc::InsecureServerCredentials());
  b.RegisterService(&service);
  auto server = b.BuildAndStart();
  if (!server) {
    std::cerr << "cannot listen on " << argv[1] << "\n";
    return 1;
  }
  std::cout << "ready" << std::endl;
  int signo = 0;
  sigwait(&stop, &signo);
  server->Shutdown();
  return 0;
}
