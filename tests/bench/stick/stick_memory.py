#!/usr/bin/env python3
"""Memory of a 1M-entry `type ip` stick table: Tandem's store against
HAProxy 2.6 with the same table, in the same run.

HAProxy is filled through its runtime API (`set table ... data.server_id 1
data.http_req_rate 1` over the stats socket, pipelined in prompt mode), with
`stick on src` in the backend as a sticky configuration has it. Tandem is
filled through its data path in a fresh process (bench_stick_memory). Both
report whole-process RSS and the growth due to the table."""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def key(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def cli(path, command):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(command.encode() + b"\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out.decode()
        out += b


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def haproxy_fill(haproxy, entries, store, with_rate):
    with tempfile.TemporaryDirectory(prefix="tandem-bench-hap-") as d:
        sock = os.path.join(d, "admin.sock")
        cfg = os.path.join(d, "h.cfg")
        with open(cfg, "w") as f:
            f.write(f"""global
  stats socket {sock} level admin
  nbthread 1
defaults
  mode http
  timeout client 5s
  timeout server 5s
  timeout connect 5s
frontend f
  bind 127.0.0.1:{free_port()}
  default_backend web
backend web
  stick-table type ip size 1m expire 30m store {store}
  stick on src
  server s1 127.0.0.1:9
""")
        p = subprocess.Popen([haproxy, "-db", "-f", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(100):
                if os.path.exists(sock) or p.poll() is not None:
                    break
                time.sleep(0.05)
            if not os.path.exists(sock):
                raise RuntimeError("haproxy did not start: " + p.stderr.read().decode())
            time.sleep(0.2)
            before = rss_kb(p.pid)
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            data = "data.server_id 1" + (" data.http_req_rate 1" if with_rate else "")
            prompts = [0]

            def drain():
                while prompts[0] < entries + 1:
                    b = s.recv(1 << 20)
                    if not b:
                        return
                    prompts[0] += b.count(b"> ")

            t = threading.Thread(target=drain)
            t.start()
            s.sendall(b"prompt\n")
            chunk = []
            for i in range(entries):
                chunk.append(f"set table web key {key(i)} {data}\n")
                if len(chunk) == 5000:
                    s.sendall("".join(chunk).encode())
                    chunk = []
            s.sendall("".join(chunk).encode())
            t.join()
            s.close()
            used = cli(sock, "show table").strip()
            after = rss_kb(p.pid)
            return {"rss_before_kb": before, "rss_after_kb": after, "show": used}
        finally:
            p.terminate()
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tandem", required=True, help="bench_stick_memory binary")
    ap.add_argument("--haproxy", default="haproxy")
    ap.add_argument("--entries", type=int, default=1000000)
    a = ap.parse_args()
    print(f"# stick table memory, {a.entries} ip entries, size 1m, expire 30m (RSS, KiB)")
    for store, with_rate in (("server_id", False), ("server_id,http_req_rate(10s)", True)):
        ours = json.loads(subprocess.check_output([a.tandem, str(a.entries), store]))
        hap = haproxy_fill(a.haproxy, a.entries, store, with_rate)
        t_total, h_total = ours["rss_after_kb"], hap["rss_after_kb"]
        t_grow = ours["rss_after_kb"] - ours["rss_before_kb"]
        h_grow = hap["rss_after_kb"] - hap["rss_before_kb"]
        print(f"store {store}:")
        print(f"  HAProxy 2.6  RSS {h_total:>8}  growth {h_grow:>8}   ({hap['show']})")
        print(f"  Tandem       RSS {t_total:>8}  growth {t_grow:>8}   (entries {ours['entries']}, "
              f"{ours['entry_bytes']} B/entry, table {ours['table_bytes'] // 1024} KiB, "
              f"log {ours['log_bytes'] // 1024} KiB)")
        print(f"  ratio Tandem/HAProxy: RSS {t_total / h_total:.2f}, growth {t_grow / h_grow:.2f}")
        if ours["entries"] != a.entries:
            print("  ERROR: Tandem's table does not hold every entry", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
