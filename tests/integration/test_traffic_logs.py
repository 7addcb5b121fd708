"""Traffic logs: `log` targets (UDP syslog, a unix datagram socket, stdout),
option httplog/tcplog, log-format, dontlognull, log-separate-errors and
captures. Lines are received by a syslog listener in the test and parsed
field by field against HAProxy's layout."""

import contextlib
import http.client
import re
import shutil
import socket
import time

import pytest

from backend import Backend
from harness import BalancerProcess, Daemon, free_port, wait_for, wait_for_port
from httpclient import Connection, get, raw_exchange


@contextlib.contextmanager
def running(name, workdir, cfg, ports, tag):
    """tandem-balancer ("tandem") or HAProxy running `cfg`, once it listens
    on every port: the process (its .output and .proc)."""
    if name == "tandem":
        with BalancerProcess(workdir, cfg, ports=ports) as p:
            yield p
    else:
        path = workdir / f"hap-{tag}.cfg"
        path.write_text(cfg)
        with Daemon(["haproxy", "-db", "-f", str(path)], name="haproxy") as h:
            for port in ports:
                wait_for_port("127.0.0.1", port, h)
            yield h


class Syslog:
    """A UDP (or unix datagram) syslog listener collecting lines."""

    def __init__(self, path=None):
        if path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.sock.bind(str(path))
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
        self.sock.settimeout(5)

    def next(self):
        return self.sock.recv(65536).decode()

    def close(self):
        self.sock.close()


@pytest.fixture
def syslog():
    s = Syslog()
    yield s
    s.close()


@pytest.fixture
def app():
    b = Backend("app1")
    yield b
    b.close()


RFC3164 = re.compile(r"^<(\d+)>(\w{3}) ([ \d]\d) (\d\d:\d\d:\d\d) haproxy\[(\d+)\]: (.*)$")
HTTPLOG = re.compile(
    r"^(?P<ci>[\d.]+):(?P<cp>\d+) \[(?P<tr>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] (?P<ft>\S+) (?P<b>[^/ ]+)/(?P<s>\S+) "
    r"(?P<TR>-?\d+)/(?P<Tw>-?\d+)/(?P<Tc>-?\d+)/(?P<Tr>-?\d+)/(?P<Ta>\d+) (?P<ST>-?\d+) (?P<B>\d+) (?P<CC>\S+) (?P<CS>\S+) "
    r"(?P<tsc>\S{4}) (?P<ac>\d+)/(?P<fc>\d+)/(?P<bc>\d+)/(?P<sc>\d+)/(?P<rc>\d+) (?P<sq>\d+)/(?P<bq>\d+)"
    r"(?: (?P<hr>\{[^}]*\}))?(?: (?P<hs>\{[^}]*\}))? \"(?P<r>[^\"]*)\"$")
TCPLOG = re.compile(
    r"^(?P<ci>[\d.]+):(?P<cp>\d+) \[(?P<t>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] (?P<ft>\S+) (?P<b>[^/ ]+)/(?P<s>\S+) "
    r"(?P<Tw>-?\d+)/(?P<Tc>-?\d+)/(?P<Tt>\d+) (?P<B>\d+) (?P<ts>\S\S) (?P<ac>\d+)/(?P<fc>\d+)/(?P<bc>\d+)/(?P<sc>\d+)/(?P<rc>\d+) "
    r"(?P<sq>\d+)/(?P<bq>\d+)$")


def syslog_line(text):
    m = RFC3164.match(text)
    assert m, text
    pri = int(m.group(1))
    return pri // 8, pri % 8, int(m.group(5)), m.group(6)


def http_config(port, app, target, extra=""):
    return ("global\n"
            f"    log {target} local0\n"
            "defaults\n    log global\n    mode http\n    option httplog\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n"
            "    capture request header Host len 12\n    capture request header User-Agent len 5\n"
            "    capture response header X-Backend len 40\n"
            "    option dontlognull\n"  # not the readiness probe's empty connection (see test_aborted_requests...)
            f"{extra}"
            "    default_backend farm\n"
            f"backend farm\n    server a {app.address}\n")


def test_httplog_fields(workdir, syslog, app):
    port = free_port()
    with BalancerProcess(workdir, http_config(port, app, f"udp@127.0.0.1:{syslog.port}"), ports=[port]) as p:
        with Connection("127.0.0.1", port) as c:
            r = c.request("GET", "/size/100?x=1", {"Host": "example.test.long", "User-Agent": "curl/8"})
            assert r.status == 200
        facility, severity, pid, msg = syslog_line(syslog.next())
        assert (facility, severity, pid) == (16, 6, p.proc.pid)  # local0.info
        m = HTTPLOG.match(msg)
        assert m, msg
        f = m.groupdict()
        assert f["ci"] == "127.0.0.1" and f["ft"] == "web" and f["b"] == "farm" and f["s"] == "a"
        assert int(f["TR"]) >= 0 and f["Tw"] == "0" and int(f["Tc"]) >= 0 and int(f["Tr"]) >= 0
        assert int(f["Ta"]) >= int(f["Tr"])
        assert f["ST"] == "200" and int(f["B"]) > 100  # head and body
        assert f["CC"] == "-" and f["CS"] == "-" and f["tsc"] == "----"
        # HAProxy 2.6 logs after releasing the backend's and the server's count: 1/1/0/0/0.
        assert f["ac"] == "1" and f["fc"] == "1" and f["bc"] == "0" and f["sc"] == "0" and f["rc"] == "0" and f["sq"] == "0" and f["bq"] == "0"
        assert f["hr"] == "{example.test|curl/}"  # each capture cut at its len
        assert f["hs"] == "{app1}"
        assert f["r"] == "GET /size/100?x=1 HTTP/1.1"


def test_termination_flags_and_separate_errors(workdir, syslog, app):
    port = free_port()
    cfg = http_config(port, app, f"udp@127.0.0.1:{syslog.port}", "    option log-separate-errors\n")
    with BalancerProcess(workdir, cfg, ports=[port]):
        app.stop()
        assert get("127.0.0.1", port, "/").status == 503
        facility, severity, _, msg = syslog_line(syslog.next())
        f = HTTPLOG.match(msg).groupdict()
        assert severity == 3  # err: log-separate-errors
        assert f["ST"] == "503" and f["tsc"] == "SC--" and f["s"] == "<NOSRV>"
        # A malformed request: refused by the proxy (PR, as HAProxy 2.6 says).
        out = raw_exchange("127.0.0.1", port, b"GET / HTTP/1.1\r\nHost : bad\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 400")
        _, severity, _, msg = syslog_line(syslog.next())
        f = HTTPLOG.match(msg).groupdict()
        assert f["ST"] == "400" and f["tsc"] == "PR--" and f["r"] == "<BADREQ>"


def test_dontlognull_and_a_denied_request(workdir, syslog, app):
    port = free_port()
    cfg = http_config(port, app, f"udp@127.0.0.1:{syslog.port}", "    http-request deny if { path /forbidden }\n")
    with BalancerProcess(workdir, cfg, ports=[port]):
        # Connections that send nothing are not logged...
        for _ in range(3):
            socket.create_connection(("127.0.0.1", port)).close()
        assert get("127.0.0.1", port, "/forbidden").status == 403
        _, severity, _, msg = syslog_line(syslog.next())
        f = HTTPLOG.match(msg).groupdict()
        # ...so the first line is the denied request's.
        assert f["ST"] == "403" and f["tsc"] == "PR--" and f["b"] == "web" and f["s"] == "<NOSRV>"
        assert severity == 6  # info: no log-separate-errors here
        # A deny on a keep-alive connection (the connection stays open) too.
        with Connection("127.0.0.1", port) as c:
            assert c.request("GET", "/forbidden", {"Host": "x"}).status == 403
            assert c.request("GET", "/", {"Host": "x"}).status == 200
        f = HTTPLOG.match(syslog_line(syslog.next())[3]).groupdict()
        assert (f["ST"], f["tsc"], f["s"], f["r"]) == ("403", "PR--", "<NOSRV>", "GET /forbidden HTTP/1.1")
        f = HTTPLOG.match(syslog_line(syslog.next())[3]).groupdict()
        assert (f["ST"], f["tsc"], f["s"]) == ("200", "----", "a")


def test_tcplog_over_a_unix_datagram_socket(workdir, app):
    path = workdir / "devlog"
    sink = Syslog(path)
    port = free_port()
    cfg = (f"global\n    log {path} len 200 local1 info\n"
           "defaults\n    log global\n    mode tcp\n    option tcplog\n"
           "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
           f"frontend raw\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
           f"backend farm\n    server a {app.address}\n")
    try:
        with BalancerProcess(workdir, cfg, ports=[port]):
            sink.next()  # the harness's readiness probe: a connection too
            r = get("127.0.0.1", port, "/size/10")
            assert r.status == 200
            facility, severity, _, msg = syslog_line(sink.next())
            assert (facility, severity) == (17, 6)
            m = TCPLOG.match(msg)
            assert m, msg
            f = m.groupdict()
            assert f["ft"] == "raw" and f["b"] == "farm" and f["s"] == "a" and f["ts"] == "--"
            assert int(f["Tw"]) == 0 and int(f["Tc"]) >= 0 and int(f["Tt"]) >= int(f["Tc"])
            assert int(f["B"]) == len(r.raw) + 4 + len(r.body)  # head, blank line, body
    finally:
        sink.close()


def test_log_format_and_stdout(workdir, app):
    port = free_port()
    cfg = ("global\n    log stdout format raw local0\n"
           "defaults\n    log global\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
           f"frontend web\n    bind 127.0.0.1:{port}\n"
           "    log-format \"%ci %HM %HP %HQ %ST %B %b/%s %{+Q}r %%\"\n    default_backend farm\n"
           f"backend farm\n    server a {app.address}\n")
    with BalancerProcess(workdir, cfg, ports=[port]) as p:
        assert get("127.0.0.1", port, "/echo?q=2").status == 200
        want = re.compile(r'^127\.0\.0\.1 GET /echo \?q=2 200 \d+ farm/a "GET /echo\?q=2 HTTP/1\.1" %$', re.M)
        wait_for(lambda: want.search(p.output()), what="the log-format line on stdout")


def test_log_format_errors_name_the_line(workdir):
    path = workdir / "bad.cfg"
    path.write_text("defaults\n    mode http\nfrontend web\n    bind 127.0.0.1:1\n    log-format \"%ci %Zz\"\n")
    from harness import binary, run
    r = run([binary("tandem-balancer"), "-c", "-f", path])
    assert r.returncode == 1
    assert f"{path}:5: log-format: unknown variable '%Zz'" in r.stderr


# %[sample] parts whose values do not depend on which process answered
# (no ports, no dates): HAProxy 2.6 and Tandem must print the same.
# sc0_http_req_rate is left out: HAProxy counts the readiness probe's empty
# connection as an HTTP request, Tandem does not (a stick-counter matter,
# not a log one; see docs/DECISIONS.md).
SAMPLE_FORMAT = ("L %[src] %[method] %[status] %[capture.req.uri] %[capture.req.method,lower] %[capture.req.ver] "
                 "%{+Q}[var(txn.host),upper] %[var(txn.nope)] %[var(txn.host),length] %{+Q}[ssl_fc_sni] %[ssl_fc] "
                 "%[sc0_conn_rate] %[sc0_conn_cnt] %[sc1_conn_rate] %[src_conn_rate] "
                 "%[nbsrv(farm)] %[capture.req.hdr(0)] %{+Q}[capture.req.hdr(1)] %[capture.res.hdr(0)] %[capture.res.ver] "
                 "%ST %HM")


def sample_config(port, app):
    return ("global\n    log stdout format raw local0\n"
            "defaults\n    log global\n    mode http\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n"
            "    stick-table type ip size 1k expire 1m store conn_rate(10s),http_req_rate(10s),conn_cnt\n"
            "    tcp-request connection track-sc0 src\n"
            "    http-request set-var(txn.host) req.hdr(host)\n"
            "    capture request header Host len 5\n    capture request header User-Agent len 20\n"
            "    capture response header X-Backend len 40\n"
            f"    log-format \"{SAMPLE_FORMAT}\"\n"
            "    option dontlognull\n"
            "    default_backend farm\n"
            f"backend farm\n    server a {app.address}\n")


# Test traffic comes from 127.0.0.2: the readiness probes (from 127.0.0.1)
# are tracked too, at moments the test does not control, and would make the
# stick counters in the lines race.
CLIENT_IP = "127.0.0.2"


def exchange_from(port, data, src=CLIENT_IP):
    """Sends `data` from `src`, returns everything until the proxy closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(src, 0))
    try:
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out
    finally:
        s.close()


def sample_traffic(port, output):
    """Two connections: one with two keep-alive requests, one HTTP/1.0
    request without Host or User-Agent. The second connection opens only
    once the first connection's lines are written: a line's stick counters
    are read when it is logged, and a line logged after the next connection
    was accepted would count it (in either proxy, a race the test must not
    run)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(CLIENT_IP, 0))
    try:
        c.request("GET", "/echo?q=1", headers={"Host": "Example.org", "User-Agent": "t/1"})
        r = c.getresponse()
        r.read()
        assert r.status == 200
        c.request("HEAD", "/size/3", headers={"Host": "x"})
        r = c.getresponse()
        r.read()
        assert r.status == 200
    finally:
        c.close()
    wait_for(lambda: len(sample_lines(output(), 2)) == 2, what="the first connection's two log lines")
    assert exchange_from(port, b"GET /size/1 HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.")


def sample_lines(output, n):
    return [l for l in output.splitlines() if l.startswith("L ")][:n]


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_log_format_samples_print_as_haproxys(workdir, app):
    port = free_port()
    with BalancerProcess(workdir, sample_config(port, app), ports=[port]) as p:
        sample_traffic(port, p.output)
        wait_for(lambda: len(sample_lines(p.output(), 3)) == 3, what="tandem's three log lines")
        ours = sample_lines(p.output(), 3)
    hport = free_port()
    cfg = workdir / "hap-samples.cfg"
    cfg.write_text(sample_config(hport, app))
    with Daemon(["haproxy", "-db", "-f", str(cfg)], name="haproxy") as h:
        wait_for_port("127.0.0.1", hport, h)
        sample_traffic(hport, h.output)
        wait_for(lambda: len(sample_lines(h.output(), 3)) == 3, what="haproxy's three log lines")
        theirs = sample_lines(h.output(), 3)
    assert ours == theirs, "\n".join(["tandem:"] + ours + ["haproxy:"] + theirs)
    # And what they say, in case both are wrong the same way.
    assert ours[0] == ('L 127.0.0.2 GET 200 /echo?q=1 get HTTP/1.1 "EXAMPLE.ORG" - 11 "" 0 1 1 - 1 1 Examp "t/1" '
                       'app1 HTTP/1.1 200 GET')


def aborted_lines(output):
    """httplog lines with what differs between two processes masked: the
    client port, the dates, the connection counts."""
    out = []
    for ln in output.splitlines():
        m = HTTPLOG.match(ln)
        if not m:
            continue
        f = m.groupdict()
        out.append(f'{f["ci"]} {f["ft"]} {f["b"]}/{f["s"]} {f["TR"]}/{f["Tw"]}/{f["Tc"]}/{f["Tr"]} {f["ST"]} {f["B"]} '
                   f'{f["CC"]} {f["CS"]} {f["tsc"]} {f["rc"]} {f["sq"]}/{f["bq"]} "{f["r"]}"')
    return out


def aborted_config(port, app, extra=""):
    return ("global\n    log stdout format raw local0\n"
            "defaults\n    log global\n    mode http\n    option httplog\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n{extra}    default_backend farm\n"
            f"backend farm\n    server a {app.address}\n")


def aborted_traffic(port):
    socket.create_connection(("127.0.0.1", port)).close()  # nothing sent
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /half HTTP/1.1\r\nHost: x\r\n")  # a head cut short
    s.close()
    with Connection("127.0.0.1", port) as c:  # a request, then an idle keep-alive close: one line
        assert c.request("GET", "/", {"Host": "x"}).status == 200


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_aborted_requests_are_logged_as_haproxys(workdir, app):
    """A connection that sends nothing, or closes in the middle of its head,
    is a "<BADREQ>" 400 CR-- line (the one that sent nothing only without dontlognull),
    as HAProxy 2.6 writes it; the readiness probe is such a connection too."""
    results = []
    for name in ("tandem", "haproxy"):
        port = free_port()
        with running(name, workdir, aborted_config(port, app), [port], "aborted") as p:
            aborted_traffic(port)
            wait_for(lambda: len(aborted_lines(p.output())) == 4, what=f"{name}'s four lines")
            results.append(aborted_lines(p.output()))
    ours, theirs = results
    # The aborted ones field for field (in whichever order the closes were
    # noticed); the request's timers and byte count are the proxies' own.
    def split(lines):
        return sorted(l for l in lines if "<BADREQ>" in l), [l for l in lines if "<BADREQ>" not in l]
    (ours_bad, ours_req), (theirs_bad, theirs_req) = split(ours), split(theirs)
    assert ours_bad == theirs_bad, "\n".join(["tandem:"] + ours + ["haproxy:"] + theirs)
    assert ours_bad == ['127.0.0.1 web web/<NOSRV> -1/-1/-1/-1 400 0 - - CR-- 0 0/0 "<BADREQ>"'] * 3
    assert len(ours_req) == len(theirs_req) == 1
    assert ours_req[0].endswith(' ---- 0 0/0 "GET / HTTP/1.1"') and theirs_req[0].endswith(' ---- 0 0/0 "GET / HTTP/1.1"')
    # With dontlognull, only the cut-short head and the request.
    port = free_port()
    with BalancerProcess(workdir, aborted_config(port, app, "    option dontlognull\n"), ports=[port]) as p:
        aborted_traffic(port)
        wait_for(lambda: len(aborted_lines(p.output())) == 2, what="two lines")
        assert sorted(l.split('"')[1] for l in aborted_lines(p.output())) == ["<BADREQ>", "GET / HTTP/1.1"]


def test_log_format_sample_errors(workdir):
    from harness import binary, run
    path = workdir / "bad.cfg"
    path.write_text("defaults\n    mode http\nfrontend web\n    bind 127.0.0.1:1\n    log stdout local0\n"
                    "    log-format \"%ci %[req.hdr(host)]\"\n")
    r = run([binary("tandem-balancer"), "-c", "-f", path])
    assert r.returncode == 1
    assert f"{path}:6: log-format: sample fetch 'req.hdr' cannot be used in a log line" in r.stderr
    path.write_text("defaults\n    mode http\nfrontend web\n    bind 127.0.0.1:1\n    log-format \"%[src_conn_rate(nope)]\"\n")
    r = run([binary("tandem-balancer"), "-c", "-f", path])
    assert r.returncode == 1
    assert f"{path}:5: log-format: no stick-table named 'nope'" in r.stderr


def test_tcplog_samples(workdir, app):
    port = free_port()
    cfg = ("global\n    log stdout format raw local0\n"
           "defaults\n    log global\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
           f"frontend edge\n    bind 127.0.0.1:{port}\n"
           "    stick-table type ip size 1k expire 1m store conn_cnt\n    tcp-request connection track-sc1 src\n"
           "    option dontlognull\n"  # the readiness probe sends nothing: counted, not logged
           "    log-format \"T %[src] %[dst_port] %[sc1_conn_cnt] %[sc0_conn_cnt] %[nbsrv] %[bytes_in]\"\n"
           "    default_backend farm\n"
           f"backend farm\n    mode tcp\n    server a {app.address}\n")
    from harness import binary, run
    path = workdir / "tcp.cfg"
    path.write_text(cfg)
    r = run([binary("tandem-balancer"), "-c", "-f", path])
    assert r.returncode == 1 and "unknown fetch 'bytes_in'" in r.stderr  # not one of ours (yet)
    cfg = cfg.replace(" %[bytes_in]", "")
    with BalancerProcess(workdir, cfg, ports=[port]) as p:
        got = lambda: [l for l in p.output().splitlines() if l.startswith("T ")]
        for n in (1, 2):
            assert exchange_from(port, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.")
            # The line is written when the session ends, a moment after the
            # client sees the close: wait for it before the next connection.
            wait_for(lambda: len(got()) == n, what=f"tcp log line {n}")
        assert got() == [f"T {CLIENT_IP} {port} 1 - 1", f"T {CLIENT_IP} {port} 2 - 1"]


def queue_config(port, app, extra=""):
    """One server taking one request at a time: a second request waits in
    the backend's queue (`timeout queue` 5s), or gives up after 200ms in
    farm_short."""
    return ("global\n    log stdout format raw local0\n"
            "defaults\n    log global\n    mode http\n    option httplog\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    timeout queue 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n    option dontlognull\n{extra}"
            "    use_backend farm_short if { path /slow/600 }\n"
            "    default_backend farm\n"
            f"backend farm\n    server a {app.address} maxconn 1\n"
            f"backend farm_short\n    timeout queue 200ms\n    server a {app.address} maxconn 1\n")


def queue_traffic(port, app, path, n):
    """`n` concurrent requests for `path`, each sent once the previous one
    reached the server or the proxy's queue (the server holds one)."""
    import threading
    results = []

    def one():
        with Connection("127.0.0.1", port) as c:
            results.append(c.request("GET", path, {"Host": "x"}).status)

    threads = []
    for i in range(n):
        t = threading.Thread(target=one)
        t.start()
        threads.append(t)
        if i == 0:
            wait_for(lambda: len([r for r in app.received() if r.target == path]) == 1, what="the first request at the server")
        else:
            time.sleep(0.05)  # in the queue by then
    for t in threads:
        t.join()
    return sorted(results)


def queue_lines(output):
    return [m.groupdict() for m in map(HTTPLOG.match, output.splitlines()) if m]


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_queue_wait_is_tw_as_haproxys(workdir, app):
    """%Tw is the time spent waiting for a server slot (maxconn, timeout
    queue), %sq/%bq the positions in the queues, sQ a request that gave up
    waiting; compared with HAProxy 2.6 in the same run."""
    def run(start, output, port):
        app.clear()
        assert queue_traffic(port, app, "/slow/500", 3) == [200, 200, 200]
        wait_for(lambda: len(queue_lines(output())) == 3, what="three lines")
        served = sorted(queue_lines(output()), key=lambda f: int(f["Tw"]))
        app.clear()
        assert queue_traffic(port, app, "/slow/600", 2) == [200, 503]
        wait_for(lambda: len(queue_lines(output())) == 5, what="five lines")
        gave_up = [f for f in queue_lines(output())[3:] if f["ST"] == "503"]
        return served, gave_up

    port = free_port()
    with BalancerProcess(workdir, queue_config(port, app), ports=[port]) as p:
        ours = run(None, p.output, port)
    hport = free_port()
    cfg = workdir / "hap-queue.cfg"
    cfg.write_text(queue_config(hport, app))
    with Daemon(["haproxy", "-db", "-f", str(cfg)], name="haproxy") as h:
        wait_for_port("127.0.0.1", hport, h)
        theirs = run(None, h.output, hport)
    # %ac/%fc/%bc/%sc/%rc as HAProxy counts them at log time: the connections
    # open (this one included); the requests routed to the backend, queued
    # ones included, and those the server serves, both without this one
    # (HAProxy: 3/3/2/0/0, 2/2/1/0/0, 1/1/0/0/0).
    def counts(served):
        return [tuple(f[k] for k in ("ac", "fc", "bc", "sc", "rc")) for f in served]
    assert counts(ours[0]) == counts(theirs[0]), f"tandem: {counts(ours[0])}\nhaproxy: {counts(theirs[0])}"
    for who, (served, gave_up) in (("tandem", ours), ("haproxy", theirs)):
        first, second, third = served
        # The first had the slot at once; each next one waited for the ones
        # before it to be served (500ms each, less the 50ms it came later).
        assert first["Tw"] == "0" and (first["sq"], first["bq"]) == ("0", "0"), (who, first)
        service = int(first["Tr"])
        assert service >= 500
        assert service - 150 <= int(second["Tw"]) <= service + 150, (who, first, second)
        assert 2 * service - 250 <= int(third["Tw"]) <= 2 * service + 150, (who, first, third)
        assert (second["sq"], second["bq"]) == ("0", "1") and (third["sq"], third["bq"]) == ("0", "2"), (who, served)
        assert int(second["Tc"]) >= 0 and int(second["Ta"]) >= int(second["Tw"]) + int(second["Tr"])
        assert len(gave_up) == 1, (who, gave_up)
        g = gave_up[0]
        assert 190 <= int(g["Tw"]) <= 400, (who, g)
        assert (g["b"], g["s"], g["Tc"], g["Tr"], g["tsc"], g["sq"], g["bq"]) == \
            ("farm_short", "<NOSRV>", "-1", "-1", "sQ--", "0", "1"), (who, g)


def cookie_config(port, app, extra="    capture cookie SESS len 12\n"):
    return ("global\n    log stdout format raw local0\n"
            "defaults\n    log global\n    mode http\n    option httplog\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n    option dontlognull\n{extra}"
            "    default_backend farm\n"
            f"backend farm\n    server a {app.address}\n")


COOKIE_REQUESTS = [
    ("/set-cookie/SESSIONID=abcdefghijklmnop", "a=1; SESSID=xyz0123456789; SESS=2"),
    ("/set-cookie/other=1", "x=1, SESS=abc; y=2"),
    ("/", "  SESS = spaced ;SESSX=1"),
    ("/set-cookie/SESS=", "SESS"),
    ("/set-cookie/SES=1", 'SESS="quoted;x"'),
    ("/", None),
]


def cookie_traffic(port):
    with Connection("127.0.0.1", port) as c:
        for path, cookie in COOKIE_REQUESTS:
            headers = {"Host": "x"}
            if cookie is not None:
                headers["Cookie"] = cookie
            assert c.request("GET", path, headers).status == 200


def cookie_fields(output):
    return [(f["CC"], f["CS"], f["r"]) for f in queue_lines(output)]


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_capture_cookie_as_haproxys(workdir, app):
    """`capture cookie NAME len N`: %CC/%CS (the httplog line's CC and CS)
    show the first request/response cookie whose "name=value" starts with
    NAME, cut to N, as HAProxy 2.6 prints them for the same requests."""
    n = len(COOKIE_REQUESTS)
    results = []
    for name in ("tandem", "haproxy"):
        port = free_port()
        with running(name, workdir, cookie_config(port, app), [port], "cookie") as p:
            cookie_traffic(port)
            wait_for(lambda: len(cookie_fields(p.output())) == n, what=f"{name}'s lines")
            results.append(cookie_fields(p.output()))
    ours, theirs = results
    assert ours == theirs
    assert [(cc, cs) for cc, cs, _ in ours] == [
        ("SESSID=xyz01", "SESSIONID=ab"), ("SESS=abc", "-"), ("SESS=spaced", "-"), ("-", "SESS="),
        ('SESS="quoted', "-"), ("-", "-")]


def test_capture_cookie_config(workdir):
    """A length above 63 is cut to 63 with HAProxy's warning; the line must
    read `capture cookie NAME len N`."""
    from harness import binary, run
    head = "defaults\n    mode http\nfrontend web\n    bind 127.0.0.1:1\n"
    path = workdir / "c.cfg"
    path.write_text(head + "    capture cookie SESS len 100\n")
    r = run([binary("tandem-balancer"), "-c", "-f", path])
    assert r.returncode == 0, r.stderr
    assert "truncating capture length to 63 bytes for frontend 'web'" in r.stderr + r.stdout
    path.write_text(head + "    capture cookie SESS 12\n")
    r = run([binary("tandem-balancer"), "-c", "-f", path])
    assert r.returncode == 1
    assert f"{path}:5: capture: expects 'capture cookie NAME len N'" in r.stderr


def tag_config(ports, app, udp_port, unix_path):
    """Three frontends: one with its own log-tag, one with the global one
    (each logging rfc3164 and rfc5424 over UDP), one with its own tag on a
    unix datagram socket."""
    return ("global\n    log-tag gtag\n"
            f"    log udp@127.0.0.1:{udp_port} local0\n"
            f"    log udp@127.0.0.1:{udp_port} format rfc5424 local1\n"
            "defaults\n    mode http\n    option httplog\n    option dontlognull\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend own\n    bind 127.0.0.1:{ports[0]}\n    log global\n    log-tag ptag\n    default_backend farm\n"
            f"frontend inherited\n    bind 127.0.0.1:{ports[1]}\n    log global\n    default_backend farm\n"
            f"frontend unix\n    bind 127.0.0.1:{ports[2]}\n    log {unix_path} local2\n"
            "    log-tag utag\n    default_backend farm\n"
            f"backend farm\n    server a {app.address}\n")


SYSLOG_HEADER = re.compile(r"^(<\d+>)(?:1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d (\S+) (\S+) (\d+) - - "
                           r"|\w{3} [ \d]\d \d\d:\d\d:\d\d (\S+)\[(\d+)\]: )")


def headers(datagrams, pid):
    """Each datagram's header with the dates and the pid checked and masked."""
    out = []
    for d in datagrams:
        m = SYSLOG_HEADER.match(d)
        assert m, d
        pri, host, tag5424, pid5424, tag3164, pid3164 = m.groups()
        assert int(pid5424 or pid3164) == pid, d
        out.append(f"{pri} {host} {tag5424} rfc5424" if tag5424 else f"{pri} {tag3164} rfc3164")
    return sorted(out)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_log_tag_in_syslog_headers_as_haproxys(workdir, app):
    """`log-tag` (global, and a proxy's own) is the syslog tag of rfc3164 and
    rfc5424 headers, on UDP and on a unix datagram socket; the headers read
    as HAProxy 2.6's for the same configuration."""
    def run(proc_pid, ports, udp, unix):
        for p in ports:
            with Connection("127.0.0.1", p) as c:
                assert c.request("GET", "/", {"Host": "x"}).status == 200
        got = [udp.next() for _ in range(4)] + [unix.next()]
        return headers(got, proc_pid)

    results = []
    for name in ("tandem", "haproxy"):
        udp = Syslog()
        unix = Syslog(workdir / f"{name}.sock")
        ports = set()
        while len(ports) < 3:
            ports.add(free_port())
        ports = sorted(ports)
        cfg = tag_config(ports, app, udp.port, workdir / f"{name}.sock")
        try:
            if name == "tandem":
                with BalancerProcess(workdir, cfg, ports=ports) as p:
                    results.append(run(p.proc.pid, ports, udp, unix))
            else:
                path = workdir / "hap-tag.cfg"
                path.write_text(cfg)
                with Daemon(["haproxy", "-db", "-f", str(path)], name="haproxy") as h:
                    for p in ports:
                        wait_for_port("127.0.0.1", p, h)
                    results.append(run(h.proc.pid, ports, udp, unix))
        finally:
            udp.close()
            unix.close()
    ours, theirs = results
    assert ours == theirs
    assert ours == sorted(["<134> gtag rfc3164", "<134> ptag rfc3164", "<142> - gtag rfc5424", "<142> - ptag rfc5424",
                           "<150> utag rfc3164"])


def tcp_queue_config(port, app):
    return ("global\n    log stdout format raw local0\n"
            "defaults\n    log global\n    mode tcp\n    option tcplog\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    timeout queue 5s\n"
            f"frontend raw\n    bind 127.0.0.1:{port}\n    option dontlognull\n    default_backend farm\n"
            f"backend farm\n    server a {app.address} maxconn 1\n")


def tcp_queue_traffic(port, app):
    """Two connections to a server that takes one: the second waits in the
    queue until the first (a 500ms request, then the server closes) ends.
    The readiness probe's connection went to the server too (TCP mode): it
    is given time to be gone first, or the first connection would queue
    behind it."""
    import threading
    answers = []
    time.sleep(0.3)

    def one():
        answers.append(exchange_from(port, b"GET /slow/500 HTTP/1.0\r\n\r\n", src="127.0.0.1")[:12])

    first = threading.Thread(target=one)
    first.start()
    wait_for(lambda: len(app.received()) == 1, what="the first request at the server")
    second = threading.Thread(target=one)
    second.start()
    first.join()
    second.join()
    return answers


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_tcplog_queue_wait_as_haproxys(workdir, app):
    """In TCP mode the slot is the connection's: the second one's %Tw is
    the first one's lifetime, %bq 1, as HAProxy's tcplog says."""
    def lines(output):
        return sorted((m.groupdict() for m in map(TCPLOG.match, output.splitlines()) if m), key=lambda f: int(f["Tw"]))

    results = []
    for name in ("tandem", "haproxy"):
        app.clear()
        port = free_port()
        if name == "tandem":
            with BalancerProcess(workdir, tcp_queue_config(port, app), ports=[port]) as p:
                assert tcp_queue_traffic(port, app) == [b"HTTP/1.1 200"] * 2
                wait_for(lambda: len(lines(p.output())) == 2, what="two lines")
                results.append(lines(p.output()))
        else:
            cfg = workdir / "hap-tcpq.cfg"
            cfg.write_text(tcp_queue_config(port, app))
            with Daemon(["haproxy", "-db", "-f", str(cfg)], name="haproxy") as h:
                wait_for_port("127.0.0.1", port, h)
                assert tcp_queue_traffic(port, app) == [b"HTTP/1.1 200"] * 2
                wait_for(lambda: len(lines(h.output())) == 2, what="two lines")
                results.append(lines(h.output()))
    for who, (first, second) in zip(("tandem", "haproxy"), results):
        # Not queued: 0 or a millisecond of dispatch (HAProxy's TCP %Tw counts from the accept).
        assert int(first["Tw"]) <= 5 and (first["sq"], first["bq"], first["ts"]) == ("0", "0", "--"), (who, first)
        life = int(first["Tt"])
        assert life >= 500 and life - 150 <= int(second["Tw"]) <= life + 150, (who, first, second)
        assert (second["sq"], second["bq"], second["ts"]) == ("0", "1", "--"), (who, second)
        assert int(second["Tc"]) >= 0 and int(second["Tt"]) >= int(second["Tw"]) + 500, (who, second)
    # %ac/%fc/%bc/%sc/%rc as HAProxy counts them at log time: the first line
    # while the second connection waits (it counts in %bc, not yet in %sc).
    counts = [[tuple(f[k] for k in ("ac", "fc", "bc", "sc", "rc")) for f in r] for r in results]
    assert counts[0] == counts[1], f"tandem: {counts[0]}\nhaproxy: {counts[1]}"


# ------------------------------------------------ requests that never arrived

def failed_head_config(port, sock, extra=""):
    return ("global\n    log stdout format raw local0\n"
            f"    stats socket {sock} level admin\n"
            "defaults\n    log global\n    mode http\n    option httplog\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n    timeout http-request 400ms\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n{extra}"
            "    stick-table type ip size 1k expire 1m store http_req_cnt,http_err_cnt\n"
            "    tcp-request connection track-sc0 src\n"
            "    http-request return status 200\n")


FAILED_HEAD_KINDS = ("silent", "partial", "abort", "bad", "silentclose", "kaidle")
FAILED_HEAD_SRC = "127.0.0.3"  # apart from the readiness probes (127.0.0.1)


def failed_head_connection(port, kind):
    """One connection of `kind`; returns the first line of what came back."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(FAILED_HEAD_SRC, 0))
    try:
        if kind in ("abort", "partial"):
            s.sendall(b"GET / HTTP/1.1\r\nHo")
        elif kind == "bad":
            s.sendall(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
        elif kind == "kaidle":
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        if kind in ("abort", "silentclose", "kaidle"):
            first = s.recv(65536) if kind == "kaidle" else b""
            time.sleep(0.1)
            return first.split(b"\r\n")[0].decode()
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out.split(b"\r\n")[0].decode()
    finally:
        s.close()


def runtime_command(sock, command):
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sock))
    s.sendall(command.encode() + b"\n")
    out = b""
    while chunk := s.recv(65536):
        out += chunk
    s.close()
    return out.decode()


def failed_head_counts(sock):
    """The frontend's req_tot, ereq and hrsp_4xx, and the client's stick counters."""
    stat = runtime_command(sock, "show stat").splitlines()
    header = stat[0].lstrip("# ").split(",")
    row = next(l.split(",") for l in stat if l.startswith("web,FRONTEND,"))
    counts = {k: int(row[header.index(k)] or 0) for k in ("req_tot", "ereq", "hrsp_4xx")}
    entry = next((l for l in runtime_command(sock, "show table web").splitlines() if f"key={FAILED_HEAD_SRC} " in l), "")
    fields = dict(w.split("=", 1) for w in entry.split()[1:] if "=" in w)
    counts.update({k: int(fields.get(k, 0)) for k in ("http_req_cnt", "http_err_cnt")})
    return counts


def failed_head_run(port, sock, output):
    """Each kind in turn: (kind, first answer line, counter deltas, new log lines)."""
    seen = []
    time.sleep(0.3)  # the readiness probe's connection (it sends nothing) is counted too: settle first
    before = failed_head_counts(sock)
    lines = len(aborted_lines(output()))
    for kind in FAILED_HEAD_KINDS:
        answer = failed_head_connection(port, kind)
        # The proxy notices a client's close on its own time: read until the
        # counters and the log hold still (a loaded machine can be slow).
        time.sleep(0.3)
        after, now = failed_head_counts(sock), aborted_lines(output())
        for _ in range(20):
            time.sleep(0.2)
            again, lines_again = failed_head_counts(sock), aborted_lines(output())
            if (again, lines_again) == (after, now):
                break
            after, now = again, lines_again
        seen.append((kind, answer, {k: after[k] - before[k] for k in after}, now[lines:]))
        before, lines = after, len(now)
    return seen


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
@pytest.mark.parametrize("extra", ["", "    option dontlognull\n", "    option http-ignore-probes\n"])
def test_requests_that_never_arrive_are_answered_counted_and_logged_as_haproxys(workdir, extra):
    """A new connection that sends nothing until `timeout http-request` gets
    a 408, a head cut short by a timeout too; one that closes before its
    head is whole, or sends a malformed one, is a failed request: HAProxy
    counts each as a request (req_tot, ereq, hrsp_4xx, the stick counters'
    http_req_cnt; http_err_cnt but for timeouts) and logs it as "<BADREQ>"
    (cR-- for a timeout, CR-- for a close, PR-- for a malformed head, with
    no bytes). `option http-ignore-probes` lets a connection that sent
    nothing go unanswered, uncounted and unlogged. An idle keep-alive
    connection closing is none of these. Compared kind by kind with HAProxy."""
    port, sock = free_port(), workdir / "t.sock"
    with BalancerProcess(workdir, failed_head_config(port, sock, extra), ports=[port]) as p:
        wait_for(lambda: sock.exists(), what="the stats socket")
        ours = failed_head_run(port, sock, p.output)
    hport, hsock = free_port(), workdir / "h.sock"
    cfg = workdir / "hap-failed.cfg"
    cfg.write_text(failed_head_config(hport, hsock, extra))
    with Daemon(["haproxy", "-db", "-f", str(cfg)], name="haproxy") as h:
        wait_for_port("127.0.0.1", hport, h)
        theirs = failed_head_run(hport, hsock, h.output)
    for o, t in zip(ours, theirs):
        # Both answer with the same status; each proxy words its reason. The
        # timers and byte count of an answered request are each proxy's own.
        def lines(x):
            return [re.sub(r" \S+ (\d{3}) \d+ ", r" T \1 B ", l) for l in x[3]] if x[0] == "kaidle" else x[3]
        assert (o[0], o[1].split(" ")[:2], o[2], lines(o)) == (t[0], t[1].split(" ")[:2], t[2], lines(t)), \
            f"tandem: {o}\nhaproxy: {t}"
    # And what they say, in case both are wrong the same way.
    by_kind = {k: (a, c, l) for k, a, c, l in ours}
    if "ignore-probes" in extra:
        assert by_kind["silent"] == ("", dict.fromkeys(by_kind["silent"][1], 0), [])
    else:
        assert by_kind["silent"][0].startswith("HTTP/1.1 408")
        assert by_kind["silent"][1] == {"req_tot": 1, "ereq": 1, "hrsp_4xx": 1, "http_req_cnt": 1, "http_err_cnt": 0}
        assert by_kind["silent"][2] == ([] if "dontlognull" in extra else
                                        ['127.0.0.3 web web/<NOSRV> -1/-1/-1/-1 408 0 - - cR-- 0 0/0 "<BADREQ>"'])
    assert by_kind["bad"][2] == ['127.0.0.3 web web/<NOSRV> -1/-1/-1/-1 400 0 - - PR-- 0 0/0 "<BADREQ>"']
    assert by_kind["abort"][1] == {"req_tot": 1, "ereq": 1, "hrsp_4xx": 1, "http_req_cnt": 1, "http_err_cnt": 1}
    assert by_kind["kaidle"][1] == {"req_tot": 1, "ereq": 0, "hrsp_4xx": 0, "http_req_cnt": 1, "http_err_cnt": 0}


def local_answers_config(port):
    return ("global\n    log stdout format raw local0\n"
            "defaults\n    log global\n    mode http\n    option httplog\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n"
            "    http-request deny if { path /deny }\n"
            "    http-request redirect location /x if { path /redir }\n"
            "    http-request return status 201 content-type text/plain string hello if { path /ret }\n"
            "    http-request auth if { path /auth }\n"
            "    http-request return status 200\n")


LOCAL_PATHS = ("/ret", "/redir", "/deny", "/auth", "/")


def local_answers(port, output):
    """The five paths on one keep-alive connection: each answer's status
    line, then the log lines with the timers and byte counts masked (each
    proxy's own page sizes)."""
    statuses = []
    with Connection("127.0.0.1", port) as c:
        for path in LOCAL_PATHS:
            r = c.request("GET", path, {"Host": "x"})
            statuses.append((path, r.status, r.header("connection")))
    # (The readiness probes' <BADREQ> lines aside.)
    def requests():
        return [re.sub(r" \S+ (\d{3}) \d+ ", r" T \1 B ", l) for l in aborted_lines(output()) if '"GET ' in l]
    wait_for(lambda: len(requests()) == len(LOCAL_PATHS), what="a line per request")
    return statuses, requests()


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_local_answers_keep_the_connection_and_log_as_haproxys(workdir):
    """Answers of the balancer's own (return, redirect, deny, auth) keep a
    keep-alive connection open, as HAProxy 2.6 does: the five requests go
    over one connection. Logged with their status and LR-- (PR-- for the
    deny), as HAProxy logs them."""
    port = free_port()
    with BalancerProcess(workdir, local_answers_config(port), ports=[port]) as p:
        ours = local_answers(port, p.output)
    hport = free_port()
    cfg = workdir / "hap-local.cfg"
    cfg.write_text(local_answers_config(hport))
    with Daemon(["haproxy", "-db", "-f", str(cfg)], name="haproxy") as h:
        wait_for_port("127.0.0.1", hport, h)
        theirs = local_answers(hport, h.output)
    assert ours == theirs, f"tandem: {ours}\nhaproxy: {theirs}"
    assert ours[0] == [("/ret", 201, None), ("/redir", 302, None), ("/deny", 403, None), ("/auth", 401, None), ("/", 200, None)]
    assert [(l.split(" ")[4], l.split(" ")[8]) for l in ours[1]] == \
        [("201", "LR--"), ("302", "LR--"), ("403", "PR--"), ("401", "LR--"), ("200", "LR--")]


def stats_config(port, port2):
    return ("global\n    log stdout format raw local0\n"
            "defaults\n    log global\n    mode http\n    option httplog\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n    stats enable\n    stats uri /stats\n"
            f"frontend web2\n    bind 127.0.0.1:{port2}\n    stats enable\n    stats uri /stats\n"
            "    stats http-request deny if { src 127.0.0.1 }\n")


def stats_lines(port, port2, output):
    """The stats page, its CSV, and a refused stats request; the log lines with
    the byte counts masked (each proxy's own pages)."""
    for p, path in ((port, "/stats"), (port, "/stats;csv"), (port2, "/stats")):
        get("127.0.0.1", p, path)
    def lines():
        return [re.sub(r" (\d{3}) \d+ ", r" \1 B ", l) for l in aborted_lines(output()) if "/stats" in l]
    wait_for(lambda: len(lines()) == 3, what="three stats lines")
    # Sorted: HAProxy logs an applet's request when its stream ends, which
    # on a loaded machine can come after the next request's line.
    return sorted(lines())


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_stats_page_requests_are_logged_as_haproxys(workdir):
    """Requests the stats page answers are logged as HAProxy 2.6 logs its
    stats applet: server <STATS>, 0/0/0 timers, LR--; a refused one PR--
    without a response time. (HAProxy logs status 400 for the refused one,
    which it answers 403; Tandem logs the 403 it sends.)"""
    port, port2 = free_port(), free_port()
    with BalancerProcess(workdir, stats_config(port, port2), ports=[port, port2]) as p:
        ours = stats_lines(port, port2, p.output)
    hport, hport2 = free_port(), free_port()
    cfg = workdir / "hap-stats.cfg"
    cfg.write_text(stats_config(hport, hport2))
    with Daemon(["haproxy", "-db", "-f", str(cfg)], name="haproxy") as h:
        wait_for_port("127.0.0.1", hport, h)
        theirs = stats_lines(hport, hport2, h.output)
    assert ours[:2] == theirs[:2]
    assert ours[2] == theirs[2].replace(" 400 B ", " 403 B ")
    assert ours[0] == '127.0.0.1 web web/<STATS> 0/0/0/0 200 B - - LR-- 0 0/0 "GET /stats HTTP/1.1"'
    assert ours[2] == '127.0.0.1 web2 web2/<STATS> 0/0/0/-1 403 B - - PR-- 0 0/0 "GET /stats HTTP/1.1"'


def newline_config(port, udp_port, unix_path):
    """One request's line to four targets: UDP rfc3164 cut by `len 80`, a unix
    datagram socket in rfc5424, UDP in rfc3164 uncut, stdout cut by `len 80`."""
    return ("global\n"
            f"    log udp@127.0.0.1:{udp_port} len 80 local0\n"
            f"    log {unix_path} format rfc5424 local1\n"
            f"    log udp@127.0.0.1:{udp_port} local2\n"
            "    log stdout len 80 format raw local3\n"
            "defaults\n    log global\n    mode http\n    option dontlognull\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n"
            "    log-format \"line %ft %ST %{+Q}r and some more words to be cut, enough of them to run past eighty\"\n"
            "    http-request return status 200\n")


NEWLINE_MSG = 'line web 200 "GET /nl HTTP/1.1" and some more words to be cut, enough of them to run past eighty'


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_log_datagrams_end_with_a_newline_as_haproxys(workdir):
    """HAProxy ends every log datagram (UDP, unix) with a newline, after the
    text cut at `len`; on stdout `len` counts the newline. Both proxies are
    checked for the same datagrams."""
    def run(proc_pid, port, udp, unix, output):
        with Connection("127.0.0.1", port) as c:
            assert c.request("GET", "/nl", {"Host": "x"}).status == 200
        got = sorted([udp.sock.recv(65536), udp.sock.recv(65536)], key=len)
        got.append(unix.sock.recv(65536))
        wait_for(lambda: "line web" in output(), what="the stdout line")
        return got, [l for l in output().splitlines() if l.startswith("line ")]

    for name in ("tandem", "haproxy"):
        udp = Syslog()
        unix = Syslog(workdir / f"{name}-nl.sock")
        port = free_port()
        cfg = newline_config(port, udp.port, workdir / f"{name}-nl.sock")
        try:
            if name == "tandem":
                with BalancerProcess(workdir, cfg, ports=[port]) as p:
                    (cut, whole, rfc5424), stdout = run(p.proc.pid, port, udp, unix, p.output)
            else:
                path = workdir / "hap-nl.cfg"
                path.write_text(cfg)
                with Daemon(["haproxy", "-db", "-f", str(path)], name="haproxy") as h:
                    wait_for_port("127.0.0.1", port, h)
                    (cut, whole, rfc5424), stdout = run(h.proc.pid, port, udp, unix, h.output)
        finally:
            udp.close()
            unix.close()
        for d in (cut, whole, rfc5424):
            text = d.decode()
            assert text.endswith("\n") and text.count("\n") == 1, (name, text)
            m = SYSLOG_HEADER.match(text)
            assert m, (name, text)
            assert NEWLINE_MSG.startswith(text[m.end():-1]), (name, text)
        assert len(cut) == 81, (name, cut)  # the text cut at 80, then the newline
        assert whole.decode().endswith(NEWLINE_MSG + "\n") and rfc5424.decode().endswith(NEWLINE_MSG + "\n"), name
        assert stdout == [NEWLINE_MSG[:79]], (name, stdout)  # 79 characters and the newline


def answers_config(port, port2, app, sock):
    """Requests answered in every way, each carrying a `SESS` cookie: by the
    proxy itself (return, redirect, auth, deny, monitor-uri, the stats page,
    Prometheus), by a server, by nobody (no backend); and a stats page that
    `stats http-request deny` refuses on a second frontend."""
    return ("global\n    log stdout format raw local0\n"
            f"    stats socket {sock} level admin\n"
            "defaults\n    log global\n    mode http\n    option httplog\n    option dontlognull\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n    capture cookie SESS len 20\n"
            "    monitor-uri /mon\n    stats enable\n    stats uri /stats\n"
            "    stick-table type ip size 1k expire 1m store http_req_cnt,http_err_cnt\n"
            "    http-request track-sc0 src\n"
            "    http-request return status 200 if { path /ret }\n"
            "    http-request redirect location /x if { path /redir }\n"
            "    http-request auth if { path /auth }\n"
            "    http-request deny if { path /deny }\n"
            "    http-request use-service prometheus-exporter if { path /metrics }\n"
            "    use_backend farm if { path_beg /app }\n"
            f"frontend web2\n    bind 127.0.0.1:{port2}\n    capture cookie SESS len 20\n"
            "    stats enable\n    stats uri /stats\n    stats http-request deny\n"
            "    stick-table type ip size 1k expire 1m store http_req_cnt,http_err_cnt\n"
            "    http-request track-sc0 src\n"
            f"backend farm\n    http-request deny if {{ path /app/deny }}\n    stats enable\n    stats uri /app/stats\n"
            "    stats http-request deny if { path /app/stats } { req.hdr(x-no) -m found }\n"
            f"    server a {app.address}\n")


ANSWER_PATHS = ("/ret", "/redir", "/auth", "/deny", "/mon", "/stats", "/metrics", "/app", "/none", "/app/deny",
                "/app/stats", "/app/stats?no")
COUNTED = ("req_tot", "dreq", "ereq", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "intercepted")


def answers_counts(sock, frontend):
    stat = runtime_command(sock, "show stat").splitlines()
    header = stat[0].lstrip("# ").split(",")
    row = next(l.split(",") for l in stat if l.startswith(f"{frontend},FRONTEND,"))
    counts = {k: int(row[header.index(k)] or 0) for k in COUNTED}
    if frontend == "web":
        row = next(l.split(",") for l in stat if l.startswith("farm,BACKEND,"))
        counts.update({"farm " + k: int(row[header.index(k)] or 0) for k in COUNTED})
    entry = next((l for l in runtime_command(sock, f"show table {frontend}").splitlines() if "key=127.0.0.1 " in l), "")
    fields = dict(w.split("=", 1) for w in entry.split()[1:] if "=" in w)
    counts.update({k: int(fields.get(k, 0)) for k in ("http_req_cnt", "http_err_cnt")})
    return counts


def answers_run(port, port2, sock, output):
    """Each path with its cookie: (path, status, CC field, tsc); then the two
    frontends' counters."""
    time.sleep(0.3)
    before = {f: answers_counts(sock, f) for f in ("web", "web2")}
    out = []
    for p, path in [(port, x) for x in ANSWER_PATHS] + [(port2, "/stats")]:
        with Connection("127.0.0.1", p) as c:
            hdrs = {"Host": "x", "Cookie": "a=1; SESSID=s3cr3t"}
            if path.endswith("?no"):
                path, hdrs["X-No"] = path[:-3], "1"
            r = c.request("GET", path, hdrs)
            out.append((p == port2, path, r.status))
    def lines():
        return [l for l in output().splitlines() if HTTPLOG.match(l) and '"GET /' in l]
    wait_for(lambda: any('"GET /none ' in l for l in lines()) and any(" web2 " in l for l in lines()),
             what="the last requests' lines")
    time.sleep(0.2)
    def fields_of(m):
        timers = (m["Tw"], m["Tc"], m["Tr"])
        if not m["s"].startswith("<"):  # a server's answer: its timers set, their values left aside
            timers = tuple("n" if int(v) >= 0 else v for v in timers)
        return (m["ft"], m["r"].split()[1], m["b"], m["s"]) + timers + (m["ST"], m["CC"], m["tsc"])
    fields = sorted(fields_of(m) for m in map(HTTPLOG.match, lines()))
    time.sleep(0.2)
    after = {f: answers_counts(sock, f) for f in ("web", "web2")}
    return out, fields, {f: {k: after[f][k] - before[f][k] for k in after[f]} for f in after}


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_answers_capture_the_cookie_and_count_as_haproxys(workdir, app):
    """%CC holds the request cookie only for a request that went on to a
    backend or was denied (a stats http-request deny too), as HAProxy 2.6;
    the proxy's own answers leave it '-'. A refused stats page counts as a
    denied request (dreq, and the stick counters' http_err_cnt)."""
    results = []
    for name in ("tandem", "haproxy"):
        port, port2 = free_port(), free_port()
        sock = workdir / f"{name}-answers.sock"
        cfg = answers_config(port, port2, app, sock)
        with running(name, workdir, cfg, [port, port2], "answers") as p:
            results.append(answers_run(port, port2, sock, p.output))
    ours, theirs = results
    assert ours[0] == theirs[0]
    # HAProxy logs status 400 for the stats deny it answers 403; Tandem logs its 403.
    theirs_lines = sorted(f[:7] + ("403" if f[7] == "400" and f[9] == "PR--" else f[7],) + f[8:] for f in theirs[1])
    assert ours[1] == theirs_lines, f"tandem: {ours[1]}\nhaproxy: {theirs_lines}"
    by_path = {(f[0], f[1], f[7]): f for f in ours[1]}
    assert ("web", "/mon", "200") not in by_path  # monitor-uri requests are not logged
    assert by_path[("web", "/app", "200")][8] == "SESSID=s3cr3t" and by_path[("web", "/ret", "200")][8] == "-"
    assert by_path[("web2", "/stats", "403")][8] == "SESSID=s3cr3t" and by_path[("web", "/stats", "200")][8] == "-"
    assert ours[2] == theirs[2], f"tandem: {ours[2]}\nhaproxy: {theirs[2]}"
    assert ours[2]["web2"]["dreq"] == 1 and ours[2]["web2"]["http_err_cnt"] == 1 and ours[2]["web"]["intercepted"] > 0


def inspect_config(ports, app, sock):
    """tcp-request content rules that wait: `held` for the whole
    inspect-delay (WAIT_END), `sized` until 10 bytes have arrived (req.len),
    rejecting what is still shorter when its delay ends. `held` refuses
    127.0.0.4 outright (tcp-request connection)."""
    return ("global\n    log stdout format raw local0\n"
            f"    stats socket {sock} level admin\n"
            "defaults\n    log global\n    mode tcp\n    option tcplog\n    option dontlognull\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend held\n    bind 127.0.0.1:{ports[0]}\n    tcp-request inspect-delay 300ms\n"
            "    tcp-request connection reject if { src 127.0.0.4 }\n"
            "    tcp-request content accept if WAIT_END\n    default_backend farm\n"
            f"frontend sized\n    bind 127.0.0.1:{ports[1]}\n    tcp-request inspect-delay 600ms\n"
            "    tcp-request content accept if { req.len ge 10 }\n"
            "    tcp-request content reject if WAIT_END\n    default_backend farm\n"
            f"backend farm\n    server a {app.address}\n")


def stat_columns(sock, wanted, columns):
    """`show stat` columns (as text, "0" when empty) of the rows for which
    wanted(pxname, svname) holds, keyed "pxname/svname"."""
    stat = runtime_command(sock, "show stat").splitlines()
    header = stat[0].lstrip("# ").split(",")
    out = {}
    for line in stat[1:]:
        row = line.split(",")
        if len(row) > 2 and wanted(row[0], row[1]):
            out[f"{row[0]}/{row[1]}"] = {k: row[header.index(k)] or "0" for k in columns}
    return out


def denied_counts(sock):
    got = stat_columns(sock, lambda px, sv: sv == "FRONTEND" and px in ("held", "sized"), ("dreq", "dcon"))
    return {fe: {k: int(v) for k, v in got[f"{fe}/FRONTEND"].items()} for fe in ("held", "sized")}


def inspect_traffic(ports, output, sock):
    """Three connections from 127.0.0.3, one after the other: (what came
    back, how long it took) and their log lines."""
    def one(port, parts):
        s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(CLIENT_IP, 0))
        start = time.monotonic()
        try:
            for i, p in enumerate(parts):
                if i:
                    time.sleep(0.2)
                s.sendall(p)
            out = b""
            while chunk := s.recv(65536):
                out += chunk
            return out.split(b"\r\n")[0], time.monotonic() - start
        finally:
            s.close()

    # The readiness probes' connections (held by the inspection too, then
    # forwarded) are gone first: they would count in %ac..%sc.
    def idle():
        stat = runtime_command(sock, "show stat").splitlines()
        header = stat[0].lstrip("# ").split(",")
        return all(int(r[header.index("scur")] or 0) == 0 for r in (l.split(",") for l in stat[1:] if l))
    wait_for(idle, what="no session left from the probes")
    before = denied_counts(sock)
    answers = [one(ports[0], [b"GET /size/10 HTTP/1.0\r\n\r\n"]),
               one(ports[1], [b"GET ", b"/size/10 HTTP/1.0\r\n\r\n"]),
               one(ports[1], [b"GET "])]
    try:
        refused = socket.create_connection(("127.0.0.1", ports[0]), timeout=5, source_address=("127.0.0.4", 0))
        try:
            refused.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert refused.recv(100) == b""
        finally:
            refused.close()
    except ConnectionResetError:
        pass  # closed at once: before, while or after the bytes arrived
    time.sleep(0.2)
    after = denied_counts(sock)
    answers.append({fe: {k: after[fe][k] - before[fe][k] for k in after[fe]} for fe in after})

    def lines():
        return [m.groupdict() for m in map(TCPLOG.match, output().splitlines()) if m and m["ci"] in (CLIENT_IP, "127.0.0.4")]
    try:
        wait_for(lambda: len(lines()) == 3, what="three lines")
    except Exception:
        raise AssertionError((answers, output()))
    return answers, sorted(lines(), key=lambda f: (f["ft"], int(f["B"])))


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_tcp_content_inspection_as_haproxys(workdir, app):
    """`tcp-request inspect-delay` with `WAIT_END` holds a connection for the
    whole delay; `req.len` accepts once enough bytes arrived, and what is
    still short at the end of the delay is rejected. %Tw counts the
    inspection (from the accept), as HAProxy's; compared in the same run."""
    results = []
    for name in ("tandem", "haproxy"):
        ports = [free_port(), free_port()]
        sock = workdir / f"{name}-inspect.sock"
        cfg = inspect_config(ports, app, sock)
        with running(name, workdir, cfg, ports, "inspect") as p:
            results.append(inspect_traffic(ports, p.output, sock))
    for who, (answers, lines) in zip(("tandem", "haproxy"), results):
        (held, held_s), (sized, sized_s), (short, short_s), denied = answers
        # A content reject is a denied request; a connection reject a denied
        # connection, never logged (three lines, none from 127.0.0.4).
        assert denied == {"held": {"dreq": 0, "dcon": 1}, "sized": {"dreq": 1, "dcon": 0}}, (who, denied)
        # Upper bounds leave room for a loaded machine; the lower ones and
        # sized's %Tw (< its 600 ms delay) carry the meaning.
        assert held == b"HTTP/1.1 200 OK" and 0.28 <= held_s <= 1.0, (who, answers)
        assert sized == b"HTTP/1.1 200 OK" and 0.18 <= sized_s <= 0.9, (who, answers)
        assert short == b"" and 0.58 <= short_s <= 1.3, (who, answers)  # closed when the delay ended
        h, rejected, s = lines
        assert (h["ft"], h["b"], h["s"], h["ts"]) == ("held", "farm", "a", "--"), (who, h)
        assert 290 <= int(h["Tw"]) <= 800, (who, h)
        # Accepted at the second part, not when the delay ended:
        assert (s["ft"], s["s"], s["ts"]) == ("sized", "a", "--") and 190 <= int(s["Tw"]) <= 580, (who, s)
        assert (rejected["ft"], rejected["b"], rejected["s"], rejected["ts"]) == ("sized", "sized", "<NOSRV>", "PR"), \
            (who, rejected)
    ours, theirs = (r[1] for r in results)
    def shape(f):  # what must be identical: all but the times, the ports and %ac/%fc (the
        # test's other connections, stats socket and probes, close on each proxy's own time)
        return (f["ft"], f["b"], f["s"], f["ts"], f["B"], f["Tc"] == "-1", f["Tw"] == "-1",
                f["bc"], f["sc"], f["rc"], f["sq"], f["bq"])
    assert [shape(f) for f in ours] == [shape(f) for f in theirs], f"tandem: {ours}\nhaproxy: {theirs}"


def data_phase_config(ports, app, sock):
    """TCP: `short_client` times the client out (300ms) before the server (5s),
    `short_server` the other way round."""
    return ("global\n    log stdout format raw local0\n"
            f"    stats socket {sock} level admin\n"
            "defaults\n    log global\n    mode tcp\n    option tcplog\n    option dontlognull\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend short_client\n    bind 127.0.0.1:{ports[0]}\n    timeout client 300ms\n    default_backend farm\n"
            f"frontend short_server\n    bind 127.0.0.1:{ports[1]}\n    default_backend farm_short\n"
            f"backend farm\n    server a {app.address}\n"
            f"backend farm_short\n    timeout server 300ms\n    server a {app.address}\n")


def data_phase_traffic(ports, output):
    """A slow answer (2s) through each frontend, and a client that resets its
    connection while waiting: each line's (frontend, termination state)."""
    import struct
    def slow(port, reset=False):
        s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(CLIENT_IP, 0))
        s.sendall(b"GET /slow/2000 HTTP/1.0\r\n\r\n")
        if reset:
            time.sleep(0.1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            return "reset"
        try:
            out = b""
            while chunk := s.recv(65536):
                out += chunk
            return out.split(b"\r\n")[0].decode()
        except ConnectionResetError:
            return "reset by the proxy"
        finally:
            s.close()
    answers = [slow(ports[0]), slow(ports[1]), slow(ports[1], reset=True)]

    def lines():
        return [m.groupdict() for m in map(TCPLOG.match, output().splitlines()) if m and m["ci"] == CLIENT_IP]
    wait_for(lambda: len(lines()) == 3, what="three lines")
    return answers, [(f["ft"], f["ts"], f["s"]) for f in lines()]


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_tcp_data_phase_termination_flags_as_haproxys(workdir, app):
    """A TCP connection that ends in its data phase is logged with who ended
    it as HAProxy says: `cD` the client timeout, `sD` the server timeout,
    `CD` a client reset."""
    results = []
    for name in ("tandem", "haproxy"):
        ports = [free_port(), free_port()]
        sock = workdir / f"{name}-data.sock"
        cfg = data_phase_config(ports, app, sock)
        with running(name, workdir, cfg, ports, "data") as p:
            time.sleep(0.4)
            results.append(data_phase_traffic(ports, p.output) + (abort_counts(sock),))
    ours, theirs = results
    assert ours[1] == theirs[1], f"tandem: {ours}\nhaproxy: {theirs}"
    assert ours[1] == [("short_client", "cD", "a"), ("short_server", "sD", "a"), ("short_server", "CD", "a")]
    # (Left different: on `timeout client` HAProxy only closes the client's
    # direction and still forwards the server's late answer; Tandem's tunnel
    # ends both directions at its idle timeout.)
    assert ours[0][1:] == theirs[0][1:]
    assert ours[2] == theirs[2], f"tandem: {ours[2]}\nhaproxy: {theirs[2]}"  # eresp, cli_abrt, srv_abrt


def http_data_config(port, app, sock):
    return ("global\n    log stdout format raw local0\n"
            f"    stats socket {sock} level admin\n"
            "defaults\n    log global\n    mode http\n    option httplog\n    option dontlognull\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n"
            "    use_backend farm_short if { hdr(x-short) -m found }\n    default_backend farm\n"
            f"backend farm\n    server a {app.address}\n"
            "backend farm_short\n    timeout server 300ms\n"
            f"    server a {app.address}\n")


def abort_counts(sock):
    names = ("farm", "farm_short", "web", "short_client", "short_server")
    return stat_columns(sock, lambda px, sv: px in names, ("eresp", "cli_abrt", "srv_abrt"))


def http_data_traffic(port, output):
    """A body the server cuts short, one it stalls past `timeout server`, and
    one the client walks away from: each line's (path, status, state)."""
    def one(path, leave=False, short=False):
        s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(CLIENT_IP, 0))
        try:
            extra = "X-Short: 1\r\n" if short else ""
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
            out = s.recv(65536)
            if leave:
                time.sleep(0.2)
                return out.split(b"\r\n")[0]
            while chunk := s.recv(65536):
                out += chunk
            return out.split(b"\r\n")[0]
        finally:
            s.close()
    answers = [one("/cut/10"), one("/stall/10", short=True), one("/stall/11", leave=True)]

    def lines():
        return [m.groupdict() for m in map(HTTPLOG.match, output().splitlines()) if m and m["ci"] == CLIENT_IP]
    wait_for(lambda: len(lines()) == 3, what="three lines")
    return answers, sorted((f["r"].split()[1], f["ST"], f["tsc"]) for f in lines())


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_http_body_termination_flags_as_haproxys(workdir, app):
    """An HTTP response that ends in its body is logged with who ended it as
    HAProxy says: `SD` a server that closed early, `sD` one silent past
    `timeout server` (also when the client left meanwhile: nothing told the
    proxy), and counted as HAProxy counts them (srv_abrt; eresp for the early
    close only)."""
    results = []
    for name in ("tandem", "haproxy"):
        port = free_port()
        sock = workdir / f"{name}-body.sock"
        cfg = http_data_config(port, app, sock)
        with running(name, workdir, cfg, [port], "body") as p:
            results.append(http_data_traffic(port, p.output) + (abort_counts(sock),))
    ours, theirs = results
    assert ours == theirs, f"tandem: {ours}\nhaproxy: {theirs}"


def response_deny_config(port, app, sock):
    return ("global\n    log stdout format raw local0\n"
            f"    stats socket {sock} level admin\n"
            "defaults\n    log global\n    mode http\n    option httplog\n    option dontlognull\n"
            "    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
            "backend farm\n    http-response deny if { status 404 }\n"
            f"    server a {app.address}\n")


def deny_counts(sock):
    stat = runtime_command(sock, "show stat").splitlines()
    header = stat[0].lstrip("# ").split(",")
    return {f"{r[0]}/{r[1]}": {k: r[header.index(k)] or "0" for k in ("dreq", "dresp", "eresp")}
            for r in (l.split(",") for l in stat[1:] if l)}


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_http_response_deny_as_haproxys(workdir, app):
    """An answer withheld by `http-response deny` is a 502 logged PH-- and a
    denied response (dresp) of the frontend, backend and server, as HAProxy's."""
    results = []
    for name in ("tandem", "haproxy"):
        port = free_port()
        sock = workdir / f"{name}-dresp.sock"
        cfg = response_deny_config(port, app, sock)

        def run(output):
            assert get("127.0.0.1", port, "/status/404").status == 502
            wait_for(lambda: any('"GET /status/404' in l for l in output().splitlines()), what="the line")
            m = next(HTTPLOG.match(l) for l in output().splitlines() if '"GET /status/404' in l)
            return (m["s"], m["ST"], m["tsc"]), deny_counts(sock)
        with running(name, workdir, cfg, [port], "dresp") as p:
            results.append(run(p.output))
    ours, theirs = results
    assert ours == theirs, f"tandem: {ours}\nhaproxy: {theirs}"
    assert ours[0] == ("a", "502", "PH--") and ours[1]["farm/a"]["dresp"] == "1"
