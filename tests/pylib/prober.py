"""An HTTP client that asks again and again on fresh connections, the way a
user behind a browser sees a failover:

    prober.py HOST PORT [--interval S] [--connect-timeout S] [--timeout S]
              [--cookies] [--path P] [--once]

Every `interval` (default 10 ms) it opens a new connection, sends one GET and
prints one line when it is done: "<CLOCK_MONOTONIC seconds> <backend name or -> <detail>".
With --cookies it keeps the cookies it is given (as a browser would), so
cookie persistence is visible as the same backend name on every line.
Connecting has a short timeout (default 20 ms) so that a SYN lost to a stale
ARP entry costs milliseconds, not the kernel's one-second retransmission; a
connected request gets 500 ms to be answered, as a user would wait. Runs
until SIGTERM."""

import argparse
import signal
import socket
import sys
import time

stop = False


def attempt(host, port, path, cookie, timeout, connect_timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(connect_timeout)
        s.connect((host, port))
        s.settimeout(timeout)
        head = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        if cookie:
            head += f"Cookie: {cookie}\r\n"
        s.sendall((head + "\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        head_text = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head_text.split("\r\n")
        if not lines[0].startswith("HTTP/1.1 "):
            return None, f"bad answer {lines[0]!r}", None
        status = int(lines[0].split()[1])
        backend, set_cookie = None, None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "x-backend":
                backend = value.strip()
            elif name.lower() == "set-cookie":
                set_cookie = value.strip().split(";", 1)[0]
        if status != 200:
            return None, f"status {status}", set_cookie
        return backend, "ok", set_cookie
    except OSError as e:
        return None, type(e).__name__, None
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--connect-timeout", type=float, default=0.02)
    ap.add_argument("--timeout", type=float, default=0.5)
    ap.add_argument("--cookies", action="store_true")
    ap.add_argument("--path", default="/")
    ap.add_argument("--once", action="store_true", help="one attempt (1 s timeout); exit 1 when it fails")
    a = ap.parse_args()
    if a.once:
        backend, detail, _ = attempt(a.host, a.port, a.path, None, 1.0, 1.0)
        print(f"{time.monotonic():.6f} {backend or '-'} {detail}")
        return 0 if backend else 1

    def on_term(*_):
        global stop
        stop = True
    signal.signal(signal.SIGTERM, on_term)
    cookie = None
    next_at = time.monotonic()
    while not stop:
        backend, detail, set_cookie = attempt(a.host, a.port, a.path, cookie if a.cookies else None, a.timeout,
                                              a.connect_timeout)
        if set_cookie:
            cookie = set_cookie
        print(f"{time.monotonic():.6f} {backend or '-'} {detail}", flush=True)
        next_at = max(next_at + a.interval, time.monotonic())
        time.sleep(max(0.0, next_at - time.monotonic()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
