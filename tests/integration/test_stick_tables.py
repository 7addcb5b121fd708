"""Stick tables in the running balancer: the seeds' rate limiting (429),
abusers flagged with gpc0 and denied until their entry expires, whitelists,
connection limits, stickiness on the source address across a server's
DOWN/UP, and the tables through the gRPC API (Admin show/clear/set,
StickTables for peersync)."""

import base64
import json
import shutil
import socket
import threading
import time

import pytest

from backend import Backend
from harness import BUILD_DIR, BalancerProcess, Daemon, binary, free_port, run, wait_for, wait_for_port
from httpclient import Connection, Response, get
from test_seeds import render

DEFAULTS = ("defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n")


@pytest.fixture
def backends():
    bs = [Backend(f"app{i}") for i in (1, 2, 3)]
    yield bs
    for b in bs:
        b.close()


def seed(workdir, name, backends, edit=None):
    ports = {"PORT": free_port(), "PORT2": free_port(), "PORT3": free_port()}
    text = render(name, workdir, backends, ports).read_text()
    if edit:
        text = edit(text)
    return BalancerProcess(workdir, text, ports=[ports["PORT"]]), ports


def rpc(proc, method, body=None):
    tool = BUILD_DIR / "tests" / "integration" / "balancer_rpc"
    r = run([str(tool), proc.socket, method] + ([json.dumps(body)] if body is not None else []))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def ip_key(addr):
    return base64.b64encode(socket.inet_aton(addr)).decode()


def get_from(src, port, target="/", timeout=10.0, headers=None):
    """One request from source address `src` (any of 127/8 on loopback)."""
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    c = Connection.__new__(Connection)
    c.sock, c.buf = s, b""
    with c:
        return c.request("GET", target, headers={"Connection": "close", **(headers or {})})


# ---- rate limiting: the s002 seed -------------------------------------------------

def test_seed_rate_limit_429_after_100_requests_in_10s(workdir, backends):
    proc, p = seed(workdir, "s002_stick_tables.cfg", backends[:2])
    with proc:
        with Connection("127.0.0.1", p["PORT"]) as c:
            statuses = [c.request().status for _ in range(100)]
            assert statuses == [200] * 100
            assert c.request().status == 429
            assert c.request().status == 429  # the connection stays open after a deny, as with HAProxy
        assert get("127.0.0.1", p["PORT"]).status == 429          # a new connection: the same source
        assert get_from("127.0.0.2", p["PORT"]).status == 200     # another source has its own counter
        shown = rpc(proc, "ShowTable", {"table": "http_front", "key": "127.0.0.1"})
        [e] = shown["entries"]
        assert e["key"]["ip"] == ip_key("127.0.0.1")
        [rate] = [d for d in e["data"] if d["type"] == "DATA_TYPE_HTTP_REQ_RATE"]
        assert int(rate["value"]) == 103


def test_seed_connection_limit(workdir, backends):
    """conn_front: more than 50 requests in progress from one source get 429."""
    proc, p = seed(workdir, "s002_stick_tables.cfg", backends[:2])
    with proc:
        conns = [Connection("127.0.0.1", p["PORT2"]) for _ in range(51)]
        try:
            for c in conns[:50]:
                c.send(b"GET /slow/3000 HTTP/1.1\r\nHost: x\r\n\r\n")
            wait_for(lambda: sum(1 for b in backends[:2] for r in b.received() if r.target == "/slow/3000") == 50,
                     what="50 requests in progress")
            assert conns[50].request().status == 429
            assert all(c.read_response().status == 200 for c in conns[:50])
            # They ended: conn_cur is back under the limit and requests pass again.
            assert get("127.0.0.1", p["PORT2"]).status == 200
        finally:
            for c in conns:
                c.close()


def test_seed_stick_on_src_keeps_a_client_on_its_server(workdir, backends):
    proc, p = seed(workdir, "s002_stick_tables.cfg", backends[:2])
    with proc:
        first = get("127.0.0.1", p["PORT"]).header("X-Backend")
        assert {get("127.0.0.1", p["PORT"]).header("X-Backend") for _ in range(6)} == {first}
        other = get_from("127.0.0.2", p["PORT"]).header("X-Backend")
        assert other != first  # roundrobin gave the next source the next server, and it sticks
        assert {get_from("127.0.0.2", p["PORT"]).header("X-Backend") for _ in range(4)} == {other}
        shown = rpc(proc, "ShowTable", {"table": "app_servers"})
        stuck = {e["key"]["ip"]: e["serverName"] for e in shown["entries"]}
        assert stuck == {ip_key("127.0.0.1"): first, ip_key("127.0.0.2"): other}


# ---- abusers: the s003 seeds -------------------------------------------------------

def short_expire(text):
    return text.replace("expire 2m", "expire 2s")


def test_seed_abuser_is_denied_then_allowed_after_expiry(workdir, backends):
    """conn_rate(3s) above 60 flags the source (gpc0); flagged, it is denied
    until the entry expires (2m in the seed, 2s here), then allowed."""
    proc, p = seed(workdir, "s003_abuser.cfg", backends[:1], edit=short_expire)
    with proc:
        with Connection("127.0.0.1", p["PORT"]) as c:
            statuses = [c.request().status for _ in range(62)]  # a deny keeps the connection (HAProxy does)
        assert statuses == [200] * 60 + [403, 403]
        assert get("127.0.0.1", p["PORT"]).status == 403
        shown = rpc(proc, "ShowTable", {"table": "mywebsite", "key": "127.0.0.1"})
        [gpc0] = [d for d in shown["entries"][0]["data"] if d["type"] == "DATA_TYPE_GPC0"]
        assert int(gpc0["value"]) >= 1
        # Still denied while the entry lives, even at a slow pace...
        time.sleep(1.0)
        assert get("127.0.0.1", p["PORT"]).status == 403
        assert get_from("127.0.0.2", p["PORT"]).status == 200  # only that source
        # ...and each denied request refreshes the entry: wait it out.
        time.sleep(2.5)
        assert get("127.0.0.1", p["PORT"]).status == 200


def test_exact_abuser_seed_flags_for_two_minutes(workdir, backends):
    proc, p = seed(workdir, "s003_abuser.cfg", backends[:1])
    with proc:
        with Connection("127.0.0.1", p["PORT"]) as c:
            statuses = [c.request().status for _ in range(61)]
        assert statuses[-1] == 403 and statuses.count(200) == 60
        shown = rpc(proc, "ShowTable", {"table": "mywebsite", "key": "127.0.0.1"})
        [e] = shown["entries"]
        assert 110_000 < int(e["expireInMs"]) <= 120_000  # two minutes
        assert get("127.0.0.1", p["PORT"]).status == 403


def whitelist_local(text):
    # The seed whitelists 192.0.2.10; loopback tests whitelist 127.0.0.2.
    return short_expire(text).replace("acl whitelisted src 192.0.2.10", "acl whitelisted src 127.0.0.2")


def test_seed_whitelist_errors_flag_others_never_the_whitelisted(workdir, backends):
    """http_err_rate(5s) above 10 flags a source; a whitelisted one is always allowed."""
    proc, p = seed(workdir, "s003_whitelist.cfg", backends[:1], edit=whitelist_local)
    with proc:
        with Connection("127.0.0.1", p["PORT"]) as c:
            statuses = [c.request("GET", "/status/404").status for _ in range(12)]
        assert statuses[:11] == [404] * 11 and statuses[11] == 403
        assert get("127.0.0.1", p["PORT"]).status == 403  # flagged
        for _ in range(15):
            assert get_from("127.0.0.2", p["PORT"], "/status/404").status == 404
        assert get_from("127.0.0.2", p["PORT"]).status == 200  # whitelisted: never denied
        shown = rpc(proc, "ShowTable", {"table": "mywebsite", "key": "127.0.0.2"})
        [err] = [d for d in shown["entries"][0]["data"] if d["type"] == "DATA_TYPE_HTTP_ERR_RATE"]
        assert int(err["value"]) == 15  # counted all the same


def test_exact_whitelist_seed(workdir, backends):
    proc, p = seed(workdir, "s003_whitelist.cfg", backends[:1])
    with proc:
        with Connection("127.0.0.1", p["PORT"]) as c:
            statuses = [c.request("GET", "/status/404").status for _ in range(12)]
        assert statuses[-1] == 403
        assert get("127.0.0.1", p["PORT"]).status == 403


# ---- stickiness across DOWN/UP ------------------------------------------------------

def sticky(workdir, backends, extra=""):
    port = free_port()
    cfg = DEFAULTS + (f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
                      "backend farm\n    balance roundrobin\n    option httpchk GET /health\n"
                      "    stick-table type ip size 1k expire 30m\n    stick on src\n" + extra +
                      f"    server s1 {backends[0].address} check inter 100ms fall 1 rise 1\n"
                      f"    server s2 {backends[1].address} check inter 100ms fall 1 rise 1\n")
    return BalancerProcess(workdir, cfg, ports=[port]), port


def state_of(proc, server):
    out = run([binary("tandemctl"), "--balancer-socket", proc.socket, "--json", "servers", "farm"]).stdout
    return next(s["state"] for s in json.loads(out)["servers"] if s["name"] == server)


def test_sticky_server_down_without_redispatch_is_503_and_it_comes_back(workdir, backends):
    proc, port = sticky(workdir, backends)
    with proc:
        assert get("127.0.0.1", port).header("X-Backend") == "app1"
        backends[0].set_health(500)
        wait_for(lambda: state_of(proc, "s1") == "DOWN", what="s1 DOWN")
        assert get("127.0.0.1", port).status == 503
        assert get_from("127.0.0.2", port).header("X-Backend") == "app2"  # new clients are served
        backends[0].set_health(200)
        wait_for(lambda: state_of(proc, "s1") == "UP", what="s1 UP")
        assert [get("127.0.0.1", port).header("X-Backend") for _ in range(3)] == ["app1"] * 3


def test_sticky_server_down_with_redispatch_moves_the_key(workdir, backends):
    proc, port = sticky(workdir, backends, extra="    option redispatch\n")
    with proc:
        assert get("127.0.0.1", port).header("X-Backend") == "app1"
        backends[0].set_health(500)
        wait_for(lambda: state_of(proc, "s1") == "DOWN", what="s1 DOWN")
        r = get("127.0.0.1", port)
        assert r.status == 200 and r.header("X-Backend") == "app2"
        backends[0].set_health(200)
        wait_for(lambda: state_of(proc, "s1") == "UP", what="s1 UP")
        # The entry was updated: the client stays on its new server.
        assert [get("127.0.0.1", port).header("X-Backend") for _ in range(3)] == ["app2"] * 3
        [e] = rpc(proc, "ShowTable", {"table": "farm"})["entries"]
        assert e["serverName"] == "s2"


def try_get(port):
    try:
        return get("127.0.0.1", port, timeout=2).status
    except Exception:
        return None  # closed at once (rejected)


def test_stick_in_tcp_mode(workdir, backends):
    port = free_port()
    cfg = ("defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n"
           f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
           "    stick-table type ip size 1k expire 30s store conn_cur,conn_cnt\n"
           "    tcp-request connection track-sc1 src\n"
           "    tcp-request connection reject if { sc1_conn_cur gt 2 }\n"
           "backend farm\n    balance roundrobin\n    stick-table type ip size 1k expire 30m\n    stick on src\n"
           f"    server s1 {backends[0].address}\n    server s2 {backends[1].address}\n")
    with BalancerProcess(workdir, cfg, ports=[port]) as proc:
        def conn_cur():
            entries = rpc(proc, "ShowTable", {"table": "web"})["entries"]
            return sum(int(d["value"]) for e in entries for d in e["data"] if d["type"] == "DATA_TYPE_CONN_CUR")
        # The harness's readiness probes are tracked too: let their tunnels close.
        wait_for(lambda: conn_cur() == 0, what="the probes' tunnels closed")
        got = set()
        for _ in range(4):
            got.add(get("127.0.0.1", port).header("X-Backend"))
            wait_for(lambda: conn_cur() == 0, what="the tunnel closed")
        assert len(got) == 1
        held = [Connection("127.0.0.1", port) for _ in range(2)]
        try:
            for c in held:
                assert c.request().header("X-Backend") in got
            assert try_get(port) is None  # a third at once: rejected
        finally:
            for c in held:
                c.close()
        wait_for(lambda: try_get(port) == 200, what="conn_cur back under the limit")
        [e] = rpc(proc, "ShowTable", {"table": "web"})["entries"]
        [cnt] = [d for d in e["data"] if d["type"] == "DATA_TYPE_CONN_CNT"]
        assert int(cnt["value"]) >= 8


# ---- the admin API ------------------------------------------------------------------

def test_table_show_clear_set_through_the_admin_api(workdir, backends):
    proc, p = seed(workdir, "s002_stick_tables.cfg", backends[:2])
    with proc:
        for _ in range(5):
            get("127.0.0.1", p["PORT"])
        get_from("127.0.0.2", p["PORT"])
        tables = {t["name"]: t for t in rpc(proc, "ListTables")["tables"]}
        assert set(tables) == {"http_front", "conn_front", "app_servers"}
        assert int(tables["http_front"]["entries"]) == 2
        # show with a data filter (HAProxy's `show table T data.http_req_rate gt 3`)
        shown = rpc(proc, "ShowTable", {"table": "http_front",
                                        "filter": {"type": "DATA_TYPE_HTTP_REQ_RATE", "op": "OP_GT", "value": 3}})
        assert [e["key"]["ip"] for e in shown["entries"]] == [ip_key("127.0.0.1")]
        # clear one key: its counter starts over (an entry still tracked by a
        # request just ending is kept, as HAProxy: ask again)
        wait_for(lambda: int(rpc(proc, "ClearTable", {"table": "http_front", "key": "127.0.0.1"})["removed"]) == 1,
                 what="the key cleared")
        assert rpc(proc, "ShowTable", {"table": "http_front", "key": "127.0.0.1"})["entries"] == []
        # set: send 127.0.0.1 to the other server
        now = get("127.0.0.1", p["PORT"]).header("X-Backend")
        other = "app2" if now == "app1" else "app1"
        e = rpc(proc, "SetTableEntry", {"table": "app_servers", "key": "127.0.0.1", "serverName": other})
        assert e["serverName"] == other
        assert {get("127.0.0.1", p["PORT"]).header("X-Backend") for _ in range(3)} == {other}
        # set a counter: 127.0.0.1 is over the limit at once
        rpc(proc, "SetTableEntry", {"table": "http_front", "key": "127.0.0.1",
                                    "data": [{"type": "DATA_TYPE_HTTP_REQ_RATE", "value": 500}]})
        assert get("127.0.0.1", p["PORT"]).status == 429
        # clear a whole table
        removed = int(rpc(proc, "ClearTable", {"table": "http_front"})["removed"])
        assert removed >= 1
        wait_for(lambda: int(rpc(proc, "ClearTable", {"table": "http_front"})["removed"]) == 0 and
                 rpc(proc, "ShowTable", {"table": "http_front"})["entries"] == [], what="the table empty")
        assert get("127.0.0.1", p["PORT"]).status == 200


def test_replicated_table_is_served_to_peersync(workdir, backends):
    port = free_port()
    cfg = ("peers mypeers\n    peer node1 127.0.0.1:10000\n    peer node2 127.0.0.1:10001\n" + DEFAULTS +
           f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
           "backend farm\n    stick-table type ip size 1k expire 30m peers mypeers\n    stick on src\n"
           f"    server s1 {backends[0].address}\n    server s2 {backends[1].address}\n")
    with BalancerProcess(workdir, cfg, ports=[port]) as proc:
        server = get("127.0.0.1", port).header("X-Backend")
        listed = rpc(proc, "StickTables.ListTables")
        [t] = listed["tables"]
        assert t["name"] == "farm" and t["peers"] == "mypeers"
        batch = rpc(proc, "StickTables.Watch", {"peerNode": "node2"})
        assert batch["snapshotBegin"] is True
        [e] = batch["entries"]
        assert e["key"]["ip"] == ip_key("127.0.0.1") and e["serverName"] == {"app1": "s1", "app2": "s2"}[server]


# ---- configuration errors -----------------------------------------------------------

@pytest.mark.parametrize("body,line,message", [
    ("backend b\n    stick-table type ip size 1k peers nowhere\n", 8, "no peers section named 'nowhere'"),
    ("frontend f\n    bind 127.0.0.1:1\n    http-request track-sc0 src table nope\n    default_backend b\n"
     "backend b\n", 9, "no stick-table named 'nope'"),
    ("frontend f\n    bind 127.0.0.1:1\n    http-request track-sc0 src\n    default_backend b\nbackend b\n", 9,
     "this proxy has no stick-table"),
    ("backend b\n    stick on src\n", 8, "this backend has no stick-table"),
    ("backend b\n    stick-table type ip size 1k\n    stick-table type ip size 2k\n", 9, "already declares a stick-table"),
    ("backend b\n    stick-table type ip size 1k\n    stick on src table zz\n", 9, "no stick-table named 'zz'"),
    ("frontend f\n    bind 127.0.0.1:1\n    acl x sc0_http_req_rate(t2) gt 1\n    default_backend b\nbackend b\n", 9,
     "no stick-table named 't2'"),
])
def test_config_errors_name_file_and_line(workdir, body, line, message):
    path = workdir / "bad.cfg"
    path.write_text(DEFAULTS + "    timeout queue 1s\n" + body)
    r = run([binary("tandem-balancer"), "-c", "-f", path])
    assert r.returncode == 1
    assert r.stderr.startswith(f"{path}:{line}: "), r.stderr
    assert message in r.stderr, r.stderr


def test_a_table_of_another_proxy(workdir, backends):
    port = free_port()
    cfg = (DEFAULTS + f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
           "    http-request track-sc2 src table counts\n"
           "    http-request deny deny_status 429 if { sc2_http_req_cnt gt 3 }\n"
           "backend counts\n    stick-table type ip size 1k expire 1m store http_req_cnt\n"
           f"backend farm\n    server s1 {backends[0].address}\n")
    with BalancerProcess(workdir, cfg, ports=[port]):
        assert [get("127.0.0.1", port).status for _ in range(4)] == [200, 200, 200, 429]


def test_sc_inc_gpc0_action_and_content_tracking(workdir, backends):
    """`http-request sc-inc-gpc0(0)` counts; `tcp-request content track-sc1`
    in an HTTP frontend tracks per request (conn_cnt counts requests)."""
    port = free_port()
    cfg = (DEFAULTS + f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
           "    stick-table type ip size 1k expire 1m store gpc0,conn_cnt,conn_cur\n"
           "    tcp-request content track-sc1 src\n"
           "    http-request sc-inc-gpc0(1) if { path_beg /bad }\n"
           "    http-request deny deny_status 403 if { sc1_get_gpc0 ge 2 }\n"
           f"backend farm\n    server s1 {backends[0].address}\n")
    with BalancerProcess(workdir, cfg, ports=[port]) as proc:
        with Connection("127.0.0.1", port) as c:
            assert [c.request("GET", t).status for t in ("/ok", "/bad", "/ok", "/bad", "/ok")] == [200, 200, 200, 403, 403]
        [e] = rpc(proc, "ShowTable", {"table": "web"})["entries"]
        data = {d["type"]: int(d["value"]) for d in e["data"]}
        assert data["DATA_TYPE_GPC0"] == 2 and data["DATA_TYPE_CONN_CNT"] == 5 and data["DATA_TYPE_CONN_CUR"] == 0


# ---- keys from text samples, other tables, table_* converters ------------------------
# Each scenario runs against tandem and, when installed, HAProxy 2.6 with the
# same file: the statuses must be the expected ones for both.

def against_both(workdir, make_cfg, scenario, expected):
    port = free_port()
    with BalancerProcess(workdir, make_cfg(port), ports=[port]) as proc:
        assert scenario(port) == expected
        tandem = proc
        shown = {t: rpc(proc, "ShowTable", {"table": t})["entries"]
                 for t in [x["name"] for x in rpc(tandem, "ListTables")["tables"]]}
    if shutil.which("haproxy"):
        port = free_port()
        path = workdir / "haproxy.cfg"
        path.write_text(make_cfg(port))
        ha = Daemon(["haproxy", "-db", "-f", path], name="haproxy")
        try:
            wait_for_port("127.0.0.1", port, ha)
            assert scenario(port) == expected, "HAProxy disagrees"
        finally:
            ha.stop()
    return shown


def test_text_samples_key_ip_and_integer_tables(workdir, backends):
    """req.hdr(x-forwarded-for) keys an ip table (its last value, ":port"
    ignored), url_param(id) an integer table ("7abc" is 7, "x" is 0); what
    does not convert ("unknown", an empty id) is not tracked and never denied."""
    def cfg(port):
        return (DEFAULTS + f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
                "    stick-table type ip size 1k expire 1m store http_req_cnt\n"
                "    http-request track-sc0 req.hdr(x-forwarded-for)\n"
                "    http-request track-sc1 url_param(id) table ids\n"
                "    http-request deny deny_status 429 if { sc_http_req_cnt(0) gt 2 }\n"
                "    http-request deny deny_status 403 if { sc_http_req_cnt(1) gt 1 }\n"
                "backend ids\n    stick-table type integer size 1k expire 1m store http_req_cnt\n"
                f"backend farm\n    server s1 {backends[0].address}\n")

    def scenario(port):
        xff = lambda v: get("127.0.0.1", port, headers={"X-Forwarded-For": v}).status
        out = [xff("198.51.100.1, 203.0.113.5") for _ in range(3)]
        out += [xff("203.0.113.5:4000"), xff("198.51.100.1"), xff("unknown"), xff("unknown"), xff("unknown")]
        out += [get("127.0.0.1", port, t).status for t in ("/?id=7", "/?id=7abc", "/?id=8", "/?id=x", "/?id=y",
                                                             "/?id=", "/?id=", "/?id=")]
        return out

    shown = against_both(workdir, cfg, scenario,
                         [200, 200, 429, 429, 200, 200, 200, 200] + [200, 403, 200, 200, 403, 200, 200, 200])
    assert sorted(e["key"]["ip"] for e in shown["web"]) == sorted([ip_key("203.0.113.5"), ip_key("198.51.100.1")])
    assert sorted(int(e["key"]["integer"]) for e in shown["ids"]) == [0, 7, 8]


def test_sc_fetches_and_table_converters_on_another_table(workdir, backends):
    """sc0_get_gpc0(abuse) reads the key tracked by sc0 in table `abuse`;
    req.hdr(x-client),table_gpc0(abuse) reads any key there."""
    def cfg(port):
        return (DEFAULTS + f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
                "    stick-table type ip size 1k expire 1m store http_req_cnt\n"
                "    http-request track-sc0 src\n"
                "    http-request track-sc1 src table abuse if { path_beg /bad }\n"
                # abuse does not store http_req_cnt: 0 while the key is absent, no sample once present
                "    http-request deny deny_status 410 if { path /probe } { sc_http_req_cnt(0,abuse) -m found }\n"
                "    http-request sc-inc-gpc0(1) if { path_beg /bad }\n"
                "    http-request deny deny_status 403 if { sc0_get_gpc0(abuse) ge 2 }\n"
                "    http-request deny deny_status 404 if { req.hdr(x-client),table_gpc0(abuse) ge 1 }\n"
                "backend abuse\n    stick-table type ip size 1k expire 1m store gpc0\n"
                f"backend farm\n    server s1 {backends[0].address}\n")

    def scenario(port):
        out = [get_from("127.0.0.3", port, "/probe").status]
        out += [get_from("127.0.0.1", port, t).status for t in ("/ok", "/bad", "/probe", "/ok", "/bad", "/ok")]
        out += [get_from("127.0.0.2", port, "/", headers=h).status
                for h in ({"X-Client": "127.0.0.1"}, {}, {"X-Client": "127.0.0.2"}, {"X-Client": "nonsense"})]
        return out

    shown = against_both(workdir, cfg, scenario, [410] + [200, 200, 200, 200, 403, 403] + [404, 200, 200, 200])
    [e] = shown["abuse"]
    assert e["key"]["ip"] == ip_key("127.0.0.1")
    assert {d["type"]: int(d["value"]) for d in e["data"]}["DATA_TYPE_GPC0"] == 2


# Every data type Tandem stores, listed in reverse of HAProxy's order.
ALL_TYPES_REVERSED = ("gpc1_rate(10s),gpc1,bytes_out_rate(10s),bytes_out_cnt,bytes_in_rate(10s),bytes_in_cnt,"
                      "http_err_rate(10s),http_err_cnt,http_req_rate(10s),http_req_cnt,sess_rate(10s),sess_cnt,"
                      "conn_cur,conn_rate(10s),conn_cnt,gpc0_rate(10s),gpc0,server_id")


def shown_data_names(sock):
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sock))
    s.sendall(b"show table web\n")
    out = b""
    while chunk := s.recv(65536):
        out += chunk
    s.close()
    [entry] = [l for l in out.decode().splitlines() if "key=127.0.0.4 " in l]
    return [w.split("=")[0] for w in entry.split()[4:]]


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_show_table_prints_data_in_haproxys_order(workdir):
    """`show table` lists an entry's data in HAProxy's order whatever the
    order of `store`, as HAProxy 2.6 prints them (dump-comparing scripts)."""
    def cfg(port, sock):
        return (f"global\n    stats socket {sock} level admin\n" + DEFAULTS +
                f"frontend web\n    bind 127.0.0.1:{port}\n"
                f"    stick-table type ip size 1k expire 1m store {ALL_TYPES_REVERSED}\n"
                "    tcp-request connection track-sc0 src\n    http-request return status 200\n")
    names = []
    for proxy in ("tandem", "haproxy"):
        port, sock = free_port(), workdir / f"{proxy}.sock"
        (workdir / f"{proxy}.cfg").write_text(cfg(port, sock))
        proc = (BalancerProcess(workdir, cfg(port, sock), ports=[port]) if proxy == "tandem"
                else Daemon(["haproxy", "-db", "-f", workdir / f"{proxy}.cfg"], name="haproxy"))
        with proc:
            wait_for_port("127.0.0.1", port, proc)
            with socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.4", 0)) as c:
                c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert c.recv(65536).startswith(b"HTTP/1.1 200")
            wait_for(lambda: sock.exists(), what="the stats socket")
            names.append(shown_data_names(sock))
    assert names[0] == names[1]
    assert names[0][:4] == ["server_id", "gpc0", "gpc0_rate(10000)", "conn_cnt"]
