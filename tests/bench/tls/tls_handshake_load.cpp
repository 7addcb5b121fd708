// A TLS handshake load generator for the TLS benchmark: C connections at
// once, each doing a full handshake (no session resumption), one HTTP
// request with "Connection: close", reading to the end, then starting over.
// One thread, non-blocking sockets, epoll. Prints the completed handshakes
// per second and the failures.
//
//   tls_handshake_load PORT SECONDS CONNECTIONS [TLS1.2|TLS1.3]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  enum { handshaking, writing, reading } state = handshaking;
};

const char kRequest[] = "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";

int g_ep = -1;
sockaddr_in g_addr{};
SSL_CTX* g_ctx = nullptr;
long g_done = 0, g_failed = 0;

void arm(Conn& c, unsigned events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &c;
  epoll_ctl(g_ep, EPOLL_CTL_MOD, c.fd, &ev);
}

void start(Conn& c) {
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  connect(c.fd, reinterpret_cast<sockaddr*>(&g_addr), sizeof g_addr);  // EINPROGRESS
  c.ssl = SSL_new(g_ctx);
  SSL_set_fd(c.ssl, c.fd);
  SSL_set_connect_state(c.ssl);
  c.state = Conn::handshaking;
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.ptr = &c;
  epoll_ctl(g_ep, EPOLL_CTL_ADD, c.fd, &ev);
}

void finish(Conn& c, bool ok) {
  (ok ? g_done : g_failed)++;
  epoll_ctl(g_ep, EPOLL_CTL_DEL, c.fd, nullptr);
  SSL_free(c.ssl);
  close(c.fd);
  ERR_clear_error();
  start(c);
}

// Drives one connection as far as it can go without waiting.
void step(Conn& c) {
  for (;;) {
    int rc = 0;
    if (c.state == Conn::handshaking) {
      rc = SSL_do_handshake(c.ssl);
      if (rc == 1) {
        c.state = Conn::writing;
        continue;
      }
    } else if (c.state == Conn::writing) {
      rc = SSL_write(c.ssl, kRequest, sizeof kRequest - 1);
      if (rc > 0) {
        c.state = Conn::reading;
        continue;
      }
    } else {
      char buf[4096];
      rc = SSL_read(c.ssl, buf, sizeof buf);
      if (rc > 0) continue;
    }
    int e = SSL_get_error(c.ssl, rc);
    if (e == SSL_ERROR_WANT_READ) return arm(c, EPOLLIN);
    if (e == SSL_ERROR_WANT_WRITE) return arm(c, EPOLLOUT);
    // End of the response (close_notify or EOF) after the request: a success.
    bool ok = c.state == Conn::reading && (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL);
    return finish(c, ok);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s PORT SECONDS CONNECTIONS [TLS1.2|TLS1.3]\n", argv[0]);
    return 2;
  }
  int port = std::atoi(argv[1]);
  double seconds = std::atof(argv[2]);
  int conns = std::atoi(argv[3]);
  g_addr.sin_family = AF_INET;
  g_addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &g_addr.sin_addr);
  g_ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(g_ctx, SSL_VERIFY_NONE, nullptr);
  // Full handshakes only: no session is ever offered again.
  SSL_CTX_set_session_cache_mode(g_ctx, SSL_SESS_CACHE_OFF);
  int v = argc > 4 && std::strcmp(argv[4], "TLS1.2") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
  SSL_CTX_set_min_proto_version(g_ctx, v);
  SSL_CTX_set_max_proto_version(g_ctx, v);
  g_ep = epoll_create1(0);
  std::vector<Conn> cs(static_cast<size_t>(conns));
  for (auto& c : cs) start(c);
  auto t0 = std::chrono::steady_clock::now();
  auto end = t0 + std::chrono::duration<double>(seconds);
  std::vector<epoll_event> evs(1024);
  while (std::chrono::steady_clock::now() < end) {
    int n = epoll_wait(g_ep, evs.data(), static_cast<int>(evs.size()), 100);
    for (int i = 0; i < n; ++i) step(*static_cast<Conn*>(evs[static_cast<size_t>(i)].data.ptr));
  }
  double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("handshakes/s %.1f done %ld failed %ld\n", static_cast<double>(g_done) / el, g_done, g_failed);
  return 0;
}
