#!/usr/bin/env python3
"""Stick-table replication between two nodes on 127.0.0.1: two
tandem-balancers with a tandem-peersync each (mutual TLS) against two HAProxy
2.6 processes with `peers`, in the same run:

  latency     a change on A visible on B, p50/p99, at a fixed rate (10k/s)
  throughput  changes per second from A's write to B holding them all
  resync      a fresh B taught a 1M-entry table, from B's process start

How each side is written and observed:
  Tandem   writes: SetTableEntry (latency) or the StickTables.Apply stream
           (throughput, fill); observes B through StickTables.Watch (latency)
           or ListTables entry counts (throughput, resync).
  HAProxy  writes: `set table` over the runtime API, pipelined in prompt mode;
           observes B with `show table web key K` polls or `show table`
           (`used:` counts). Latency: probe keys written one at a time on A
           (the answer awaited) and polled on B until present, while another
           process writes the 10k/s load: each sample includes a runtime-API
           round trip on each side, as in docs/TARGETS.md's reference.
Tandem's writer is stick_tool with two threads sharing the schedule (one
alone was bound by its SetTableEntry round trips, ~7k/s); the latency line
shows the rate it reached (write_rate). Prints one line per figure with the
ratio and the load average.

  peersync_bench.py [--rate 10000] [--seconds 5] [--throughput 500000] [--resync 1000000]
                    [--rounds 2] [--only latency,throughput,resync]
"""

import argparse
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

from harness import free_port, wait_for  # noqa: E402
from peersync_lab import Node, PeerSync, Pki, count, stick  # noqa: E402

TABLE = "stick-table type ip size 2m expire 30m peers p store server_id"


def key(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


# ---------------------------------------------------------------- HAProxy

class Haproxy:
    def __init__(self, workdir, name, ports):
        self.sock = os.path.join(workdir, f"{name}.sock")
        cfg = os.path.join(workdir, f"{name}.cfg")
        with open(cfg, "w") as f:
            f.write(f"""global
  stats socket {self.sock} level admin
  nbthread 1
defaults
  mode tcp
  timeout client 5s
  timeout server 5s
  timeout connect 5s
peers p
  peer lb1 127.0.0.1:{ports['lb1']}
  peer lb2 127.0.0.1:{ports['lb2']}
backend web
  {TABLE.replace(' peers p', ' peers p')}
  server s1 127.0.0.1:9
""")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(["haproxy", "-db", "-L", name, "-f", cfg], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: os.path.exists(self.sock) and self.try_cli("show info"), timeout=10,
                 what=f"haproxy {name}")

    def try_cli(self, command):
        try:
            return self.cli(command)
        except OSError:
            return None

    def cli(self, command):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock)
        s.sendall(command.encode() + b"\n")
        out = b""
        while True:
            b = s.recv(1 << 16)
            if not b:
                s.close()
                return out.decode()
            out += b

    def used(self):
        out = self.try_cli("show table") or ""
        for part in out.split():
            if part.startswith("used:"):
                return int(part[5:])
        return -1

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Prompt:
    """A runtime-API connection in prompt mode: commands pipelined, answers drained."""

    def __init__(self, path, drain=True):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.s.sendall(b"prompt\n")
        self.answers = 0
        self.buf = b""
        if drain:
            threading.Thread(target=self._drain, daemon=True).start()
        else:
            self._until_prompt()

    def _drain(self):
        while True:
            b = self.s.recv(1 << 20)
            if not b:
                return
            self.answers += b.count(b"\n> ")

    def _until_prompt(self):
        while not self.buf.endswith(b"> "):
            self.buf += self.s.recv(1 << 16)
        out, self.buf = self.buf, b""
        return out.decode()

    def send(self, text):
        self.s.sendall(text.encode())

    def ask(self, command):
        self.s.sendall(command.encode() + b"\n")
        return self._until_prompt()


def haproxy_pair(workdir):
    ports = {"lb1": free_port(), "lb2": free_port()}
    a = Haproxy(workdir, "lb1", ports)
    b = Haproxy(workdir, "lb2", ports)
    return a, b, ports


def paced_writer(sock, rate, seconds, first):
    """Writes distinct keys at `rate` per second on A: the background load
    (its own process, so that the prober's timing does not share a GIL)."""
    w = Prompt(sock)
    total = int(rate * seconds)
    start = time.monotonic()
    i = 0
    while i < total:
        due = int((time.monotonic() - start) * rate) + 1
        chunk = [f"set table web key {key(first + j)} data.server_id 1\n" for j in range(i, min(due, total))]
        if chunk:
            w.send("".join(chunk))
        i = max(i, min(due, total))
        time.sleep(0.0005)


def haproxy_latency(workdir, rate, seconds):
    """Probes: a key set on A (its answer awaited), then B polled until it has
    it; under `rate` other changes per second."""
    a, b, _ = haproxy_pair(workdir)
    try:
        time.sleep(0.5)  # the two peers connect
        writer = multiprocessing.Process(target=paced_writer, args=(a.sock, rate, seconds, 0x100000))
        writer.start()
        wa = Prompt(a.sock, drain=False)
        r = Prompt(b.sock, drain=False)
        lat = []
        j = 0
        while writer.is_alive():
            k = key(0x200000 + j)
            j += 1
            t0 = time.monotonic()
            wa.ask(f"set table web key {k} data.server_id 1")
            while "key=" not in r.ask(f"show table web key {k}"):
                if time.monotonic() - t0 > 5:
                    break
            lat.append((time.monotonic() - t0) * 1000)
        writer.join()
        return lat
    finally:
        a.kill()
        b.kill()


def haproxy_throughput(workdir, n):
    a, b, _ = haproxy_pair(workdir)
    try:
        time.sleep(0.5)
        w = Prompt(a.sock)
        t0 = time.monotonic()
        chunk = []
        for i in range(n):
            chunk.append(f"set table web key {key(i)} data.server_id 1\n")
            if len(chunk) == 5000:
                w.send("".join(chunk))
                chunk = []
        w.send("".join(chunk))
        wait_for(lambda: b.used() == n, timeout=120, interval=0.01, what="haproxy B holds all")
        return n / (time.monotonic() - t0)
    finally:
        a.kill()
        b.kill()


def haproxy_resync(workdir, n):
    ports = {"lb1": free_port(), "lb2": free_port()}
    a = Haproxy(workdir, "lb1", ports)
    b = None
    try:
        w = Prompt(a.sock)
        chunk = []
        for i in range(n):
            chunk.append(f"set table web key {key(i)} data.server_id 1\n")
            if len(chunk) == 5000:
                w.send("".join(chunk))
                chunk = []
        w.send("".join(chunk))
        wait_for(lambda: a.used() == n, timeout=120, interval=0.05, what="haproxy A filled")
        b = Haproxy(workdir, "lb2", ports)
        wait_for(lambda: b.used() == n, timeout=120, interval=0.01, what="haproxy B resynced")
        return time.monotonic() - b.started
    finally:
        a.kill()
        if b:
            b.kill()


# ---------------------------------------------------------------- Tandem

class TandemPair:
    def __init__(self, workdir, pki, start_b=True):
        self.workdir, self.pki = Path(workdir), pki
        self.port = {"lb1": free_port(), "lb2": free_port()}
        self.host, self.sync = {}, {}
        self.start("lb1")
        if start_b:
            self.start("lb2")

    def start(self, n):
        other = "lb2" if n == "lb1" else "lb1"
        started = time.monotonic()
        self.host[n] = Node(self.workdir, n, tables=(("web", TABLE),))
        crt, key_ = self.pki.certs[n]
        self.sync[n] = PeerSync(self.workdir, n, self.port[n], other, self.port[other], self.host[n].socket,
                                (crt, key_, self.pki.ca))
        return started

    def synced(self):
        return all(s.link()["state"] == "SYNC_STATE_SYNCED" for s in self.sync.values())

    def close(self):
        for d in (*self.sync.values(), *self.host.values()):
            d.kill()


def tandem_latency(workdir, pki, rate, seconds):
    p = TandemPair(workdir, pki)
    try:
        wait_for(p.synced, timeout=20, what="synced")
        out = stick("latency", p.host["lb1"].socket, p.host["lb2"].socket, "web", str(rate), str(seconds),
                    timeout=seconds + 60)
        f = out.split()
        return dict(zip(f[0::2], f[1::2]))
    finally:
        p.close()


def tandem_throughput(workdir, pki, n):
    p = TandemPair(workdir, pki)
    try:
        wait_for(p.synced, timeout=20, what="synced")
        t0 = time.monotonic()
        stick("push", p.host["lb1"].socket, "web", str(n), "0", "lb1", timeout=300)
        stick("wait", p.host["lb2"].socket, "web", str(n), "120", timeout=130)  # see tandem_resync
        return n / (time.monotonic() - t0)
    finally:
        p.close()


def tandem_resync(workdir, pki, n):
    p = TandemPair(workdir, pki, start_b=False)
    try:
        stick("push", p.host["lb1"].socket, "web", str(n), "0", "lb1", timeout=300)
        wait_for(lambda: count(p.host["lb1"].socket) == n, timeout=60, what="A filled")
        t0 = p.start("lb2")
        # One stick_tool polling every 5 ms over one channel: a stick_tool
        # process per poll (~9 ms of CPU each) took a core from the resync it
        # timed (HAProxy's side polls from this process, over its socket).
        stick("wait", p.host["lb2"].socket, "web", str(n), "120", timeout=130)
        return time.monotonic() - t0
    finally:
        p.close()


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=10000)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--throughput", type=int, default=500000)
    ap.add_argument("--resync", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", default="latency,throughput,resync",
                    help="comma-separated figures to measure (e.g. --only resync to profile one)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    unknown = only - {"latency", "throughput", "resync"}
    if unknown:
        ap.error(f"--only: unknown figure(s) {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="tandem-bench-peersync-") as d:
        pki = Pki(d)
        pki.certs = {n: pki.issue(n) for n in ("lb1", "lb2")}
        figures = ((("p50_ms", "p99_ms") if "latency" in only else ()) +
                   (("changes_per_s",) if "throughput" in only else ()) + (("resync_s",) if "resync" in only else ()))
        rows = {k: ([], []) for k in figures}
        for r in range(args.rounds):
            # Interleaved: Tandem, HAProxy, each figure, each round.
            if "latency" in only:
                t = tandem_latency(d, pki, args.rate, args.seconds)
                h = haproxy_latency(d, args.rate, args.seconds)
                print(f"round {r}: tandem latency {t}; haproxy samples {len(h)}", flush=True)
                rows["p50_ms"][0].append(float(t["p50_ms"]))
                rows["p99_ms"][0].append(float(t["p99_ms"]))
                rows["p50_ms"][1].append(pct(h, 0.5))
                rows["p99_ms"][1].append(pct(h, 0.99))
            if "throughput" in only:
                rows["changes_per_s"][0].append(tandem_throughput(d, pki, args.throughput))
                rows["changes_per_s"][1].append(haproxy_throughput(d, args.throughput))
            if "resync" in only:
                rows["resync_s"][0].append(tandem_resync(d, pki, args.resync))
                rows["resync_s"][1].append(haproxy_resync(d, args.resync))
            load = open("/proc/loadavg").read().split()[0]
            for k, (tv, hv) in rows.items():
                print(f"round {r}: {k}: tandem {tv[-1]:.3f} haproxy {hv[-1]:.3f} (load {load})", flush=True)
        print(f"\nreplication, {args.rounds} interleaved rounds, medians (lower is better except changes/s):")
        for k, (tv, hv) in rows.items():
            tm, hm = statistics.median(tv), statistics.median(hv)
            better = tm > hm if k == "changes_per_s" else tm < hm
            print(f"  {k:14} tandem {tm:12.3f}  haproxy {hm:12.3f}  tandem/haproxy {tm / hm:6.2f}  "
                  f"{'tandem better' if better else 'HAPROXY BETTER'}")


if __name__ == "__main__":
    main()
