"""Shared helpers for Tandem's integration and e2e tests.

Daemons run in the foreground as children of the test, are waited for, and are
always killed at the end, also when a test fails. Nothing sleeps for a fixed
time: `wait_for` polls a condition with a deadline.
"""

import os
import random
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BUILD_DIR = Path(os.environ.get("TANDEM_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
SOURCE_DIR = Path(__file__).resolve().parents[2]


def binary(name: str) -> str:
    """Path of a built binary (tandem-balancer, tandem-vrrpd, tandem-peersync, tandemctl)."""
    sub = {"tandem-balancer": "balancer", "tandem-vrrpd": "vrrpd", "tandem-peersync": "peersync",
           "tandemctl": "cli"}[name]
    path = BUILD_DIR / sub / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is not built (TANDEM_BUILD_DIR={BUILD_DIR})")
    return str(path)


def wait_for(condition, timeout=10.0, interval=0.01, what="condition"):
    """Polls `condition()` until it returns a truthy value; raises on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# Ports for the daemons under test come from 20000-32767, below the kernel's
# ephemeral range (32768-60999 here): no connect() or bind(0) anywhere takes
# them. Each test process walks its own slice (by pid), so two test files
# running side by side (ctest -j2) are not handed the same port between
# free_port() and their daemon's bind. Both would bind it (tandem and HAProxy
# set SO_REUSEPORT) and share its connections: a stats request once came back
# from another test's backend.
_PORT_BASE, _PORT_SLICES, _PORT_SLICE = 20000, 16, 798
_next_port = None


def free_port(host="127.0.0.1") -> int:
    """A port that was free a moment ago, from this process's slice."""
    global _next_port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    first = _PORT_BASE + (os.getpid() % _PORT_SLICES) * _PORT_SLICE
    if _next_port is None:
        _next_port = random.randrange(_PORT_SLICE)
    for _ in range(_PORT_SLICE):
        port = first + _next_port
        _next_port = (_next_port + 1) % _PORT_SLICE
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                # Without SO_REUSEADDR: a port with connections in TIME_WAIT is skipped too.
                s.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(family, socket.SOCK_STREAM) as s:  # the whole slice is busy
        s.bind((host, 0))
        return s.getsockname()[1]


class Daemon:
    """A daemon started in the foreground; stop() or the context exit ends it."""

    def __init__(self, args, env=None, cwd=None, name=None):
        self.args = [str(a) for a in args]
        self.name = name or Path(self.args[0]).name
        self.log_file = tempfile.NamedTemporaryFile(prefix=f"{self.name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(self.args, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     env=env, cwd=cwd, start_new_session=True)

    def output(self) -> str:
        with open(self.log_file.name, "r", errors="replace") as f:
            return f.read()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, signo):
        if self.alive():
            self.proc.send_signal(signo)

    def stop(self, timeout=10.0) -> int:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        try:
            os.unlink(self.log_file.name)
        except OSError:
            pass


def run(args, timeout=30, check=False, input=None, env=None):
    """Runs a command to completion; returns CompletedProcess with text output."""
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                          check=check, input=input, env=env)


def wait_for_socket(path, daemon=None, timeout=10.0):
    """Waits until a unix socket accepts connections (and the daemon is alive)."""
    def ready():
        if daemon is not None and not daemon.alive():
            raise RuntimeError(f"{daemon.name} exited with {daemon.proc.returncode}:\n{daemon.output()}")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(str(path))
            return True
        except OSError:
            return False
        finally:
            s.close()
    return wait_for(ready, timeout, what=f"socket {path}")


def wait_for_port(host, port, daemon=None, timeout=10.0):
    """Waits until a TCP port accepts connections (and the daemon is alive)."""
    def ready():
        if daemon is not None and not daemon.alive():
            raise RuntimeError(f"{daemon.name} exited with {daemon.proc.returncode}:\n{daemon.output()}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            return False
    return wait_for(ready, timeout, what=f"{host}:{port}")


class BalancerProcess(Daemon):
    """tandem-balancer started on a configuration text in `workdir`.

    `ports` are the listener ports to wait for; the admin socket is
    workdir/balancer.sock."""

    def __init__(self, workdir, config_text, ports=(), extra_args=(), name="tandem-balancer", env=None):
        self.workdir = Path(workdir)
        self.config_path = self.workdir / f"{name}.cfg"
        self.config_path.write_text(config_text)
        self.socket = self.workdir / f"{name}.sock"
        super().__init__([binary("tandem-balancer"), "-db", "-f", self.config_path, "--admin-socket", self.socket,
                          *extra_args], name=name, env=env)
        for p in ports:
            wait_for_port("127.0.0.1", p, self)
        # The listeners are bound before the admin socket exists: a test that
        # talks to the admin API right away must wait for it too.
        wait_for_socket(self.socket, self)
