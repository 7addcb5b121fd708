"""The appliance end to end: two nodes each running tandem-balancer and
tandem-vrrpd on a LAN in network namespaces, a client, two HTTP backends
(tests/pylib/appliance.py). Every fault here is one a user's pair meets; every
assertion is what the client behind the VIP sees, plus who holds the VIP.

advert_int is 0.1 s, so failovers take a few hundred milliseconds at most; the
exact figures belong to the failover benchmark (tests/bench)."""

import signal
import time

import pytest

from appliance import BACKUP, FAULT, MASTER, Appliance, backends_seen, now, outage_after
from harness import wait_for


@pytest.fixture
def pair(workdir):
    with Appliance(workdir) as p:
        yield p


def test_the_vip_is_on_the_master_and_requests_through_it_are_balanced_and_sticky(pair):
    assert pair.master() == "a"
    assert pair["b"].state() == BACKUP and not pair["b"].holds_vip()
    # Without cookies: round robin over both backends.
    fresh = [pair.client_get() for _ in range(6)]
    assert sorted(set(fresh)) == ["s1", "s2"], fresh
    # With cookies (a browser): one backend, every time.
    probe = pair.prober(cookies=True)
    probe.wait_answers_after(now(), count=30)
    seen = backends_seen(probe.stop())
    assert len(seen) >= 30 and len(set(seen)) == 1, seen


def test_master_balancer_killed_the_backup_serves_within_a_second_and_the_client_keeps_its_server(pair):
    probe = pair.prober(cookies=True)
    probe.wait_answers_after(now(), count=10)
    before = set(backends_seen(probe.samples()))
    t0 = now()
    pair["a"].kill_balancer(signal.SIGKILL)
    wait_for(lambda: pair.master() == "b", 2, what="b MASTER with the VIP")
    assert pair["a"].state() == FAULT
    probe.wait_answers_after(now(), count=20)
    samples = probe.stop()
    outage, failures = outage_after(samples, t0)
    print(f"balancer crash: no answer for {outage * 1000:.0f} ms ({failures} failed attempts)")
    assert outage < 1.0
    assert set(backends_seen(samples)) == before, "the client changed server"


def test_the_master_balancer_comes_back_and_a_takes_over_again(pair):
    pair["a"].kill_balancer()
    wait_for(lambda: pair.master() == "b", 2, what="b MASTER")
    pair["a"].start_balancer()
    wait_for(lambda: pair.master() == "a", 3, what="a MASTER again (preempt)")
    assert pair.client_get() in ("s1", "s2")


def test_link_loss_then_return_with_preempt(pair):
    pair.lab.cable("a", False)
    t0 = now()
    wait_for(lambda: pair["b"].state() == MASTER and pair["b"].holds_vip(), 2, what="b MASTER")
    took = now() - t0
    print(f"link loss: b MASTER after {took * 1000:.0f} ms")
    assert pair.client_get() in ("s1", "s2")
    pair.lab.cable("a", True)
    wait_for(lambda: pair.master() == "a", 3, what="a MASTER again: higher priority preempts")
    assert pair.client_get() in ("s1", "s2")


def test_link_loss_then_return_with_nopreempt(workdir):
    with Appliance(workdir, nopreempt=True) as pair:
        pair.lab.cable("a", False)
        wait_for(lambda: pair["b"].state() == MASTER and pair["b"].holds_vip(), 2, what="b MASTER")
        pair.lab.cable("a", True)
        wait_for(lambda: pair["a"].state() == BACKUP, 3, what="a back as BACKUP")
        time.sleep(1.0)  # ten advert intervals: a must not take over
        assert pair.master() == "b"
        assert pair.client_get() in ("s1", "s2")


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_vrrpd_killed_on_the_master(pair, signo):
    probe = pair.prober(cookies=True)
    probe.wait_answers_after(now(), count=10)
    t0 = now()
    pair["a"].kill_vrrpd(signo)
    wait_for(lambda: pair["b"].state() == MASTER and pair["b"].holds_vip(), 2, what="b MASTER")
    if signo == signal.SIGTERM:
        # A clean stop says goodbye (priority 0) and gives the VIP back.
        assert not pair["a"].holds_vip()
    probe.wait_answers_after(now(), count=20)
    samples = probe.stop()
    outage, _ = outage_after(samples, t0)
    print(f"vrrpd {signal.Signals(signo).name}: no answer for {outage * 1000:.0f} ms")
    assert outage < 1.0
    assert len(set(backends_seen(samples))) == 1


def test_a_partition_makes_two_masters_and_healing_leaves_one_with_identical_tables(pair):
    wait_for(lambda: peers_synced(pair["a"]) and peers_synced(pair["b"]), 15, what="both peersyncs SYNCED")
    pair.lab.isolate(["a", "b"], True)
    wait_for(lambda: pair["a"].state() == MASTER and pair["b"].state() == MASTER, 3, what="two masters")
    # Each side takes writes of its own while they cannot talk.
    stick_tool("fill", pair["a"].balancer_socket, "app", 500, 0, "s1")
    stick_tool("fill", pair["b"].balancer_socket, "app", 500, 1000, "s2")
    pair.lab.isolate(["a", "b"], False)
    wait_for(lambda: pair.master() == "a", 3, what="exactly one master again, the higher priority")
    assert pair.holders() == ["a"]
    assert pair.client_get() in ("s1", "s2")
    wait_for(lambda: len(entries(pair["a"])) >= 1000 and entries(pair["a"]) == entries(pair["b"]), 30, interval=0.5,
             what="identical tables on a and b after healing")


def test_a_vrrpd_reload_with_new_parameters_causes_no_transition_seen_from_the_peer(pair):
    """keepalived users see a failover on every reload; here an instance whose
    identity (interface, VRID, VIPs) is unchanged is updated in place."""
    from netlab import instance
    b_before = len(instance(str(pair["b"].vrrpd_socket))["recentTransitions"])
    a_before = len(instance(str(pair["a"].vrrpd_socket))["recentTransitions"])
    cfg = pair["a"].dir / "vrrpd.conf"
    cfg.write_text(cfg.read_text().replace("priority 150", "priority 140")
                   .replace("advert_int 0.1", "advert_int 0.2"))
    probe = pair.prober(cookies=True)
    pair["a"].vrrpd.signal(signal.SIGHUP)
    wait_for(lambda: "updated in place" in pair["a"].vrrpd.output(), 3, what="the reload")
    time.sleep(1.0)  # several advert intervals
    samples = probe.stop()
    assert pair.master() == "a"
    assert len(instance(str(pair["a"].vrrpd_socket))["recentTransitions"]) == a_before
    assert len(instance(str(pair["b"].vrrpd_socket))["recentTransitions"]) == b_before
    assert all(b for _, b, _ in samples), "a request failed during the reload"
    # b heard the new interval (v3 adverts carry it) and the new priority.
    peer = instance(str(pair["b"].vrrpd_socket))
    assert peer["masterPriority"] == 140, peer


# --- with tandem-peersync: the stick table follows the VIP ---------------------

def stick_tool(*args, timeout=60):
    from peersync_lab import tool
    import subprocess
    r = subprocess.run([tool("stick_tool"), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"stick_tool {args}: {r.stderr}"
    return r.stdout


def entries(node):
    """The `app` table of a node's balancer, one line per entry."""
    return sorted(stick_tool("dump", node.balancer_socket, "app").splitlines())


def peers_synced(node):
    code, out, _ = node.tandemctl("--json", "peers")
    import json
    doc = json.loads(out) if out.strip() else {}
    return code == 0 and all(p["synced"] for p in doc.get("peers", [])) and doc.get("peers")


def test_a_client_without_cookies_keeps_its_server_across_a_failover_through_the_replicated_table(pair):
    wait_for(lambda: peers_synced(pair["a"]) and peers_synced(pair["b"]), 15, what="both peersyncs SYNCED")
    probe = pair.prober(cookies=False, path="/app")
    probe.wait_answers_after(now(), count=10)
    server = set(backends_seen(probe.samples()))
    assert len(server) == 1, server
    # b learned the client's entry (its source address, the server's name).
    wait_for(lambda: any("198.18.0.9" in e for e in entries(pair["b"])), 5, what="the entry on b")
    t0 = now()
    pair["a"].kill_balancer()
    wait_for(lambda: pair.master() == "b", 2, what="b MASTER")
    probe.wait_answers_after(now(), count=20)
    samples = probe.stop()
    outage, _ = outage_after(samples, t0)
    print(f"balancer crash, stick on src: no answer for {outage * 1000:.0f} ms")
    assert outage < 1.0
    assert set(backends_seen(samples)) == server, "the client changed server"


def test_peersync_killed_and_restarted_mid_traffic_loses_no_entry(pair):
    wait_for(lambda: peers_synced(pair["a"]), 15, what="a's peersync SYNCED")
    stick_tool("fill", pair["a"].balancer_socket, "app", 2000, 0, "s1")
    pair["a"].kill_peersync()
    # Written while a's peersync is dead: must reach b once it is back.
    stick_tool("fill", pair["a"].balancer_socket, "app", 2000, 2000, "s2")
    pair["b"].kill_peersync()
    pair["a"].start_peersync()
    pair["b"].start_peersync()
    wait_for(lambda: entries(pair["a"]) == entries(pair["b"]) and len(entries(pair["b"])) >= 4000, 30, interval=0.5,
             what="identical tables on a and b")
    wait_for(lambda: peers_synced(pair["a"]) and peers_synced(pair["b"]), 15, what="SYNCED again")


def test_a_binary_upgrade_of_the_master_balancer_fails_no_request_and_moves_no_vip(pair):
    """The new balancer takes the old one's sockets, vrrpd's health watch
    moves to it without seeing the old one go, and the stick table comes back
    from the peer through peersync."""
    from netlab import instance
    wait_for(lambda: peers_synced(pair["a"]) and peers_synced(pair["b"]), 15, what="both peersyncs SYNCED")
    stick_tool("fill", pair["a"].balancer_socket, "app", 500, 0, "s1")
    wait_for(lambda: len(entries(pair["b"])) >= 500, 15, interval=0.2, what="the entries on b")
    b_before = len(instance(str(pair["b"].vrrpd_socket))["recentTransitions"])
    a_before = len(instance(str(pair["a"].vrrpd_socket))["recentTransitions"])
    probe = pair.prober(cookies=True)
    probe.wait_answers_after(now(), count=10)
    old = pair["a"].upgrade_balancer()
    assert old.proc.wait(15) == 0, old.output()
    assert "listening socket(s) taken over" in pair["a"].balancer.output(), pair["a"].balancer.output()
    probe.wait_answers_after(now(), count=20)
    samples = probe.stop()
    assert all(b for _, b, _ in samples), [s for s in samples if not s[1]]
    assert pair.master() == "a"
    assert len(instance(str(pair["a"].vrrpd_socket))["recentTransitions"]) == a_before
    assert len(instance(str(pair["b"].vrrpd_socket))["recentTransitions"]) == b_before
    assert "failing" not in pair["a"].vrrpd.output()
    # The new process started with an empty table; b gave it back.
    wait_for(lambda: len(entries(pair["a"])) >= 500, 30, interval=0.5, what="a's table back from b")


def test_tandemctl_status_on_either_node_agrees_with_the_truth(pair):
    import json
    wait_for(lambda: peers_synced(pair["a"]) and peers_synced(pair["b"]), 15, what="both peersyncs SYNCED")

    def roles(node):
        code, out, err = node.tandemctl("--json", "status")
        doc = json.loads(out)
        local = {i["name"]: i["state"] for i in doc["local"]["vrrpd"]["instances"]}
        peer = {i["name"]: i["state"] for p in doc["peers"] if p["status"] for i in p["status"]["vrrp_instances"]}
        return code, local, peer, doc

    for step in ("start", "after failover"):
        truth = {n: pair[n].state() for n in ("a", "b")}
        for me, other in (("a", "b"), ("b", "a")):
            code, local, peer, doc = roles(pair[me])
            assert code == 0, doc["problems"]
            assert f"STATE_{local['VI_1']}" == truth[me] or local["VI_1"] == truth[me].removeprefix("STATE_"), (step, me, doc)
            assert f"STATE_{peer['VI_1']}" == truth[other] or peer["VI_1"] == truth[other].removeprefix("STATE_"), (step, me, doc)
        if step == "start":
            code, out, err = pair["a"].tandemctl("failover", "--wait-synced")
            assert code == 0, out + err
            wait_for(lambda: pair.master() == "b", 3, what="b MASTER after the failover")


def test_failover_wait_synced_under_load_fails_no_request(workdir):
    """The operator's hand-over, back and forth four times under a client
    asking every 10 ms on fresh connections: no request fails, and the client
    keeps its server (stick on src, replicated).

    vrrpd hands over make-before-break: the old master keeps the VIP until
    the new one, holding it and having announced it, advertises. The VIP's
    listener is bound `transparent`: without it a request the old master is
    serving when it lets the VIP go cannot be answered (its source address
    is no longer local) and times out -- about one failover in seven loses
    one request that way (docs/DECISIONS.md, "failover: make before break")."""
    with Appliance(workdir, transparent=True) as pair:
        wait_for(lambda: peers_synced(pair["a"]) and peers_synced(pair["b"]), 15, what="both peersyncs SYNCED")
        probe = pair.prober(cookies=False, path="/app")
        probe.wait_answers_after(now(), count=20)
        t0 = now()
        for old, new in (("a", "b"), ("b", "a"), ("a", "b"), ("b", "a")):
            wait_for(lambda: peers_synced(pair[old]), 15, what=f"{old}'s peersync SYNCED")
            code, out, err = pair[old].tandemctl("failover", "--wait-synced")
            assert code == 0, out + err
            assert f"VI_1: handed over to {pair[new].ns.address}" in out, out
            wait_for(lambda: pair.master() == new, 3, what=f"{new} MASTER")
            probe.wait_answers_after(now(), count=20)
        samples = probe.stop()
    failed = [(round(t - t0, 3), d) for t, b, d in samples if b is None]
    assert not failed, failed
    assert len(set(backends_seen(samples))) == 1
    assert sum(1 for t, b, _ in samples if t > t0) >= 80
