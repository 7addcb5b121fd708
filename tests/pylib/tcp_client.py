"""The clients of the labs.

    tcp_client.py once IP PORT          prints the answer (exit 1: none)
    tcp_client.py follow IP PORT NAME   connects again and again; prints
                                        "ready" after a first answer, then the
                                        CLOCK_MONOTONIC time of the first
                                        answer from NAME, and exits

Each attempt is a new connection with a short timeout, so that a SYN lost to
a stale ARP entry costs milliseconds, not the kernel's 1 s retransmission.
"""

import select
import socket
import sys
import time

ATTEMPT_TIMEOUT = 0.005
# The server answers on accept. A connection the old master's kernel completed
# just as its balancer died never gets that answer (nor, with the VIP gone, a
# reset): waiting long for it would measure this client, not the failover.
ANSWER_TIMEOUT = 0.02


def attempt(ip, port, timeout=ATTEMPT_TIMEOUT, answer_timeout=ANSWER_TIMEOUT):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect_ex((ip, port))
        _, w, _ = select.select([], [s], [], timeout)
        if not w or s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
            return None
        r, _, _ = select.select([s], [], [], answer_timeout)
        if not r:
            return None
        data = s.recv(64)
        return data.decode().strip() or None
    except OSError:
        return None
    finally:
        s.close()


def main():
    mode, ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "once":
        answer = attempt(ip, port, timeout=1.0, answer_timeout=1.0)
        print(answer or "")
        sys.exit(0 if answer else 1)
    want = sys.argv[4]
    ready = False
    while True:
        answer = attempt(ip, port)
        now = time.monotonic()
        if answer and not ready:
            ready = True
            print("ready", answer, flush=True)
        if answer == want and ready:
            print(f"{now:.6f}", flush=True)
            return
        if answer is None:
            time.sleep(0.0005)


if __name__ == "__main__":
    main()
