#include "peersync/service/tls.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace tandem::peersync {

namespace {
Result<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(cat("cannot read '", path, "'"));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

Result<TlsMaterial> load_tls(const config::Tls& tls) {
  TlsMaterial m;
  if (!tls.enabled) return m;
  m.enabled = true;
  for (auto [path, dst] : {std::pair{&tls.cert, &m.cert}, {&tls.key, &m.key}, {&tls.ca, &m.ca}}) {
    auto text = slurp(*path);
    if (!text) return std::unexpected(text.error());
    *dst = std::move(*text);
  }
  return m;
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const TlsMaterial& m) {
  if (!m.enabled) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions o(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  o.pem_root_certs = m.ca;
  o.pem_key_cert_pairs.push_back({m.key, m.cert});
  return grpc::SslServerCredentials(o);
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const TlsMaterial& m) {
  if (!m.enabled) return grpc::InsecureChannelCredentials();
  return grpc::SslCredentials({m.ca, m.key, m.cert});
}

grpc::ChannelArguments channel_arguments(const std::string& peer_name, const TlsMaterial& m) {
  grpc::ChannelArguments args;
  if (m.enabled) args.SetSslTargetNameOverride(peer_name);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // Reconnects are ours (backoff with jitter in the core); keep gRPC's own short.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return args;
}

std::vector<std::string> certificate_names(const grpc::ServerContext& ctx) {
  std::vector<std::string> out;
  auto auth = ctx.auth_context();
  if (!auth) return out;
  for (const char* prop : {GRPC_X509_SAN_PROPERTY_NAME, GRPC_X509_CN_PROPERTY_NAME})
    for (const auto& v : auth->FindPropertyValues(prop)) out.emplace_back(v.data(), v.size());
  return out;
}

}  // namespace tandem::peersync
