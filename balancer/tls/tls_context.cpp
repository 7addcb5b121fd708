#include "balancer/tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "balancer/config/parse_tls.h"
#include "balancer/tls/crt_list.h"
#include "balancer/tls/server_name.h"
#include "common/strings.h"

namespace tandem::balancer::tls {

namespace fs = std::filesystem;
using config::TlsSettings;
using config::TlsVersion;

std::string take_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("unknown TLS error") : out;
}

namespace {

int ex_index() {
  static const int idx = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return idx;
}

int openssl_version(TlsVersion v) {
  switch (v) {
    case TlsVersion::sslv3: return SSL3_VERSION;
    case TlsVersion::tlsv10: return TLS1_VERSION;
    case TlsVersion::tlsv11: return TLS1_1_VERSION;
    case TlsVersion::tlsv12: return TLS1_2_VERSION;
    case TlsVersion::tlsv13: return TLS1_3_VERSION;
    case TlsVersion::none: break;
  }
  return 0;
}

// The line's own settings over the global default's.
TlsSettings merged(const TlsSettings& own, const TlsSettings& def) {
  TlsSettings s = own;
  if (s.ciphers.empty()) s.ciphers = def.ciphers;
  if (s.ciphersuites.empty()) s.ciphersuites = def.ciphersuites;
  if (s.curves.empty()) s.curves = def.curves;
  if (s.min_ver == TlsVersion::none) s.min_ver = def.min_ver;
  if (s.max_ver == TlsVersion::none) s.max_ver = def.max_ver;
  for (TlsVersion v : def.disabled) s.disabled.push_back(v);
  if (!s.no_tls_tickets) s.no_tls_tickets = def.no_tls_tickets;
  if (!s.prefer_client_ciphers) s.prefer_client_ciphers = def.prefer_client_ciphers;
  return s;
}

// The effective version range: ssl-min/max-ver, narrowed by no-* options
// at the ends (OpenSSL 3 has no holes in its range either).
std::pair<int, int> version_range(const TlsSettings& s, TlsVersion default_min) {
  TlsVersion lo = s.min_ver != TlsVersion::none ? s.min_ver : default_min;
  TlsVersion hi = s.max_ver != TlsVersion::none ? s.max_ver : TlsVersion::tlsv13;
  auto off = [&](TlsVersion v) { return std::find(s.disabled.begin(), s.disabled.end(), v) != s.disabled.end(); };
  while (lo <= hi && off(lo)) lo = static_cast<TlsVersion>(static_cast<int>(lo) + 1);
  while (hi >= lo && off(hi)) hi = static_cast<TlsVersion>(static_cast<int>(hi) - 1);
  return {openssl_version(lo), openssl_version(hi)};
}

std::string alpn_wire(const std::vector<std::string>& names) {
  std::string w;
  for (const auto& n : names) {
    w += static_cast<char>(n.size());
    w += n;
  }
  return w;
}

// Applies versions, ciphers, curves and options to a context. `what`
// prefixes errors.
Result<void> apply_settings(SSL_CTX* ctx, const TlsSettings& s, TlsVersion default_min, bool server, const std::string& what) {
  auto [lo, hi] = version_range(s, default_min);
  if (lo == 0 || hi == 0 || lo > hi) return fail(cat(what, ": no TLS version is left enabled"));
  if (!SSL_CTX_set_min_proto_version(ctx, lo) || !SSL_CTX_set_max_proto_version(ctx, hi))
    return fail(cat(what, ": cannot set the TLS versions: ", take_errors()));
  if (!s.ciphers.empty() && !SSL_CTX_set_cipher_list(ctx, s.ciphers.c_str()))
    return fail(cat(what, ": ciphers '", s.ciphers, "': ", take_errors()));
  if (!s.ciphersuites.empty() && !SSL_CTX_set_ciphersuites(ctx, s.ciphersuites.c_str()))
    return fail(cat(what, ": ciphersuites '", s.ciphersuites, "': ", take_errors()));
  if (!s.curves.empty() && !SSL_CTX_set1_groups_list(ctx, s.curves.c_str()))
    return fail(cat(what, ": curves '", s.curves, "': ", take_errors()));
  std::uint64_t opts = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
  if (server && !s.prefer_client_ciphers.value_or(false)) opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  if (s.no_tls_tickets.value_or(false)) opts |= SSL_OP_NO_TICKET;
  SSL_CTX_set_options(ctx, opts);
  // Idle connections give their record buffers back (parking); writes may
  // be retried from another address (the session's buffers move).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Read whole socket buffers, not record by record: one read(2) per batch of records.
  SSL_CTX_set_read_ahead(ctx, 1);
  return {};
}

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream f(path, std::ios::binary);
  ok = bool(f);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// CN and DNS SANs of a certificate (SANs first: RFC 6125 §6.4.4 says the CN
// is only for certificates without DNS SANs, but HAProxy indexes both).
std::vector<std::string> names_of(X509* x) {
  std::vector<std::string> out;
  if (auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
      if (n->type != GEN_DNS) continue;
      const ASN1_IA5STRING* s = n->d.dNSName;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<size_t>(ASN1_STRING_length(s)));
    }
    GENERAL_NAMES_free(sans);
  }
  X509_NAME* subj = X509_get_subject_name(x);
  int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
  if (idx >= 0) {
    ASN1_STRING* d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, d);
    if (len > 0) {
      std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
      if (std::find(out.begin(), out.end(), cn) == out.end()) out.push_back(cn);
    }
    OPENSSL_free(utf8);
  }
  return out;
}

// Loads a PEM with its chain and key (the key may be in FILE.key beside it).
Result<void> load_cert_and_key(SSL_CTX* ctx, const std::string& path, const std::string& what) {
  bool readable = false;
  (void)read_file(path, readable);
  if (!readable) return fail(cat(what, ": cannot read '", path, "'"));
  ERR_clear_error();
  if (!SSL_CTX_use_certificate_chain_file(ctx, path.c_str()))
    return fail(cat(what, ": '", path, "': no certificate: ", take_errors()));
  auto read_key = [](const std::string& file) -> EVP_PKEY* {
    BIO* bio = BIO_new_file(file.c_str(), "r");
    if (!bio) return nullptr;
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return k;
  };
  EVP_PKEY* key = read_key(path);
  if (!key && fs::exists(path + ".key")) key = read_key(path + ".key");
  ERR_clear_error();
  if (!key) return fail(cat(what, ": '", path, "': no private key in it (nor in '", path, ".key')"));
  bool match = X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) == 1;
  bool used = match && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!match) {
    ERR_clear_error();
    return fail(cat(what, ": '", path, "': the private key does not match the certificate"));
  }
  if (!used) return fail(cat(what, ": '", path, "': ", take_errors()));
  return {};
}

std::string with_base(const std::string& path, const std::string& base) {
  if (base.empty() || path.starts_with("/")) return path;
  return base + "/" + path;
}

// Files of a `crt DIR`, in name order; HAProxy's side files are skipped.
std::vector<std::string> pem_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    std::string name = e.path().filename().string();
    if (name.starts_with(".")) continue;
    bool side = false;
    for (std::string_view ext : {".key", ".ocsp", ".issuer", ".sctl", ".csr"})
      if (name.ends_with(ext)) side = true;
    if (!side) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void set_worker(SSL* ssl, unsigned worker) {
  SSL_set_ex_data(ssl, ex_index(), reinterpret_cast<void*>(static_cast<std::uintptr_t>(worker) + 1));
}

// ---- BindContext ----

BindContext::~BindContext() = default;

Result<std::unique_ptr<BindContext>> BindContext::create(const config::BindTls& tls, const config::Global& g,
                                                         const config::Origin& origin, std::vector<std::string>* warnings) {
  std::unique_ptr<BindContext> b(new BindContext());
  b->strict_sni_ = tls.strict_sni;
  const std::string what = cat(origin.where(), ": bind");
  const TlsSettings settings = merged(tls.settings, g.ssl_default_bind);

  // ALPN: we speak HTTP/1.1 only, so h2 is never selected.
  std::vector<std::string> alpn;
  for (const auto& p : tls.alpn) {
    if (p == "h2") {
      if (warnings) warnings->push_back(cat(origin.where(), ": bind: alpn: 'h2' is not offered (HTTP/1.1 only)"));
      continue;
    }
    alpn.push_back(p);
  }

  // One shared trust store for client certificates.
  X509_STORE* store = nullptr;
  STACK_OF(X509_NAME)* ca_names = nullptr;
  if (!tls.ca_file.empty()) {
    std::string ca = with_base(tls.ca_file, g.ca_base);
    bool readable = false;
    (void)read_file(ca, readable);
    if (!readable) return fail(cat(what, ": ca-file: cannot read '", ca, "'"));
    store = X509_STORE_new();
    if (!X509_STORE_load_file(store, ca.c_str())) {
      X509_STORE_free(store);
      return fail(cat(what, ": ca-file '", ca, "': ", take_errors()));
    }
    ca_names = SSL_load_client_CA_file(ca.c_str());
  }
  struct StoreRelease {
    X509_STORE* s;
    STACK_OF(X509_NAME)* n;
    ~StoreRelease() {
      X509_STORE_free(s);
      sk_X509_NAME_pop_free(n, X509_NAME_free);
    }
  } store_release{store, ca_names};

  const unsigned char sid[] = "tandem";
  int verify_mode = SSL_VERIFY_NONE;
  if (tls.verify == config::TlsVerify::optional) verify_mode = SSL_VERIFY_PEER;
  if (tls.verify == config::TlsVerify::required) verify_mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;

  // Builds one certificate's context; `extra` are crt-list [options].
  auto add_cert = [&](const std::string& path, const std::vector<std::string>& extra, const std::vector<std::string>& filters,
                      const std::string& where) -> Result<void> {
    SslCtxPtr ctx(SSL_CTX_new_ex(nullptr, nullptr, TLS_server_method()));
    if (!ctx) return fail(cat(where, ": ", take_errors()));
    Cert c;
    c.path = path;
    TlsSettings s = settings;
    std::vector<std::string> own_alpn = alpn;
    if (!extra.empty()) {
      // Per-certificate options, written like a bind line's.
      config::Line l;
      l.file = origin.file;
      l.number = origin.line;
      l.words = {"crt-list"};
      l.words.insert(l.words.end(), extra.begin(), extra.end());
      TlsSettings own;
      for (size_t i = 1; i < l.words.size(); ++i) {
        if (l.words[i] == "alpn" && i + 1 < l.words.size()) {
          auto v = config::parse_alpn_list(l, ++i, "crt-list");
          if (!v) return fail(cat(where, ": ", v.error().message));
          own_alpn.clear();
          for (auto& p : *v)
            if (p != "h2") own_alpn.push_back(p);
          continue;
        }
        auto t = config::parse_tls_setting(own, l, i, "crt-list");
        if (!t) return fail(cat(where, ": ", t.error().message));
        if (!*t) return fail(cat(where, ": '", l.words[i], "': not supported in a crt-list"));
      }
      s = merged(own, settings);
    }
    // What OpenSSL copies into a connection from the default context and
    // does not take from the one switched to: the callback sets it when it
    // differs.
    auto [lo, hi] = version_range(s, TlsVersion::tlsv12);
    c.min_ver = lo;
    c.max_ver = hi;
    c.ciphers = s.ciphers;
    c.ciphersuites = s.ciphersuites;
    if (auto r = apply_settings(ctx.get(), s, TlsVersion::tlsv12, true, where); !r) return r;
    if (auto r = load_cert_and_key(ctx.get(), path, where); !r) return r;
    SSL_CTX_set_session_id_context(ctx.get(), sid, sizeof sid - 1);
    if (store) SSL_CTX_set1_cert_store(ctx.get(), store);
    if (ca_names) SSL_CTX_set_client_CA_list(ctx.get(), SSL_dup_CA_list(ca_names));
    SSL_CTX_set_verify(ctx.get(), verify_mode, nullptr);
    c.alpn_wire = alpn_wire(own_alpn);
    if (!c.alpn_wire.empty()) SSL_CTX_set_alpn_select_cb(ctx.get(), &BindContext::on_alpn, nullptr);
    c.names = names_of(SSL_CTX_get0_certificate(ctx.get()));
    std::size_t id = b->certs_.size();
    for (const auto& n : filters.empty() ? c.names : filters) b->index_.add(n, id);
    c.ctx = std::move(ctx);
    b->certs_.push_back(std::move(c));
    return {};
  };

  for (const std::string& crt : tls.crts) {
    std::string path = with_base(crt, g.crt_base);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      auto files = pem_files(path);
      if (files.empty()) return fail(cat(what, ": crt '", path, "': no certificate in the directory"));
      for (const auto& f : files)
        if (auto r = add_cert(f, {}, {}, what); !r) return std::unexpected(r.error());
    } else if (auto r = add_cert(path, {}, {}, what); !r) {
      return std::unexpected(r.error());
    }
  }
  for (const std::string& list : tls.crt_lists) {
    std::string path = with_base(list, g.crt_base);
    bool readable = false;
    std::string text = read_file(path, readable);
    if (!readable) return fail(cat(what, ": crt-list: cannot read '", path, "'"));
    auto entries = parse_crt_list(text, path);
    if (!entries) return fail(cat(what, ": ", entries.error().message));
    for (const CrtListEntry& e : *entries) {
      std::string where = cat(what, ": crt-list ", path, ':', e.line);
      if (auto r = add_cert(with_base(e.path, g.crt_base), e.options, e.filters, where); !r) return std::unexpected(r.error());
    }
  }
  if (b->certs_.empty()) return fail(cat(what, ": no certificate loaded"));

  // The default context holds the session cache and the ticket keys for
  // the whole bind (OpenSSL keeps using it for sessions after a switch).
  SSL_CTX* def = b->certs_.front().ctx.get();
  if (g.ssl_cachesize == 0) {
    SSL_CTX_set_session_cache_mode(def, SSL_SESS_CACHE_OFF);
  } else {
    SSL_CTX_set_session_cache_mode(def, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(def, g.ssl_cachesize);
  }
  for (auto& c : b->certs_) {
    SSL_CTX_set_client_hello_cb(c.ctx.get(), &BindContext::on_client_hello, b.get());
    SSL_CTX_set_app_data(c.ctx.get(), &c);
  }
  return b;
}

std::optional<std::size_t> BindContext::select(std::string_view server_name) const {
  if (!server_name.empty())
    if (auto i = index_.find(server_name)) return i;
  if (strict_sni_) return std::nullopt;
  return 0;
}

namespace {
std::string_view server_name_of(SSL* ssl) {
  const unsigned char* p = nullptr;
  size_t len = 0;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len)) return {};
  return parse_server_name(p, len);
}
}  // namespace

int BindContext::on_client_hello(SSL* ssl, int* alert, void* arg) {
  auto* self = static_cast<BindContext*>(arg);
  auto pick = self->select(server_name_of(ssl));
  if (!pick) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_CLIENT_HELLO_ERROR;
  }
  if (*pick == 0) return SSL_CLIENT_HELLO_SUCCESS;
  const Cert& c = self->certs_[*pick];
  const Cert& def = self->certs_.front();
  SSL_set_SSL_CTX(ssl, c.ctx.get());
  if (c.min_ver != def.min_ver) SSL_set_min_proto_version(ssl, *c.min_ver);
  if (c.max_ver != def.max_ver) SSL_set_max_proto_version(ssl, *c.max_ver);
  // Cipher strings are parsed per call: only crt-list entries that differ pay.
  if (c.ciphers != def.ciphers) SSL_set_cipher_list(ssl, c.ciphers.empty() ? OSSL_default_cipher_list() : c.ciphers.c_str());
  if (c.ciphersuites != def.ciphersuites)
    SSL_set_ciphersuites(ssl, c.ciphersuites.empty() ? OSSL_default_ciphersuites() : c.ciphersuites.c_str());
  return SSL_CLIENT_HELLO_SUCCESS;
}

int BindContext::on_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                         unsigned int inlen, void*) {
  const auto* c = static_cast<const Cert*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (!c || c->alpn_wire.empty()) return SSL_TLSEXT_ERR_NOACK;
  unsigned char* sel = nullptr;
  if (SSL_select_next_proto(&sel, outlen, reinterpret_cast<const unsigned char*>(c->alpn_wire.data()),
                            static_cast<unsigned>(c->alpn_wire.size()), in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

// ---- ServerContext ----

ServerContext::~ServerContext() {
  for (auto& s : slots_) SSL_SESSION_free(s.session);
}

Result<std::unique_ptr<ServerContext>> ServerContext::create(const config::ServerTls& tls, const config::Global& g,
                                                             const config::Origin& origin, const rules::Resolver& resolver,
                                                             unsigned workers) {
  std::unique_ptr<ServerContext> s(new ServerContext());
  const std::string what = cat(origin.where(), ": server");
  config::TlsVerify verify = tls.verify != config::TlsVerify::unset ? tls.verify : g.ssl_server_verify;
  s->verify_ = verify == config::TlsVerify::required;
  if (s->verify_ && tls.ca_file.empty())
    return fail(cat(what, ": 'verify required' (the default) needs 'ca-file'; write 'verify none' to trust any certificate"));
  s->ctx_.reset(SSL_CTX_new_ex(nullptr, nullptr, TLS_client_method()));
  if (!s->ctx_) return fail(cat(what, ": ", take_errors()));
  SSL_CTX* ctx = s->ctx_.get();
  if (auto r = apply_settings(ctx, merged(tls.settings, g.ssl_default_server), TlsVersion::tlsv12, false, what); !r)
    return std::unexpected(r.error());
  if (!tls.ca_file.empty()) {
    std::string ca = with_base(tls.ca_file, g.ca_base);
    bool readable = false;
    (void)read_file(ca, readable);
    if (!readable) return fail(cat(what, ": ca-file: cannot read '", ca, "'"));
    if (!SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr)) return fail(cat(what, ": ca-file '", ca, "': ", take_errors()));
  }
  SSL_CTX_set_verify(ctx, s->verify_ ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!tls.crt.empty())
    if (auto r = load_cert_and_key(ctx, with_base(tls.crt, g.crt_base), what); !r) return std::unexpected(r.error());
  if (!tls.alpn.empty()) {
    std::string wire = alpn_wire(tls.alpn);
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()), static_cast<unsigned>(wire.size()));
  }
  s->verify_host_ = tls.verify_host;
  s->check_sni_ = tls.check_sni;
  if (!tls.sni.empty()) {
    auto e = rules::SampleExpr::parse(tls.sni, resolver, cat(what, ": sni"));
    if (!e) return std::unexpected(e.error());
    if (e->needs() & rules::kNeedResponse) return fail(cat(what, ": sni '", tls.sni, "' cannot use the response"));
    s->sni_ = std::move(*e);
  }
  // Client-side session cache: ours, one session per worker, kept from the
  // NewSessionTicket (TLS 1.3) or the handshake (TLS 1.2).
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &ServerContext::on_new_session);
  SSL_CTX_set_app_data(ctx, s.get());
  s->slots_.resize(workers + 1);
  return s;
}

SSL* ServerContext::new_ssl(unsigned worker, std::string_view sni) const {
  SSL* ssl = SSL_new(ctx_.get());
  if (!ssl) return nullptr;
  set_worker(ssl, worker);
  std::string name(sni);
  if (!name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());
  const std::string& host = name.empty() ? verify_host_ : name;
  if (verify_ && !host.empty()) SSL_set1_host(ssl, host.c_str());
  Slot& slot = slots_[std::min<std::size_t>(worker, slots_.size() - 1)];
  if (slot.session && slot.sni == name) SSL_set_session(ssl, slot.session);
  return ssl;
}

int ServerContext::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<ServerContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  auto tag = reinterpret_cast<std::uintptr_t>(SSL_get_ex_data(ssl, ex_index()));
  if (!self || tag == 0) return 0;
  Slot& slot = self->slots_[std::min<std::size_t>(tag - 1, self->slots_.size() - 1)];
  SSL_SESSION_free(slot.session);
  slot.session = session;  // we keep the reference OpenSSL hands us (return 1)
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  slot.sni = name ? name : "";
  return 1;
}

}  // namespace tandem::balancer::tls
