"""tandem-balancer in TCP mode: large transfers both ways, half-closes in
either direction, and a slow reader (the balancer's writes must wait for
room and lose nothing). Raw TCP servers on 127.0.0.1 stand behind it."""

import hashlib
import os
import socket
import threading
import time

import pytest

from harness import BalancerProcess, free_port

CONFIG = """global
    nbthread 1
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    server s1 127.0.0.1:{server}
"""


class RawServer:
    """Runs `handler(conn)` on a thread per accepted connection. The
    harness's readiness probe (a bare connect) reaches it too: handlers must
    accept a connection that closes at once."""

    def __init__(self, handler):
        self.handler = handler
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.errors = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            self.handler(c)
        except OSError as e:
            self.errors.append(e)
        finally:
            c.close()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.sock.close()


def read_to_eof(s, chunk=65536, pause=0.0):
    parts = []
    while True:
        b = s.recv(chunk)
        if not b:
            return b"".join(parts)
        parts.append(b)
        if pause:
            time.sleep(pause)


def start(workdir, server):
    port = free_port()
    return port, BalancerProcess(workdir, CONFIG.format(port=port, server=server.port), ports=[port])


@pytest.fixture
def servers():
    made = []
    yield lambda handler: made.append(RawServer(handler)) or made[-1]
    for s in made:
        s.close()


def echo(c):
    while True:
        b = c.recv(65536)
        if not b:
            return
        c.sendall(b)


def test_large_transfer_both_ways_with_the_client_half_closing(workdir, servers):
    srv = servers(echo)
    data = os.urandom(24 << 20)
    port, bal = start(workdir, srv)
    with bal:
        c = socket.create_connection(("127.0.0.1", port))
        c.settimeout(20)

        def send():
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)  # the echo server sees EOF, then closes

        t = threading.Thread(target=send)
        t.start()
        got = read_to_eof(c)
        t.join()
        c.close()
        assert len(got) == len(data)
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


def test_a_half_closed_client_still_gets_the_answer(workdir, servers):
    def digest_after_eof(c):
        body = read_to_eof(c)
        c.sendall(f"{len(body)} {hashlib.sha256(body).hexdigest()}\n".encode())

    srv = servers(digest_after_eof)
    data = os.urandom(3 << 20)
    port, bal = start(workdir, srv)
    with bal:
        with socket.create_connection(("127.0.0.1", port)) as c:
            c.settimeout(10)
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
            answer = read_to_eof(c)
        assert answer == f"{len(data)} {hashlib.sha256(data).hexdigest()}\n".encode()


def test_a_server_half_close_and_a_slow_reader(workdir, servers):
    # The server sends first, closes its side, then still reads what the
    # client sends. The client reads slowly: the balancer's writes to it
    # must wait for room without losing or reordering bytes.
    download = os.urandom(6 << 20)
    received = []

    def send_then_read(c):
        c.sendall(download)
        c.shutdown(socket.SHUT_WR)
        received.append(read_to_eof(c))

    srv = servers(send_then_read)
    upload = os.urandom(2 << 20)
    port, bal = start(workdir, srv)
    with bal:
        with socket.create_connection(("127.0.0.1", port)) as c:
            c.settimeout(20)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            time.sleep(0.3)  # let the balancer fill the client's socket first
            got = read_to_eof(c, chunk=32768, pause=0.002)
            assert hashlib.sha256(got).digest() == hashlib.sha256(download).digest()
            # Half-closed by the server, the connection still carries the upload.
            c.sendall(upload)
            c.shutdown(socket.SHUT_WR)
            assert read_to_eof(c) == b""
        deadline = time.monotonic() + 10
        while not any(len(r) == len(upload) for r in received) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(r == upload for r in received), [len(r) for r in received]
