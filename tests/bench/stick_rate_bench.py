#!/usr/bin/env python3
"""The seeds' rate limit plus stick on src: tandem-balancer against HAProxy
2.6 with the same configuration, in the same run (interleaved pairs, as
proxy_bench.py: proxies on CPU 1, nginx and wrk on CPU 0).

The frontend tracks every request's source in a table storing
http_req_rate(10s) and tests `sc_http_req_rate(0) gt LIMIT`; the backend
sticks sources to servers (`stick on src`, two servers). wrk comes from one
address, so with the seed's limit of 100 nearly every request would be a 429
built by the proxy: the limit is raised so that requests pass and every one
pays the whole path (track, count, fetch, match, store, forward). The
`--limit 100` run measures the 429 path instead.

Usage: stick_rate_bench.py [--pairs N] [--seconds S] [--limit L]
A measurement, not a pass/fail test: exit status 0 unless something failed.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

import proxy_bench as pb  # noqa: E402
from harness import binary, free_port, wait_for_port  # noqa: E402


def config(port, backend_port, limit):
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
    stick-table type ip size 100k expire 30s store http_req_rate(10s)
    http-request track-sc0 src
    http-request deny deny_status 429 if {{ sc_http_req_rate(0) gt {limit} }}
    default_backend be
backend be
    balance roundrobin
    stick-table type ip size 200k expire 30m
    stick on src
    server s1 127.0.0.1:{backend_port}
    server s2 127.0.0.1:{backend_port}
"""


def start(kind, workdir, port, backend_port, limit):
    cfg = workdir / f"{kind}-stick.cfg"
    cfg.write_text(config(port, backend_port, limit))
    if kind == "tandem":
        args = [binary("tandem-balancer"), "-db", "-f", str(cfg), "--admin-socket", str(workdir / "tandem.sock")]
    else:
        args = ["haproxy", "-db", "-f", str(cfg)]
    p = pb.Proc(pb.pinned(pb.PROXY_CPU, args), workdir / f"{kind}-stick.out")
    wait_for_port("127.0.0.1", port)
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--limit", type=int, default=1_000_000_000)
    args = ap.parse_args()
    for tool in ("haproxy", "nginx", "wrk", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (scripts/install-deps)")
    workdir = Path(tempfile.mkdtemp(prefix="tandem-stick-bench-"))
    bport, tport, hport = free_port(), free_port(), free_port()
    ng = pb.nginx(workdir, bport)
    t = h = None
    try:
        t = start("tandem", workdir, tport, bport, args.limit)
        h = start("haproxy", workdir, hport, bport, args.limit)
        pb.wrk(tport, 2)  # warm-up
        pb.wrk(hport, 2)
        ratios, tr, hr = [], [], []
        for _ in range(args.pairs):
            a, ea, na = pb.wrk(tport, args.seconds)
            b, eb, nb = pb.wrk(hport, args.seconds)
            tr.append(a)
            hr.append(b)
            ratios.append(a / b)
            flag = f"  tandem errors: {ea} non2xx {na}" if ea or na else ""
            flag += f"  haproxy errors: {eb} non2xx {nb}" if eb or nb else ""
            print(f"  stick-rate-limit: tandem {a:9.0f} req/s   haproxy {b:9.0f} req/s   ratio {a / b:.3f}{flag}",
                  flush=True)
        print(f"stick-rate-limit (limit {args.limit}): median ratio {statistics.median(ratios):.3f} "
              f"(min {min(ratios):.3f}, max {max(ratios):.3f}); tandem median {statistics.median(tr):.0f} req/s, "
              f"haproxy median {statistics.median(hr):.0f} req/s", flush=True)
    finally:
        for p in (t, h, ng):
            if p:
                p.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
