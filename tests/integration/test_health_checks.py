"""Health checks with real backends that die and return, answer 500, hang,
or answer garbage; backup servers taking over and handing back; observe."""

import json
import re
import time

import pytest

from backend import Backend
from harness import BalancerProcess, binary, free_port, run, wait_for
from httpclient import Connection, get

DEFAULTS = """
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    timeout check 300ms
"""


@pytest.fixture
def backends():
    bs = [Backend(f"app{i}") for i in (1, 2, 3)]
    yield bs
    for b in bs:
        b.close()


def start(workdir, body, port):
    return BalancerProcess(workdir, f"global\n    nbthread 2\n{DEFAULTS}\nfrontend web\n    bind 127.0.0.1:{port}\n"
                                    f"    default_backend farm\n{body}", ports=[port])


def served_by(port, n=6):
    return [get("127.0.0.1", port).header("X-Backend") for _ in range(n)]


def log_has(proc, pattern, timeout=5.0):
    return wait_for(lambda: re.search(pattern, proc.output()), timeout, what=f"log line /{pattern}/")


def test_fedora_sop_down_after_fall_and_back_after_rise(workdir, backends):
    port = free_port()
    body = ("backend farm\n    balance roundrobin\n    option httpchk GET /wiki/Infrastructure\n"
            + "".join(f"    server {b.name} {b.address} check inter 100ms rise 2 fall 5\n" for b in backends[:2]))
    with start(workdir, body, port) as p:
        wait_for(lambda: len(backends[0].health_checks()) >= 3, what="checks")
        assert backends[0].health_checks()[0].target == "/wiki/Infrastructure"
        assert backends[0].health_checks()[0].method == "GET"
        assert set(served_by(port)) == {"app1", "app2"}
        backends[0].set_health(500)
        t0 = time.monotonic()
        log_has(p, r"Server farm/app1 is DOWN, reason: Layer7 wrong status, code: 500, info: \"Status\", "
                   r"check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, "
                   r"0 remaining in queue\.")
        # fall 5 at inter 100ms (fastinter defaults to inter): about half a second.
        assert 0.35 < time.monotonic() - t0 < 3
        assert served_by(port) == ["app2"] * 6
        backends[0].set_health(200)
        log_has(p, r"Server farm/app1 is UP, reason: Layer7 check passed, code: 200, check duration: \d+ms\. "
                   r"2 active and 0 backup servers online\.")
        assert set(served_by(port)) == {"app1", "app2"}


@pytest.mark.parametrize("failure,reason", [
    ("dead", r"Layer4 connection problem, info: \"Connection refused\""),
    ("hang", r"Layer7 timeout"),
    ("garbage", r"Layer7 invalid response"),
])
def test_every_kind_of_failure_is_named(workdir, backends, failure, reason):
    port = free_port()
    body = ("backend farm\n    option httpchk GET /health\n"
            f"    server a {backends[0].address} check inter 100ms fall 2\n"
            f"    server b {backends[1].address} check inter 100ms\n")
    # Broken before the balancer starts, so that no check is caught half-way.
    if failure == "dead":
        backends[0].stop()
    else:
        backends[0].set_health(failure)
    with start(workdir, body, port) as p:
        log_has(p, rf"Server farm/a is DOWN, reason: {reason}")
        assert served_by(port, 4) == ["app2"] * 4


def test_tcp_connect_check(workdir, backends):
    port = free_port()
    body = "".join(f"    server {b.name} {b.address} check inter 100ms fall 1 rise 1\n" for b in backends[:2])
    with start(workdir, "backend farm\n" + body, port) as p:
        backends[1].stop()
        log_has(p, r"Server farm/app2 is DOWN, reason: Layer4 connection problem")
        assert served_by(port, 4) == ["app1"] * 4
        backends[1].start_again()
        log_has(p, r"Server farm/app2 is UP, reason: Layer4 check passed, check duration")


def test_every_server_down_is_503_then_recovers(workdir, backends):
    port = free_port()
    body = ("backend farm\n    option httpchk GET /health\n"
            + "".join(f"    server {b.name} {b.address} check inter 100ms fall 1 rise 1\n" for b in backends[:2]))
    with start(workdir, body, port) as p:
        for b in backends[:2]:
            b.set_health(503)
        log_has(p, r"backend farm has no server available!")
        assert get("127.0.0.1", port).status == 503
        backends[1].set_health(200)
        log_has(p, r"Server farm/app2 is UP")
        assert get("127.0.0.1", port).status == 200


def test_backups_take_over_and_hand_back(workdir, backends):
    port = free_port()
    body = ("backend farm\n    option httpchk GET /health\n"
            f"    server s1 {backends[0].address} check inter 100ms fall 1 rise 1\n"
            f"    server s3 {backends[1].address} check inter 100ms backup\n"
            f"    server s4 {backends[2].address} check inter 100ms backup\n"
            "    option allbackups\n")
    with start(workdir, body, port) as p:
        assert served_by(port, 4) == ["app1"] * 4
        backends[0].set_health(500)
        log_has(p, r"Server farm/s1 is DOWN.* 0 active and 2 backup servers left")
        assert sorted(served_by(port, 4)) == ["app2", "app2", "app3", "app3"]
        backends[0].set_health(200)
        log_has(p, r"Server farm/s1 is UP")
        assert served_by(port, 4) == ["app1"] * 4


def test_seed_health_check_forms(workdir, backends):
    """seed 002: the old one-string form with a Host header, and http-check
    send + two expects (status and body)."""
    port = free_port()
    body = (r"backend farm" "\n"
            r"    option httpchk GET /health HTTP/1.1\r\nHost:\ localhost" "\n"
            "    http-check expect status 200\n"
            f"    server a {backends[0].address} check inter 100ms fall 1\n"
            "backend api\n    option httpchk\n"
            "    http-check send meth GET uri /health ver HTTP/1.1 hdr Host localhost\n"
            "    http-check expect status 200\n"
            '    http-check expect string "OK" # Also verify response body\n'
            f"    server b {backends[1].address} check inter 100ms fall 1\n")
    with start(workdir, body, port) as p:
        wait_for(lambda: backends[0].health_checks() and backends[1].health_checks(), what="checks")
        c = backends[0].health_checks()[0]
        assert (c.method, c.target, c.version, c.header("Host")) == ("GET", "/health", "HTTP/1.1", "localhost")
        c = backends[1].health_checks()[0]
        assert (c.method, c.target, c.version, c.header("Host")) == ("GET", "/health", "HTTP/1.1", "localhost")
        backends[1].set_health(200)
        time.sleep(0.3)
        assert "Server api/b is DOWN" not in p.output()
        # 200 but the body says "sick": the string expect fails.
        backends[1].health = 201  # wrong status first
        log_has(p, r"Server api/b is DOWN, reason: Layer7 wrong status, code: 201")


def test_tcp_check_send_expect(workdir):
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    answer = {"v": b"+PONG\r\n"}

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.recv(100)
            c.sendall(answer["v"])
            c.close()
    threading.Thread(target=serve, daemon=True).start()
    port = free_port()
    body = ("backend farm\n    mode tcp\n    option tcp-check\n    tcp-check connect\n"
            r"    tcp-check send PING\r\n" "\n    tcp-check expect string +PONG\n"
            f"    server r 127.0.0.1:{srv.getsockname()[1]} check inter 100ms fall 1 rise 1\n")
    cfg = body.replace("frontend", "")
    with BalancerProcess(workdir, f"{DEFAULTS.replace('mode http', 'mode tcp')}\nfrontend t\n    bind 127.0.0.1:{port}\n"
                                  f"    default_backend farm\n{cfg}", ports=[port]) as p:
        time.sleep(0.4)
        assert "is DOWN" not in p.output()
        answer["v"] = b"-ERR\r\n"
        log_has(p, r"Server farm/r is DOWN, reason: Layer7 invalid response, info: \"TCPCHK did not match content")
        answer["v"] = b"+PONG\r\n"
        log_has(p, r"Server farm/r is UP, reason: Layer7 check passed")
    srv.close()


def test_observe_layer4_marks_a_failing_server_down(workdir, backends):
    """seed 003: `check fall 3 inter 2m observe layer4 error-limit 1` — failed
    connections count as failed checks, so the server leaves long before the
    next check two minutes later."""
    port = free_port()
    body = ("backend farm\n    mode tcp\n    balance roundrobin\n    retries 0\n"
            f"    server db1 {backends[1].address} check fall 3 inter 2m observe layer4 error-limit 1\n"
            f"    server db2 {backends[0].address} check backup\n")
    with BalancerProcess(workdir, f"{DEFAULTS.replace('mode http', 'mode tcp')}\nfrontend t\n    bind 127.0.0.1:{port}\n"
                                  f"    default_backend farm\n{body}", ports=[port]) as p:
        # The first check's result, not just its connection: the count below
        # starts from the counter it leaves.
        def checked():
            r = run([binary("tandemctl"), "--balancer-socket", p.socket, "--json", "servers", "farm"])
            return r.stdout and json.loads(r.stdout)["servers"][0]["check"]["status"] == "L4OK"
        wait_for(checked, what="db1's first check passed")
        assert get("127.0.0.1", port).header("X-Backend") == "app2"
        backends[1].stop()
        failures = 0
        while "Server farm/db1 is DOWN" not in p.output() and failures < 10:
            try:
                get("127.0.0.1", port, timeout=2)
            except (EOFError, ConnectionError, OSError):
                failures += 1
        log_has(p, r"Server farm/db1 is DOWN, reason: Health analyze")
        # One success after start left the counter at 3 of 4: two errors suffice.
        assert failures == 2, failures
        assert get("127.0.0.1", port).header("X-Backend") == "app1"


def test_observe_layer7_with_mark_down(workdir, backends):
    port = free_port()
    body = ("backend farm\n"
            f"    server a {backends[0].address} check inter 10s observe layer7 error-limit 3 on-error mark-down\n"
            f"    server b {backends[1].address} check inter 10s\n")
    with start(workdir, body, port) as p:
        with Connection("127.0.0.1", port) as c:
            for _ in range(6):
                c.request(target="/status/500")
        log_has(p, r"Server farm/a is DOWN, reason: Health analyze")
        assert served_by(port, 4) == ["app2"] * 4


def test_disable_on_404_takes_a_server_out_of_balancing(workdir, backends):
    port = free_port()
    body = ("backend farm\n    option httpchk GET /health\n    http-check disable-on-404\n"
            + "".join(f"    server {b.name} {b.address} check inter 100ms\n" for b in backends[:2]))
    with start(workdir, body, port):
        backends[0].set_health(404)
        wait_for(lambda: served_by(port, 4) == ["app2"] * 4, what="app1 out of balancing (NOLB)")
        backends[0].set_health(200)
        wait_for(lambda: set(served_by(port, 4)) == {"app1", "app2"}, what="app1 back")


def test_slowstart_ramps_traffic_after_coming_up(workdir, backends):
    port = free_port()
    body = ("backend farm\n    option httpchk GET /health\n"
            f"    server a {backends[0].address} check inter 100ms fall 1 rise 1 slowstart 3s weight 100\n"
            f"    server b {backends[1].address} check inter 100ms weight 100\n")
    with start(workdir, body, port) as p:
        backends[0].set_health(500)
        log_has(p, r"Server farm/a is DOWN")
        backends[0].set_health(200)
        log_has(p, r"Server farm/a is UP")
        early = served_by(port, 40).count("app1")
        time.sleep(3.2)
        late = served_by(port, 40).count("app1")
        assert early < 12, early  # weight well below b's just after coming up
        assert 16 <= late <= 24, late  # equal weights once the ramp is over


def test_config_errors(workdir):
    from harness import binary, run
    cfg = workdir / "bad.cfg"
    cfg.write_text("backend b\n    http-check expect status abc\n")
    r = run([binary("tandem-balancer"), "-c", "-f", cfg])
    assert r.returncode == 1 and f"{cfg}:2: http-check expect: 'abc' is not a status code" in r.stderr
    cfg.write_text("backend b\n    server s 127.0.0.1:80 observe layer4\n")
    r = run([binary("tandem-balancer"), "-c", "-f", cfg])
    assert r.returncode == 1 and "'observe' needs 'check'" in r.stderr
