#!/usr/bin/env python3
"""What traffic logging costs: requests/s with `option httplog` sent to a
local UDP syslog receiver, against the same proxy without logging, for
tandem-balancer and HAProxy side by side in the same run.

Four proxies run at once, each with one thread pinned to CPU 1 (only the one
under load is busy): tandem and HAProxy, each with and without logging.
nginx (the backend), wrk and the syslog receiver (a thread of this script)
are on CPU 0. Runs are interleaved (T, T+log, H, H+log, ...) after a
warm-up; each round gives a log/no-log ratio per proxy and a tandem/HAProxy
ratio with logging. Medians are printed with their spread, and the log lines
received per request show that every request was logged (UDP drops at the
receiver, if any, show as fewer than 1.0).

Usage: log_bench.py [--pairs N] [--seconds S] [--conns C]
Exit status is 0 unless something failed to run; it is a measurement, not a
pass/fail test.
"""

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

from harness import binary, free_port, wait_for_port  # noqa: E402
from proxy_bench import LOAD_CPU, PROXY_CPU, Proc, nginx, pinned, wrk  # noqa: E402


class Receiver:
    """A UDP syslog receiver counting datagrams, on its own thread."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.sample = None
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        buf = bytearray(65536)
        while self.running:
            try:
                n = self.sock.recv_into(buf)
            except socket.timeout:
                continue
            self.count += 1
            if self.sample is None:
                self.sample = bytes(buf[:n]).decode(errors="replace").strip()

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def config(port, backend_port, log_port):
    logging = f"    log 127.0.0.1:{log_port} local0\n    option httplog\n" if log_port else ""
    return f"""global
    nbthread 1
    maxconn 9000
defaults
    mode http
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
frontend fe
    bind 127.0.0.1:{port}
{logging}    default_backend be
backend be
    server s1 127.0.0.1:{backend_port}
"""


def start(kind, workdir, backend_port, log_port):
    port = free_port()
    name = f"{kind}-{'log' if log_port else 'nolog'}"
    cfg = workdir / f"{name}.cfg"
    cfg.write_text(config(port, backend_port, log_port))
    if kind == "tandem":
        args = [binary("tandem-balancer"), "-db", "-f", str(cfg), "--admin-socket", str(workdir / f"{name}.sock")]
    else:
        args = ["haproxy", "-db", "-f", str(cfg)]
    p = Proc(pinned(PROXY_CPU, args), workdir / f"{name}.out")
    wait_for_port("127.0.0.1", port)
    return p, port


def measure(procs, key, workdir, seconds, conns):
    """wrk against one proxy; a proxy that is gone ends the run with its output."""
    proc, port = procs[key]
    try:
        return wrk(port, seconds, conns=conns)
    except AttributeError:  # no "Requests/sec" line: wrk could not run
        name = f"{key[0]}-{'log' if key[1] else 'nolog'}"
        out = (workdir / f"{name}.out").read_text(errors="replace")[-2000:]
        sys.exit(f"{name} did not answer (exit status {proc.p.poll()}); its output:\n{out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--conns", type=int, default=50)
    args = ap.parse_args()
    for tool in ("haproxy", "nginx", "wrk", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (scripts/install-deps)")
    # This script's threads (the receiver) share CPU 0 with the load.
    os.sched_setaffinity(0, {int(LOAD_CPU)})
    workdir = Path(tempfile.mkdtemp(prefix="tandem-logbench-"))
    bport = free_port()
    ng = nginx(workdir, bport)
    receivers = {"tandem": Receiver(), "haproxy": Receiver()}
    procs = {}
    try:
        for kind in ("tandem", "haproxy"):
            procs[(kind, False)] = start(kind, workdir, bport, None)
            procs[(kind, True)] = start(kind, workdir, bport, receivers[kind].port)
        for key in procs:
            measure(procs, key, workdir, 2, args.conns)  # warm-up
        rps = {key: [] for key in procs}
        lines_per_req = {"tandem": [], "haproxy": []}
        for _ in range(args.pairs):
            for kind in ("tandem", "haproxy"):
                for logged in (False, True):
                    before = receivers[kind].count
                    r, err, non2xx = measure(procs, (kind, logged), workdir, args.seconds, args.conns)
                    rps[(kind, logged)].append(r)
                    if logged:
                        # Let the receiver drain what is queued before counting.
                        threading.Event().wait(0.3)
                        lines_per_req[kind].append((receivers[kind].count - before) / (r * args.seconds))
                    if err or non2xx:
                        print(f"  {kind}{' +log' if logged else ''}: errors {err} non2xx {non2xx}", flush=True)
            t0, t1 = rps[("tandem", False)][-1], rps[("tandem", True)][-1]
            h0, h1 = rps[("haproxy", False)][-1], rps[("haproxy", True)][-1]
            print(f"  round: tandem {t0:8.0f} -> {t1:8.0f} req/s with log ({t1 / t0:.3f});  haproxy {h0:8.0f} -> "
                  f"{h1:8.0f} req/s with log ({h1 / h0:.3f});  tandem/haproxy with log {t1 / h1:.3f}", flush=True)

        def ratios(a, b):
            return [x / y for x, y in zip(rps[a], rps[b])]

        def summary(xs):
            return f"{statistics.median(xs):.3f} (min {min(xs):.3f}, max {max(xs):.3f})"

        t_cost = ratios(("tandem", True), ("tandem", False))
        h_cost = ratios(("haproxy", True), ("haproxy", False))
        print(f"httplog to a local syslog receiver, {args.conns} keep-alive connections, {args.pairs} rounds of "
              f"{args.seconds}s:", flush=True)
        print(f"  tandem  with/without log: median {summary(t_cost)}; "
              f"{statistics.median(rps[('tandem', True)]):.0f} vs {statistics.median(rps[('tandem', False)]):.0f} req/s")
        print(f"  haproxy with/without log: median {summary(h_cost)}; "
              f"{statistics.median(rps[('haproxy', True)]):.0f} vs {statistics.median(rps[('haproxy', False)]):.0f} req/s")
        print(f"  tandem/haproxy with log: median {summary(ratios(('tandem', True), ('haproxy', True)))}; "
              f"without: {summary(ratios(('tandem', False), ('haproxy', False)))}")
        print(f"  log lines received per request: tandem {statistics.median(lines_per_req['tandem']):.3f}, "
              f"haproxy {statistics.median(lines_per_req['haproxy']):.3f}")
        for kind in ("tandem", "haproxy"):
            print(f"  a {kind} line: {receivers[kind].sample}", flush=True)
    finally:
        for p, _ in procs.values():
            p.stop()
        ng.stop()
        for r in receivers.values():
            r.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
