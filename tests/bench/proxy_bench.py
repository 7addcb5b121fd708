#!/usr/bin/env python3
"""tandem-balancer against HAProxy, same configuration, same run.

Both proxies run one thread pinned to CPU 1; nginx (the backend) and wrk are
pinned to CPU 0. Runs are interleaved (T, H, T, H, ...) after a warm-up, and
the median of the per-pair ratios is reported with its spread. Scenarios:

  http-keepalive   wrk keep-alive, 50 connections, tiny body
  http-close       wrk with "Connection: close" (a new connection per request)
  tcp              TCP mode, wrk keep-alive through it
  tcp-bulk         TCP mode, 1 MiB responses (10 connections): bulk copying,
                   where splice(2) could pay off; HAProxy runs twice, without
                   and with `option splice-auto`, to show what splice is worth
  idle-memory      RSS with 5,000 idle keep-alive client connections

Each pair also prints each proxy's own CPU per request (utime + stime over
the run: the figure that holds when the machine is not quiet) and the TCP
segments sent per request (the packets each proxy causes), and the summary
the load average.

Usage: proxy_bench.py [--pairs N] [--seconds S] [--only SCENARIO...]
Exit status is 0 unless something failed to run; it is a measurement, not a
pass/fail test.
"""

import argparse
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

from harness import binary, free_port, wait_for, wait_for_port  # noqa: E402

PROXY_CPU = "1"
LOAD_CPU = "0"
BULK_BYTES = 1 << 20


def pinned(cpu, args):
    return ["taskset", "-c", cpu, *args]


class Proc:
    def __init__(self, args, log):
        self.log = open(log, "w")
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()

    def cpu_seconds(self):
        # utime + stime: what the proxy itself spent, whatever else the
        # machine was doing.
        with open(f"/proc/{self.p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kb(self):
        # HAProxy and tandem are single processes here (-db, no master).
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def nginx(workdir, port):
    conf = workdir / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
error_log {workdir}/nginx-error.log;
pid {workdir}/nginx.pid;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{ return 200 "hello\\n"; }}
    location /files/ {{ alias {workdir}/files/; }}
  }}
}}
""")
    (workdir / "files").mkdir(exist_ok=True)
    (workdir / "files" / "bulk.bin").write_bytes(os.urandom(BULK_BYTES))
    # nginx's workers (not root) must reach the file: mkdtemp makes 0700.
    os.chmod(workdir, 0o755)
    os.chmod(workdir / "files", 0o755)
    os.chmod(workdir / "files" / "bulk.bin", 0o644)
    p = Proc(pinned(LOAD_CPU, ["nginx", "-c", str(conf)]), workdir / "nginx.out")
    wait_for_port("127.0.0.1", port)
    return p


def proxy_config(mode, port, backend_port, extra=""):
    return f"""global
    nbthread 1
    maxconn 9000
defaults
    mode {mode}{extra}
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    server s1 127.0.0.1:{backend_port}
"""


def start_proxy(kind, workdir, mode, port, backend_port, extra=""):
    cfg = workdir / f"{kind}-{mode}.cfg"
    cfg.write_text(proxy_config(mode, port, backend_port, extra))
    if kind == "tandem":
        args = [binary("tandem-balancer"), "-db", "-f", str(cfg), "--admin-socket", str(workdir / f"{kind}.sock")]
    else:
        args = ["haproxy", "-db", "-f", str(cfg)]
    p = Proc(pinned(PROXY_CPU, args), workdir / f"{kind}-{mode}.out")
    try:
        wait_for_port("127.0.0.1", port)
    except BaseException:
        p.stop()  # a proxy that did not come up must not outlive the run
        raise
    return p


def wrk(port, seconds, close=False, conns=50, path="/"):
    args = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency"]
    if close:
        args += ["-H", "Connection: close"]
    out = subprocess.run(pinned(LOAD_CPU, args + [f"http://127.0.0.1:{port}{path}"]), capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, (errors.group(1) if errors else ""), int(non2xx.group(1)) if non2xx else 0


def tcp_segments():
    """TCP segments the machine sent so far (/proc/net/snmp OutSegs). Over
    loopback every segment one side sends the other receives: per request,
    this counts the packets each proxy causes (on a quiet machine)."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Tcp:")]
    return int(rows[1][rows[0].index("OutSegs")])


def measured_wrk(proc, port, seconds, close):
    """wrk through `proc`, with what the proxy spent per request: its CPU
    (utime + stime) and the TCP segments sent on the machine."""
    c0, s0 = proc.cpu_seconds(), tcp_segments()
    rps, err, non2xx = wrk(port, seconds, close)
    n = max(rps * seconds, 1)
    return rps, err, non2xx, (proc.cpu_seconds() - c0) / n * 1e6, (tcp_segments() - s0) / n


def throughput(name, workdir, backend_port, mode, close, pairs, seconds):
    tport, hport = free_port(), free_port()
    t = start_proxy("tandem", workdir, mode, tport, backend_port)
    try:
        h = start_proxy("haproxy", workdir, mode, hport, backend_port)
    except BaseException:
        t.stop()
        raise
    try:
        wrk(tport, 2, close)  # warm-up
        wrk(hport, 2, close)
        ratios, tr, hr, tc, hc = [], [], [], [], []
        for _ in range(pairs):
            a, ea, na, ca, sa = measured_wrk(t, tport, seconds, close)
            b, eb, nb, cb, sb = measured_wrk(h, hport, seconds, close)
            tr.append(a)
            hr.append(b)
            tc.append(ca)
            hc.append(cb)
            ratios.append(a / b)
            flag = f"  tandem errors: {ea} non2xx {na}" if ea or na else ""
            flag += f"  haproxy errors: {eb} non2xx {nb}" if eb or nb else ""
            print(f"  {name}: tandem {a:9.0f} req/s   haproxy {b:9.0f} req/s   ratio {a / b:.3f}"
                  f"   cpu/req {ca:.1f} vs {cb:.1f} us   segments/req {sa:.2f} vs {sb:.2f}{flag}", flush=True)
        med = statistics.median(ratios)
        print(f"{name}: median ratio {med:.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); "
              f"tandem median {statistics.median(tr):.0f} req/s, haproxy median {statistics.median(hr):.0f} req/s; "
              f"proxy CPU per request tandem {statistics.median(tc):.1f} us, haproxy {statistics.median(hc):.1f} us; "
              f"load {os.getloadavg()[0]:.1f}",
              flush=True)
        return med
    finally:
        t.stop()
        h.stop()


def bulk(workdir, backend_port, pairs, seconds):
    """TCP mode with 1 MiB responses: tandem, HAProxy, HAProxy with splice."""
    ports = {"tandem": free_port(), "haproxy": free_port(), "haproxy-splice": free_port()}
    procs = []
    try:
        procs.append(start_proxy("tandem", workdir, "tcp", ports["tandem"], backend_port))
        procs.append(start_proxy("haproxy", workdir, "tcp", ports["haproxy"], backend_port))
        # A config of its own (start_proxy names files by kind and mode).
        cfg = workdir / "haproxy-splice.cfg"
        # maxpipes: by default maxconn/4 pipes, more descriptors than the hard limit allows.
        cfg.write_text(proxy_config("tcp", ports["haproxy-splice"], backend_port, "\n    option splice-auto")
                       .replace("maxconn 9000", "maxconn 9000\n    maxpipes 512"))
        procs.append(Proc(pinned(PROXY_CPU, ["haproxy", "-db", "-f", str(cfg)]), workdir / "haproxy-splice.out"))
        wait_for_port("127.0.0.1", ports["haproxy-splice"])
        path = "/files/bulk.bin"
        by_kind = dict(zip(ports, procs))
        for k in ports:
            wrk(ports[k], 2, conns=10, path=path)  # warm-up
        res = {k: [] for k in ports}
        cpu = {k: [] for k in ports}  # the proxy's CPU seconds per GB moved
        for _ in range(pairs):
            line = []
            for k in ports:
                c0 = by_kind[k].cpu_seconds()
                rps, err, non2xx = wrk(ports[k], seconds, conns=10, path=path)
                gb = rps * seconds * BULK_BYTES / 1e9
                cpu[k].append((by_kind[k].cpu_seconds() - c0) / gb if gb else 0.0)
                res[k].append(rps)
                line.append(f"{k} {rps * BULK_BYTES / 1e6:6.0f} MB/s {cpu[k][-1]:.3f} cpu-s/GB"
                            + (f" (errors: {err})" if err else "") + (f" (non-2xx: {non2xx})" if non2xx else ""))
            t, h, hs = res["tandem"][-1], res["haproxy"][-1], res["haproxy-splice"][-1]
            print(f"  tcp-bulk: {'   '.join(line)}   ratio {t / h:.3f} (vs splice {t / hs:.3f})", flush=True)
        r = [a / b for a, b in zip(res["tandem"], res["haproxy"])]
        rs = [a / b for a, b in zip(res["tandem"], res["haproxy-splice"])]
        sp = [a / b for a, b in zip(res["haproxy-splice"], res["haproxy"])]
        med = {k: statistics.median(v) * BULK_BYTES / 1e6 for k, v in res.items()}
        print("tcp-bulk: proxy CPU per GB (median): "
              + ", ".join(f"{k} {statistics.median(v):.3f} s" for k, v in cpu.items()), flush=True)
        print(f"tcp-bulk: median ratio {statistics.median(r):.3f} vs haproxy, {statistics.median(rs):.3f} vs haproxy "
              f"with splice-auto; splice's own gain for haproxy {statistics.median(sp):.3f}; medians "
              + ", ".join(f"{k} {v:.0f} MB/s" for k, v in med.items()), flush=True)
    finally:
        for p in procs:
            p.stop()


def idle_memory(workdir, backend_port, conns=5000):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results = {}
    for kind in ("tandem", "haproxy"):
        port = free_port()
        p = start_proxy(kind, workdir, "http", port, backend_port)
        try:
            time.sleep(0.5)
            base = p.rss_kb()
            socks = []
            for i in range(conns):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
                socks.append(s)
                if len(socks) % 500 == 0:  # read the answers in batches
                    for x in socks[-500:]:
                        x.recv(4096)
            # Let buffers of idle connections be released and freed pages go
            # back to the system (tandem: jemalloc's 1 s decay).
            time.sleep(5)
            loaded = p.rss_kb()
            results[kind] = (base, loaded)
            print(f"  idle-memory {kind}: RSS {base / 1024:.1f} MB idle, {loaded / 1024:.1f} MB with {conns} "
                  f"keep-alive connections: {(loaded - base) * 1024 / conns:.0f} bytes per connection", flush=True)
            for s in socks:
                s.close()
        finally:
            p.stop()
    t, h = results["tandem"], results["haproxy"]
    print(f"idle-memory: tandem {t[1] / 1024:.1f} MB vs haproxy {h[1] / 1024:.1f} MB with {conns} connections "
          f"(ratio {t[1] / h[1]:.2f}); per connection {(t[1] - t[0]) * 1024 / conns:.0f} B vs "
          f"{(h[1] - h[0]) * 1024 / conns:.0f} B", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    for tool in ("haproxy", "nginx", "wrk", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (scripts/install-deps)")
    want = set(args.only) if args.only else {"http-keepalive", "http-close", "tcp", "tcp-bulk", "idle-memory"}
    workdir = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
    bport = free_port()
    ng = nginx(workdir, bport)
    try:
        direct, _, _ = wrk(bport, 3)
        print(f"backend alone (nginx, CPU {LOAD_CPU}): {direct:.0f} req/s", flush=True)
        if "http-keepalive" in want:
            r = throughput("http-keepalive", workdir, bport, "http", False, args.pairs, args.seconds)
        if "http-close" in want:
            throughput("http-close", workdir, bport, "http", True, args.pairs, args.seconds)
        if "tcp" in want:
            throughput("tcp", workdir, bport, "tcp", False, args.pairs, args.seconds)
        if "tcp-bulk" in want:
            bulk(workdir, bport, args.pairs, args.seconds)
        if "idle-memory" in want:
            idle_memory(workdir, bport)
    finally:
        ng.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
