"""ACLs and rules with real backends: the seeds' routing and auth, redirects,
header rewriting both ways, deny/return/tarpit, tcp-request, monitor fail."""

import base64
import json
import time

import pytest

from backend import Backend
from harness import BalancerProcess, binary, free_port, run, wait_for
from httpclient import Connection, get, raw_exchange
from test_seeds import render

DEFAULTS = ("defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n"
            "    timeout tarpit 400ms\n")


@pytest.fixture
def backends():
    bs = [Backend(f"app{i}") for i in (1, 2, 3)]
    yield bs
    for b in bs:
        b.close()


def start(workdir, body, port, defaults=DEFAULTS):
    return BalancerProcess(workdir, defaults + body, ports=[port])


def seed(workdir, name, backends):
    ports = {"PORT": free_port(), "PORT2": free_port(), "PORT3": free_port()}
    text = render(name, workdir, backends, ports).read_text()
    return BalancerProcess(workdir, text, ports=[ports["PORT"]]), ports["PORT"]


def test_seed_acl_routing(workdir, backends):
    proc, port = seed(workdir, "s002_acl_routing.cfg", backends)
    with proc:
        assert get("127.0.0.1", port, "/api/users").header("X-Backend") == "app1"          # api_servers
        assert get("127.0.0.1", port, "/admin/x").header("X-Backend") == "app2"            # not from_internal: web
        r = get("127.0.0.1", port, "/chat", headers={"Upgrade": "WebSocket"})
        assert r.header("X-Backend") == "app3"                                             # ws_servers (-i)
        assert get("127.0.0.1", port, "/").header("X-Backend") == "app2"                   # default
        with Connection("127.0.0.1", port) as c:                                           # is_api wins first
            assert c.request("POST", "/api/up", body=b"x").header("X-Backend") == "app1"


def test_seed_host_routing(workdir, backends):
    proc, port = seed(workdir, "s002_host_routing.cfg", backends)
    with proc:
        for host, want in (("blog.example.com", "app1"), ("API.example.com", "app2"), ("shop.example.com", "app3"),
                           ("other.example.com", "app1")):
            assert get("127.0.0.1", port, "/", headers={"Host": host}).header("X-Backend") == want, host


def auth(user, pw):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}


def test_seed_basic_auth(workdir, backends):
    proc, port = seed(workdir, "s003_basic_auth.cfg", backends)
    with proc:
        r = get("127.0.0.1", port)
        assert r.status == 401
        assert r.header("WWW-Authenticate") == 'Basic realm="Restricted"'
        assert get("127.0.0.1", port, headers=auth("bob", "wrong")).status == 401
        assert get("127.0.0.1", port, headers=auth("bob", "password123")).status == 200
        assert get("127.0.0.1", port, headers=auth("alice", "anotherpassword")).status == 200
        assert [r.header("Authorization") is not None for r in backends[0].received()] == [True, True]


def test_redirect_to_https_and_forwarded_proto(workdir, backends):
    port = free_port()
    body = (f"frontend f\n    bind 127.0.0.1:{port}\n"
            "    http-request set-header X-Forwarded-Proto http unless { ssl_fc }\n"
            "    redirect scheme https code 301 if !{ ssl_fc } { path_beg /secure }\n"
            "    default_backend b\n"
            f"backend b\n    server s {backends[0].address}\n")
    with start(workdir, body, port):
        r = get("127.0.0.1", port, "/secure/page?a=1", headers={"Host": "www.example.com"})
        assert r.status == 301 and r.header("Location") == "https://www.example.com/secure/page?a=1"
        assert get("127.0.0.1", port, "/open").status == 200
        assert backends[0].received()[-1].header("X-Forwarded-Proto") == "http"
        assert [x.target for x in backends[0].received()] == ["/open"]


def test_response_headers_and_security_headers(workdir, backends):
    port = free_port()
    body = (f"frontend f\n    bind 127.0.0.1:{port}\n"
            "    http-response set-header X-Frame-Options SAMEORIGIN\n"
            "    http-response set-header Strict-Transport-Security max-age=31536000\n"
            "    http-response del-header X-Backend\n"
            "    default_backend b\n"
            f"backend b\n    server s {backends[0].address}\n"
            "    http-response set-header X-Seen %[res.hdr(X-Seen-Requests)]\n"
            "    http-response set-status 299 reason Fine if { status 200 }\n")
    with start(workdir, body, port):
        r = get("127.0.0.1", port)
        assert r.status == 299 and r.reason == "Fine"
        assert r.header("X-Frame-Options") == "SAMEORIGIN"
        assert r.header("Strict-Transport-Security") == "max-age=31536000"
        assert r.header("X-Backend") is None
        assert r.header("X-Seen") == "1"


def test_deny_return_and_tarpit(workdir, backends):
    port = free_port()
    body = (f"frontend f\n    bind 127.0.0.1:{port}\n"
            "    http-request deny deny_status 429 if { path_beg /limited }\n"
            "    http-request return status 200 content-type text/plain string pong if { path /ping }\n"
            "    http-request tarpit if { hdr(x-bad) 1 }\n"
            "    http-request deny if { method TRACE }\n"
            "    default_backend b\n"
            f"backend b\n    server s {backends[0].address}\n")
    with start(workdir, body, port):
        assert get("127.0.0.1", port, "/limited/x").status == 429
        r = get("127.0.0.1", port, "/ping")
        assert (r.status, r.body, r.header("Content-Type")) == (200, b"pong", "text/plain")
        t0 = time.monotonic()
        assert get("127.0.0.1", port, "/", headers={"X-Bad": "1"}).status == 500
        assert time.monotonic() - t0 >= 0.35
        with Connection("127.0.0.1", port) as c:
            assert c.request("TRACE", "/").status == 403
        assert backends[0].received() == []


def test_tcp_request_connection_reject(workdir, backends):
    port = free_port()
    body = (f"frontend f\n    bind 127.0.0.1:{port}\n"
            "    tcp-request connection reject if { src 127.0.0.1 }\n"
            "    default_backend b\n"
            f"backend b\n    server s {backends[0].address}\n")
    with BalancerProcess(workdir, DEFAULTS + body, ports=[]) as p:
        from harness import wait_for_port
        wait_for_port("127.0.0.1", port, p)
        assert raw_exchange("127.0.0.1", port, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n") == b""
        assert backends[0].received() == []


def test_tcp_mode_use_backend_and_a_backends_own_tcp_request_content_rules(workdir, backends):
    """In a tcp frontend, use_backend picks the backend (else default_backend);
    a backend's own `tcp-request content` rules run after the frontend's."""
    port, port2 = free_port(), free_port()
    tcp = DEFAULTS.replace("mode http", "mode tcp")
    body = (f"frontend f\n    bind 127.0.0.1:{port}\n    acl local src 127.0.0.1\n"
            "    use_backend two if local\n    default_backend one\n"
            f"frontend g\n    bind 127.0.0.1:{port2}\n    default_backend guarded\n"
            f"backend one\n    server s {backends[0].address}\n"
            f"backend two\n    server s {backends[1].address}\n"
            "backend guarded\n    tcp-request content reject if { src 127.0.0.1 }\n"
            f"    server s {backends[2].address}\n")
    with BalancerProcess(workdir, tcp + body, ports=[port]) as p:
        from harness import wait_for_port
        wait_for_port("127.0.0.1", port2, p)
        assert get("127.0.0.1", port).header("X-Backend") == "app2"
        assert raw_exchange("127.0.0.1", port2, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n") == b""
        assert backends[2].received() == []


def test_backend_rules_and_dynamic_use_backend(workdir, backends):
    port = free_port()
    body = (f"frontend f\n    bind 127.0.0.1:{port}\n"
            "    use_backend %[req.hdr(x-pool)] if { req.hdr(x-pool) -m found }\n"
            "    default_backend one\n"
            f"backend one\n    server s {backends[0].address}\n    http-request set-header X-Via one\n"
            f"backend two\n    server s {backends[1].address}\n    http-request set-header X-Via two\n")
    with start(workdir, body, port):
        assert get("127.0.0.1", port).header("X-Backend") == "app1"
        assert get("127.0.0.1", port, headers={"X-Pool": "two"}).header("X-Backend") == "app2"
        assert get("127.0.0.1", port, headers={"X-Pool": "nope"}).header("X-Backend") == "app1"
        assert backends[1].received()[-1].header("X-Via") == "two"
        assert backends[0].received()[-1].header("X-Via") == "one"


def test_monitor_fail_marks_the_node_not_ready(workdir, backends):
    port = free_port()
    body = (f"frontend f\n    bind 127.0.0.1:{port}\n    monitor-uri /ready\n"
            "    monitor fail if { nbsrv(farm) lt 1 }\n    default_backend farm\n"
            "backend farm\n    option httpchk GET /health\n"
            f"    server s {backends[0].address} check inter 100ms fall 1 rise 1\n")
    with start(workdir, body, port) as p:
        def health():
            return json.loads(run([binary("tandemctl"), "--balancer-socket", p.socket, "--json", "health"]).stdout)["daemons"][0]["health"]
        assert health() == "SERVING"
        assert get("127.0.0.1", port, "/ready").status == 200
        backends[0].set_health(500)
        wait_for(lambda: health() == "NOT_SERVING", what="NOT_SERVING")
        assert get("127.0.0.1", port, "/ready").status == 503
        assert "not ready: monitor fail holds in frontend f" in p.output()
        backends[0].set_health(200)
        wait_for(lambda: health() == "SERVING", what="SERVING again")
        assert get("127.0.0.1", port, "/ready").status == 200


def test_rule_errors_at_check_time(workdir):
    cfg = workdir / "bad.cfg"
    cfg.write_text("frontend f\n    mode http\n    bind :80\n    acl a path_beg /x\n    use_backend nope if a\n")
    r = run([binary("tandem-balancer"), "-c", "-f", cfg])
    assert r.returncode == 1 and f"{cfg}:5: use_backend: no backend named 'nope'" in r.stderr
    cfg.write_text("frontend f\n    mode http\n    bind :80\n    http-request deny if undeclared\n")
    r = run([binary("tandem-balancer"), "-c", "-f", cfg])
    assert r.returncode == 1 and f"{cfg}:4: http-request deny: no such ACL : 'undeclared'" in r.stderr
