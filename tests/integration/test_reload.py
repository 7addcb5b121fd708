"""Balancer reload (SIGHUP and Admin.Reload via tandemctl): under wrk load, 20
reloads alternating two configurations lose no connection and no request; an
invalid file leaves the old configuration serving; server states and stick
tables survive; listeners are kept, opened and closed as the files say; old
connections finish on the old configuration, bounded by hard-stop-after."""

import json
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from backend import Backend
from harness import BalancerProcess, Daemon, binary, free_port, wait_for, wait_for_port
from httpclient import get
from tandemctl import ctl

DEFAULTS = """
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
"""


def config(port, backends, tag, extra_port=None, stats_socket=None, extra="", expose=False):
    """Configuration `tag` ("A" or "B"): the same listener on `port`, a response
    header naming the configuration, and (B only) a second listener."""
    g = "global\n    nbthread 2\n"
    if stats_socket:
        g += f"    stats socket {stats_socket} level admin{' expose-fd listeners' if expose else ''}\n"
    fe = f"frontend web\n    bind 127.0.0.1:{port}\n"
    if extra_port:
        fe += f"    bind 127.0.0.1:{extra_port}\n"
    fe += f"    http-response set-header X-Config {tag}\n    default_backend farm\n"
    be = "backend farm\n    balance roundrobin\n"
    be += "".join(f"    server {b.name} {b.address}\n" for b in backends)
    return g + DEFAULTS + extra + fe + be


@pytest.fixture
def backends():
    bs = [Backend(f"app{i}") for i in (1, 2)]
    yield bs
    for b in bs:
        b.close()


def reload_ctl(p):
    return ctl("reload", "balancer", run_dir=p.workdir)


def served_config(port):
    return get("127.0.0.1", port).header("X-Config")


def connects(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is installed by scripts/install-deps")
def test_twenty_reloads_under_wrk_lose_nothing(workdir, backends):
    port, port2 = free_port(), free_port()
    a = config(port, backends, "A")
    b = config(port, backends, "B", extra_port=port2)
    with BalancerProcess(workdir, a, ports=[port], name="balancer") as p:
        assert served_config(port) == "A"
        wrk = subprocess.Popen(["wrk", "-t2", "-c32", "-d30s", "--timeout", "5s", f"http://127.0.0.1:{port}/"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1.0)
            for i in range(20):
                tag = "B" if i % 2 == 0 else "A"
                p.config_path.write_text(b if tag == "B" else a)
                if i % 4 < 2:
                    r = reload_ctl(p)
                    assert r.returncode == 0, r.stdout + r.stderr
                    assert "configuration reloaded" in r.stdout
                else:
                    p.signal(signal.SIGHUP)
                # The new configuration answers new connections (a SIGHUP is
                # asynchronous: wait for it).
                wait_for(lambda: served_config(port) == tag, timeout=5, what=f"configuration {tag} serving")
                assert connects(port2) == (tag == "B")
                time.sleep(0.25)
        finally:
            out, _ = wrk.communicate(timeout=60)
        assert wrk.returncode == 0, out
        m = re.search(r"(\d+) requests in", out)
        assert m and int(m.group(1)) > 1000, out
        assert "Socket errors" not in out, out
        assert "Non-2xx" not in out, out
        # Every reload is logged; the old configurations were released once
        # their connections ended.
        assert len(re.findall(r"reloaded: configuration \d+ serves", p.output())) == 20
        wait_for(lambda: len(re.findall(r"configuration \d+ released", p.output())) == 20, timeout=15,
                 what="old configurations released")


def test_invalid_configuration_keeps_the_old_one_serving(workdir, backends):
    port = free_port()
    good = config(port, backends, "A")
    with BalancerProcess(workdir, good, ports=[port], name="balancer") as p:
        p.config_path.write_text(good.replace("    balance roundrobin\n", "    balance roundrobin\n    frobnicate 3\n"))
        r = reload_ctl(p)
        assert r.returncode != 0
        line = good.splitlines().index("    balance roundrobin") + 2
        assert f"balancer.cfg:{line}: frobnicate" in r.stdout + r.stderr
        assert "running configuration stays" in r.stdout + r.stderr
        assert served_config(port) == "A"
        # Also by SIGHUP: logged with file:line, still serving.
        p.signal(signal.SIGHUP)
        wait_for(lambda: len(re.findall(r"reload failed, the running configuration stays: .*balancer.cfg:\d+: frobnicate",
                                        p.output())) == 2, what="the failure logged")
        assert served_config(port) == "A"
        status = ctl("--json", "status", run_dir=p.workdir)
        assert "frobnicate" in status.stdout
        # A listener that cannot be bound fails the reload too, before anything changed.
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        try:
            p.config_path.write_text(config(port, backends, "B", extra_port=busy))
            r = reload_ctl(p)
            assert r.returncode != 0
            assert f"127.0.0.1:{busy}" in r.stdout + r.stderr
            assert served_config(port) == "A"
        finally:
            taken.close()
        # A good file loads after the failures.
        p.config_path.write_text(config(port, backends, "B"))
        assert reload_ctl(p).returncode == 0
        assert served_config(port) == "B"


def test_server_states_and_stick_tables_survive(workdir, backends):
    port = free_port()
    sock = workdir / "stats.sock"
    table = "backend sticky\n    stick-table type ip size 1k expire 10m store http_req_cnt\n"
    track = "    http-request track-sc0 src table sticky\n"
    a = config(port, backends, "A", stats_socket=sock).replace("frontend web\n", "frontend web\n" + track) + table
    b = config(port, backends, "B", stats_socket=sock).replace("frontend web\n", "frontend web\n" + track) + table
    with BalancerProcess(workdir, a, ports=[port], name="balancer") as p:
        for _ in range(3):
            get("127.0.0.1", port)
        assert ctl("server", "maint", "farm/app2", run_dir=p.workdir).returncode == 0
        assert ctl("server", "weight", "farm/app1", "7", run_dir=p.workdir).returncode == 0
        p.config_path.write_text(b)
        assert reload_ctl(p).returncode == 0
        assert served_config(port) == "B"
        # app2 is still in maintenance: every request goes to app1.
        assert {get("127.0.0.1", port).header("X-Backend") for _ in range(6)} == {"app1"}
        servers = {s["name"]: s for s in json.loads(ctl("--json", "servers", "farm", run_dir=p.workdir).stdout)["servers"]}
        assert servers["app2"]["admin_state"] == "maint"
        assert servers["app1"]["weight"] == 7 and servers["app1"]["configured_weight"] == 1
        # The table kept its entry and its count: 3 requests before the
        # reload, 7 since (6 above and the one that checked the header).
        shown = json.loads(ctl("--json", "table", "show", "sticky", run_dir=p.workdir).stdout)
        assert [(e["key"], e["data"]["http_req_cnt"]) for e in shown["entries"]] == [("127.0.0.1", 10)]


def test_keep_alive_connection_is_closed_after_its_response(workdir, backends):
    port = free_port()
    with BalancerProcess(workdir, config(port, backends, "A"), ports=[port], name="balancer") as p:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = s.recv(65536).decode()
        assert "X-Config: A" in first and "connection: close" not in first.lower()
        p.config_path.write_text(config(port, backends, "B"))
        assert reload_ctl(p).returncode == 0
        # The connection was opened on A: its next request is A's last, and
        # the response says so.
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        s.settimeout(5)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        text = data.decode()
        assert text.startswith("HTTP/1.1 200") and "X-Config: A" in text
        assert "connection: close" in text.lower()
        s.close()
        assert served_config(port) == "B"
        wait_for(lambda: "configuration 1 released" in p.output(), what="configuration 1 released")


def read_until_closed(s):
    data = b""
    s.settimeout(5)
    while chunk := s.recv(65536):
        data += chunk
    return data.decode()


@pytest.mark.parametrize("path,status", [("/alive", 200), ("/stats", 200), ("/metrics", 200), ("/denied", 403)])
def test_answers_of_the_balancer_itself_close_an_old_connection(workdir, backends, path, status):
    """After a reload, the answers the balancer gives itself (monitor-uri,
    stats page, a use-service, a deny) on an old connection say
    `connection: close` and close it, as its proxied responses do: the
    client's next request reaches the new configuration."""
    port = free_port()
    extra = ("    monitor-uri /alive\n    stats enable\n    stats uri /stats\n"
             "    http-request use-service prometheus-exporter if { path /metrics }\n"
             "    http-request deny if { path /denied }\n")

    def cfg(tag):
        return config(port, backends, tag).replace("    default_backend farm\n", extra + "    default_backend farm\n")

    with BalancerProcess(workdir, cfg("A"), ports=[port], name="balancer") as p:
        s = socket.create_connection(("127.0.0.1", port))
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        s.sendall(request)
        s.settimeout(5)
        first = s.recv(65536).decode()
        assert first.startswith(f"HTTP/1.1 {status}") and "connection: close" not in first.lower(), first
        p.config_path.write_text(cfg("B"))
        assert reload_ctl(p).returncode == 0
        s.sendall(request)
        text = read_until_closed(s)  # ends: the balancer closed the connection
        s.close()
        assert text.startswith(f"HTTP/1.1 {status}") and "connection: close" in text.lower(), text
        assert served_config(port) == "B"


def test_hard_stop_after_ends_old_connections(workdir, backends):
    port, tport = free_port(), free_port()
    hold = socket.socket()
    hold.bind(("127.0.0.1", 0))
    hold.listen()
    held_port = hold.getsockname()[1]
    # A TCP listener to a server that accepts and says nothing: the client's
    # connection stays open as long as the balancer lets it.
    tcp = (f"listen raw\n    mode tcp\n    bind 127.0.0.1:{tport}\n    timeout client 1m\n    timeout server 1m\n"
           f"    server s 127.0.0.1:{held_port}\n")
    a = (config(port, backends, "A") + tcp).replace("    nbthread 2\n", "    nbthread 2\n    hard-stop-after 1s\n")
    try:
        with BalancerProcess(workdir, a, ports=[port, tport], name="balancer") as p:
            c = socket.create_connection(("127.0.0.1", tport))
            hold.settimeout(5)
            server_side, _ = hold.accept()  # the balancer connected through
            p.config_path.write_text(a.replace("X-Config A", "X-Config B"))
            started = time.monotonic()
            assert reload_ctl(p).returncode == 0
            assert served_config(port) == "B"
            # The held connection still works on the old configuration...
            c.settimeout(10)
            c.sendall(b"ping")
            # ...until hard-stop-after ends it.
            assert c.recv(10) == b"", p.output()
            waited = time.monotonic() - started
            assert 0.8 <= waited <= 3.0, waited
            # (The harness's own probe of the port is one more connection the
            # silent server never closed.)
            wait_for(lambda: re.search(r"hard-stop-after: closing the [12] connection\(s\) configuration 1", p.output()),
                     what="hard stop logged")
            wait_for(lambda: "configuration 1 released" in p.output(), what="configuration 1 released")
            # The new configuration serves the same TCP listener.
            c2 = socket.create_connection(("127.0.0.1", tport))
            c2.close()
            server_side.close()
    finally:
        hold.close()


def upgrade(p, stats_socket, name="new"):
    """Starts a new balancer on p's files that takes p's sockets (-x) and
    tells p to stop softly (-sf), as a package upgrade would."""
    return Daemon([binary("tandem-balancer"), "-db", "-f", p.config_path, "--admin-socket", p.socket,
                   "-x", stats_socket, "-sf", str(p.proc.pid)], name=name)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is installed by scripts/install-deps")
def test_binary_upgrade_hands_the_sockets_over_under_wrk(workdir, backends):
    port = free_port()
    sock = workdir / "stats.sock"
    with BalancerProcess(workdir, config(port, backends, "A", stats_socket=sock, expose=True), ports=[port],
                         name="balancer") as old:
        wrk = subprocess.Popen(["wrk", "-t2", "-c32", "-d6s", "--timeout", "5s", f"http://127.0.0.1:{port}/"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        new = None
        try:
            time.sleep(1.5)
            old.config_path.write_text(config(port, backends, "B", stats_socket=sock, expose=True))
            new = upgrade(old, sock)
            # The old process stops accepting, finishes its connections and exits.
            assert old.proc.wait(timeout=20) == 0, old.output()
            assert "soft stop: no longer accepting" in old.output()
            assert re.search(r"-x: 2 listening socket\(s\) taken over", new.output()), new.output()
            assert served_config(port) == "B"
            # The admin socket and the stats socket are the new process's now.
            st = ctl("--json", "status", run_dir=old.workdir)
            assert st.returncode in (0, 1) and '"balancer"' in st.stdout, st.stdout + st.stderr
            out, _ = wrk.communicate(timeout=60)
        finally:
            if wrk.poll() is None:
                wrk.kill()
            if new is not None:
                assert new.stop() == 0, new.output()
        assert wrk.returncode == 0, out
        assert "Socket errors" not in out, out
        assert "Non-2xx" not in out, out
        m = re.search(r"(\d+) requests in", out)
        assert m and int(m.group(1)) > 1000, out


def test_binary_upgrade_without_expose_fd_binds_beside(workdir, backends):
    port = free_port()
    sock = workdir / "stats.sock"
    with BalancerProcess(workdir, config(port, backends, "A", stats_socket=sock), ports=[port], name="balancer") as old:
        new = upgrade(old, sock)
        try:
            assert old.proc.wait(timeout=20) == 0, old.output()
            wait_for(lambda: "-x:" in new.output(), what="the -x warning")
            assert "expose-fd" in new.output() and "binding new sockets instead" in new.output(), new.output()
            wait_for_port("127.0.0.1", port, new)
            assert served_config(port) == "A"
        finally:
            assert new.stop() == 0, new.output()


def test_soft_stop_finishes_connections_then_exits_and_refuses_a_reload(workdir, backends):
    port = free_port()
    with BalancerProcess(workdir, config(port, backends, "A"), ports=[port], name="balancer") as p:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"X-Config: A" in s.recv(65536)
        p.signal(signal.SIGUSR1)
        wait_for(lambda: "soft stop: no longer accepting; 1 connection(s) to finish" in p.output(), what="soft stop")
        assert not connects(port)  # no successor took the listener: refused
        p.signal(signal.SIGHUP)
        wait_for(lambda: "reload failed" in p.output(), what="the reload refused")
        assert "stopping softly" in p.output()
        # The open connection is served to the end (its answer says close)...
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200") and b"connection: close" in data.lower()
        s.close()
        # ...then the process exits by itself.
        assert p.proc.wait(timeout=10) == 0, p.output()
        assert "soft stop: the last connection ended" in p.output()
