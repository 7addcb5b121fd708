"""Failover time, Tandem against keepalived + HAProxy, in one run.

What is measured: from the moment the master's balancer is killed (kill -9),
or the master's cable is pulled, to the first TCP answer through the VIP from
the backup, seen by a client that connects again and again (5 ms connect
timeout, so a SYN lost to a stale ARP entry costs little).

  - tandem: tandem-vrrpd with track_balancer (weight 0) on tandem-balancer,
    which listens on :80 (TCP mode) in front of the node's TCP listener and
    serves grpc.health.v1 on its admin socket.
  - keepalived + HAProxy: the seeds' keepalived.conf (vrrp_script
    "killall -0 haproxy", interval 2, weight 2, priorities 101/100,
    advert_int 1, VRRPv2) and a tuned one (VRRPv3, advert_int 0.1, script
    interval 1, fall 1). HAProxy listens on :80 in front of the same TCP
    listener. killall sees every PID namespace's processes, so each node runs
    HAProxy under its own name (a symlink haproxy-a / haproxy-b) and its
    script kills -0 that name: the seeds' mechanism, scoped to the node.

Trials: TANDEM_BENCH_TRIALS (default 10) per scenario; median and worst are
printed and written to $TANDEM_BUILD_DIR/vrrpd_failover_bench.json.

Each fault comes after a random pause of up to one period of what detects it
(the script interval, or the advert interval): otherwise every trial, paced by
the previous recovery, would hit the same phase of that period.
"""

import json
import os
import random
import signal
import statistics
import subprocess
import time

from appliance import keepalived_conf
from harness import BUILD_DIR, binary, wait_for, wait_for_socket
from netlab import PYLIB, PYTHON, VIP, Lab, kill_group, state
from vrrpd_lab import instance_conf, start_vrrpd

TRIALS = int(os.environ.get("TANDEM_BENCH_TRIALS", "10"))
PORT = 80
BACKEND = 8080


class Node:
    """One side of the pair: its VRRP daemon and its balancer."""

    def __init__(self, lab, name, workdir):
        self.lab, self.name, self.node, self.workdir = lab, name, lab[name], workdir
        self.balancer = []  # processes that make up "the balancer"
        self.backend = self.node.spawn([PYTHON, "-u", PYLIB / "tcp_answer.py", BACKEND, name], name=f"backend-{name}")
        wait_for(lambda: "ready" in self.backend.output(), 5, what="backend")


class TandemNode(Node):
    def __init__(self, lab, name, workdir, priority, advert):
        super().__init__(lab, name, workdir)
        self.bsock = workdir / f"balancer-{name}.sock"
        self.start_balancer()
        track = f"    track_balancer {{\n        socket {self.bsock}\n        weight 0\n    }}\n"
        conf = instance_conf(priority, "BACKUP", track, version=3, advert=advert)
        self.vrrpd, self.sock = start_vrrpd(self.node, workdir, conf, tag=f"{name}-{advert}")

    def start_balancer(self):
        cfg = self.workdir / f"balancer-{self.name}.cfg"
        cfg.write_text(BALANCER_CFG.format(port=PORT, backend=BACKEND))
        p = self.node.spawn([binary("tandem-balancer"), "-f", cfg, "--admin-socket", self.bsock],
                            name=f"balancer-{self.name}")
        wait_for_socket(self.bsock, p)
        wait_for(lambda: self.node.run(PYTHON, PYLIB / "tcp_client.py", "once", "127.0.0.1", PORT,
                                       check=False).returncode == 0, 5, what="tandem-balancer")
        self.balancer = [p]

    def crash_balancer(self):
        for p in self.balancer:
            os.kill(p.proc.pid, signal.SIGKILL)
        for p in self.balancer:
            p.kill()

    def is_master(self):
        return state(self.sock) == "STATE_MASTER"


# The same TCP service, in HAProxy's language, for both balancers.
BALANCER_CFG = """global
    maxconn 1000
defaults
    mode tcp
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend vip
    bind :{port}
    default_backend local
backend local
    server local 127.0.0.1:{backend}
"""


class KeepalivedNode(Node):
    def __init__(self, lab, name, workdir, priority, tuned):
        super().__init__(lab, name, workdir)
        self.haproxy_name = f"haproxy-{name}"
        link = workdir / self.haproxy_name
        if not link.exists():
            link.symlink_to("/usr/sbin/haproxy")
        self.haproxy_path = link
        self.start_balancer()
        # The seeds' file, with the node's haproxy name, VIP and interface.
        text = keepalived_conf(self.haproxy_name, priority, tuned)
        tag = f"{name}-{'tuned' if tuned else 'seeds'}"
        cfg = workdir / f"keepalived-{tag}.conf"
        cfg.write_text(text)
        self.keepalived = self.node.spawn(
            ["keepalived", "--dont-fork", "--log-console", "--vrrp", "-f", cfg, "-p", workdir / f"k-{tag}.pid",
             "-r", workdir / f"kv-{tag}.pid"], name=f"keepalived-{tag}")

    def start_balancer(self):
        cfg = self.workdir / f"haproxy-{self.name}.cfg"
        cfg.write_text(BALANCER_CFG.format(port=PORT, backend=BACKEND))
        p = self.node.spawn([self.haproxy_path, "-db", "-f", cfg], name=f"haproxy-{self.name}")
        wait_for(lambda: self.node.run(PYTHON, PYLIB / "tcp_client.py", "once", "127.0.0.1", PORT,
                                       check=False).returncode == 0, 5, what="haproxy")
        self.balancer = [p]

    def crash_balancer(self):
        for p in self.balancer:
            kill_group(p)

    def is_master(self):
        return self.node.has(VIP)


def follow(lab, want):
    """Starts the client; returns it once it has had a first answer from the master."""
    c = lab["c"].spawn([PYTHON, "-u", PYLIB / "tcp_client.py", "follow", VIP, PORT, want], name="client")
    wait_for(lambda: "ready" in c.output(), 10, what="the client reaching the VIP")
    assert "ready a" in c.output(), c.output()
    return c


def answered_at(client, timeout):
    def done():
        lines = client.output().split()
        return client.proc.poll() is not None and len(lines) >= 3 and lines[-1]
    t = wait_for(done, timeout, what="the client's first answer from the backup")
    return float(t)


def settle(lab, a, b, timeout):
    """a master, b backup, the VIP on a only, the client's path through a."""
    wait_for(lambda: a.is_master() and not lab["b"].has(VIP) and lab["a"].has(VIP), timeout,
             what="a master again")
    wait_for(lambda: lab["c"].run(PYTHON, PYLIB / "tcp_client.py", "once", VIP, PORT, check=False).stdout.strip() == "a",
             timeout, what="the client answered by a")


PHASE = random.Random(5798)


def run_trials(lab, a, b, fault, restore, settle_timeout, period):
    times = []
    for _ in range(TRIALS):
        settle(lab, a, b, settle_timeout)
        client = follow(lab, "b")
        time.sleep(PHASE.uniform(0, period))  # a random phase of the detecting period (see above)
        t0 = time.monotonic()
        fault()
        t1 = answered_at(client, 30)
        times.append(t1 - t0)
        client.kill()
        restore()
    return times


def scenario_tandem(workdir, advert):
    with Lab() as lab:
        a = TandemNode(lab, "a", workdir, 150, advert)
        b = TandemNode(lab, "b", workdir, 100, advert)
        crash = run_trials(lab, a, b, a.crash_balancer, a.start_balancer, 10, float(advert))
        link = None
        if advert == "0.1":
            link = run_trials(lab, a, b, lambda: lab.cable("a", False), lambda: lab.cable("a", True), 10, 0.1)
        return crash, link


def scenario_keepalived(workdir, tuned):
    with Lab() as lab:
        a = KeepalivedNode(lab, "a", workdir, 101, tuned)
        b = KeepalivedNode(lab, "b", workdir, 100, tuned)
        crash = run_trials(lab, a, b, a.crash_balancer, a.start_balancer, 20, 1.0 if tuned else 2.0)
        link = None
        if tuned:
            link = run_trials(lab, a, b, lambda: lab.cable("a", False), lambda: lab.cable("a", True), 20, 0.1)
        return crash, link


def summary(name, times):
    return {"scenario": name, "trials": len(times), "median_s": statistics.median(times), "worst_s": max(times),
            "best_s": min(times), "all_s": [round(t, 4) for t in times]}


def test_failover_side_by_side(workdir, capsys):
    results = []
    # Interleaved: Tandem, keepalived, Tandem, keepalived (same machine, same minutes).
    crash, link = scenario_tandem(workdir, "0.1")
    results += [summary("tandem: balancer kill -9, advert_int 0.1", crash), summary("tandem: link down, advert_int 0.1", link)]
    kcrash, klink = scenario_keepalived(workdir, tuned=True)
    results += [summary("keepalived+haproxy tuned: haproxy kill -9 (v3, advert_int 0.1, script 1 s, fall 1)", kcrash),
                summary("keepalived: link down, advert_int 0.1", klink)]
    crash1, _ = scenario_tandem(workdir, "1")
    results.append(summary("tandem: balancer kill -9, advert_int 1", crash1))
    scrash, _ = scenario_keepalived(workdir, tuned=False)
    results.append(summary("keepalived+haproxy seeds: haproxy kill -9 (v2, advert_int 1, script 2 s)", scrash))

    (BUILD_DIR / "vrrpd_failover_bench.json").write_text(json.dumps(results, indent=2))
    with capsys.disabled():
        print(f"\n{'scenario':<95} {'n':>3} {'median':>9} {'worst':>9} {'best':>9}")
        for r in results:
            print(f"{r['scenario']:<95} {r['trials']:>3} {r['median_s'] * 1000:>7.1f}ms {r['worst_s'] * 1000:>7.1f}ms "
                  f"{r['best_s'] * 1000:>7.1f}ms")
    assert all(r["trials"] == TRIALS for r in results)
