"""The balancer's Admin API through tandemctl: backends and servers with
state, weight, checks and counters; drain, maint, ready and weight changes;
error paths."""

import json
import threading
import time

import pytest

from backend import Backend
from harness import BalancerProcess, binary, free_port, run, wait_for
from httpclient import get


@pytest.fixture
def backends():
    bs = [Backend(f"app{i}") for i in (1, 2, 3)]
    yield bs
    for b in bs:
        b.close()


def start(workdir, backends, port):
    cfg = ("defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n"
           f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
           "backend farm\n    balance roundrobin\n    option httpchk GET /health\n"
           f"    server a {backends[0].address} check inter 100ms fall 1 rise 1\n"
           f"    server b {backends[1].address} check inter 100ms fall 1 rise 1 weight 2\n"
           f"    server c {backends[2].address} backup\n"
           "backend empty\n")
    return BalancerProcess(workdir, cfg, ports=[port])


def ctl(workdir, *args):
    r = run([binary("tandemctl"), "--balancer-socket", workdir / "tandem-balancer.sock", *args])
    return r


def served_by(port, n):
    return [get("127.0.0.1", port).header("X-Backend") for _ in range(n)]


def test_backends_and_servers_json(workdir, backends):
    port = free_port()
    with start(workdir, backends, port):
        served_by(port, 3)
        r = ctl(workdir, "--json", "backends")
        assert r.returncode == 1  # `empty` has no server: degraded
        doc = json.loads(r.stdout)
        farm = next(b for b in doc["backends"] if b["name"] == "farm")
        assert (farm["active_up"], farm["active_total"], farm["backup_up"], farm["backup_total"]) == (2, 2, 1, 1)
        assert farm["balance"] == "roundrobin" and farm["mode"] == "http"
        assert farm["http_requests"] == 3
        srv = {s["name"]: s for s in farm["servers"]}
        assert srv["a"]["state"] == "UP" and srv["a"]["address"] == backends[0].address
        assert srv["b"]["weight"] == 2 and srv["c"]["backup"] is True
        wait_for(lambda: json.loads(ctl(workdir, "--json", "servers", "farm").stdout)["servers"][0]["check"]["status"] == "L7OK",
                 what="a check result")
        s = json.loads(ctl(workdir, "--json", "servers", "farm").stdout)["servers"][0]
        assert s["check"] == {"enabled": True, "status": "L7OK", "description": "Layer7 check passed", "code": 200,
                              "duration_ms": s["check"]["duration_ms"]}
        assert s["http_requests"] >= 1
        r = ctl(workdir, "servers", "farm")
        assert r.returncode == 0
        lines = r.stdout.splitlines()
        assert lines[0].split() == ["BACKEND", "SERVER", "ADDRESS", "STATE", "WEIGHT", "CHECK", "SESSIONS", "TOTAL", "REASON"]
        assert lines[1].split()[:6] == ["farm", "a", backends[0].address, "UP", "1", "L7OK"]
        assert "c (backup)" in lines[3]


def test_down_server_shows_its_reason(workdir, backends):
    port = free_port()
    with start(workdir, backends, port):
        backends[0].set_health(500)
        wait_for(lambda: json.loads(ctl(workdir, "--json", "servers", "farm").stdout)["servers"][0]["state"] == "DOWN",
                 what="a DOWN")
        r = ctl(workdir, "servers", "farm")
        assert r.returncode == 1
        assert "Layer7 wrong status, code 500" in r.stdout


def test_drain_lets_sessions_finish_and_takes_no_new_traffic(workdir, backends):
    port = free_port()
    with start(workdir, backends, port):
        result = {}
        # A slow request on a's connection is in flight when a is drained.
        order = served_by(port, 3)
        assert "app1" in order

        def slow():
            # roundrobin a,b,b (weights 1,2): find a turn on a for the slow one
            for _ in range(3):
                r = get("127.0.0.1", port, "/slow/600")
                if r.header("X-Backend") == "app1":
                    result["status"] = r.status
                    return
        t = threading.Thread(target=slow)
        t.start()
        wait_for(lambda: any(r.target == "/slow/600" for r in backends[0].received()), what="slow request on a")
        r = ctl(workdir, "server", "drain", "farm/a")
        assert r.returncode == 0 and r.stdout.strip() == "farm/a: DRAIN, weight 1"
        assert "app1" not in served_by(port, 6)
        t.join()
        assert result["status"] == 200  # the session in flight finished
        ctl(workdir, "server", "maint", "farm/a")
        s = json.loads(ctl(workdir, "--json", "servers", "farm").stdout)["servers"][0]
        assert (s["state"], s["admin_state"]) == ("MAINT", "maint")
        ctl(workdir, "server", "ready", "farm/a")
        assert "app1" in served_by(port, 6)


def test_maint_on_every_active_server_falls_back_to_backup(workdir, backends):
    port = free_port()
    with start(workdir, backends, port):
        ctl(workdir, "server", "maint", "farm/a")
        ctl(workdir, "server", "maint", "farm/b")
        assert served_by(port, 3) == ["app3"] * 3


def test_weight_changes_at_run_time(workdir, backends):
    port = free_port()
    with start(workdir, backends, port):
        r = ctl(workdir, "server", "weight", "farm/a", "0")
        assert r.returncode == 0
        assert "app1" not in served_by(port, 6)
        ctl(workdir, "server", "weight", "farm/a", "4")
        got = served_by(port, 12)
        assert got.count("app1") == 8 and got.count("app2") == 4


def test_error_paths(workdir, backends):
    port = free_port()
    with start(workdir, backends, port):
        r = ctl(workdir, "servers", "nope")
        assert r.returncode == 2 and "no backend named 'nope'" in r.stderr
        r = ctl(workdir, "server", "drain", "farm/zz")
        assert r.returncode == 2 and "no server 'zz' in backend 'farm'" in r.stderr
        r = ctl(workdir, "server", "weight", "farm/a", "300")
        assert r.returncode == 2 and "0..256" in r.stderr
        r = ctl(workdir, "server", "drain", "farm")
        assert r.returncode == 2 and "usage" in r.stderr
    r = ctl(workdir, "backends")  # killed: the socket file is left behind
    assert r.returncode == 2
    assert f"balancer is not running (stale socket at {workdir}/tandem-balancer.sock)" in r.stderr
    (workdir / "tandem-balancer.sock").unlink()
    r = ctl(workdir, "backends")
    assert r.returncode == 2
    assert f"balancer is not running (no socket at {workdir}/tandem-balancer.sock)" in r.stderr


def test_an_idle_balancer_counts_no_connection(workdir, backends):
    """Accept loops waiting for a connection hold no session slot: an idle
    balancer shows 0 connections and 0 sessions, whatever its threads."""
    port = free_port()
    cfg = ("global\n    nbthread 2\n    maxconn 10\ndefaults\n    mode http\n    timeout connect 1s\n"
           "    timeout client 10s\n    timeout server 10s\n"
           f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
           f"backend farm\n    server a {backends[0].address}\n")
    with BalancerProcess(workdir, cfg, ports=[port]):
        assert get("127.0.0.1", port).status == 200
        def idle():
            doc = json.loads(ctl(workdir, "--json", "status").stdout)
            return doc["local"]["balancer"]["status"]["current_connections"] == 0 and \
                doc["local"]["balancer"]["frontends"][0]["current_sessions"] == 0
        wait_for(idle, what="no connection counted once the client has gone")
