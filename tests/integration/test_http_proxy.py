"""tandem-balancer in HTTP mode, with real backends on 127.0.0.1."""

import socket
import threading
import time

import pytest

from backend import Backend
from harness import BalancerProcess, free_port, wait_for
from httpclient import Connection, get, raw_exchange

DEFAULTS = """
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
"""


@pytest.fixture
def backends():
    bs = [Backend(f"app{i}") for i in (1, 2, 3)]
    yield bs
    for b in bs:
        b.close()


def start(workdir, body, ports, threads=1, defaults=DEFAULTS):
    cfg = f"global\n    nbthread {threads}\n{defaults}\n{body}"
    return BalancerProcess(workdir, cfg, ports=ports)


def farm(backends, extra="", server_opts=""):
    lines = "".join(f"    server {b.name} {b.address} {server_opts}\n" for b in backends)
    return f"backend farm\n    balance roundrobin\n{extra}{lines}"


def names(responses):
    return [r.header("X-Backend") for r in responses]


def test_round_robin_on_fresh_connections(workdir, backends):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends),
               [port], threads=2):
        got = names(get("127.0.0.1", port) for _ in range(6))
        assert got == ["app1", "app2", "app3", "app1", "app2", "app3"]


def test_round_robin_on_one_keep_alive_connection(workdir, backends):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends), [port]):
        with Connection("127.0.0.1", port) as c:
            rs = [c.request() for _ in range(6)]
        assert names(rs) == ["app1", "app2", "app3", "app1", "app2", "app3"]
        assert all(r.status == 200 for r in rs)
        # Server connections were reused: later requests arrive on connections
        # that had served before.
        assert max(int(r.header("X-Seen-Requests")) for r in rs) >= 2


def test_weights(workdir, backends):
    port = free_port()
    body = (f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
            f"backend farm\n    server a {backends[0].address} weight 3\n    server b {backends[1].address} weight 1\n")
    with start(workdir, body, [port]):
        with Connection("127.0.0.1", port) as c:
            got = names(c.request() for _ in range(8))
        assert got.count("app1") == 6 and got.count("app2") == 2
        assert got[:4].count("app1") == 3  # spread, not bunched


def test_forwardfor_and_hop_by_hop_headers(workdir, backends):
    port = free_port()
    body = (f"frontend web\n    bind 127.0.0.1:{port}\n    option forwardfor\n    default_backend farm\n"
            + farm(backends[:1]))
    with start(workdir, body, [port]):
        with Connection("127.0.0.1", port) as c:
            r = c.request(headers={"Connection": "keep-alive, X-Private", "X-Private": "secret", "Keep-Alive": "1"})
            assert r.status == 200
        rec = backends[0].received()[-1]
        assert rec.header("X-Forwarded-For") == "127.0.0.1"
        assert rec.header("X-Private") is None
        assert rec.header("Keep-Alive") is None
        assert rec.header("Host") == "test.local"


def test_forwardfor_if_none_and_except(workdir, backends):
    port = free_port()
    body = (f"frontend web\n    bind 127.0.0.1:{port}\n    option forwardfor if-none header X-Client\n"
            f"    default_backend farm\n" + farm(backends[:1]))
    with start(workdir, body, [port]):
        get("127.0.0.1", port, headers={"X-Client": "203.0.113.9"})
        get("127.0.0.1", port)
        recs = backends[0].received()
        assert recs[0].all_headers("X-Client") == ["203.0.113.9"]
        assert recs[1].all_headers("X-Client") == ["127.0.0.1"]
    port2 = free_port()
    body = (f"frontend web\n    bind 127.0.0.1:{port2}\n    option forwardfor except 127.0.0.0/8\n"
            f"    default_backend farm\n" + farm(backends[1:2]))
    with start(workdir, body, [port2]):
        get("127.0.0.1", port2)
        assert backends[1].received()[-1].header("X-Forwarded-For") is None


def test_chunked_upload_and_download(workdir, backends):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]), [port]):
        with Connection("127.0.0.1", port) as c:
            chunks = [b"a" * 5000, b"b" * 70000, b"c" * 3]
            body = b"".join(f"{len(x):x}\r\n".encode() + x + b"\r\n" for x in chunks) + b"0\r\n\r\n"
            c.send(b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(0, len(body), 7000):  # arrives in pieces
                c.send(body[i:i + 7000])
            r = c.read_response()
            assert r.status == 200
            assert r.body == b"".join(chunks)
            r = c.request(target="/chunked/250000")
            assert r.status == 200 and r.body == b"y" * 250000
            assert r.header("Transfer-Encoding") == "chunked"
            r = c.request(target="/size/1000000")
            assert len(r.body) == 1000000
            r = c.request(method="POST", target="/echo", body=b"z" * 300000)
            assert r.body == b"z" * 300000


def test_head_and_bodyless_statuses(workdir, backends):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]), [port]):
        with Connection("127.0.0.1", port) as c:
            r = c.request(method="HEAD", target="/size/500")
            assert r.status == 200 and r.header("Content-Length") == "500" and r.body == b""
            r = c.request(target="/status/204")
            assert r.status == 204
            r = c.request(target="/status/304")
            assert r.status == 304
            r = c.request()  # still in step after bodyless responses
            assert r.status == 200 and r.body == b"app1\n"


def test_pipelined_requests(workdir, backends):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends), [port]):
        with Connection("127.0.0.1", port) as c:
            c.send(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n" * 5 + b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz")
            rs = [c.read_response() for _ in range(6)]
        assert [r.status for r in rs] == [200] * 6
        assert rs[5].body == b"xyz"
        assert names(rs[:3]) == ["app1", "app2", "app3"]


def test_expect_100_continue(workdir, backends):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]), [port]):
        with Connection("127.0.0.1", port) as c:
            c.send(b"PUT /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            interim = c.read_response()
            assert interim.status == 100
            c.send(b"hello")
            r = c.read_response()
            assert r.status == 200 and r.body == b"hello"


def test_websocket_upgrade_becomes_a_tunnel(workdir, backends):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]), [port]):
        with Connection("127.0.0.1", port) as c:
            r = c.request(target="/ws", headers={"Connection": "Upgrade", "Upgrade": "websocket"})
            assert r.status == 101
            assert r.header("Upgrade") == "websocket"
            for msg in (b"ping", b"x" * 100000):
                c.send(msg)
                got = b""
                while len(got) < len(msg):
                    got += c.sock.recv(65536)
                assert got == msg
        # Without a 101 there is no tunnel: the connection stays HTTP.
        with Connection("127.0.0.1", port) as c:
            r = c.request(target="/", headers={"Connection": "Upgrade", "Upgrade": "websocket"})
            assert r.status == 200
            assert c.request().status == 200


def test_http10_client(workdir, backends):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]), [port]):
        with Connection("127.0.0.1", port) as c:
            r = c.request(version="HTTP/1.0")
            assert r.status == 200
            assert c.closed_by_peer()
        with Connection("127.0.0.1", port) as c:
            r1 = c.request(version="HTTP/1.0", headers={"Connection": "keep-alive"})
            assert r1.header("Connection") == "keep-alive"
            r2 = c.request(version="HTTP/1.0", headers={"Connection": "keep-alive"})
            assert r2.status == 200


def test_response_until_close(workdir, backends):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]), [port]):
        with Connection("127.0.0.1", port) as c:
            r = c.request(target="/close")
            assert r.status == 200 and r.body == b"app1 until close\n"


BAD_REQUESTS = [
    ("whitespace before colon", b"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
    ("CL and TE", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("differing CL", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    ("signed CL", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +2\r\n\r\nab", 400),
    ("CL list", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nab", 400),
    ("CL overflow", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
    ("empty CL", b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400),
    ("TE not chunked last", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("TE on 1.0", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("unknown TE", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n", 501),
    ("chunk size overflow", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 400),
    ("bad chunk size", b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ("NUL in value", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", 400),
    ("bare CR in value", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400),
    ("control char", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", 400),
    ("empty name", b"GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400),
    ("invalid name", b"GET / HTTP/1.1\r\nHost: h\r\nX@Y: v\r\n\r\n", 400),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n", 400),
    ("missing Host", b"GET / HTTP/1.1\r\nX: y\r\n\r\n", 400),
    ("two Hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
    ("bad request line", b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    ("huge head", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    ("CONNECT", b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 501),
]


@pytest.mark.parametrize("name,data,status", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_requests_never_reach_the_server(workdir, backends, name, data, status):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]), [port]) as b:
        out = raw_exchange("127.0.0.1", port, data)
        assert out.startswith(f"HTTP/1.1 {status} ".encode()), out[:200]
        assert b"connection: close" in out.lower()
        assert backends[0].received() == []
        # A good request afterwards still works: one bad client hurts nobody.
        assert get("127.0.0.1", port).status == 200
        assert "to 127.0.0.1:" in b.output()  # the rejection is logged with its reason


def test_malformed_response_is_502(workdir, backends):
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]), [port]):
        assert get("127.0.0.1", port, "/garbage").status == 502


def test_no_server_is_503(workdir):
    port = free_port()
    dead = free_port()
    body = (f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
            f"backend farm\n    retries 1\n    server s 127.0.0.1:{dead}\n")
    with start(workdir, body, [port]):
        assert get("127.0.0.1", port).status == 503


def test_server_timeout_is_504(workdir, backends):
    port = free_port()
    d = DEFAULTS.replace("timeout server 10s", "timeout server 300ms")
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]),
               [port], defaults=d):
        t0 = time.monotonic()
        r = get("127.0.0.1", port, "/hang")
        elapsed = time.monotonic() - t0
        assert r.status == 504
        assert 0.25 < elapsed < 2.0


def test_http_request_timeout_is_408(workdir, backends):
    port = free_port()
    d = DEFAULTS + "    timeout http-request 300ms\n"
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]),
               [port], defaults=d):
        t0 = time.monotonic()
        out = raw_exchange("127.0.0.1", port, b"GET / HTTP/1.1\r\nHost: h\r\n", timeout=5)
        assert out.startswith(b"HTTP/1.1 408 ")
        assert 0.25 < time.monotonic() - t0 < 2.0
        # A new connection that sends nothing gets its 408 too, as from
        # HAProxy 2.6 (an idle keep-alive connection is closed without one).
        out = raw_exchange("127.0.0.1", port, b"", timeout=5)
        assert out.startswith(b"HTTP/1.1 408 ")
    # ...unless `option http-ignore-probes`: closed without an answer.
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    option http-ignore-probes\n"
               "    default_backend farm\n" + farm(backends[:1]), [port], defaults=d):
        assert raw_exchange("127.0.0.1", port, b"", timeout=5) == b""
        assert raw_exchange("127.0.0.1", port, b"GET / HTTP/1.1\r\nHost: h\r\n", timeout=5).startswith(b"HTTP/1.1 408 ")


def test_keep_alive_timeout_closes_idle_connections(workdir, backends):
    port = free_port()
    d = DEFAULTS + "    timeout http-keep-alive 300ms\n"
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]),
               [port], defaults=d):
        with Connection("127.0.0.1", port) as c:
            assert c.request().status == 200
            t0 = time.monotonic()
            assert c.closed_by_peer(timeout=3)
            assert 0.25 < time.monotonic() - t0 < 2.0


def test_client_timeout_closes_a_silent_client(workdir, backends):
    port = free_port()
    d = DEFAULTS.replace("timeout client 10s", "timeout client 300ms")
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]),
               [port], defaults=d):
        with Connection("127.0.0.1", port) as c:
            c.send(b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc")  # body never completes
            t0 = time.monotonic()
            out = b""
            try:
                while True:
                    chunk = c.sock.recv(4096)
                    if not chunk:
                        break
                    out += chunk
            except ConnectionResetError:
                pass
            assert time.monotonic() - t0 < 3


def test_connect_timeout_and_retries_then_redispatch(workdir, backends):
    port = free_port()
    dead = free_port()
    body = (f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
            f"backend farm\n    retries 2\n    option redispatch\n"
            f"    server dead 127.0.0.1:{dead}\n    server live {backends[0].address}\n")
    with start(workdir, body, [port]):
        # Round robin sends every other request to the dead server first; the
        # last retry is redispatched to the live one, so every request succeeds.
        rs = [get("127.0.0.1", port) for _ in range(4)]
        assert [r.status for r in rs] == [200] * 4
        assert names(rs) == ["app1"] * 4


def test_queue_at_maxconn_and_queue_timeout(workdir, backends):
    port = free_port()
    d = DEFAULTS + "    timeout queue 500ms\n"
    body = (f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
            f"backend farm\n    server s {backends[0].address} maxconn 1\n")
    with start(workdir, body, [port], defaults=d):
        results = {}

        def slow(i, ms):
            results[i] = get("127.0.0.1", port, f"/slow/{ms}").status

        # One slot: a 200 ms request queues a second one behind it, which then succeeds.
        t1 = threading.Thread(target=slow, args=(1, 200))
        t1.start()
        time.sleep(0.05)
        t2 = threading.Thread(target=slow, args=(2, 10))
        t2.start()
        t1.join()
        t2.join()
        assert results == {1: 200, 2: 200}
        # A 1.5 s request holds the slot longer than timeout queue: the waiter gets 503.
        t3 = threading.Thread(target=slow, args=(3, 1500))
        t3.start()
        time.sleep(0.1)
        t0 = time.monotonic()
        assert get("127.0.0.1", port, "/").status == 503
        assert 0.4 < time.monotonic() - t0 < 1.4
        t3.join()
        assert results[3] == 200


def test_backup_servers_take_over_only_when_actives_are_gone(workdir, backends):
    port = free_port()
    body = (f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
            f"backend farm\n    server a {backends[0].address} disabled\n"
            f"    server b1 {backends[1].address} backup\n    server b2 {backends[2].address} backup\n")
    with start(workdir, body, [port]):
        # The only active server is in maintenance: the first backup serves alone.
        assert names(get("127.0.0.1", port) for _ in range(4)) == ["app2"] * 4
    body = body.replace("\nbackend farm\n", "\nbackend farm\n    option allbackups\n")
    port2 = free_port()
    body = body.replace(f"127.0.0.1:{port}", f"127.0.0.1:{port2}")
    with start(workdir, body, [port2]):
        assert sorted(names(get("127.0.0.1", port2) for _ in range(4))) == ["app2", "app2", "app3", "app3"]


def test_errorfile_replaces_the_default_answer(workdir):
    port = free_port()
    ef = workdir / "503.http"
    ef.write_bytes(b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nsorry\n")
    body = (f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
            f"backend farm\n    errorfile 503 {ef}\n")
    with start(workdir, body, [port]):
        out = raw_exchange("127.0.0.1", port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        assert out.endswith(b"\r\n\r\nsorry\n")


def test_balance_uri_and_source_are_sticky(workdir, backends):
    port = free_port()
    body = (f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
            + farm(backends, extra="    balance uri\n    hash-type consistent\n"))
    with start(workdir, body, [port]):
        for path in ("/a", "/b/c", "/d?x=1"):
            got = set(names(get("127.0.0.1", port, path) for _ in range(3)))
            assert len(got) == 1
        spread = set(names(get("127.0.0.1", port, f"/p{i}") for i in range(30)))
        assert len(spread) >= 2


def test_monitor_uri_is_answered_by_the_balancer(workdir, backends):
    port = free_port()
    body = (f"frontend web\n    bind 127.0.0.1:{port}\n    monitor-uri /haproxy_test\n    default_backend farm\n"
            + farm(backends[:1]))
    with start(workdir, body, [port]):
        with Connection("127.0.0.1", port) as c:
            r = c.request(target="/haproxy_test")
            assert r.status == 200 and b"Service ready." in r.body
            assert c.request().status == 200  # still keep-alive
        assert [x.target for x in backends[0].received()] == ["/"]


def test_a_parked_keep_alive_connection_serves_its_next_request(workdir, backends):
    """Idle past the 500 ms hot-buffer hold, a connection parks (no buffer, no
    coroutine); its next request wakes it. (It used to be closed instead.)"""
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]), [port]):
        with Connection("127.0.0.1", port) as c:
            assert c.request().status == 200
            time.sleep(0.8)
            assert c.request().status == 200
            time.sleep(0.8)
            assert c.request().status == 200


def nagle_exchange(port, parts):
    """Sends `parts` back to back with Nagle on (a client's default): each part
    after the first waits in the client's kernel until the one before is
    ACKed. Returns the seconds until the whole answer, and the answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        t0 = time.monotonic()
        for p in parts:
            s.sendall(p)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return time.monotonic() - t0, out
    finally:
        s.close()


@pytest.mark.parametrize("parts", [
    [b"GET /split HTTP/1.1\r\n", b"Host: x\r\nConnection: close\r\n\r\n"],
    [b"POST /split HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabcde", b"fghij"],
], ids=["head", "body"])
def test_a_client_sending_in_pieces_is_acked_at_once(workdir, backends, parts):
    # HTTP listeners delay ACKs, so that a request's ACK rides on its answer.
    # A client whose next piece waits for that ACK (Nagle) must not wait for
    # the delayed-ACK timer (40 ms or more each time): the balancer ACKs as
    # soon as it sees that more is to come.
    port = free_port()
    with start(workdir, f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n" + farm(backends[:1]),
               [port]):
        best = 1.0
        for _ in range(5):
            took, answer = nagle_exchange(port, parts)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
            best = min(best, took)
        assert best < 0.030, f"each exchange waited for a delayed ACK: best {best * 1000:.1f} ms"
        if parts[0].startswith(b"POST"):
            assert backends[0].received()[-1].body == b"abcdefghij"
