"""tandemctl against real daemons on one node: tandem-balancer and
tandem-vrrpd (its instance on an interface that does not exist, so it waits in
FAULT and touches nothing on this machine), and fake_cluster standing in for
peersync's Cluster service. Human tables are compared with golden files, --json
documents with docs/tandemctl.schema.json, and every error path is checked:
daemons not running, stale sockets, unknown names, a peer unreachable or behind.
The vrrpd parts that need a real LAN (MASTER, failover) are in
tests/e2e/test_tandemctl.py."""

import json
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from backend import Backend
from harness import BUILD_DIR, BalancerProcess, Daemon, binary, free_port, run, wait_for, wait_for_socket
from tandemctl import check_golden, check_schema, ctl, ctl_json

GOLDEN = Path(__file__).resolve().parent / "golden"

VRRPD_CONF = """
vrrp_instance VI_1 {
    state MASTER
    interface tandem-none0
    virtual_router_id 51
    priority 101
    advert_int 2
    virtual_ipaddress {
        198.18.0.100/24
    }
}
"""


def balancer_cfg(port, backends):
    return ("global\n    node lb1\n    nbthread 1\n"
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
            "backend farm\n    balance roundrobin\n    option httpchk GET /health\n"
            f"    server a {backends[0].address} check inter 100ms fall 1 rise 1\n"
            f"    server b {backends[1].address} check inter 100ms fall 1 rise 1\n"
            "backend empty\n")


@pytest.fixture
def backends():
    bs = [Backend(f"app{i}") for i in (1, 2)]
    yield bs
    for b in bs:
        b.close()


class Node:
    """One node's daemons with their sockets in one run directory, as
    /run/tandem is laid out: balancer.sock, vrrpd.sock, peersync.sock."""

    def __init__(self, workdir, backends):
        self.dir = workdir
        self.backends = backends
        self.port = free_port()
        self.daemons = []

    def balancer(self, wait_checks=True):
        d = BalancerProcess(self.dir, balancer_cfg(self.port, self.backends), ports=[self.port], name="balancer")
        self.daemons.append(d)
        wait_for_socket(self.dir / "balancer.sock", d)
        # Both servers' first checks are in: the tables are stable.
        if wait_checks:
            wait_for(lambda: all(s["check"]["status"] == "L7OK" for s in
                                 json.loads(self.ctl("--json", "servers", "farm").stdout)["servers"]), what="checks")
        return d

    def vrrpd(self, text=VRRPD_CONF):
        self.vrrpd_conf = self.dir / "vrrpd.conf"
        self.vrrpd_conf.write_text(text)
        d = Daemon([binary("tandem-vrrpd"), "-f", self.vrrpd_conf, "--admin-socket", self.dir / "vrrpd.sock"],
                   name="tandem-vrrpd")
        self.daemons.append(d)
        wait_for_socket(self.dir / "vrrpd.sock", d)
        def fault():
            # The socket can exist a moment before the daemon answers on it:
            # no JSON yet is "not yet", not a failure.
            out = self.ctl("--json", "vrrp").stdout
            return bool(out.strip()) and json.loads(out)["instances"][0]["state"] == "FAULT"
        wait_for(fault, what="VI_1 in FAULT")
        return d

    def peersync(self, status_text):
        """fake_cluster on peersync.sock, answering `status_text` (a ClusterStatus)."""
        self.cluster_file = self.dir / "cluster.txtpb"
        self.cluster_file.write_text(status_text)
        d = Daemon([BUILD_DIR / "tests" / "integration" / "fake_cluster", self.dir / "peersync.sock",
                    self.cluster_file], name="fake_cluster")
        self.daemons.append(d)
        wait_for(lambda: "ready" in d.output(), what="fake_cluster")
        return d

    def ctl(self, *args):
        return ctl(*args, run_dir=self.dir)

    def subs(self):
        return {str(self.dir): "RUN_DIR", f"127.0.0.1:{self.port}": "LISTENER",
                self.backends[0].address: "APP1", self.backends[1].address: "APP2"}

    def close(self):
        for d in self.daemons:
            d.kill()


@pytest.fixture
def node(workdir, backends):
    n = Node(workdir, backends)
    yield n
    n.close()


def uptime_masked(text):
    """The uptime, and the balancer's count of open sessions: it includes one
    slot reserved by each accept loop (so it is not 0 when idle), which is the
    balancer's business, not tandemctl's."""
    text = re.sub(r"up [0-9a-z]+, ", "up {UPTIME}, ", text)
    text = re.sub(r"\d+ connections?, ", "{N} connections, ", text)
    return re.sub(r"(?m)^(web +http +\S+ +)\d+", lambda m: m.group(1) + "{N}", text)


# A peer that is reachable and in sync; its instance BACKUP behind this node.
PEER_SYNCED = """
local {
  node: "lb1"
  peers { peer: "lb2" address: "198.18.0.2:7400" state: SYNC_STATE_SYNCED inbound_connected: true
          tables { table: "web" state: SYNC_STATE_SYNCED } tables { table: "api" state: SYNC_STATE_SYNCED } }
}
peers {
  node: "lb2" address: "198.18.0.2:7400" reachable: true
  status {
    node: "lb2" version: "0.1.0" balancer_reachable: true balancer_health: "SERVING" vrrpd_reachable: true
    backends { name: "farm" servers_up: 2 servers_total: 2 }
    vrrp_instances { name: "VI_1" interface: "eth0" vrid: 51 state: STATE_BACKUP configured_priority: 100
                     effective_priority: 100 vips: "198.18.0.100/24" master_address: "198.18.0.1" master_priority: 101 }
  }
}
"""

# The same peer, with the web table behind and a configuration difference.
PEER_BEHIND = """
local {
  node: "lb1"
  peers { peer: "lb2" address: "198.18.0.2:7400" state: SYNC_STATE_SYNCING inbound_connected: true
          tables { table: "web" state: SYNC_STATE_SYNCING lag_entries: 1200 lag_ms: 2500 resync_done: 3000
                   resync_total: 4200 }
          tables { table: "api" state: SYNC_STATE_SYNCED } }
}
peers { node: "lb2" address: "198.18.0.2:7400" reachable: true status { node: "lb2" } }
differences { what: "vrrp VI_1 advert_int" local: "500ms" peer: "1s" }
"""

PEER_UNREACHABLE = """
local { node: "lb1" peers { peer: "lb2" address: "198.18.0.2:7400" state: SYNC_STATE_CONNECTING
                            reason: "connect: Connection refused" } }
peers { node: "lb2" address: "198.18.0.2:7400" reachable: false error: "connect: Connection refused" }
"""


def test_status_shows_the_local_node_when_peersync_is_absent(node):
    node.balancer()
    node.vrrpd()
    r = node.ctl("status")
    assert r.returncode == 1, r.stdout + r.stderr
    check_golden(GOLDEN, "status_without_peersync", uptime_masked(r.stdout), node.subs())
    doc = ctl_json("status", definition="status", run_dir=node.dir, expect_rc=1)
    assert doc["peersync"] == {"socket": f"{node.dir}/peersync.sock", "reachable": False,
                               "error": f"peersync is not running (no socket at {node.dir}/peersync.sock)"}
    assert doc["local"]["balancer"]["status"]["ready"] is True
    assert [b["status"] for b in doc["local"]["balancer"]["backends"]] == ["UP", "no servers"]
    assert doc["local"]["vrrpd"]["instances"][0]["state"] == "FAULT"
    assert doc["degraded"] is True and len(doc["problems"]) == 3


def test_status_with_the_peer_through_peersync(node):
    node.balancer()
    node.vrrpd()
    node.peersync(PEER_SYNCED)
    r = node.ctl("status")
    check_golden(GOLDEN, "status_with_peer", uptime_masked(r.stdout), node.subs())
    doc = ctl_json("status", definition="status", run_dir=node.dir)
    peer = doc["peers"][0]
    assert peer["synced"] is True and peer["link"]["state"] == "SYNCED"
    assert peer["status"]["vrrp_instances"][0]["holder"] == "198.18.0.1 (priority 101)"
    # The peer falls behind and the configurations differ: said, and degraded.
    node.cluster_file.write_text(PEER_BEHIND)
    r = node.ctl("status")
    assert r.returncode == 1
    assert "lb2   198.18.0.2:7400  yes        SYNCING  1200 (2s)" in r.stdout
    assert "vrrp VI_1 advert_int  500ms  1s" in r.stdout
    assert "peer lb2 (198.18.0.2:7400): table web SYNCING" in r.stdout
    node.cluster_file.write_text(PEER_UNREACHABLE)
    doc = ctl_json("status", definition="status", run_dir=node.dir, expect_rc=1)
    assert doc["peers"][0]["reachable"] is False and doc["peers"][0]["status"] is None
    assert "peer lb2 (198.18.0.2:7400) is unreachable: connect: Connection refused" in doc["problems"]


def test_status_with_the_only_fault_being_the_vrrp_interface(node, backends):
    """Everything else healthy: the exit status still says degraded (FAULT)."""
    node.balancer()
    node.vrrpd()
    node.peersync(PEER_SYNCED)
    doc = ctl_json("status", definition="status", run_dir=node.dir, expect_rc=1)
    assert [p for p in doc["problems"] if "FAULT" not in p and "empty" not in p] == []


def test_status_with_every_daemon_down(node):
    (node.dir / "balancer.sock").touch()  # a stale file, as a crash leaves
    r = node.ctl("status")
    assert r.returncode == 1
    # No daemon to name the node: the host's name.
    first, rest = r.stdout.split("\n", 1)
    assert first == f"NODE {socket.gethostname()}"
    check_golden(GOLDEN, "status_all_down", rest, node.subs())
    doc = ctl_json("status", definition="status", run_dir=node.dir, expect_rc=1)
    assert not doc["local"]["vrrpd"]["reachable"] and not doc["local"]["balancer"]["reachable"]
    assert doc["local"]["balancer"]["status"] is None


def test_vrrp_instances_with_priority_and_why(node):
    node.vrrpd()
    r = node.ctl("vrrp")
    assert r.returncode == 1  # FAULT
    check_golden(GOLDEN, "vrrp_fault", r.stdout)
    doc = ctl_json("vrrp", definition="vrrp", run_dir=node.dir, expect_rc=1)
    i = doc["instances"][0]
    assert (i["name"], i["vrid"], i["state"], i["configured_priority"]) == ("VI_1", 51, "FAULT", 101)
    assert i["vips"] == ["198.18.0.100/24"] and i["vips_held"] is False and i["advert_interval_ms"] == 2000
    assert i["fault_reason"].startswith("interface tandem-none0")
    r = node.ctl("vrrp", "VI_9")
    assert r.returncode == 2
    assert r.stderr == f"tandemctl: no vrrp_instance named 'VI_9' in the vrrpd at {node.dir}/vrrpd.sock\n"


def run_on_terminal(args, env_extra=None):
    """Runs tandemctl with stdout on a pseudo-terminal; its output."""
    import os
    import pty
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env.update(env_extra or {})
    leader, follower = pty.openpty()
    p = subprocess.Popen([binary("tandemctl"), *map(str, args)], stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    p.wait(10)
    return out.decode()


def test_colour_only_on_a_terminal(node):
    node.vrrpd()
    assert "\x1b[31mFAULT\x1b[0m" in run_on_terminal(["--run-dir", node.dir, "vrrp"])
    assert "\x1b[" not in run_on_terminal(["--run-dir", node.dir, "vrrp"], {"NO_COLOR": "1"})
    assert "\x1b[" not in node.ctl("vrrp").stdout  # a pipe


def test_vrrp_when_vrrpd_is_not_running(node):
    r = node.ctl("vrrp")
    assert r.returncode == 2
    assert r.stderr == f"tandemctl: vrrpd is not running (no socket at {node.dir}/vrrpd.sock)\n"
    d = node.vrrpd()
    d.kill()
    r = node.ctl("vrrp")
    assert r.returncode == 2
    assert r.stderr == f"tandemctl: vrrpd is not running (stale socket at {node.dir}/vrrpd.sock)\n"


def test_json_of_the_balancer_commands_matches_the_schema(node, backends):
    node.balancer()
    r = node.ctl("backends")
    check_golden(GOLDEN, "backends", r.stdout)
    r = node.ctl("servers")
    check_golden(GOLDEN, "servers", r.stdout, node.subs())
    ctl_json("backends", definition="backends", run_dir=node.dir, expect_rc=1)
    ctl_json("servers", definition="servers", run_dir=node.dir, expect_rc=0)
    ctl_json("server", "drain", "farm/a", definition="server", run_dir=node.dir, expect_rc=0)
    ctl_json("health", definition="health", run_dir=node.dir, expect_rc=1)
    r = node.ctl("backends")
    assert "farm     http  roundrobin  1/2      0/0     0         0      degraded" in r.stdout
    r = node.ctl("servers", "nope")
    assert r.returncode == 2 and r.stderr == "tandemctl: no backend named 'nope'\n"


class Events:
    """`tandemctl events` in the background; stdout and stderr read as they come."""

    def __init__(self, node, *args):
        self.out = node.dir / "events.out"
        self.err = node.dir / "events.err"
        self.proc = subprocess.Popen([binary("tandemctl"), "--run-dir", node.dir, *args, "events"],
                                     stdout=self.out.open("w"), stderr=self.err.open("w"))

    def lines(self):
        return self.out.read_text().splitlines()

    def notes(self):
        return self.err.read_text()

    def wait_line(self, pattern, what):
        return wait_for(lambda: next((l for l in self.lines() if re.search(pattern, l)), None), what=what)

    def interrupt(self):
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(5)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_events_follows_both_daemons_until_ctrl_c(node, backends):
    bal = node.balancer()
    node.vrrpd()
    ev = Events(node)
    try:
        wait_for(lambda: "watching the balancer" in ev.notes() and "watching the vrrpd" in ev.notes(),
                 what="both streams")
        backends[0].set_health(500)
        line = ev.wait_line(r"server farm/a", "farm/a going DOWN")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  balancer  server farm/a UP -> DOWN "
                            r"\(Layer7 wrong status, code: 500\)", line), line
        # A new instance on reload: its transitions come through vrrpd's stream.
        node.vrrpd_conf.write_text(VRRPD_CONF + VRRPD_CONF.replace("VI_1", "VI_2").replace(" 51", " 52")
                                   .replace("198.18.0.100", "198.18.0.101"))
        assert node.ctl("reload", "vrrpd").returncode == 0
        line = ev.wait_line(r"vrrpd +VI_2 \w+ -> ", "VI_2's transition")
        assert line.endswith("  vrrpd     VI_2 INIT -> FAULT (interface tandem-none0: not found)"), line
        assert any(l.endswith("  vrrpd     VI_2 tracker tandem-none0 failing (not found), causes FAULT")
                   for l in ev.lines()), ev.lines()
        # The balancer goes away and comes back: said on stderr, and followed again.
        bal.kill()
        wait_for(lambda: "lost the balancer at" in ev.notes(), what="the balancer lost")
        node.balancer(wait_checks=False)
        wait_for(lambda: ev.notes().count("watching the balancer") == 2, what="the balancer followed again")
        backends[1].set_health(500)
        ev.wait_line(r"server farm/b UP -> DOWN", "farm/b going DOWN")
        assert ev.interrupt() == 0
    finally:
        ev.kill()
    assert f"tandemctl: watching the vrrpd at {node.dir}/vrrpd.sock\n" in ev.notes()


def test_events_json_lines_match_the_schema(node, backends):
    node.balancer()
    node.vrrpd()
    ev = Events(node, "--json")
    try:
        wait_for(lambda: "watching the balancer" in ev.notes() and "watching the vrrpd" in ev.notes(),
                 what="both streams")
        backends[0].set_health(500)
        ev.wait_line(r'"type":"server"', "a server event")
        backends[0].set_health(200)
        wait_for(lambda: len(ev.lines()) >= 2, what="a second event")
        assert ev.interrupt() == 0
    finally:
        ev.kill()
    docs = [check_schema(json.loads(l), "event") for l in ev.lines()]
    assert (docs[0]["source"], docs[0]["type"], docs[0]["backend"], docs[0]["server"], docs[0]["from"],
            docs[0]["to"]) == ("balancer", "server", "farm", "a", "UP", "DOWN")


def test_events_with_nothing_to_follow(node):
    r = node.ctl("events")
    assert r.returncode == 2
    assert f"balancer is not running (no socket at {node.dir}/balancer.sock)" in r.stderr
    assert f"vrrpd is not running (no socket at {node.dir}/vrrpd.sock)" in r.stderr
    assert "neither daemon can be reached" in r.stderr


def test_events_with_one_daemon_down_follows_the_other(node, backends):
    node.balancer()
    ev = Events(node)
    try:
        wait_for(lambda: "watching the balancer" in ev.notes(), what="the balancer's stream")
        # Each daemon's stream is followed on its own thread: the two notes come in either order.
        wait_for(lambda: f"vrrpd is not running (no socket at {node.dir}/vrrpd.sock); retrying every second" in ev.notes(),
                 5, what="the note that vrrpd is not running")
        node.vrrpd()
        wait_for(lambda: "watching the vrrpd" in ev.notes(), 5, what="vrrpd followed once it started")
        assert ev.interrupt() == 0
    finally:
        ev.kill()


def test_peers(node):
    r = node.ctl("peers")
    assert r.returncode == 2
    assert r.stderr == f"tandemctl: peersync is not running (no socket at {node.dir}/peersync.sock)\n"
    node.peersync(PEER_SYNCED)
    r = node.ctl("peers")
    assert r.returncode == 0, r.stderr
    check_golden(GOLDEN, "peers_synced", r.stdout)
    ctl_json("peers", definition="peers", run_dir=node.dir, expect_rc=0)
    node.cluster_file.write_text(PEER_BEHIND)
    r = node.ctl("peers")
    assert r.returncode == 1
    check_golden(GOLDEN, "peers_behind", r.stdout)
    node.cluster_file.write_text(PEER_UNREACHABLE)
    r = node.ctl("peers")
    assert r.returncode == 1
    check_golden(GOLDEN, "peers_unreachable", r.stdout)
    doc = ctl_json("peers", definition="peers", run_dir=node.dir, expect_rc=1)
    assert doc["peers"][0]["synced"] is False


def test_reload(node):
    node.balancer()
    node.vrrpd()
    r = node.ctl("reload", "vrrpd")
    assert (r.returncode, r.stdout) == (0, "vrrpd: configuration reloaded\n")
    node.vrrpd_conf.write_text(VRRPD_CONF.replace("virtual_router_id 51", "virtual_router_id 300"))
    r = node.ctl("reload", "vrrpd")
    assert r.returncode == 1
    assert r.stdout.startswith("vrrpd: reload refused, the running configuration stays: ")
    assert f"{node.vrrpd_conf}:5: virtual_router_id: expects a number in 1..255" in r.stdout
    doc = ctl_json("reload", "vrrpd", definition="reload", run_dir=node.dir, expect_rc=1)
    assert doc["ok"] is False and ":5: virtual_router_id" in doc["error"]
    r = node.ctl("reload", "peersync")
    assert r.returncode == 2
    assert r.stderr == f"tandemctl: peersync is not running (no socket at {node.dir}/peersync.sock)\n"
    node.peersync(PEER_SYNCED)
    assert node.ctl("reload", "peersync").stdout == "peersync: configuration reloaded\n"
    (node.dir / "cluster.txtpb.reload-error").write_text("peersync.conf:2: peer: bad address")
    r = node.ctl("reload", "peersync")
    assert r.returncode == 1 and r.stdout.endswith("stays: peersync.conf:2: peer: bad address\n")
    assert node.ctl("reload", "balancer").stdout == "balancer: configuration reloaded\n"
    doc = ctl_json("reload", "balancer", definition="reload", run_dir=node.dir, expect_rc=0)
    assert doc["ok"] is True and doc["daemon"] == "balancer"
    r = node.ctl("reload", "nginx")
    assert r.returncode == 2 and "unknown daemon 'nginx'" in r.stderr


def test_reload_balancer(node):
    """The balancer's Admin.Reload: a file that loads is swapped in; one that
    does not is refused with FILE:LINE and the old one stays (the balancer's
    own reload tests are in test_reload.py)."""
    b = node.balancer()
    r = node.ctl("reload", "balancer")
    assert (r.returncode, r.stdout) == (0, "balancer: configuration reloaded\n")
    cfg = Path(b.config_path)
    good = cfg.read_text()
    cfg.write_text(good + "    frobnicate on\n")
    r = node.ctl("reload", "balancer")
    assert r.returncode == 1
    assert r.stdout.startswith("balancer: reload refused, the running configuration stays: "), r.stdout
    assert f"{cfg}:{len(good.splitlines()) + 1}: frobnicate" in r.stdout, r.stdout
    cfg.write_text(good)


def test_failover_error_paths(node):
    r = node.ctl("failover")
    assert r.returncode == 2
    assert r.stderr == f"tandemctl: vrrpd is not running (no socket at {node.dir}/vrrpd.sock)\n"
    node.vrrpd()
    r = node.ctl("failover")
    assert r.returncode == 1
    assert r.stderr == "tandemctl: failover: no vrrp_instance is MASTER on this node: nothing to hand over\n"
    r = node.ctl("failover", "VI_9")
    assert r.returncode == 2 and "no vrrp_instance named 'VI_9'" in r.stderr
    r = node.ctl("failover", "--timeout", "soon")
    assert r.returncode == 2 and "'soon' is not a number of seconds" in r.stderr
    r = node.ctl("failover", "--now")
    assert r.returncode == 2 and "unknown option '--now'" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["table"], "usage: table show NAME"),
    (["table", "show"], "usage: table show NAME"),
    (["table", "show", "t", "--limit", "0"], "--limit must be a number"),
    (["table", "clear", "t", "--limit", "5"], "unknown option '--limit'"),
    (["vrrp", "a", "b"], "usage: vrrp [INSTANCE]"),
    (["status", "extra"], "usage: status"),
    (["peers", "extra"], "usage: peers"),
    (["events", "extra"], "usage: events"),
    (["reload"], "usage: reload balancer|vrrpd|peersync"),
    (["--frob", "status"], "unknown option '--frob'"),
])
def test_usage_errors(workdir, args, message):
    r = ctl(*args, run_dir=workdir)
    assert r.returncode == 2
    assert message in r.stderr


STICKY_CFG = """
global
    node lb1
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:{port}
    default_backend farm
backend farm
    balance roundrobin
    stick-table type ip size 1000 expire 10m store http_req_cnt,http_req_rate(10s)
    http-request track-sc0 src
    stick on src
    server a {a}
    server b {b}
"""


def test_table_show_and_clear(workdir, backends):
    from httpclient import get
    port = free_port()
    cfg = STICKY_CFG.format(port=port, a=backends[0].address, b=backends[1].address)
    (workdir / "check.cfg").write_text(cfg)
    check = run([binary("tandem-balancer"), "-c", "-f", workdir / "check.cfg"])
    assert check.returncode == 0, check.stderr
    with BalancerProcess(workdir, cfg, ports=[port], name="balancer"):
        r = ctl("table", "show", "farm", run_dir=workdir)
        assert r.returncode == 0, r.stderr
        for _ in range(3):
            get("127.0.0.1", port)
        r = ctl("table", "show", "farm", run_dir=workdir)
        lines = r.stdout.splitlines()
        assert lines[0] == "table farm: type ip, size 1000, expire 10m, 1 entry"
        assert lines[1].split() == ["KEY", "SERVER", "EXPIRES", "ORIGIN", "http_req_cnt", "http_req_rate(10s)"], r.stdout
        key, server, expires, origin, count, rate = lines[2].split()
        assert (key, server, origin, count, rate) == ("127.0.0.1", "a", "lb1", "3", "3"), r.stdout
        assert re.fullmatch(r"9m5\ds|10m", expires), expires
        check_golden(GOLDEN, "table_show", r.stdout.replace(expires, "{EXPIRES}"))
        doc = ctl_json("table", "show", "farm", "--key", "127.0.0.1", definition="table_show", run_dir=workdir,
                       expect_rc=0)
        assert [e["key"] for e in doc["entries"]] == ["127.0.0.1"]
        assert doc["entries"][0]["data"]["http_req_rate"]["rate"] == 3
        r = ctl("table", "show", "nope", run_dir=workdir)
        assert r.returncode == 2 and "nope" in r.stderr
        r = ctl("table", "clear", "farm", "--key", "127.0.0.1", run_dir=workdir)
        assert (r.returncode, r.stdout) == (0, "table farm: removed 1 entry (key 127.0.0.1)\n")
        ctl_json("table", "clear", "farm", definition="table_clear", run_dir=workdir, expect_rc=0)
        r = ctl("table", "show", "farm", run_dir=workdir)
        assert r.stdout == "table farm: type ip, size 1000, expire 10m, 0 entries\n"
