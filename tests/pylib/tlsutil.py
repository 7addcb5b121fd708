"""Test certificates made with the openssl CLI, and TLS clients.

make_pki(dir) writes, signed by one test CA (ECDSA P-256 unless rsa=True):
  ca.pem                       the CA certificate
  example.com.pem              CN example.com, SAN example.com + www.example.com (cert, chain, key)
  blog.example.com.pem         CN blog.example.com
  api.example.com.pem          CN api.example.com
  wild.pem                     CN *.wild.test (a wildcard)
  client.pem / client.key      a client certificate (CN client)
  expired.pem / expired.key    a client certificate that expired yesterday
  other-ca.pem, untrusted.pem  a second CA and a client certificate it signed
  mismatch.pem                 example.com's certificate with another key
"""

import socket
import ssl
import subprocess
from pathlib import Path


def _run(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _key_args(rsa):
    return ["-newkey", "rsa:2048"] if rsa else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]


def _issue(d, name, cn, sans, ca="ca", days=30, rsa=False, client=False):
    _run("req", "-new", *_key_args(rsa), "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
         "-subj", f"/O=Tandem Test/CN={cn}", cwd=d)
    ext = Path(d) / f"{name}.ext"
    lines = ["basicConstraints=CA:FALSE",
             f"extendedKeyUsage={'clientAuth' if client else 'serverAuth'}"]
    if sans:
        lines.append("subjectAltName=" + ",".join(f"DNS:{s}" for s in sans))
    ext.write_text("\n".join(lines) + "\n")
    _run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
         "-out", f"{name}.crt", "-days", str(days), "-extfile", ext.name, cwd=d)
    crt = (Path(d) / f"{name}.crt").read_text()
    key = (Path(d) / f"{name}.key").read_text()
    (Path(d) / f"{name}.pem").write_text(crt + key)


def make_ca(d, name, rsa=False):
    _run("req", "-x509", *_key_args(rsa), "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem",
         "-subj", f"/O=Tandem Test/CN={name}", "-days", "30", cwd=d)


def make_pki(d, rsa=False):
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    make_ca(d, "ca", rsa)
    _issue(d, "example.com", "example.com", ["example.com", "www.example.com"], rsa=rsa)
    _issue(d, "blog.example.com", "blog.example.com", ["blog.example.com"], rsa=rsa)
    _issue(d, "api.example.com", "api.example.com", ["api.example.com"], rsa=rsa)
    _issue(d, "wild", "*.wild.test", ["*.wild.test"], rsa=rsa)
    _issue(d, "client", "client", [], client=True)
    _issue(d, "expired", "expired", [], days=-1, client=True)
    make_ca(d, "other-ca")
    _issue(d, "untrusted", "untrusted", [], ca="other-ca", client=True)
    # A certificate with a key that is not its own.
    (d / "mismatch.pem").write_text((d / "example.com.crt").read_text() + (d / "blog.example.com.key").read_text())
    return d


def client_context(ca=None, cert=None, key=None, min_version=None, max_version=None, alpn=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca:
        ctx.load_verify_locations(str(ca))
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(str(cert), str(key) if key else None)
    if min_version:
        ctx.minimum_version = min_version
    if max_version:
        ctx.maximum_version = max_version
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def tls_connect(port, ctx, sni=None, session=None, host="127.0.0.1", timeout=5.0):
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        return ctx.wrap_socket(raw, server_hostname=sni, session=session)
    except Exception:
        raw.close()
        raise


def peer_cn(tls_sock):
    cert = tls_sock.getpeercert(binary_form=True)
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "RFC2253"],
                         input=cert, capture_output=True, check=True).stdout.decode()
    for part in out.strip().removeprefix("subject=").split(","):
        k, _, v = part.partition("=")
        if k.strip() == "CN":
            return v
    return None


def server_context(pem, ca=None, require_client_cert=False):
    """For a test HTTPS backend (Backend(ssl_context=...))."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pem))
    if ca:
        ctx.load_verify_locations(str(ca))
        ctx.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    return ctx


class TlsConnection:
    """httpclient.Connection over TLS: the same request()/read_response()."""

    def __new__(cls, port, ctx, sni=None, session=None, host="127.0.0.1", timeout=5.0):
        from httpclient import Connection
        conn = Connection.__new__(Connection)
        conn.sock = tls_connect(port, ctx, sni=sni, session=session, host=host, timeout=timeout)
        conn.buf = b""
        return conn
