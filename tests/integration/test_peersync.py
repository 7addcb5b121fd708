"""tandem-peersync between two nodes on 127.0.0.1 (a tandem-balancer and a
tandem-peersync each): replication of a 100k-entry table, deletes, kill -9 and
restart of every process in turn, refused clients, schema mismatch."""

import signal

import pytest

from harness import wait_for
from peersync_lab import (TABLE_LINE, PeerSync, Pki, Node, count, dump, stick, wait_identical)
from harness import free_port
from tandemctl import ctl


@pytest.fixture
def pki(workdir):
    p = Pki(workdir)
    p.certs = {n: p.issue(n) for n in ("lb1", "lb2")}
    return p


class Pair:
    def __init__(self, workdir, pki, tables=None):
        self.workdir, self.pki = workdir, pki
        self.tables = tables or {}
        self.port = {"lb1": free_port(), "lb2": free_port()}
        self.host = {n: Node(workdir, n, **({"tables": self.tables[n]} if n in self.tables else {}))
                     for n in ("lb1", "lb2")}
        self.sync = {n: self.start_sync(n) for n in ("lb1", "lb2")}

    def other(self, n):
        return "lb2" if n == "lb1" else "lb1"

    def tls(self, n):
        crt, key = self.pki.certs[n]
        return (crt, key, self.pki.ca)

    def start_sync(self, n):
        return PeerSync(self.workdir, n, self.port[n], self.other(n), self.port[self.other(n)],
                        self.host[n].socket, self.tls(n))

    def restart_host(self, n):
        self.host[n] = Node(self.workdir, n, **({"tables": self.tables[n]} if n in self.tables else {}))

    def sockets(self):
        return self.host["lb1"].socket, self.host["lb2"].socket

    def close(self):
        for d in (*self.sync.values(), *self.host.values()):
            d.kill()


@pytest.fixture
def pair(workdir, pki):
    p = Pair(workdir, pki)
    yield p
    p.close()


def synced(sync):
    link = sync.link()
    return link["state"] == "SYNC_STATE_SYNCED" and link["inboundConnected"]


def test_100k_entries_replicate_both_ways_and_dumps_are_identical(pair):
    a, b = pair.sockets()
    wait_for(lambda: synced(pair.sync["lb1"]) and synced(pair.sync["lb2"]), timeout=20, what="both links synced")
    stick("fill", a, "web", "100000", "0", "s1")
    stick("fill", b, "web", "1000", "200000", "s2")
    wait_identical(a, b, 101000)
    # A delete (clear of one key) replicates as a tombstone.
    assert stick("clear", a, "web", "10.0.0.7").strip() == "1"
    wait_identical(a, b, 100999)
    status = pair.sync["lb1"].cluster()
    link = status["local"]["peers"][0]
    assert link["state"] == "SYNC_STATE_SYNCED"
    assert link["tables"][0]["table"] == "web"
    assert status["peers"][0]["reachable"]
    assert status["peers"][0]["status"]["node"] == "lb2"
    assert status["differences"] == []


def test_kill9_and_restart_each_process_in_turn_keeps_tables_identical(pair):
    a, b = pair.sockets()
    stick("fill", a, "web", "20000", "0", "s1")
    stick("fill", b, "web", "5000", "100000", "s2")
    total = 25000
    wait_identical(a, b, total)
    nxt = 300000
    for victim in ("peersync-lb1", "peersync-lb2", "balancer-lb1", "balancer-lb2"):
        kind, node = victim.split("-")
        survivor = pair.other(node)
        if kind == "peersync":
            pair.sync[node].signal(signal.SIGKILL)
            pair.sync[node].proc.wait()
        else:
            pair.host[node].signal(signal.SIGKILL)
            pair.host[node].proc.wait()
            pair.host[node].socket.unlink(missing_ok=True)
        # Changes while it is down, on the node still up. A restarted balancer
        # is empty: its peer must teach it everything.
        stick("fill", pair.host[survivor].socket, "web", "2000", str(nxt), "s1")
        nxt += 2000
        total += 2000
        if kind == "peersync":
            pair.sync[node] = pair.start_sync(node)
        else:
            pair.restart_host(node)
        a, b = pair.sockets()
        wait_identical(a, b, total, timeout=90)


def start_intruder(workdir, pair, tls, name):
    """A peersync that says it is lb1, dialling lb2, on its own balancer with 10 entries."""
    host = Node(workdir, "lb1", name=f"balancer-{name}")
    stick("fill", host.socket, "web", "10", "900000", "s2")
    sync = PeerSync(workdir, "lb1", free_port(), "lb2", pair.port["lb2"], host.socket, tls, name=name)
    return host, sync


@pytest.mark.parametrize("case", ["no-certificate", "other-ca", "wrong-name"])
def test_refused_clients_change_nothing(workdir, pair, pki, case):
    a, b = pair.sockets()
    wait_for(lambda: synced(pair.sync["lb1"]), timeout=20, what="lb1 synced")
    # lb1 itself goes away so that only the intruder dials lb2.
    pair.sync["lb1"].kill()
    if case == "no-certificate":
        tls = None  # plaintext against a TLS listener
    elif case == "other-ca":
        other = Pki(workdir, ca="other")
        crt, key = other.issue("lb1")
        tls = (crt, key, pki.ca)
    else:
        crt, key = pki.issue("lb3")
        tls = (crt, key, pki.ca)
    host, sync = start_intruder(workdir, pair, tls, f"intruder-{case}")
    try:
        def refused():
            link = sync.link()
            return link["state"] == "SYNC_STATE_DEGRADED" and link["reason"]
        reason = wait_for(refused, timeout=20, what="the intruder refused")
        assert count(b) == 0, "the refused client changed lb2's table"
        if case == "wrong-name":
            assert "certificate names lb3" in reason
            wait_for(lambda: "refused a Replicate stream" in pair.sync["lb2"].output(), timeout=5,
                     what="lb2 logs the refusal")
        assert count(b) == 0
    finally:
        sync.kill()
        host.kill()


def test_schema_mismatch_is_reported_not_skipped(workdir, pki):
    api = ("api", "stick-table type ip size 1k peers p store server_id")
    tables = {"lb1": (("web", TABLE_LINE), api),
              "lb2": (("web", "stick-table type ip size 2m expire 30m peers p store server_id"), api)}
    p = Pair(workdir, pki, tables=tables)
    try:
        def degraded():
            link = p.sync["lb1"].link()
            return (link["state"] == "SYNC_STATE_DEGRADED" and link["tables"]
                    and any("schema mismatch" in t["reason"] for t in link["tables"]))
        wait_for(degraded, timeout=20, what="lb1 reports the mismatch")
        tables = {t["table"]: t for t in p.sync["lb1"].link()["tables"]}
        reason = tables["web"]["reason"]
        assert "store server_id,gpc0" in reason and "on lb2 type ip store server_id" in reason
        status = p.sync["lb1"].cluster()
        assert any(d["what"] == "table web" for d in status["differences"])
        # The table both declare alike still replicates; the other does not.
        stick("fill", p.host["lb1"].socket, "web", "10", "0", "s1")
        stick("fill", p.host["lb1"].socket, "api", "10", "0", "s1")
        wait_identical(p.host["lb1"].socket, p.host["lb2"].socket, 10, table="api")
        assert count(p.host["lb2"].socket, "web") == 0
    finally:
        p.close()


@pytest.mark.parametrize("kind, status, words", [
    ("oversized", "3", "20000 entries, more than 16384"),
    ("unknown-table", "3", "table 'nosuchtable' is not replicated with lb1"),
    ("backwards", "3", "batch 4 after batch 5"),
    ("no-hello", "3", "the first message must be a Hello"),
    ("malformed", "3", "batch 5 entry 1: malformed: field 1: length past the end"),
    ("not-utf8", "3", "batch 5 entry 0: malformed: field 1: not UTF-8"),
])
def test_a_misbehaving_peer_is_cut_off_and_changes_nothing(pair, kind, status, words):
    """lb1's own certificate, but a broken sender: the stream ends with the
    error, nothing of the offending batch is applied, and lb2 logs why."""
    a, b = pair.sockets()
    wait_for(lambda: synced(pair.sync["lb2"]), timeout=20, what="lb2 synced")
    pair.sync["lb1"].kill()
    before = dump(b)
    crt, key = pair.pki.certs["lb1"]
    out = stick("misbehave", f"127.0.0.1:{pair.port['lb2']}", "lb1", "lb2", pair.pki.ca, crt, key, kind).split(" ", 2)
    assert out[0] == "status" and out[1] == status and words in out[2], out
    assert dump(b) == before
    wait_for(lambda: words in pair.sync["lb2"].output(), timeout=5, what="lb2 logs the refusal")


def test_a_sender_without_cumulative_acks_gets_one_ack_per_batch(pair):
    """An older peersync (no Hello.cumulative_acks) sends 200 batches at once:
    the receiver never merges them, so every batch gets its own Ack, in order."""
    wait_for(lambda: synced(pair.sync["lb2"]), timeout=20, what="lb2 synced")
    pair.sync["lb1"].kill()
    crt, key = pair.pki.certs["lb1"]
    out = stick("misbehave", f"127.0.0.1:{pair.port['lb2']}", "lb1", "lb2", pair.pki.ca, crt, key,
                "per-batch-acks").split()
    assert out == ["acks", "200", "in-order"], out


def reload_ctl(sync):
    """`tandemctl reload peersync` against `sync`'s admin socket."""
    return ctl("--peersync-socket", sync.socket, "reload", "peersync")


def test_reload_adds_and_readdresses_a_peer_and_keeps_sync_state(workdir, pki):
    """lb1 starts with no peer; a reload adds lb2, another (SIGHUP) moves lb2 to
    another address: the link re-dials and resumes (no second full resync);
    entries written before and after each reload all arrive; an invalid file is
    refused with FILE:LINE and the running configuration keeps replicating."""
    hosts = {n: Node(workdir, n) for n in ("lb1", "lb2")}
    port = {"lb1": free_port(), "lb2": free_port()}
    tls = {n: (*pki.certs[n], pki.ca) for n in ("lb1", "lb2")}
    sync = {}
    try:
        sync["lb1"] = PeerSync(workdir, "lb1", port["lb1"], None, None, hosts["lb1"].socket, tls["lb1"])
        # lb2 listens on every address, so lb1 can reach it at 127.0.0.1 and 127.0.0.2.
        sync["lb2"] = PeerSync(workdir, "lb2", port["lb2"], "lb1", port["lb1"], hosts["lb2"].socket, tls["lb2"],
                               listen_host="0.0.0.0")
        a, b = hosts["lb1"].socket, hosts["lb2"].socket
        stick("fill", a, "web", "500", "0", "s1")
        stick("fill", b, "web", "500", "10000", "s2")
        assert sync["lb1"].cluster()["local"].get("peers", []) == []
        # lb2's link is refused while lb1 does not know it.
        wait_for(lambda: "not a configured peer" in sync["lb1"].output() or
                 "refused a Replicate stream" in sync["lb1"].output(), timeout=20, what="lb1 refuses lb2")

        # 1. tandemctl: a peer added.
        sync["lb1"].write_config({"lb2": f"127.0.0.1:{port['lb2']}"}, tls["lb1"])
        r = reload_ctl(sync["lb1"])
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"applied: peer lb2 127.0.0.1:{port['lb2']}: added" in r.stdout
        wait_identical(a, b, 1000)
        stick("fill", a, "web", "500", "20000", "s1")
        wait_identical(a, b, 1500)
        wait_for(lambda: synced(sync["lb1"]) and synced(sync["lb2"]), timeout=20, what="both links synced")
        full_before = sync["lb1"].output().count("connected, full resync")
        resumed_before = sync["lb1"].output().count("connected, resuming at seq")

        # 2. SIGHUP: lb2 at another address; lb2's own link (lb2 -> lb1) is untouched.
        lb2_sessions = sync["lb1"].output().count("from lb2: replicating")
        sync["lb1"].write_config({"lb2": f"127.0.0.2:{port['lb2']}"}, tls["lb1"])
        sync["lb1"].signal(signal.SIGHUP)
        wait_for(lambda: f"peer lb2: address 127.0.0.1:{port['lb2']} -> 127.0.0.2:{port['lb2']}, re-dialled"
                 in sync["lb1"].output(), timeout=10, what="lb1 logs the new address")
        wait_for(lambda: sync["lb1"].output().count("connected, resuming at seq") > resumed_before, timeout=20,
                 what="lb1's link resumes")
        assert sync["lb1"].output().count("connected, full resync") == full_before
        assert sync["lb1"].link()["address"] == f"127.0.0.2:{port['lb2']}"
        stick("fill", a, "web", "500", "30000", "s1")
        stick("fill", b, "web", "100", "40000", "s2")
        wait_identical(a, b, 2100)
        assert sync["lb1"].output().count("from lb2: replicating") == lb2_sessions

        # 3. An invalid file: refused with FILE:LINE, the running one goes on.
        sync["lb1"].config.write_text(sync["lb1"].config.read_text() + "peer lb3\n")
        r = reload_ctl(sync["lb1"])
        assert r.returncode == 1
        assert f"reload refused, the running configuration stays: {sync['lb1'].config}:7: peer: expects NAME IP:PORT" \
            in r.stdout, r.stdout
        sync["lb1"].signal(signal.SIGHUP)
        wait_for(lambda: sync["lb1"].output().count("reload refused, the running configuration stays") >= 2,
                 timeout=10, what="SIGHUP's refusal logged")
        stick("fill", a, "web", "200", "50000", "s1")
        wait_identical(a, b, 2300)
        assert sync["lb1"].link()["address"] == f"127.0.0.2:{port['lb2']}"

        # 4. What cannot change live is reported, not ignored.
        sync["lb1"].write_config({"lb2": f"127.0.0.2:{port['lb2']}"}, tls["lb1"])
        sync["lb1"].config.write_text(sync["lb1"].config.read_text().replace("node lb1", "node lb9"))
        r = reload_ctl(sync["lb1"])
        assert r.returncode == 0
        assert "not applied: node: changed (lb1 -> lb9); takes effect when tandem-peersync restarts" in r.stdout
        stick("fill", a, "web", "200", "60000", "s1")
        wait_identical(a, b, 2500)
    finally:
        for d in (*sync.values(), *hosts.values()):
            d.kill()


def test_reload_with_renewed_certificates_keeps_replicating(pair):
    """New certificate files (same CA) for lb1: its port re-opens and its link
    re-dials with them; nothing is resent from scratch and new writes arrive."""
    a, b = pair.sockets()
    stick("fill", a, "web", "1000", "0", "s1")
    wait_identical(a, b, 1000)
    wait_for(lambda: synced(pair.sync["lb1"]) and synced(pair.sync["lb2"]), timeout=20, what="both links synced")
    full_before = pair.sync["lb1"].output().count("connected, full resync")
    crt, key = pair.pki.issue("lb1")  # a new key and certificate: other bytes
    renewed = pair.pki.dir / "lb1-renewed.crt", pair.pki.dir / "lb1-renewed.key"
    renewed[0].write_bytes(crt.read_bytes())
    renewed[1].write_bytes(key.read_bytes())
    pair.sync["lb1"].write_config({"lb2": f"127.0.0.1:{pair.port['lb2']}"}, (*renewed, pair.pki.ca))
    r = reload_ctl(pair.sync["lb1"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "applied: tls: new certificate, key or CA" in r.stdout
    stick("fill", a, "web", "500", "10000", "s1")
    stick("fill", b, "web", "500", "20000", "s2")
    wait_identical(a, b, 2000)
    wait_for(lambda: synced(pair.sync["lb1"]) and synced(pair.sync["lb2"]), timeout=20, what="both links synced again")
    assert pair.sync["lb1"].output().count("connected, full resync") == full_before


def test_peer_names_differing_between_the_balancer_and_peersync_are_reported(workdir, pki):
    """lb1's balancer names lb1, lb2 and lb3 in `peers p`; peersync.conf knows
    only lb2: lb3 is reported (log, status, tandemctl peers exits 1). After a
    balancer reload that drops lb3 the report is gone."""
    host = Node(workdir, "lb1", peers=("lb1", "lb2", "lb3"))
    sync = None
    try:
        sync = PeerSync(workdir, "lb1", free_port(), "lb2", free_port(), host.socket, (*pki.certs["lb1"], pki.ca))
        want = "the balancer's peers section 'p' names 'lb3', which peersync.conf has no peer for"
        wait_for(lambda: f"peer names differ between the balancer and peersync.conf: {want}" in sync.output(),
                 timeout=20, what="peersync logs the difference")
        assert sync.cluster()["local"]["peerNameProblems"] == [want]
        r = ctl("--peersync-socket", sync.socket, "peers")
        assert r.returncode == 1
        assert f"peer names: {want}\n" in r.stdout
        # The balancer reloads without lb3: what it serves now is compared.
        host.config_path.write_text(host.config_path.read_text().replace("    peer lb3 127.0.0.1:3\n", ""))
        r = ctl("--balancer-socket", host.socket, "reload", "balancer")
        assert r.returncode == 0, r.stdout + r.stderr
        wait_for(lambda: not sync.cluster()["local"].get("peerNameProblems"), timeout=10, what="the report gone")
        # And peersync with a peer the balancer does not name.
        sync.write_config({"lb2": "127.0.0.1:1", "lb4": "127.0.0.1:2"}, (*pki.certs["lb1"], pki.ca))
        r = reload_ctl(sync)
        assert r.returncode == 0, r.stdout + r.stderr
        assert sync.cluster()["local"]["peerNameProblems"] == [
            "peersync.conf peer 'lb4' is missing from the balancer's peers section 'p'"]
    finally:
        if sync:
            sync.kill()
        host.kill()
