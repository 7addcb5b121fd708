"""Every daemon: starts, answers grpc.health.v1 on its socket, stops on SIGTERM,
rejects a bad configuration with FILE:LINE, and refuses a socket a live process
serves. tandemctl health reports all three."""

import json
import signal

import pytest

from harness import Daemon, binary, free_port, run, wait_for, wait_for_socket

BALANCER_CFG = """
global
    maxconn 100
frontend web
    mode http
    bind 127.0.0.1:@PORT@
"""

# An interface that does not exist: the instance waits in FAULT, and the
# daemon touches no address or link of the machine the test runs on.
VRRPD_CONF = """
vrrp_instance VI_1 {
    state MASTER
    interface tandem-none0
    virtual_router_id 51
    priority 101
    virtual_ipaddress {
        198.18.0.100/24
    }
}
"""

PEERSYNC_CONF = """
node lb1
listen 127.0.0.1:@PORT@
peer lb2 127.0.0.2:7400
tls off
"""

DAEMONS = {
    "balancer": ("tandem-balancer", "balancer.cfg", BALANCER_CFG),
    "vrrpd": ("tandem-vrrpd", "vrrpd.conf", VRRPD_CONF),
    "peersync": ("tandem-peersync", "peersync.conf", PEERSYNC_CONF),
}

BAD = {
    "balancer": ("global\n    maxconn 100\n    frobnicate on\n", ":3: frobnicate: unknown keyword"),
    "vrrpd": ("vrrp_instance VI_1 {\n    interface lo\n    virtual_router_id 300\n}\n",
              ":3: virtual_router_id: expects a number in 1..255"),
    "peersync": ("node lb1\nlisten 127.0.0.1:7400\nlisten 127.0.0.1:7401\ntls off\n", ":3: listen: given twice"),
}


def config_text(key):
    return DAEMONS[key][2].replace("@PORT@", str(free_port()))


def start(workdir, key):
    exe, fname, _ = DAEMONS[key]
    cfg = workdir / fname
    cfg.write_text(config_text(key))
    sock = workdir / f"{key}.sock"
    d = Daemon([binary(exe), "-f", cfg, "--admin-socket", sock, "-p", workdir / f"{key}.pid"])
    wait_for_socket(sock, d)
    return d, sock


@pytest.mark.parametrize("key", DAEMONS)
def test_check_mode_accepts_a_valid_configuration(workdir, key):
    exe, fname, _ = DAEMONS[key]
    cfg = workdir / fname
    cfg.write_text(config_text(key))
    r = run([binary(exe), "-c", "-f", cfg])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Configuration file is valid"


@pytest.mark.parametrize("key", DAEMONS)
def test_bad_configuration_names_file_and_line(workdir, key):
    exe, fname, _ = DAEMONS[key]
    text, expected = BAD[key]
    cfg = workdir / fname
    cfg.write_text(text)
    for extra in (["-c"], ["--admin-socket", workdir / "x.sock"]):
        r = run([binary(exe), *extra, "-f", cfg])
        assert r.returncode == 1
        assert f"{cfg}{expected}" in r.stderr
    assert not (workdir / "x.sock").exists()


@pytest.mark.parametrize("key", DAEMONS)
def test_starts_serves_health_and_stops_on_sigterm(workdir, key):
    d, sock = start(workdir, key)
    with d:
        assert (workdir / f"{key}.pid").read_text().strip() == str(d.proc.pid)
        r = run([binary("tandemctl"), "--run-dir", workdir, "--json", "health"])
        entry = next(e for e in json.loads(r.stdout)["daemons"] if e["name"] == key)
        assert entry["health"] == "SERVING", r.stdout
        d.signal(signal.SIGTERM)
        assert d.proc.wait(10) == 0
        assert not sock.exists()
        assert not (workdir / f"{key}.pid").exists()


@pytest.mark.parametrize("key", DAEMONS)
def test_refuses_a_socket_a_live_process_serves(workdir, key):
    d, sock = start(workdir, key)
    with d:
        exe, fname, _ = DAEMONS[key]
        pidfile = workdir / f"{key}.pid"
        r = run([binary(exe), "-f", workdir / fname, "--admin-socket", sock, "-p", pidfile], timeout=10)
        assert r.returncode == 1
        assert "served by a running process" in r.stderr
        assert d.alive()
        assert pidfile.read_text().strip() == str(d.proc.pid)  # the live daemon's pid file is untouched
        assert wait_for_socket(sock)


def test_a_stale_socket_is_replaced(workdir):
    d, sock = start(workdir, "vrrpd")
    d.kill()  # SIGKILL leaves the socket file behind
    assert sock.exists()
    d2, _ = start(workdir, "vrrpd")
    with d2:
        r = run([binary("tandemctl"), "--run-dir", workdir, "health"])
        assert "vrrpd     SERVING" in r.stdout


def test_tandemctl_health_shows_all_three(workdir):
    daemons = [start(workdir, k)[0] for k in DAEMONS]
    try:
        r = run([binary("tandemctl"), "--run-dir", workdir, "health"])
        assert r.returncode == 0, r.stdout + r.stderr
        for name in DAEMONS:
            assert f"{name:<10}SERVING" in r.stdout
        daemons[1].stop()
        r = run([binary("tandemctl"), "--run-dir", workdir, "health"])
        assert r.returncode == 1
        assert f"vrrpd     not running  (no socket at {workdir}/vrrpd.sock)" in r.stdout
    finally:
        for d in daemons:
            d.kill()


def test_balancer_without_a_listener_refuses_to_start(workdir):
    cfg = workdir / "b.cfg"
    cfg.write_text("frontend web\n    mode http\n")
    r = run([binary("tandem-balancer"), "-f", cfg, "--admin-socket", workdir / "b.sock"], timeout=10)
    assert r.returncode == 1
    assert "no listener" in r.stderr
    r = run([binary("tandem-balancer"), "-c", "-f", cfg])
    assert r.returncode == 0 and "has no 'bind' line" in r.stderr


def test_tandemctl_usage_errors():
    r = run([binary("tandemctl"), "frobnicate"])
    assert r.returncode == 2
    assert "unknown command 'frobnicate'" in r.stderr
    r = run([binary("tandemctl")])
    assert r.returncode == 2
