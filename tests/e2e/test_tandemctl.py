"""tandemctl on a real pair in network namespaces: a (198.18.0.1, priority 150
plus a script's +20, tracking its balancer) and b (198.18.0.2, priority 100)
share VIP 198.18.0.100. Each node's sockets are in its own run directory, as
/run/tandem would be. `vrrp` tables are compared with golden files; failover,
failover --wait-synced (peersync's Cluster answered by fake_cluster) and
`events` are checked against what the VIP really does."""

import json
import re
import signal
import subprocess
from pathlib import Path

import pytest

from harness import BUILD_DIR, Daemon, binary, wait_for, wait_for_socket
from netlab import VIP, Lab, state
from tandemctl import check_golden, check_schema, ctl, ctl_json
from vrrpd_lab import instance_conf

GOLDEN = Path(__file__).resolve().parent / "golden"
MASTER, BACKUP = "STATE_MASTER", "STATE_BACKUP"

BALANCER_CFG = """global
    maxconn 100
defaults
    mode tcp
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend data
    bind :8081
    default_backend local
backend local
    server answer 127.0.0.1:8080
"""

SCRIPT = 'vrrp_script chk {\n    script "/bin/true"\n    interval 1\n    weight 20\n}\n'

PEER_BEHIND = """
local { node: "a" peers { peer: "b" address: "198.18.0.2:7400" state: SYNC_STATE_SYNCED inbound_connected: true
        tables { table: "web" state: SYNC_STATE_SYNCED lag_entries: 40 lag_ms: 120 } } }
peers { node: "b" address: "198.18.0.2:7400" reachable: true }
"""
PEER_SYNCED = PEER_BEHIND.replace(" lag_entries: 40 lag_ms: 120", "")


@pytest.fixture
def lab():
    with Lab() as lab:
        yield lab


class Pair:
    def __init__(self, lab, workdir):
        self.lab = lab
        self.dirs = {n: workdir / n for n in ("a", "b")}
        for d in self.dirs.values():
            d.mkdir()
        self.daemons = {}

    def balancer(self, node):
        d = self.dirs[node]
        (d / "balancer.cfg").write_text(BALANCER_CFG)
        p = self.lab[node].spawn([binary("tandem-balancer"), "-f", d / "balancer.cfg", "--admin-socket",
                                  d / "balancer.sock"], name=f"balancer-{node}")
        wait_for_socket(d / "balancer.sock", p)
        self.daemons[f"balancer-{node}"] = p
        return p

    def vrrpd(self, node, text):
        d = self.dirs[node]
        (d / "vrrpd.conf").write_text(text)
        p = self.lab[node].spawn([binary("tandem-vrrpd"), "-f", d / "vrrpd.conf", "--admin-socket",
                                  d / "vrrpd.sock"], name=f"vrrpd-{node}")
        wait_for_socket(d / "vrrpd.sock", p)
        self.daemons[f"vrrpd-{node}"] = p
        return p

    def start(self):
        self.balancer("a")
        track = (f"    track_script {{\n        chk\n    }}\n"
                 f"    track_balancer {{\n        socket {self.dirs['a'] / 'balancer.sock'}\n        weight 0\n    }}\n")
        self.vrrpd("a", SCRIPT + instance_conf(150, "MASTER", track))
        self.vrrpd("b", instance_conf(100, "BACKUP"))
        wait_for(lambda: self.state("a") == "MASTER" and self.state("b") == "BACKUP", 5, what="a MASTER, b BACKUP")
        wait_for(lambda: self.holders() == ["a"], 2, what="the VIP on a")
        wait_for(lambda: self.vrrp("a")["effective_priority"] == 170, 5, what="the script's +20")
        return self

    def peersync(self, node, text):
        f = self.dirs[node] / "cluster.txtpb"
        f.write_text(text)
        p = Daemon([BUILD_DIR / "tests" / "integration" / "fake_cluster", self.dirs[node] / "peersync.sock", f],
                   name=f"fake-cluster-{node}")
        self.lab.processes.append(p)
        wait_for(lambda: "ready" in p.output(), what="fake_cluster")
        return f

    def ctl(self, node, *args, timeout=30):
        return ctl(*args, run_dir=self.dirs[node], timeout=timeout)

    def vrrp(self, node):
        r = self.ctl(node, "--json", "vrrp")
        return json.loads(r.stdout)["instances"][0] if r.stdout else {}

    def state(self, node):
        return self.vrrp(node).get("state")

    def holders(self):
        return [n for n in ("a", "b") if self.lab[n].has(VIP)]


@pytest.fixture
def pair(lab, workdir):
    return Pair(lab, workdir).start()


def test_vrrp_on_both_nodes(pair):
    r = pair.ctl("a", "vrrp")
    assert r.returncode == 0, r.stderr
    check_golden(GOLDEN, "vrrp_master", r.stdout, {pair.dirs["a"]: "RUN_DIR"})
    r = pair.ctl("b", "vrrp")
    assert r.returncode == 0
    check_golden(GOLDEN, "vrrp_backup", r.stdout)
    a = ctl_json("vrrp", definition="vrrp", run_dir=pair.dirs["a"], expect_rc=0)["instances"][0]
    assert (a["state"], a["effective_priority"], a["vips_held"], a["holder"]) == ("MASTER", 170, True, "this node")
    assert [(s["tracker"], s["kind"], s["delta"]) for s in a["priority_shares"]] == \
        [("eth0", "interface", 0), ("chk", "script", 20), (str(pair.dirs["a"] / "balancer.sock"), "balancer", 0)]
    doc = ctl_json("status", definition="status", run_dir=pair.dirs["b"], expect_rc=1)
    assert doc["local"]["vrrpd"]["instances"][0]["holder"] == "198.18.0.1 (priority 170)"


def test_failover_hands_the_vip_to_the_peer_and_events_show_it(pair):
    ev_out = pair.dirs["b"] / "events.out"
    ev_err = pair.dirs["b"] / "events.err"
    ev = subprocess.Popen([binary("tandemctl"), "--run-dir", pair.dirs["b"], "events"],
                          stdout=ev_out.open("w"), stderr=ev_err.open("w"))
    try:
        wait_for(lambda: "watching the vrrpd" in ev_err.read_text(), what="b's events")
        r = pair.ctl("a", "failover")
        assert (r.returncode, r.stdout) == (0, "VI_1: handed over to 198.18.0.2 (priority 100)\n"), r.stderr
        assert pair.holders() == ["b"]
        assert pair.state("a") == "BACKUP" and pair.state("b") == "MASTER"
        line = wait_for(lambda: re.search(r".*  vrrpd     VI_1 BACKUP -> MASTER .*", ev_out.read_text()),
                        what="b's transition in events").group(0)
        assert line.endswith("(priority 0 advert from 198.18.0.1, after Skew_Time)"), line
        ev.send_signal(signal.SIGINT)
        assert ev.wait(5) == 0
    finally:
        if ev.poll() is None:
            ev.kill()
    # Not master any more: nothing to hand over.
    r = pair.ctl("a", "failover")
    assert r.returncode == 1 and "nothing to hand over" in r.stderr


def test_failover_wait_synced_waits_for_the_peer(pair):
    r = pair.ctl("a", "failover", "--wait-synced")
    assert r.returncode == 2
    assert r.stderr == ("tandemctl: failover --wait-synced: peersync is not running "
                        f"(no socket at {pair.dirs['a']}/peersync.sock)\n")
    f = pair.peersync("a", PEER_BEHIND)
    r = pair.ctl("a", "failover", "--wait-synced", "--timeout", "0.5")
    assert r.returncode == 1
    assert r.stderr == ("tandemctl: failover: the peer is not in sync (peer b: 40 changes not yet acknowledged); "
                        "nothing was handed over\n")
    assert pair.holders() == ["a"] and pair.state("a") == "MASTER"
    f.write_text(PEER_SYNCED)
    r = pair.ctl("a", "--json", "failover", "--wait-synced", "VI_1")
    assert r.returncode == 0, r.stderr
    doc = check_schema(json.loads(r.stdout), "failover")
    assert doc == {"released": ["VI_1"], "instances": [{"name": "VI_1", "handed_over": True,
                                                         "new_master": "198.18.0.2 (priority 100)"}]}
    assert pair.holders() == ["b"]


def test_failover_with_no_peer_to_take_over(pair):
    pair.daemons["vrrpd-b"].stop()
    r = pair.ctl("a", "failover", "--timeout", "0.3")
    assert r.returncode == 1
    assert r.stdout == "VI_1: not handed over: no other master was heard within 300ms\n"
    # Make before break: with nobody to take it, a still holds the VIP
    # (four advert intervals, 400 ms), then lets go, and alone takes it back
    # after Master_Down_Interval.
    assert pair.holders() == ["a"]

    def reasons():
        return [(t["from"], t["to"], t["reason"]) for t in pair.vrrp("a")["recent_transitions"]]
    wait_for(lambda: ("MASTER", "BACKUP", "failover: no new master heard within 400 ms") in reasons()[-2:-1]
             and reasons()[-1][:2] == ("BACKUP", "MASTER"), 3, what="a let go, then MASTER again")
    assert pair.holders() == ["a"]


def test_events_show_the_balancer_dying_as_a_fault(pair):
    out = pair.dirs["a"] / "events.out"
    err = pair.dirs["a"] / "events.err"
    ev = subprocess.Popen([binary("tandemctl"), "--run-dir", pair.dirs["a"], "--json", "events"],
                          stdout=out.open("w"), stderr=err.open("w"))
    try:
        wait_for(lambda: "watching the vrrpd" in err.read_text() and "watching the balancer" in err.read_text(),
                 what="both streams")
        pair.daemons["balancer-a"].kill()
        wait_for(lambda: any(json.loads(l).get("to") == "FAULT" for l in out.read_text().splitlines()),
                 what="VI_1 in FAULT")
        wait_for(lambda: "lost the balancer" in err.read_text(), what="the balancer stream lost")
        ev.send_signal(signal.SIGINT)
        assert ev.wait(5) == 0
    finally:
        if ev.poll() is None:
            ev.kill()
    docs = [check_schema(json.loads(l), "event") for l in out.read_text().splitlines()]
    tracker = next(d for d in docs if d["type"] == "tracker")
    assert (tracker["instance"], tracker["kind"], tracker["ok"], tracker["causes_fault"]) == \
        ("VI_1", "balancer", False, True)
    fault = next(d for d in docs if d["type"] == "transition")
    assert (fault["from"], fault["to"]) == ("MASTER", "FAULT")
    r = pair.ctl("a", "vrrp")
    assert r.returncode == 1 and "FAULT" in r.stdout
    wait_for(lambda: pair.holders() == ["b"], 2, what="the VIP on b")
