"""Raw HTTP/1.1 client helpers: send exact bytes, read exact responses.

http.client normalises what it sends; these helpers do not, so tests can send
malformed requests and see precisely what the proxy answers.
"""

import socket
import time


class Response:
    def __init__(self, status, reason, headers, body, raw):
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)]
        self.body = body
        self.raw = raw

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"<Response {self.status} {self.headers} {self.body[:80]!r}>"


class Connection:
    """One TCP connection to a proxy; requests and responses in order."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def read_response(self, head_request=False) -> Response:
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, status, *reason = lines[0].split(" ", 2)
        status = int(status)
        headers = []
        for line in lines[1:]:
            n, _, v = line.partition(":")
            headers.append((n, v.strip()))
        hmap = {n.lower(): v for n, v in headers}
        body = b""
        if head_request or status in (204, 304) or 100 <= status < 200:
            pass
        elif "transfer-encoding" in hmap:
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                line, _, self.buf = self.buf.partition(b"\r\n")
                size = int(line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    self._fill()
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
                if size == 0:
                    break
        elif "content-length" in hmap:
            n = int(hmap["content-length"])
            while len(self.buf) < n:
                self._fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        else:
            try:
                while True:
                    self._fill()
            except EOFError:
                pass
            body, self.buf = self.buf, b""
        return Response(status, reason[0] if reason else "", headers, body, head)

    def request(self, method="GET", target="/", headers=None, body=b"", version="HTTP/1.1") -> Response:
        headers = dict(headers or {})
        if version == "HTTP/1.1":
            headers.setdefault("Host", "test.local")
        if body:
            headers.setdefault("Content-Length", str(len(body)))
        head = f"{method} {target} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.send(head.encode() + body)
        return self.read_response(head_request=(method == "HEAD"))

    def closed_by_peer(self, timeout=5.0) -> bool:
        """True when the peer closes the connection within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def get(host, port, target="/", headers=None, timeout=10.0) -> Response:
    """One request on a fresh connection with Connection: close."""
    h = {"Connection": "close"}
    h.update(headers or {})
    with Connection(host, port, timeout) as c:
        return c.request("GET", target, h)


def raw_exchange(host, port, data: bytes, timeout=5.0) -> bytes:
    """Sends bytes, returns everything received until the peer closes (or timeout)."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()
