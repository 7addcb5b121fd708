#!/usr/bin/env python3
"""TLS: tandem-balancer against HAProxy, same configuration, same run.

Scenarios, each at 1 thread (proxy pinned to CPU 1, load and backend on
CPU 0) and 2 threads (nothing pinned: on these 2-core machines the load
generator then competes with the proxies, equally for both):

  handshake-ecdsa   full TLS 1.3 handshakes/s, ECDSA P-256 certificate
  handshake-rsa     full TLS 1.3 handshakes/s, RSA-2048 certificate
  https-keepalive   HTTPS keep-alive requests/s (wrk, 50 connections, ECDSA,
                    nginx behind the proxy)

A handshake is a full one (no resumption) followed by one request the proxy
answers itself (`http-request return`) and the close. The generator is
bench_tls_handshake_load (C++, epoll, one thread). With ECDSA the client's
signature verification costs more than the server's signing, so one client
core may be the limit for both proxies: the ratio then says little, and the
figures are printed so that it shows (TARGETS.md). Runs are interleaved
(T, H, T, H...) after a warm-up; the median of per-pair ratios is printed.

With --baseline BINARY (another tandem-balancer build, e.g. main's), each
round also runs that binary (T, B, H) and prints its ratio to HAProxy: a
before/after comparison in the same run, under the same machine load.

Usage: tls_bench.py [--pairs N] [--seconds S] [--only SCENARIO...] [--threads 1 2] [--baseline BINARY]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

from harness import binary, free_port, wait_for_port  # noqa: E402
from proxy_bench import LOAD_CPU, PROXY_CPU, Proc, nginx  # noqa: E402


def loadgen():
    build = Path(os.environ.get("TANDEM_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
    return str(build / "tests" / "bench" / "tls" / "bench_tls_handshake_load")


def make_cert(workdir, kind):
    key = ["-newkey", "rsa:2048"] if kind == "rsa" else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    subprocess.run(["openssl", "req", "-x509", *key, "-nodes", "-keyout", f"{kind}.key", "-out", f"{kind}.crt",
                    "-subj", "/CN=bench.test", "-days", "2"], cwd=workdir, check=True, capture_output=True)
    pem = workdir / f"{kind}.pem"
    pem.write_text((workdir / f"{kind}.crt").read_text() + (workdir / f"{kind}.key").read_text())
    return pem


def config(threads, port, cert, backend_port, answer_here):
    action = ("    http-request return status 200 content-type text/plain string ok\n" if answer_here
              else "    default_backend be\n")
    return f"""global
    nbthread {threads}
    maxconn 9000
    tune.ssl.cachesize 20000
defaults
    mode http
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
frontend fe
    bind 127.0.0.1:{port} ssl crt {cert}
{action}backend be
    server s1 127.0.0.1:{backend_port}
"""


def pin(cpu, args, threads):
    return ["taskset", "-c", cpu, *args] if threads == 1 else list(args)


def start(kind, workdir, threads, cert, backend_port, answer_here, tandem_binary=None):
    port = free_port()
    cfg = workdir / f"{kind}-{threads}-{cert.stem}-{answer_here}.cfg"
    cfg.write_text(config(threads, port, cert, backend_port, answer_here))
    if kind != "haproxy":
        args = [tandem_binary or binary("tandem-balancer"), "-db", "-f", str(cfg), "--admin-socket",
                str(workdir / f"{kind}.sock")]
    else:
        args = ["haproxy", "-db", "-f", str(cfg)]
    p = Proc(pin(PROXY_CPU, args, threads), workdir / f"{cfg.stem}.out")
    wait_for_port("127.0.0.1", port)
    return p, port


def handshakes(port, seconds, threads, conns=64):
    out = subprocess.run(pin(LOAD_CPU, [loadgen(), str(port), str(seconds), str(conns)], threads),
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"handshakes/s ([\d.]+) done (\d+) failed (\d+)", out)
    return float(m.group(1)), int(m.group(3))


def wrk_https(port, seconds, threads):
    out = subprocess.run(pin(LOAD_CPU, ["wrk", "-t1", "-c50", f"-d{seconds}s", f"https://127.0.0.1:{port}/"], threads),
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Socket errors: (.*)", out)
    return rps, 0 if not errors else errors.group(1)


def cpu_seconds(proc):
    """User + system CPU time of a process, all its threads."""
    fields = Path(f"/proc/{proc.p.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare(name, workdir, threads, cert, backend_port, answer_here, measure, unit, pairs, seconds, baseline=None):
    procs = [start("tandem", workdir, threads, cert, backend_port, answer_here)]
    if baseline:
        procs.append(start("baseline", workdir, threads, cert, backend_port, answer_here, baseline))
    procs.append(start("haproxy", workdir, threads, cert, backend_port, answer_here))
    names = ["tandem", "baseline"] if baseline else ["tandem"]
    try:
        for _, port in procs:
            measure(port, 2, threads)  # warm-up
        # Besides the rates, each proxy's CPU time per operation: on a shared
        # machine it drifts much less than the rates (other builds take
        # cores away from the proxy and from the load generator alike).
        ratios = {n: [] for n in names}
        cpu_ratios = {n: [] for n in names}
        rates = {n: [] for n in [*names, "haproxy"]}
        for _ in range(pairs):
            got = []
            for p, port in procs:
                c0 = cpu_seconds(p)
                rate, errors = measure(port, seconds, threads)
                us = 1e6 * (cpu_seconds(p) - c0) / max(rate * seconds, 1)
                got.append((rate, errors, us))
            h, h_us = got[-1][0], got[-1][2]
            line = []
            for n, (rate, errors, us) in zip([*names, "haproxy"], got):
                rates[n].append(rate)
                line.append(f"{n} {rate:9.0f} {unit} {us:6.1f} us/op" + (f" ({n} failures: {errors})" if errors else ""))
                if n != "haproxy":
                    ratios[n].append(rate / h)
                    cpu_ratios[n].append(h_us / us if us else 0.0)
            line += [f"ratio {n} {ratios[n][-1]:.3f}" for n in names]
            print(f"  {name} {threads}t: " + "   ".join(line), flush=True)
        for n in names:
            r, c = ratios[n], cpu_ratios[n]
            print(f"{name} {threads} thread(s): {n + ' ' if baseline else ''}median ratio {statistics.median(r):.3f} "
                  f"(min {min(r):.3f}, max {max(r):.3f}); {n} median {statistics.median(rates[n]):.0f} {unit}, "
                  f"haproxy median {statistics.median(rates['haproxy']):.0f} {unit}; CPU per op, haproxy/{n}: "
                  f"median {statistics.median(c):.3f} (min {min(c):.3f}, max {max(c):.3f})", flush=True)
    finally:
        for p, _ in procs:
            p.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--baseline", default=None, help="another tandem-balancer binary, measured in the same rounds")
    args = ap.parse_args()
    for tool in ("haproxy", "nginx", "wrk", "taskset", "openssl"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (scripts/install-deps)")
    if not Path(loadgen()).exists():
        sys.exit(f"{loadgen()} is not built")
    want = set(args.only) if args.only else {"handshake-ecdsa", "handshake-rsa", "https-keepalive"}
    workdir = Path(tempfile.mkdtemp(prefix="tandem-tls-bench-"))
    bport = free_port()
    ng = nginx(workdir, bport)
    try:
        ecdsa, rsa = make_cert(workdir, "ecdsa"), make_cert(workdir, "rsa")
        for threads in args.threads:
            if "handshake-ecdsa" in want:
                compare("handshake-ecdsa", workdir, threads, ecdsa, bport, True, handshakes, "handshakes/s",
                        args.pairs, args.seconds, args.baseline)
            if "handshake-rsa" in want:
                compare("handshake-rsa", workdir, threads, rsa, bport, True, handshakes, "handshakes/s",
                        args.pairs, args.seconds, args.baseline)
            if "https-keepalive" in want:
                compare("https-keepalive", workdir, threads, ecdsa, bport, False, wrk_https, "req/s",
                        args.pairs, args.seconds, args.baseline)
    finally:
        ng.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
