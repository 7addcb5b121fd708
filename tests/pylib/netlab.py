"""A LAN in network namespaces, for vrrpd's e2e tests and benchmarks.

One namespace holds a bridge; each node is a namespace with `eth0` plugged into
it by a veth pair. Every name starts with a prefix unique to this process (and
lab), because other engineers run labs on the same machine at the same time.
Only addresses in 198.18.0.0/15 are used, and only inside the namespaces.

Everything a lab starts is killed, and every namespace deleted, by close()
(the lab is a context manager), also when a test fails.
"""

import itertools
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from harness import BUILD_DIR, Daemon, wait_for

_ids = itertools.count()

VIP = "198.18.0.100"
PYTHON = "/usr/bin/python3"
PYLIB = Path(__file__).resolve().parent


def sh(*args, check=True, timeout=20):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))}: {r.returncode}: {r.stderr.strip()}")
    return r


class Node:
    def __init__(self, lab, name, address):
        self.lab = lab
        self.name = name
        self.ns = f"{lab.prefix}-{name}"
        self.port = f"{lab.prefix}{name}"  # the veth end in the bridge namespace
        self.address = address

    def exec_args(self, args):
        return ["ip", "netns", "exec", self.ns, *[str(a) for a in args]]

    def run(self, *args, check=True, timeout=20):
        return sh(*self.exec_args(args), check=check, timeout=timeout)

    def spawn(self, args, name=None, env=None):
        """Starts a process in this node, in the foreground, owned by the lab."""
        d = Daemon(self.exec_args(args), name=name or f"{self.name}-{Path(str(args[0])).name}", env=env)
        self.lab.processes.append(d)
        return d

    def addresses(self, dev="eth0"):
        r = self.run("ip", "-j", "addr", "show", "dev", dev, check=False)
        if r.returncode != 0:
            return []
        out = []
        for link in json.loads(r.stdout or "[]"):
            for a in link.get("addr_info", []):
                out.append(a["local"])
        return out

    def has(self, ip):
        return ip in self.addresses()

    def mac(self, dev="eth0"):
        return json.loads(self.run("ip", "-j", "link", "show", "dev", dev).stdout)[0]["address"]

    def neigh(self, ip, dev="eth0"):
        """The MAC this node's neighbour table holds for `ip`, or None."""
        r = self.run("ip", "-j", "neigh", "show", "to", ip, "dev", dev, check=False)
        for n in json.loads(r.stdout or "[]"):
            if "lladdr" in n and n.get("state", ["?"])[0] not in ("FAILED", "INCOMPLETE"):
                return n["lladdr"]
        return None

    def sysctl(self, key, value):
        self.run("sysctl", "-qw", f"{key}={value}")


class Lab:
    def __init__(self, nodes=(("a", "198.18.0.1/24"), ("b", "198.18.0.2/24"), ("c", "198.18.0.9/24"))):
        self.prefix = f"tv{os.getpid() % 100000}{next(_ids)}"
        self.bridge_ns = f"{self.prefix}-br"
        self.nodes = {}
        self.processes = []
        try:
            sh("ip", "netns", "add", self.bridge_ns)
            sh("ip", "-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
            sh("ip", "-n", self.bridge_ns, "link", "set", "br0", "up")
            for name, address in nodes:
                self.add_node(name, address)
        except Exception:
            self.close()
            raise

    def add_node(self, name, address):
        n = Node(self, name, address.split("/")[0])
        sh("ip", "netns", "add", n.ns)
        sh("ip", "link", "add", n.port, "type", "veth", "peer", "name", "eth0", "netns", n.ns)
        sh("ip", "link", "set", n.port, "netns", self.bridge_ns)
        sh("ip", "-n", self.bridge_ns, "link", "set", n.port, "master", "br0", "up")
        # No duplicate address detection: link-local addresses are usable at once.
        sh("ip", "netns", "exec", n.ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
           "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.eth0.accept_dad=0")
        sh("ip", "-n", n.ns, "link", "set", "lo", "up")
        sh("ip", "-n", n.ns, "addr", "add", address, "dev", "eth0")
        sh("ip", "-n", n.ns, "link", "set", "eth0", "up")
        self.nodes[name] = n
        return n

    def __getitem__(self, name):
        return self.nodes[name]

    def cable(self, name, up):
        """Plugs (up) or pulls (down) the node's cable: its eth0 loses carrier."""
        sh("ip", "-n", self.bridge_ns, "link", "set", self.nodes[name].port, "up" if up else "down")

    def isolate(self, names, on):
        """Isolated bridge ports cannot reach each other, but still reach the
        others: two routers stop hearing each other while clients see both."""
        for name in names:
            sh("bridge", "-n", self.bridge_ns, "link", "set", "dev", self.nodes[name].port,
               "isolated", "on" if on else "off")

    def close(self):
        for p in self.processes:
            kill_group(p)
        for n in list(self.nodes.values()):
            sh("ip", "netns", "del", n.ns, check=False)
        sh("ip", "netns", "del", self.bridge_ns, check=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def kill_group(daemon, signo=signal.SIGKILL):
    """Signals a daemon and every process it started (keepalived runs its VRRP
    work in a child: killing the parent alone lets the child say goodbye).
    Daemons start in their own session, so their process group is their pid."""
    if daemon.alive():
        try:
            os.killpg(daemon.proc.pid, signo)
        except ProcessLookupError:
            pass
    if signo == signal.SIGKILL:
        daemon.kill()


def admin(sock, *args, check=True):
    """Calls the vrrpd admin API through tests/e2e/tools/vrrp_admin; JSON out."""
    r = sh(BUILD_DIR / "tests" / "e2e" / "vrrp_admin", sock, *args, check=check)
    return json.loads(r.stdout) if r.returncode == 0 else None


def instance(sock, name="VI_1"):
    for i in admin(sock, "list").get("instances", []):
        if i["name"] == name:
            return i
    raise KeyError(name)


def state(sock, name="VI_1"):
    try:
        return instance(sock, name)["state"]
    except (RuntimeError, KeyError):
        return None
