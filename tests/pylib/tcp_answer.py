"""A tiny TCP service for the labs: answers every connection with its name.

    tcp_answer.py PORT NAME

It stands for a load balancer's data plane (or, with SIGSTOP, a hung one: the
kernel still completes handshakes, but nobody answers). Prints "ready" once
listening.
"""

import socket
import sys


def serve(conn, name):
    # A few bytes into a fresh socket never block: answering inline keeps the
    # answer within microseconds of the handshake (no thread to start).
    try:
        conn.send(name.encode() + b"\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    port, name = int(sys.argv[1]), sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(1024)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        serve(conn, name)


if __name__ == "__main__":
    main()
