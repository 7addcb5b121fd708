"""Cookie persistence: insert (indirect, nocache, httponly, secure, domain,
maxidle), rewrite and prefix; a persistent server going away; option persist."""

import json
import time

import pytest

from backend import Backend
from harness import BalancerProcess, binary, free_port, run
from httpclient import Connection, get

DEFAULTS = "defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n"


@pytest.fixture
def backends():
    bs = [Backend(f"app{i}") for i in (1, 2)]
    yield bs
    for b in bs:
        b.close()


def start(workdir, backends, cookie_line, extra="", server_opts=("cookie s1", "cookie s2")):
    port = free_port()
    body = (f"frontend f\n    bind 127.0.0.1:{port}\n    default_backend b\n"
            f"backend b\n    balance roundrobin\n    {cookie_line}\n{extra}"
            f"    server s1 {backends[0].address} {server_opts[0]}\n"
            f"    server s2 {backends[1].address} {server_opts[1]}\n")
    return BalancerProcess(workdir, DEFAULTS + body, ports=[port]), port


def test_insert_indirect_keeps_a_client_on_its_server(workdir, backends):
    proc, port = start(workdir, backends, "cookie SERVERID insert indirect nocache httponly secure domain .example.com")
    with proc:
        first = get("127.0.0.1", port)
        sc = first.header("Set-Cookie")
        who = first.header("X-Backend")
        want = "s1" if who == "app1" else "s2"
        assert sc == f"SERVERID={want}; path=/; domain=.example.com; HttpOnly; Secure"
        cookie = sc.split(";")[0]
        for _ in range(4):
            r = get("127.0.0.1", port, headers={"Cookie": f"{cookie}; app=7"})
            assert r.header("X-Backend") == who
            assert r.header("Set-Cookie") is None  # already valid: not set again
        seen = [x.header("Cookie") for b in backends for x in b.received()]
        assert "app=7" in seen and not any("SERVERID" in (c or "") for c in seen)  # indirect


def test_nocache_marks_cacheable_responses_private(workdir, backends):
    proc, port = start(workdir, backends, "cookie SERVERID insert nocache")
    with proc:
        # The test backend's /slow responses carry no cache headers: left alone.
        r = get("127.0.0.1", port)
        assert r.header("Set-Cookie").startswith("SERVERID=") and r.header("Cache-Control") is None


def test_a_persistent_server_going_away(workdir, backends):
    proc, port = start(workdir, backends, "cookie SERVERID insert indirect")
    with proc:
        sock = proc.socket
        r = get("127.0.0.1", port, headers={"Cookie": "SERVERID=s1"})
        assert r.header("X-Backend") == "app1"
        run([binary("tandemctl"), "--balancer-socket", sock, "server", "drain", "b/s1"])
        # Draining: persistent clients still reach it, new ones do not.
        assert get("127.0.0.1", port, headers={"Cookie": "SERVERID=s1"}).header("X-Backend") == "app1"
        assert {get("127.0.0.1", port).header("X-Backend") for _ in range(3)} == {"app2"}
        run([binary("tandemctl"), "--balancer-socket", sock, "server", "maint", "b/s1"])
        r = get("127.0.0.1", port, headers={"Cookie": "SERVERID=s1"})
        assert r.header("X-Backend") == "app2"
        assert r.header("Set-Cookie") == "SERVERID=s2; path=/"  # re-stuck to the new server


def test_option_persist_with_redispatch(workdir, backends):
    proc, port = start(workdir, backends, "cookie SERVERID insert indirect",
                       extra="    option persist\n    option redispatch\n    retries 1\n    option httpchk GET /health\n",
                       server_opts=("cookie s1 check inter 100ms fall 1", "cookie s2 check inter 100ms"))
    with proc as p:
        backends[0].stop()
        from harness import wait_for
        wait_for(lambda: "Server b/s1 is DOWN" in p.output(), what="s1 DOWN")
        # persist: the cookie still sends to s1; it fails; redispatch moves it.
        r = get("127.0.0.1", port, headers={"Cookie": "SERVERID=s1"})
        assert r.status == 200 and r.header("X-Backend") == "app2"


def test_maxidle_expires_an_idle_cookie(workdir, backends):
    proc, port = start(workdir, backends, "cookie SERVERID insert indirect maxidle 1s maxlife 1h")
    with proc:
        r = get("127.0.0.1", port)
        value = r.header("Set-Cookie").split(";")[0]
        assert value.count("|") == 2
        stale = value.split("=")[1].split("|")[0] + "|1|1"  # seen in 1970
        r2 = get("127.0.0.1", port, headers={"Cookie": f"SERVERID={stale}"})
        assert r2.header("Set-Cookie") is not None  # expired: a new one is set


def test_rewrite_and_prefix_modes(workdir, backends):
    proc, port = start(workdir, backends, "cookie JSESSIONID prefix")
    with proc:
        # The app sets no cookie in these responses; clients that present a
        # prefixed one are routed and see the prefix stripped at the server.
        r = get("127.0.0.1", port, headers={"Cookie": "JSESSIONID=s2~abc123"})
        assert r.header("X-Backend") == "app2"
        assert backends[1].received()[-1].header("Cookie") == "JSESSIONID=abc123"
    proc, port = start(workdir, backends, "cookie SRV rewrite")
    with proc:
        r = get("127.0.0.1", port, headers={"Cookie": "SRV=s1"})
        assert r.header("X-Backend") == "app1"
        assert backends[0].received()[-1].header("Cookie") == "SRV=s1"


def test_cookie_config_errors(workdir):
    cfg = workdir / "bad.cfg"
    cfg.write_text("backend b\n    cookie X rewrite maxidle 1s\n")
    r = run([binary("tandem-balancer"), "-c", "-f", cfg])
    assert r.returncode == 1 and "maxidle, maxlife, postonly, nocache, preserve, httponly, secure and domain need 'insert'" in r.stderr
    cfg.write_text("backend b\n    cookie X insert frob\n")
    r = run([binary("tandem-balancer"), "-c", "-f", cfg])
    assert r.returncode == 1 and f"{cfg}:2: cookie: unknown option 'frob'" in r.stderr
