"""TLS termination, SNI, client certificates and HTTPS to servers, with
certificates made by the openssl CLI for each test session."""

import socket
import ssl
import subprocess
import time

import pytest

from backend import Backend
from harness import BalancerProcess, binary, free_port, wait_for
from httpclient import Connection
from tlsutil import TlsConnection, client_context, make_pki, peer_cn, server_context, tls_connect

DEFAULTS = """
defaults
    mode http
    timeout connect 2s
    timeout client 2s
    timeout server 5s
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = make_pki(tmp_path_factory.mktemp("pki"))
    certs = d / "certs"
    certs.mkdir()
    for n in ("example.com", "blog.example.com", "api.example.com", "wild"):
        (certs / f"{n}.pem").write_text((d / f"{n}.pem").read_text())
    return d


@pytest.fixture
def backend():
    b = Backend("app1")
    yield b
    b.close()


def start(workdir, body, ports, threads=1):
    return BalancerProcess(workdir, f"global\n    nbthread {threads}\n{DEFAULTS}\n{body}", ports=ports)


def log_has(proc, pattern, timeout=5.0):
    try:
        wait_for(lambda: pattern in proc.output(), timeout=timeout, what=pattern)
        return True
    except Exception:
        return False


def test_sni_selects_the_certificate_from_a_directory(workdir, backend, pki):
    port = free_port()
    cfg = (f"frontend f\n    bind 127.0.0.1:{port} ssl crt {pki}/certs/\n"
           f"    http-request set-header X-SNI %[ssl_fc_sni]\n    default_backend b\n"
           f"backend b\n    server s {backend.address}\n")
    with start(workdir, cfg, [port]):
        ctx = client_context(ca=pki / "ca.pem")
        for sni, cn in [("blog.example.com", "blog.example.com"), ("api.example.com", "api.example.com"),
                        ("www.example.com", "example.com"), ("EXAMPLE.com", "example.com"),
                        ("x.wild.test", "*.wild.test")]:
            with TlsConnection(port, ctx, sni=sni) as c:
                assert peer_cn(c.sock) == cn, sni
                assert c.request(headers={"Host": sni}).status == 200
            assert backend.requests[-1].header("X-SNI") == sni
        # An unknown name, or none, gets the default: the first file by name.
        loose = client_context()
        with tls_connect(port, loose, sni="unknown.test") as s:
            assert peer_cn(s) == "api.example.com"
        with tls_connect(port, loose) as s:
            assert peer_cn(s) == "api.example.com"


def test_strict_sni_refuses_unknown_names_and_keeps_serving(workdir, backend, pki):
    port = free_port()
    cfg = (f"frontend f\n    bind 127.0.0.1:{port} ssl strict-sni crt {pki}/example.com.pem crt {pki}/blog.example.com.pem\n"
           f"    default_backend b\nbackend b\n    server s {backend.address}\n")
    with start(workdir, cfg, [port]) as p:
        ctx = client_context()
        for sni in ("unknown.test", None):
            with pytest.raises(ssl.SSLError):
                tls_connect(port, ctx, sni=sni)
        assert log_has(p, "TLS handshake failed")
        with TlsConnection(port, client_context(ca=pki / "ca.pem"), sni="blog.example.com") as c:
            assert c.request().status == 200


def test_crt_list_with_filters_and_options(workdir, backend, pki):
    port = free_port()
    lst = workdir / "list.txt"
    lst.write_text(f"{pki}/example.com.pem [ssl-min-ver TLSv1.3] *.shop.test !old.shop.test\n"
                   f"{pki}/blog.example.com.pem\n")
    cfg = (f"frontend f\n    bind 127.0.0.1:{port} ssl crt-list {lst}\n"
           f"    default_backend b\nbackend b\n    server s {backend.address}\n")
    with start(workdir, cfg, [port]):
        ctx = client_context()
        with tls_connect(port, ctx, sni="a.shop.test") as s:
            assert peer_cn(s) == "example.com"
            assert s.version() == "TLSv1.3"
        with tls_connect(port, ctx, sni="old.shop.test") as s:
            assert peer_cn(s) == "example.com"  # the default (first) still, but by default, not by filter
        # The filter's entry forbids TLS 1.2; the other does not.
        tls12 = client_context(max_version=ssl.TLSVersion.TLSv1_2)
        with pytest.raises(ssl.SSLError):
            tls_connect(port, tls12, sni="a.shop.test")
        with tls_connect(port, tls12, sni="blog.example.com") as s:
            assert s.version() == "TLSv1.2"


def test_version_limits_and_fetches(workdir, backend, pki):
    p13, p12 = free_port(), free_port()
    cfg = (f"frontend f\n    bind 127.0.0.1:{p13} ssl crt {pki}/example.com.pem ssl-min-ver TLSv1.3\n"
           f"    bind 127.0.0.1:{p12} ssl crt {pki}/example.com.pem ssl-max-ver TLSv1.2 alpn h2,http/1.1\n"
           f"    http-request set-header X-Proto %[ssl_fc_protocol]\n"
           f"    http-request set-header X-Cipher %[ssl_fc_cipher]\n"
           f"    http-request set-header X-Alpn %[ssl_fc_alpn]\n"
           f"    default_backend b\nbackend b\n    server s {backend.address}\n")
    with start(workdir, cfg, [p13, p12]):
        with pytest.raises(ssl.SSLError):
            tls_connect(p13, client_context(max_version=ssl.TLSVersion.TLSv1_2))
        with TlsConnection(p13, client_context()) as c:
            assert c.request().status == 200
        assert backend.requests[-1].header("X-Proto") == "TLSv1.3"
        assert backend.requests[-1].header("X-Cipher").startswith("TLS_")
        with TlsConnection(p12, client_context(alpn=["h2", "http/1.1"])) as c:
            assert c.sock.version() == "TLSv1.2"
            assert c.sock.selected_alpn_protocol() == "http/1.1"  # h2 is never offered
            assert c.request().status == 200
        assert backend.requests[-1].header("X-Proto") == "TLSv1.2"
        assert backend.requests[-1].header("X-Alpn") == "http/1.1"


def test_client_certificates(workdir, backend, pki):
    req, opt = free_port(), free_port()
    cfg = (f"frontend f\n    bind 127.0.0.1:{req} ssl crt {pki}/example.com.pem ca-file {pki}/ca.pem verify required\n"
           f"    bind 127.0.0.1:{opt} ssl crt {pki}/example.com.pem ca-file {pki}/ca.pem verify optional\n"
           f"    http-request set-header X-DN %[ssl_c_s_dn] if {{ ssl_c_used }}\n"
           f"    http-request set-header X-Verify %[ssl_c_verify]\n"
           f"    default_backend b\nbackend b\n    server s {backend.address}\n")
    with start(workdir, cfg, [req, opt]) as p:
        good = client_context(cert=pki / "client.pem")
        with TlsConnection(req, good) as c:
            assert c.request().status == 200
        assert backend.requests[-1].header("X-DN") == "/O=Tandem Test/CN=client"
        assert backend.requests[-1].header("X-Verify") == "0"
        # Refused: no certificate, an expired one, one from another CA. With
        # TLS 1.3 the client learns it at its first read.
        for ctx in (client_context(), client_context(cert=pki / "expired.pem"), client_context(cert=pki / "untrusted.pem")):
            with pytest.raises((ssl.SSLError, EOFError, ConnectionError)):
                with TlsConnection(req, ctx) as c:
                    c.request()
        assert log_has(p, "certificate")
        n = len(backend.requests)
        with TlsConnection(opt, client_context()) as c:
            assert c.request().status == 200
        assert backend.requests[-1].header("X-DN") is None
        with pytest.raises((ssl.SSLError, EOFError, ConnectionError)):
            with TlsConnection(opt, client_context(cert=pki / "expired.pem")) as c:
                c.request()
        assert len(backend.requests) == n + 1


def test_redirect_to_https_and_forwarded_proto(workdir, backend, pki):
    """Seeds 002 and 004: `redirect scheme https if !{ ssl_fc }` and X-Forwarded-Proto."""
    plain, tls = free_port(), free_port()
    cfg = (f"frontend f\n    bind 127.0.0.1:{plain}\n    bind 127.0.0.1:{tls} ssl crt {pki}/example.com.pem\n"
           f"    http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}\n"
           f"    http-response set-header Strict-Transport-Security max-age=31536000 if {{ ssl_fc }}\n"
           f"    redirect scheme https if !{{ ssl_fc }}\n"
           f"    default_backend b\nbackend b\n    server s {backend.address}\n")
    with start(workdir, cfg, [plain, tls]):
        with Connection("127.0.0.1", plain) as c:
            r = c.request(target="/a?b=1", headers={"Host": "www.example.com"})
            assert r.status == 302
            assert r.header("Location") == "https://www.example.com/a?b=1"
        assert backend.requests == []
        with TlsConnection(tls, client_context(ca=pki / "ca.pem"), sni="www.example.com") as c:
            for _ in range(3):  # keep-alive over TLS
                r = c.request(headers={"Host": "www.example.com"})
                assert r.status == 200
                assert r.header("Strict-Transport-Security") == "max-age=31536000"
        assert [q.header("X-Forwarded-Proto") for q in backend.requests] == ["https"] * 3


def test_bad_client_hellos_are_closed_and_counted(workdir, backend, pki):
    port = free_port()
    cfg = (f"frontend f\n    bind 127.0.0.1:{port} ssl crt {pki}/example.com.pem\n"
           f"    default_backend b\nbackend b\n    server s {backend.address}\n")
    with start(workdir, cfg, [port]) as p:
        # Garbage: refused at once.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            t0 = time.monotonic()
            while s.recv(4096):
                pass
            assert time.monotonic() - t0 < 1.5
        # Truncated: a real ClientHello's first bytes, then silence: closed at timeout client (2s).
        hello = _client_hello()
        with socket.create_connection(("127.0.0.1", port), timeout=6) as s:
            s.sendall(hello[:40])
            t0 = time.monotonic()
            while s.recv(4096):
                pass
            assert 1.5 < time.monotonic() - t0 < 4.5
        assert log_has(p, "TLS handshake failed")
        with TlsConnection(port, client_context()) as c:
            assert c.request().status == 200


def _client_hello():
    """The first flight of a real TLS client, captured through memory BIOs."""
    ctx = client_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="example.com")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read()


def test_session_resumption(workdir, backend, pki):
    port = free_port()
    cfg = (f"frontend f\n    bind 127.0.0.1:{port} ssl crt {pki}/example.com.pem\n"
           f"    default_backend b\nbackend b\n    server s {backend.address}\n")
    with start(workdir, cfg, [port], threads=2):
        for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
            ctx = client_context(max_version=version)
            with TlsConnection(port, ctx) as c:
                assert c.request().status == 200  # TLS 1.3 tickets arrive after the handshake
                session = c.sock.session
                assert not c.sock.session_reused
            for _ in range(4):  # either worker can take the next connection
                with TlsConnection(port, ctx, session=session) as c:
                    assert c.sock.session_reused, version
                    assert c.request().status == 200


def test_https_to_servers_with_verification_reuse_and_check_ssl(workdir, pki):
    https = Backend("secure", ssl_context=server_context(pki / "example.com.pem"))
    try:
        port = free_port()
        cfg = (f"frontend f\n    bind 127.0.0.1:{port}\n    default_backend b\n"
               f"backend b\n    timeout check 1s\n    option httpchk GET /health\n"
               f"    server s {https.address} ssl verify required ca-file {pki}/ca.pem sni str(www.example.com) check check-ssl inter 200\n")
        with start(workdir, cfg, [port]) as p:
            with Connection("127.0.0.1", port) as c:
                for _ in range(3):
                    assert c.request().header("X-Backend") == "secure"
            # One server connection carried the three requests (http-reuse safe on one client connection).
            traffic = [q for q in https.requests if not q.target.startswith("/health")]
            assert len(traffic) == 3 and len({q.peer for q in traffic}) == 1
            # check-ssl: the HTTP checks reach the server over TLS and pass.
            wait_for(lambda: len(https.health_checks()) >= 2, timeout=5, what="checks over TLS")
            assert "is DOWN" not in p.output()
        # A name the certificate does not carry fails verification: 503.
        port2 = free_port()
        cfg2 = (f"frontend f\n    bind 127.0.0.1:{port2}\n    default_backend b\n"
                f"backend b\n    retries 0\n    server s {https.address} ssl verify required ca-file {pki}/ca.pem sni str(wrong.test)\n")
        with start(workdir, cfg2, [port2]) as p:
            with Connection("127.0.0.1", port2) as c:
                assert c.request().status == 503
            assert log_has(p, "TLS handshake failed")
    finally:
        https.close()


def test_verifyhost_and_check_sni(workdir, pki):
    """verifyhost: the name checked when no SNI is sent (HAProxy: the SNI
    wins when there is one). check-sni: the SNI of check-ssl health checks,
    and the name they verify."""
    seen = []
    ctx = server_context(pki / "example.com.pem")
    ctx.sni_callback = lambda sock, name, c: seen.append(name)
    https = Backend("secure", ssl_context=ctx)
    try:
        port = free_port()
        cfg = (f"frontend f\n    bind 127.0.0.1:{port}\n    default_backend b\n"
               f"backend b\n    timeout check 1s\n    option httpchk GET /health\n"
               f"    server s {https.address} ssl verify required ca-file {pki}/ca.pem verifyhost www.example.com "
               f"check check-ssl check-sni www.example.com inter 200\n")
        with start(workdir, cfg, [port]) as p:
            with Connection("127.0.0.1", port) as c:
                assert c.request().header("X-Backend") == "secure"
            wait_for(lambda: len(https.health_checks()) >= 2, timeout=5, what="checks over TLS")
            assert "is DOWN" not in p.output()
        # Traffic sent no SNI (no `sni`), the checks sent check-sni's name.
        assert None in seen and "www.example.com" in seen
        # A verifyhost the certificate does not carry: traffic gets a 503;
        # a check-sni it does not carry: the checks fail and the server goes down.
        port2 = free_port()
        cfg2 = (f"frontend f\n    bind 127.0.0.1:{port2}\n    default_backend b\n"
                f"backend b\n    retries 0\n    timeout check 1s\n"
                f"    server s {https.address} ssl verify required ca-file {pki}/ca.pem verifyhost wrong.test\n"
                f"backend c\n    timeout check 1s\n"
                f"    server s {https.address} ssl verify required ca-file {pki}/ca.pem "
                f"check check-ssl check-sni wrong.test inter 200 fall 1\n")
        with start(workdir, cfg2, [port2]) as p:
            with Connection("127.0.0.1", port2) as c:
                assert c.request().status == 503
            assert log_has(p, "TLS handshake failed")
            assert log_has(p, "Server c/s is DOWN")
    finally:
        https.close()


def test_tls_offload_in_tcp_mode(workdir, pki):
    """`bind ... ssl` on a mode tcp listener: TLS is terminated, the content
    rules see ssl_fc_sni (use_backend by name, a reject), and a server with
    `ssl` gets TLS again (its SNI from the client's, verified)."""
    api, www = Backend("api"), Backend("www")
    https = Backend("secure", ssl_context=server_context(pki / "example.com.pem"))
    try:
        port, port2 = free_port(), free_port()
        tcp = DEFAULTS.replace("mode http", "mode tcp")
        cfg = (f"frontend t\n    bind 127.0.0.1:{port} ssl crt {pki}/certs/\n"
               f"    tcp-request content reject if {{ ssl_fc_sni blog.example.com }}\n"
               f"    use_backend api if {{ ssl_fc_sni api.example.com }}\n    default_backend www\n"
               f"frontend t2\n    bind 127.0.0.1:{port2} ssl crt {pki}/example.com.pem\n    default_backend secure\n"
               f"backend api\n    server s {api.address}\n"
               f"backend www\n    server s {www.address}\n"
               f"backend secure\n    server s {https.address} ssl verify required ca-file {pki}/ca.pem sni ssl_fc_sni\n")
        with BalancerProcess(workdir, f"global\n    nbthread 1\n{tcp}\n{cfg}", ports=[port, port2]) as p:
            ctx = client_context(ca=pki / "ca.pem")
            with TlsConnection(port, ctx, sni="api.example.com") as c:
                assert c.request().header("X-Backend") == "api"
                assert c.request().header("X-Backend") == "api"  # one tunnel, two requests
            with TlsConnection(port, ctx, sni="www.example.com") as c:
                big = b"x" * 300_000
                r = c.request("POST", "/echo", body=big)
                assert r.header("X-Backend") == "www" and r.status == 200
            # Rejected after the handshake: the connection closes unanswered.
            with TlsConnection(port, ctx, sni="blog.example.com") as c:
                with pytest.raises((EOFError, ConnectionError, ssl.SSLError)):
                    c.request()
            # Not TLS at all: refused, logged, and the listener keeps serving.
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                s.settimeout(5)
                assert b"HTTP/1.1" not in s.recv(100)
            assert log_has(p, "TLS handshake failed")
            with TlsConnection(port, ctx, sni="api.example.com") as c:
                assert c.request().header("X-Backend") == "api"
            # TLS on both legs, the client's name passed on and verified.
            with TlsConnection(port2, ctx, sni="www.example.com") as c:
                assert c.request().header("X-Backend") == "secure"
                assert c.request().header("X-Backend") == "secure"
    finally:
        api.close()
        www.close()
        https.close()


@pytest.mark.parametrize("what", ["mismatch", "unreadable", "nokey"])
def test_certificate_problems_are_config_errors_with_the_line(workdir, pki, what):
    path = {"mismatch": pki / "mismatch.pem", "unreadable": workdir / "missing.pem", "nokey": pki / "ca.pem"}[what]
    cfg = workdir / "t.cfg"
    cfg.write_text(f"{DEFAULTS}\nfrontend f\n    bind 127.0.0.1:{free_port()} ssl crt {path}\n"
                   f"    default_backend b\nbackend b\n    server s 127.0.0.1:1\n")
    r = subprocess.run([binary("tandem-balancer"), "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert r.returncode == 1
    line = cfg.read_text().splitlines().index(f"    bind 127.0.0.1:{cfg.read_text().split('127.0.0.1:')[1].split()[0]} ssl crt {path}") + 1
    assert f"{cfg}:{line}: bind: " in r.stderr, r.stderr
    assert {"mismatch": "does not match", "unreadable": "cannot read", "nokey": "no private key"}[what] in r.stderr


def test_tls_both_ways_bodies_pipelining_parking_and_websockets(workdir, pki):
    """TLS on the client side and on the server side at once: request bodies
    streamed while the response is read, pipelined records, a connection
    that parks (idle past the hot-buffer hold) and wakes, and a websocket
    tunnel over both TLS legs."""
    https = Backend("secure", ssl_context=server_context(pki / "example.com.pem"))
    try:
        port = free_port()
        cfg = (f"frontend f\n    bind 127.0.0.1:{port} ssl crt {pki}/example.com.pem\n    default_backend b\n"
               f"backend b\n    server s {https.address} ssl verify required ca-file {pki}/ca.pem sni str(example.com)\n")
        with start(workdir, cfg, [port]):
            ctx = client_context()
            with TlsConnection(port, ctx) as c:
                body = bytes(range(256)) * 800  # 200 KB
                r = c.request(method="POST", target="/echo", body=body)
                assert r.status == 200 and r.body == body
                # Two requests in two records, sent back to back.
                c.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
                c.send(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
                assert c.read_response().status == 200
                assert c.read_response().status == 200
                assert [q.target for q in https.requests[-2:]] == ["/a", "/b"]
                time.sleep(0.8)  # parks: no buffer, no coroutine, OpenSSL's buffers released
                assert c.request(target="/after-park").status == 200
            with TlsConnection(port, ctx) as c:
                r = c.request(target="/ws", headers={"Connection": "Upgrade", "Upgrade": "websocket"})
                assert r.status == 101
                for msg in (b"ping", b"x" * 100000):
                    c.send(msg)
                    got = b""
                    while len(got) < len(msg):
                        got += c.sock.recv(65536)
                    assert got == msg
    finally:
        https.close()
