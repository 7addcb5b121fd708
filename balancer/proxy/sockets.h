#pragma once
// Sockets set up with as few system calls as the kernel allows, then handed
// to asio together with what asio would otherwise find out (or guard
// against) with system calls of its own. Per connection, in close mode,
// these are a sizeable part of the proxy's own CPU (see DECISIONS.md,
// per-connection costs).

#include <asio/ip/tcp.hpp>
#include <optional>

namespace tandem::balancer::proxy {

// Where a client connection goes from and to, as the accept loop knows them:
// the peer from accept4 itself; the local end from the listener when it is
// bound to one address, else from getsockname.
struct ClientEnds {
  asio::ip::tcp::endpoint peer;
  asio::ip::tcp::endpoint local;
};

// Tells asio what is true of a socket this process created itself with
// SOCK_NONBLOCK (socket(2), accept4(2)) and never duplicated: it is already
// non-blocking (no FIONBIO ioctl before the first asynchronous operation),
// and closing it takes it out of epoll (no EPOLL_CTL_DEL first; asio must
// assume an adopted descriptor may be a dup and deletes it explicitly).
void mark_fresh(asio::ip::tcp::socket& s);

// Accepts one connection from `listen_fd`: non-blocking, close-on-exec, the
// peer's address filled in. The new socket, or -1 with errno.
int accept_now(int listen_fd, asio::ip::tcp::endpoint& peer);

// Gives `fd` (made by this process, non-blocking, never duplicated) to the
// closed socket `s`: registered with its io_context's reactor, marked fresh.
// Closes `fd` on error.
void adopt_into(asio::ip::tcp::socket& s, asio::ip::tcp protocol, int fd, asio::error_code& ec);

// A socket accepted by accept_now, in asio's hands (registered with the
// io_context's reactor, marked fresh). Closes `fd` on error.
asio::ip::tcp::socket adopt_accepted(asio::io_context& io, int fd, const asio::ip::tcp::endpoint& peer,
                                     asio::error_code& ec);

// A connection's local end (getsockname), for a listener whose connections
// do not all arrive at one address. False on error.
bool local_end(int fd, asio::ip::tcp::endpoint& local);

// The address a listener's connections arrive at when all arrive at the
// same one: a listener bound to one address (not a wildcard, not
// transparent: TPROXY delivers other destinations). nullopt otherwise.
std::optional<asio::ip::tcp::endpoint> fixed_local_end(int listen_fd, bool transparent);

// TCP_QUICKACK on a listener or a connection. An HTTP listener turns it
// off (its accepted sockets inherit that): the ACK of a request then rides
// on the response instead of going out alone, one packet less per request
// for both ends (HAProxy does the same on HTTP listeners). A session turns
// it back on whenever it waits for more of the client's bytes (a partial
// head, a body to come), or a client whose Nagle holds its next segment
// until the ACK would stall for the delayed-ACK timer (40 ms or more).
void set_quickack(int fd, bool on);

// How a connect started by start_connect stands.
enum class ConnectState { connected, in_progress, failed };

// Opens a non-blocking socket with TCP_NODELAY into `s` (not open yet, its
// io_context's) and connects it to `ep`. Over loopback the handshake has
// completed by the time connect(2) returns EINPROGRESS: the caller's first
// send (see DispatchRequest) or one poll_connect usually finds it done, with
// no wait for writability (EPOLL_CTL_MOD and a trip through the event loop)
// and no SO_ERROR read.
ConnectState start_connect(asio::ip::tcp::socket& s, const asio::ip::tcp::endpoint& ep, asio::error_code& ec);

// For a connect in progress: one poll(2) that says whether it is done.
ConnectState poll_connect(asio::ip::tcp::socket& s, asio::error_code& ec);

// After a wait for writability: the outcome of the connect (SO_ERROR).
asio::error_code connect_result(asio::ip::tcp::socket& s);

}  // namespace tandem::balancer::proxy
