"""A scriptable HTTP/1.1 test backend that records everything it receives.

Runs an asyncio server on its own thread inside the test process, so a test can
assert on exactly what reached the server (and that a refused request never
did). Behaviour by path:

  /                      200, body "<name>\n"
  /status/NNN            that status
  /slow/MS               answers after MS milliseconds
  /set-cookie/TEXT       200 with `Set-Cookie: TEXT` (e.g. NAME=VALUE)
  /size/N                N bytes of body (Content-Length)
  /chunked/N             N bytes, chunked, in 1000-byte chunks
  /close                 body delimited by closing the connection (no length)
  /cut/N                 announces N+100 bytes, sends N, closes (a body cut short)
  /stall/N               announces N+100 bytes, sends N, then sends nothing more
  /echo                  echoes the request body
  /garbage               a malformed response
  /hang                  reads the request, never answers
  /ws                    websocket-style upgrade (101), then echoes bytes
  /health, /wiki/...     what set_health() says: a status (default 200 "OK"),
                         "hang" or "garbage" (health-check tests)

Every response carries `X-Backend: <name>` and `X-Seen-Requests: <n>` (requests
seen on that connection). Requests are parsed leniently on purpose: the
backend must record whatever a proxy lets through.
"""

import asyncio
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Received:
    method: str
    target: str
    version: str
    headers: list  # [(name, value)] as received
    body: bytes
    raw_head: bytes
    peer: tuple

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    def all_headers(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]


@dataclass
class Backend:
    name: str
    host: str = "127.0.0.1"
    port: int = 0
    requests: list = field(default_factory=list)
    connections: int = 0
    ssl_context: object = None  # an ssl.SSLContext: the backend speaks HTTPS

    def __post_init__(self):
        self.health = 200
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    # --- lifecycle ---------------------------------------------------------
    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, self.host, self.port, reuse_address=True, ssl=self.ssl_context))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def stop(self):
        """Closes the listener and every connection (the server is 'dead')."""
        def _stop():
            self._server.close()
            for t in asyncio.all_tasks(self._loop):
                t.cancel()
        self._loop.call_soon_threadsafe(_stop)
        time.sleep(0.05)

    def start_again(self):
        """Listens again on the same port."""
        done = threading.Event()

        async def _start():
            self._server = await asyncio.start_server(self._serve, self.host, self.port, reuse_address=True,
                                                      ssl=self.ssl_context)
            done.set()
        asyncio.run_coroutine_threadsafe(_start(), self._loop)
        done.wait(5)

    def close(self):
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def set_health(self, what):
        """What health-check paths answer: a status code, "hang" or "garbage"."""
        self.health = what

    def health_checks(self):
        with self._lock:
            return [r for r in self.requests if self._is_health(r.target)]

    @staticmethod
    def _is_health(target):
        return target.startswith("/health") or target.startswith("/wiki/") or target.startswith("/status?haproxy")

    def received(self):
        with self._lock:
            return list(self.requests)

    def clear(self):
        with self._lock:
            self.requests.clear()

    # --- serving -------------------------------------------------------------
    async def _read_head(self, reader):
        head = b""
        while b"\r\n\r\n" not in head and b"\n\n" not in head:
            chunk = await reader.read(1)
            if not chunk:
                return None
            head += chunk
            if len(head) > 1 << 20:
                return None
        return head

    async def _read_body(self, reader, headers):
        te = [v for n, v in headers if n.lower() == "transfer-encoding"]
        cl = [v for n, v in headers if n.lower() == "content-length"]
        if te and "chunked" in te[-1].lower():
            body = b""
            while True:
                line = await reader.readline()
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += await reader.readexactly(size)
                await reader.readline()
        if cl:
            return await reader.readexactly(int(cl[0]))
        return b""

    async def _serve(self, reader, writer):
        with self._lock:
            self.connections += 1
        peer = writer.get_extra_info("peername")
        seen = 0
        try:
            while True:
                head = await self._read_head(reader)
                if head is None:
                    break
                lines = head.replace(b"\r\n", b"\n").split(b"\n")
                parts = lines[0].decode("latin-1").split(" ")
                method, target, version = (parts + ["", "", ""])[:3]
                headers = []
                for line in lines[1:]:
                    if not line:
                        continue
                    name, _, value = line.decode("latin-1").partition(":")
                    headers.append((name, value.strip()))
                expect = [v for n, v in headers if n.lower() == "expect"]
                if expect and expect[0].lower() == "100-continue" and not target.startswith("/status/"):
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    await writer.drain()
                body = b""
                if not target.startswith("/status/417"):
                    body = await self._read_body(reader, headers)
                seen += 1
                rec = Received(method, target, version, headers, body, head, peer)
                with self._lock:
                    self.requests.append(rec)
                keep = await self._respond(rec, reader, writer, seen)
                if not keep:
                    break
        except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _respond(self, rec, reader, writer, seen):
        path = rec.target.split("?")[0]
        common = f"X-Backend: {self.name}\r\nX-Seen-Requests: {seen}\r\n"
        closing = (rec.header("connection") or "").lower() == "close" or rec.version == "HTTP/1.0"
        conn_hdr = "Connection: close\r\n" if closing else ""

        def send(status, body, extra=""):
            reason = {200: "OK", 101: "Switching Protocols"}.get(status, "Status")
            writer.write(f"HTTP/1.1 {status} {reason}\r\n{common}{extra}{conn_hdr}"
                         f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

        if self._is_health(rec.target):
            h = self.health
            if h == "hang":
                await asyncio.sleep(3600)
            elif h == "garbage":
                writer.write(b"this is not HTTP\r\n\r\n")
                await writer.drain()
                return False
            else:
                send(int(h), b"OK\n" if int(h) == 200 else b"sick\n")
        elif path.startswith("/status/"):
            send(int(path.split("/")[2]), f"{self.name} status\n".encode())
        elif path.startswith("/slow/"):
            await asyncio.sleep(int(path.split("/")[2]) / 1000)
            send(200, f"{self.name}\n".encode())
        elif path.startswith("/set-cookie/"):
            send(200, b"cookie\n", f"Set-Cookie: {path[len('/set-cookie/'):]}; Path=/\r\n")
        elif path.startswith("/size/"):
            send(200, b"x" * int(path.split("/")[2]))
        elif path.startswith("/chunked/"):
            n = int(path.split("/")[2])
            writer.write(f"HTTP/1.1 200 OK\r\n{common}{conn_hdr}Transfer-Encoding: chunked\r\n\r\n".encode())
            sent = 0
            while sent < n:
                k = min(1000, n - sent)
                writer.write(f"{k:x}\r\n".encode() + b"y" * k + b"\r\n")
                sent += k
                await writer.drain()
            writer.write(b"0\r\n\r\n")
        elif path == "/close":
            writer.write(f"HTTP/1.1 200 OK\r\n{common}Connection: close\r\n\r\n{self.name} until close\n".encode())
            await writer.drain()
            return False
        elif path.startswith("/cut/") or path.startswith("/stall/"):
            n = int(path.split("/")[2])
            writer.write(f"HTTP/1.1 200 OK\r\n{common}Content-Length: {n + 100}\r\n\r\n".encode() + b"z" * n)
            await writer.drain()
            if path.startswith("/stall/"):
                await asyncio.sleep(3600)
            return False
        elif path == "/echo":
            send(200, rec.body)
        elif path == "/garbage":
            writer.write(b"HTTP/1.1 200 OK\r\nBad Header : x\r\nContent-Length: 2\r\n\r\nok")
        elif path == "/hang":
            await asyncio.sleep(3600)
        elif path == "/ws":
            writer.write(f"HTTP/1.1 101 Switching Protocols\r\n{common}Upgrade: websocket\r\n"
                         f"Connection: Upgrade\r\n\r\n".encode())
            await writer.drain()
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            return False
        else:
            send(200, f"{self.name}\n".encode())
        await writer.drain()
        return not closing
