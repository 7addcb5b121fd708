"""tandem-vrrpd in a namespace LAN: nodes a (198.18.0.1) and b (198.18.0.2)
share VIP 198.18.0.100; c (198.18.0.9) is a client. advert_int is 0.1 s so
that every failover here takes well under a second."""

import json
import signal
import subprocess
import time

import pytest

from harness import BUILD_DIR, binary, wait_for, wait_for_socket
from netlab import PYLIB, PYTHON, VIP, Lab, admin, instance, state
from vrrpd_lab import instance_conf, start_vrrpd

MASTER, BACKUP, FAULT = "STATE_MASTER", "STATE_BACKUP", "STATE_FAULT"


@pytest.fixture
def lab():
    with Lab() as lab:
        yield lab


def holders(lab):
    return [n for n in ("a", "b") if lab[n].has(VIP)]


def pair(lab, workdir, a_extra="", b_extra="", a_prio=150, b_prio=100, **kw):
    """a (higher priority) and b, a elected."""
    da, sa = start_vrrpd(lab["a"], workdir, instance_conf(a_prio, "MASTER", a_extra, **kw))
    db, sb = start_vrrpd(lab["b"], workdir, instance_conf(b_prio, "BACKUP", b_extra, **kw))
    wait_for(lambda: state(sa) == MASTER and state(sb) == BACKUP, 5, what="a MASTER, b BACKUP")
    wait_for(lambda: holders(lab) == ["a"], 2, what="the VIP on a only")
    return da, sa, db, sb


def client_answer(lab, port=80):
    r = lab["c"].run(PYTHON, PYLIB / "tcp_client.py", "once", VIP, port, check=False)
    return r.stdout.strip() or None


def serve(lab, node, port=80):
    d = lab[node].spawn([PYTHON, "-u", PYLIB / "tcp_answer.py", port, node], name=f"answer-{node}")
    wait_for(lambda: "ready" in d.output(), 5, what=f"tcp_answer on {node}")
    return d


def took(t0, condition, timeout, what):
    wait_for(condition, timeout, interval=0.005, what=what)
    return time.monotonic() - t0


def test_two_nodes_elect_one_master_and_clients_reach_it(lab, workdir):
    _, sa, _, sb = pair(lab, workdir, vip=f"{VIP}/24 label eth0:vip")
    labels = [a.get("label") for link in json.loads(lab["a"].run("ip", "-j", "addr", "show", "dev", "eth0").stdout)
              for a in link["addr_info"] if a["local"] == VIP]
    assert labels == ["eth0:vip"]
    a, b = instance(sa), instance(sb)
    assert a["vipsHeld"] and not b["vipsHeld"]
    assert b["masterAddress"] == "198.18.0.1" and b["masterPriority"] == 150
    assert a["effectivePriority"] == 150 and a["version"] == 3
    assert int(b["counters"]["advertsReceived"]) > 0
    assert [t["to"] for t in a["recentTransitions"]] == ["STATE_BACKUP", MASTER]
    serve(lab, "a"), serve(lab, "b")
    assert client_answer(lab) == "a"
    assert lab["c"].neigh(VIP) == lab["a"].mac()


def test_kill_9_moves_the_vip_and_the_clients_arp_follows(lab, workdir):
    da, sa, _, sb = pair(lab, workdir)
    serve(lab, "a"), serve(lab, "b")
    assert client_answer(lab) == "a"
    t0 = time.monotonic()
    da.signal(signal.SIGKILL)
    # No priority 0 from a dead process: Master_Down_Interval (0.36 s).
    dt = took(t0, lambda: state(sb) == MASTER, 3, "b MASTER")
    assert dt > 0.25, f"b took over after {dt:.3f}s, before Master_Down_Interval"
    wait_for(lambda: lab["c"].neigh(VIP) == lab["b"].mac(), 2, what="the client's ARP entry moving to b")
    # a's VIP is still on a (nobody removed it) but the client goes to b.
    assert client_answer(lab) == "b"
    # A restarted a removes what its predecessor left, and preempts.
    da2, sa2 = start_vrrpd(lab["a"], workdir, instance_conf(150, "MASTER"), tag="a2")
    wait_for(lambda: state(sa2) == MASTER and state(sb) == BACKUP, 5, what="a back as MASTER (preempt)")
    wait_for(lambda: holders(lab) == ["a"], 2, what="the VIP on a only")
    wait_for(lambda: lab["c"].neigh(VIP) == lab["a"].mac(), 2, what="the client's ARP back on a")


def test_sigterm_hands_over_after_skew_time(lab, workdir):
    log = workdir / "notify.log"
    notify = f"    notify \"/bin/sh -c 'echo $* >> {log}' notify\"\n    notify_stop \"/bin/sh -c 'echo stop >> {log}'\"\n"
    da, sa, _, sb = pair(lab, workdir, a_extra=notify)
    t0 = time.monotonic()
    da.signal(signal.SIGTERM)
    dt = took(t0, lambda: state(sb) == MASTER, 2, "b MASTER")
    assert dt < 0.3, f"priority 0 should cost Skew_Time (61 ms), took {dt:.3f}s"
    assert da.proc.wait(5) == 0
    assert holders(lab) == ["b"]
    b = instance(sb)
    assert int(b["counters"]["priorityZeroReceived"]) == 1
    assert "priority 0 advert from 198.18.0.1" in b["recentTransitions"][-1]["reason"]
    # keepalived's notify arguments, in the order of the transitions; the
    # shutdown waits for notify_stop.
    assert log.read_text().splitlines() == ["INSTANCE VI_1 BACKUP 150", "INSTANCE VI_1 MASTER 150", "stop",
                                            "INSTANCE VI_1 STOPPED 150"]


def test_link_down_is_fault_and_link_up_preempts_back(lab, workdir):
    _, sa, _, sb = pair(lab, workdir)
    lab.cable("a", False)
    wait_for(lambda: state(sb) == MASTER, 3, what="b MASTER")
    wait_for(lambda: state(sa) == FAULT, 2, what="a FAULT")
    a = instance(sa)
    assert a["faultReason"] == "interface eth0: no carrier"
    assert not lab["a"].has(VIP)
    lab.cable("a", True)
    wait_for(lambda: state(sa) == MASTER and state(sb) == BACKUP, 5, what="a MASTER again")
    wait_for(lambda: holders(lab) == ["a"], 2, what="the VIP on a only")


def test_a_failing_tracked_script_moves_the_vip(lab, workdir):
    flag = workdir / "a-healthy"
    flag.write_text("")
    script = f"""
vrrp_script healthy {{
    script "/usr/bin/test -e {flag}"
    interval 0.1
    fall 1
    rise 1
}}
"""
    track = "    track_script {\n        healthy\n    }\n"
    da, sa = start_vrrpd(lab["a"], workdir, script + instance_conf(150, "MASTER", track))
    db, sb = start_vrrpd(lab["b"], workdir, instance_conf(100))
    wait_for(lambda: state(sa) == MASTER and state(sb) == BACKUP, 5, what="a elected")
    flag.unlink()
    wait_for(lambda: state(sa) == FAULT, 3, what="a FAULT")
    wait_for(lambda: state(sb) == MASTER, 2, what="b MASTER")
    shares = instance(sa)["priorityShares"]
    assert any(s["tracker"] == "healthy" and s["causesFault"] for s in shares)
    flag.write_text("")
    wait_for(lambda: state(sa) == MASTER, 5, what="a back")


# The real balancer, in TCP mode: a listener on :8081 in front of a tcp_answer
# on 8080 (started by the tests that probe through it).
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


def balancer_conf(workdir, node):
    cfg = workdir / f"balancer-{node}.cfg"
    cfg.write_text(BALANCER_CFG)
    return cfg


def start_balancer(lab, workdir, node):
    sock = workdir / f"balancer-{node}.sock"
    d = lab[node].spawn([binary("tandem-balancer"), "-f", balancer_conf(workdir, node), "--admin-socket", sock],
                        name=f"balancer-{node}")
    wait_for_socket(sock, d)
    return d, sock


def test_the_balancer_dying_moves_the_vip_in_skew_time(lab, workdir):
    bal, bsock = start_balancer(lab, workdir, "a")
    track = f"    track_balancer {{\n        socket {bsock}\n        weight 0\n    }}\n"
    _, sa, _, sb = pair(lab, workdir, a_extra=track)
    assert any(s["kind"] == "TRACKER_KIND_BALANCER" and s["ok"] for s in instance(sa)["priorityShares"])
    t0 = time.monotonic()
    bal.signal(signal.SIGKILL)
    dt = took(t0, lambda: lab["b"].has(VIP), 2, "the VIP on b")
    assert dt < 0.3, f"a balancer crash should cost about Skew_Time, took {dt:.3f}s"
    assert state(sa) == FAULT
    assert "balancer" in instance(sa)["faultReason"]
    # It comes back: a leaves FAULT and preempts.
    start_balancer(lab, workdir, "a")
    wait_for(lambda: state(sa) == MASTER and state(sb) == BACKUP, 5, what="a MASTER again")


def test_a_hung_balancer_is_caught_by_the_data_path_probe(lab, workdir):
    answer = lab["a"].spawn([PYTHON, "-u", PYLIB / "tcp_answer.py", 8080, "a"], name="backend")
    wait_for(lambda: "ready" in answer.output(), 5, what="the backend")
    bal, bsock = start_balancer(lab, workdir, "a")
    track = (f"    track_balancer {{\n        socket {bsock}\n        probe 198.18.0.1:8081\n"
             f"        probe_send \"x\\n\"\n        probe_interval 0.05\n        probe_fall 2\n    }}\n")
    _, sa, _, sb = pair(lab, workdir, a_extra=track)
    # Hung: the kernel still accepts connections, and the Watch stream stays
    # open, but nothing answers.
    bal.signal(signal.SIGSTOP)
    try:
        wait_for(lambda: state(sa) == FAULT, 3, what="a FAULT")
        wait_for(lambda: state(sb) == MASTER, 2, what="b MASTER")
        assert "probe 198.18.0.1:8081" in instance(sa)["faultReason"]
    finally:
        bal.signal(signal.SIGCONT)
    wait_for(lambda: state(sa) == MASTER, 5, what="a back once the balancer answers")


def test_nopreempt_keeps_the_current_master(lab, workdir):
    db, sb = start_vrrpd(lab["b"], workdir, instance_conf(100))
    wait_for(lambda: state(sb) == MASTER, 3, what="b alone becomes MASTER")
    da, sa = start_vrrpd(lab["a"], workdir, instance_conf(150, "BACKUP", "    nopreempt\n"))
    wait_for(lambda: state(sa) == BACKUP, 3, what="a BACKUP")
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        assert state(sb) == MASTER and state(sa) == BACKUP
    assert holders(lab) == ["b"]


def test_unicast_peers(lab, workdir):
    def uni(src, peer):
        return f"    unicast_src_ip {src}\n    unicast_peer {{\n        {peer}\n    }}\n"
    da, sa, db, sb = pair(lab, workdir, a_extra=uni("198.18.0.1", "198.18.0.2"), b_extra=uni("198.18.0.2", "198.18.0.1"))
    assert instance(sb)["unicastPeers"] == ["198.18.0.1"]
    da.signal(signal.SIGTERM)
    wait_for(lambda: state(sb) == MASTER, 2, what="b MASTER")
    assert holders(lab) == ["b"]


def test_a_partition_makes_two_masters_and_healing_leaves_one_with_garp(lab, workdir):
    _, sa, _, sb = pair(lab, workdir)
    client_answer(lab)  # the client has a neighbour entry for the VIP (gratuitous ARP only updates one)
    assert lab["c"].neigh(VIP) == lab["a"].mac()
    lab.isolate(["a", "b"], True)
    wait_for(lambda: state(sb) == MASTER, 3, what="b MASTER too (split brain)")
    assert state(sa) == MASTER
    # b's gratuitous ARPs pulled the client to b.
    wait_for(lambda: lab["c"].neigh(VIP) == lab["b"].mac(), 2, what="the client on b")
    lab.isolate(["a", "b"], False)
    wait_for(lambda: state(sb) == BACKUP, 3, what="b BACKUP after healing")
    assert state(sa) == MASTER
    wait_for(lambda: holders(lab) == ["a"], 2, what="the VIP on a only")
    # a saw a lower-priority master and sent gratuitous ARP: the client is back on a.
    wait_for(lambda: lab["c"].neigh(VIP) == lab["a"].mac(), 2, what="the client back on a")


def send(lab, *args):
    lab["c"].run(PYTHON, PYLIB / "vrrp_packets.py", "send", *[str(a) for a in args])


def test_malformed_and_spoofed_adverts_change_nothing(lab, workdir):
    _, sa, _, sb = pair(lab, workdir)
    # Each would make c (or whoever it claims to be) the master if it were taken.
    send(lab, "198.18.0.9", 51, 255, 254, "--repeat", 3)                  # TTL 254: not on this link
    send(lab, "198.18.0.9", 51, 255, 255, "--bad-checksum", "--repeat", 3)
    send(lab, "198.18.0.1", 51, 0, 255, "--bad-checksum", "--repeat", 3)  # a spoofed "a leaves"
    send(lab, "198.18.0.9", 52, 255, 255, "--repeat", 3)                  # another VRID
    send(lab, "198.18.0.9", 51, 255, 255, "--vips", "", "--repeat", 3)    # zero addresses
    send(lab, "198.18.0.9", 51, 255, 255, "--vips", "198.18.0.99")        # not our VIP
    send(lab, "198.18.0.9", 51, 255, 255, "--version", 2)                 # v2 to a v3 router

    def drops(sock):
        return {d["reason"]: int(d["count"]) for d in instance(sock)["counters"]["drops"]}

    wait_for(lambda: drops(sb).get("address_list") == 1, 2, what="b counting the drops")
    d = drops(sb)
    assert d["ttl"] == 3 and d["checksum"] == 6 and d["vrid"] == 3 and d["version"] == 1
    assert d["address_count"] == 3
    assert drops(sa)["ttl"] == 3
    # Longer than Master_Down_Interval after the spoofed "priority 0": nothing moved.
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        assert state(sa) == MASTER and state(sb) == BACKUP
    assert holders(lab) == ["a"]


def test_failover_and_reload_through_the_admin_api(lab, workdir):
    _, sa, _, sb = pair(lab, workdir)
    watch = subprocess.Popen([str(BUILD_DIR / "tests" / "e2e" / "vrrp_admin"), sb, "watch", "1"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert watch.stdout.readline().strip() == "watching"  # the stream is registered
        assert admin(sa, "failover")["released"] == ["VI_1"]
        wait_for(lambda: state(sb) == MASTER, 2, what="b MASTER")
        out, _ = watch.communicate(timeout=5)
    finally:
        watch.kill()
    event = json.loads(out.splitlines()[0])
    assert event["instance"] == "VI_1" and event["transition"]["to"] == MASTER
    # a does not preempt back: it handed over on purpose.
    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:
        assert state(sa) == BACKUP
    assert admin(sa, "failover", "nope", check=False) is None
    # An unchanged reload: no transition.
    before = len(instance(sb)["recentTransitions"])
    assert admin(sb, "reload")["ok"] is True
    assert state(sb) == MASTER and len(instance(sb)["recentTransitions"]) == before
    # A broken file is refused and the running configuration stays.
    (workdir / "vrrpd-b.conf").write_text("vrrp_instance VI_1 {\n    priority 300\n}\n")
    r = admin(sb, "reload")
    assert r["ok"] is False and "vrrpd-b.conf:2: priority" in r["error"]
    assert state(sb) == MASTER


def test_ipv6_vip_moves_with_unsolicited_na(lab, workdir):
    vip6 = "2001:db8::100"
    for n, a6 in (("a", "2001:db8::1/64"), ("b", "2001:db8::2/64"), ("c", "2001:db8::9/64")):
        lab[n].run("ip", "addr", "add", a6, "dev", "eth0", "nodad")
    da, sa = start_vrrpd(lab["a"], workdir, instance_conf(150, "MASTER", vip=f"{vip6}/64"))
    db, sb = start_vrrpd(lab["b"], workdir, instance_conf(100, vip=f"{vip6}/64"))
    wait_for(lambda: state(sa) == MASTER and state(sb) == BACKUP, 5, what="a elected over IPv6")
    wait_for(lambda: lab["a"].has(vip6), 2, what="the IPv6 VIP on a")
    # A connection attempt makes the client resolve the VIP (an RST is enough).
    connect = f"import socket; s = socket.socket(socket.AF_INET6); s.settimeout(1); s.connect_ex(('{vip6}', 80))"
    lab["c"].run(PYTHON, "-c", connect, check=False)
    assert lab["c"].neigh(vip6) == lab["a"].mac()
    da.signal(signal.SIGTERM)
    wait_for(lambda: state(sb) == MASTER and lab["b"].has(vip6), 2, what="b MASTER over IPv6")
    # b's unsolicited NA (Override) moved the client's entry.
    wait_for(lambda: lab["c"].neigh(vip6) == lab["b"].mac(), 2, what="the client's neighbour entry on b")


def test_no_accept_drops_traffic_to_the_vip_and_accept_serves_it(lab, workdir):
    da, sa, _, sb = pair(lab, workdir, a_extra="    no_accept\n")
    serve(lab, "a"), serve(lab, "b")
    assert instance(sa)["accept"] is False
    # RFC 5798 §6.4.3: a non-owner master in no-accept mode takes nothing addressed to the VIP.
    assert client_answer(lab) is None
    assert "198.18.0.100" in lab["a"].run("nft", "list", "table", "inet", "tandem_vrrpd").stdout
    da.signal(signal.SIGTERM)
    assert da.proc.wait(5) == 0
    assert lab["a"].run("nft", "list", "table", "inet", "tandem_vrrpd", check=False).returncode != 0
    # b (accept, keepalived's default) serves the VIP.
    wait_for(lambda: state(sb) == MASTER, 2, what="b MASTER")
    wait_for(lambda: client_answer(lab) == "b", 3, what="the client answered by b")
