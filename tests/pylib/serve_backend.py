"""Runs one test HTTP backend (backend.py) as its own process, so that a lab
can place it in a network namespace:

    serve_backend.py NAME HOST PORT

Prints "ready" once listening; runs until SIGTERM or SIGKILL."""

import signal
import sys
import threading

from backend import Backend


def main():
    name, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    b = Backend(name, host, port)
    if not b._server:
        print(f"cannot listen on {host}:{port}", file=sys.stderr)
        return 1
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    done.wait()
    b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
