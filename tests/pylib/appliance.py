"""The two-node appliance in network namespaces, as its users run it.

    a (198.18.0.1)   tandem-balancer + tandem-vrrpd + tandem-peersync  \
    b (198.18.0.2)   tandem-balancer + tandem-vrrpd + tandem-peersync   |  one LAN
    c (198.18.0.9)   the client                           |  198.18.0.0/24
    s1, s2 (198.18.0.11, .12)  HTTP backends             /

Both nodes run the same balancer configuration: a frontend on the VIP
198.18.0.100:80 (bound before the node holds it: the balancer's listeners use
IP_FREEBIND, as `net.ipv4.ip_nonlocal_bind` does for HAProxy), and a farm of
s1 and s2 with health checks and cookie persistence, so that a client keeps
its server whichever node answers; and under /app a backend that sticks each
source address to a server with a stick table that tandem-peersync replicates
to the other node (mutual TLS, certificates made here by the openssl CLI), so
that a client without cookies keeps its server too. The file differs between
the nodes only in `localpeer`, the node's name. vrrpd tracks its node's balancer through
the balancer's health service (track_balancer, weight 0: a dead balancer puts
the node in FAULT at once).

The lab owns every process it starts and every namespace it makes: close()
(or leaving the `with` block, also on an exception or Ctrl-C) kills and
removes them all. Nothing runs in the background, nothing is daemonized.
"""

import os
import signal
import time
from pathlib import Path

from harness import binary, wait_for, wait_for_socket
from netlab import PYLIB, PYTHON, VIP, Lab, kill_group, state

MASTER, BACKUP, FAULT = "STATE_MASTER", "STATE_BACKUP", "STATE_FAULT"
NODES = (("a", "198.18.0.1/24"), ("b", "198.18.0.2/24"), ("c", "198.18.0.9/24"),
         ("s1", "198.18.0.11/24"), ("s2", "198.18.0.12/24"))
BACKENDS = ("s1", "s2")

BALANCER_CFG = """# tandem-balancer on node {node}: the same file on both nodes.
global
    maxconn 4000
    nbthread 2
    localpeer lb-{node}

peers pair
    peer lb-a 198.18.0.1:7400
    peer lb-b 198.18.0.2:7400

defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    option redispatch
    retries 2

frontend www
    bind {vip}:80
    use_backend app if {{ path_beg /app }}
    default_backend farm

backend farm
    balance roundrobin
    cookie SRV insert indirect nocache
    option httpchk GET /health
{servers}
backend app
    balance roundrobin
    stick-table type ip size 100k expire 30m peers pair store server_id
    stick on src
    option httpchk GET /health
{servers}"""

VRRPD_CFG = """# tandem-vrrpd on node {node}
global_defs {{
    router_id lb-{node}
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {priority}
    version 3
    advert_int {advert}
{preempt}    virtual_ipaddress {{
        {vip}/24
    }}
    track_balancer {{
        socket {balancer_socket}
        weight 0
    }}
}}
"""


class ApplianceNode:
    """One node of the pair: its balancer and its vrrpd, each restartable."""

    def __init__(self, appliance, name, priority):
        self.appliance = appliance
        self.name = name
        self.ns = appliance.lab[name]
        self.priority = priority
        self.dir = appliance.workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.balancer_socket = self.dir / "balancer.sock"
        self.vrrpd_socket = self.dir / "vrrpd.sock"
        self.peersync_socket = self.dir / "peersync.sock"
        self.stats_socket = self.dir / "stats.sock"
        self.balancer = None
        self.vrrpd = None
        self.peersync = None

    def balancer_config(self):
        servers = "".join(f"    server {s} {self.appliance.lab[s].address}:80 check inter 500 fall 2 rise 2 "
                          f"cookie {s}\n" for s in BACKENDS)
        # `cookie` on a server of a backend without `cookie` is ignored, as in HAProxy.
        text = BALANCER_CFG.format(node=self.name, vip=VIP, servers=servers)
        # The runtime API, exposing the listeners for a binary upgrade (-x).
        text = text.replace("global\n", f"global\n    stats socket {self.stats_socket} level admin expose-fd listeners\n", 1)
        if self.appliance.transparent:
            # IP_TRANSPARENT on the VIP's listener (accepted connections
            # inherit it): a node that let the VIP go can still send the
            # answers of the requests it is serving (docs/DECISIONS.md,
            # "failover: make before break").
            text = text.replace(f"    bind {VIP}:80\n", f"    bind {VIP}:80 transparent\n")
            assert "transparent" in text
        return text

    def start_balancer(self):
        cfg = self.dir / "balancer.cfg"
        cfg.write_text(self.balancer_config())
        self.balancer = self.ns.spawn([binary("tandem-balancer"), "-db", "-f", cfg,
                                       "--admin-socket", self.balancer_socket], name=f"balancer-{self.name}")
        wait_for_socket(self.balancer_socket, self.balancer)

    def upgrade_balancer(self):
        """A binary upgrade, as HAProxy's: a new process takes the running one's
        listening sockets (-x) and, once serving, tells it to stop softly
        (-sf). Returns the old process (it exits when its connections end)."""
        old = self.balancer
        self.balancer = self.ns.spawn([binary("tandem-balancer"), "-db", "-f", self.dir / "balancer.cfg",
                                       "--admin-socket", self.balancer_socket, "-x", self.stats_socket,
                                       "-sf", str(old.proc.pid)], name=f"balancer-{self.name}-upgraded")
        return old

    def start_vrrpd(self, nopreempt=False):
        cfg = self.dir / "vrrpd.conf"
        cfg.write_text(VRRPD_CFG.format(node=self.name, priority=self.priority, advert=self.appliance.advert,
                                        preempt="    nopreempt\n" if nopreempt else "", vip=VIP,
                                        balancer_socket=self.balancer_socket))
        self.vrrpd = self.ns.spawn([binary("tandem-vrrpd"), "-f", cfg, "--admin-socket", self.vrrpd_socket],
                                   name=f"vrrpd-{self.name}")
        wait_for_socket(self.vrrpd_socket, self.vrrpd)

    def start_peersync(self):
        other = "b" if self.name == "a" else "a"
        cert, key = self.appliance.pki.issue(f"lb-{self.name}")
        cfg = self.dir / "peersync.conf"
        cfg.write_text(f"# tandem-peersync on node {self.name}\nnode lb-{self.name}\n"
                       f"listen {self.ns.address}:7400\nbalancer-socket {self.balancer_socket}\n"
                       f"vrrpd-socket {self.vrrpd_socket}\n"
                       f"peer lb-{other} {self.appliance.lab[other].address}:7400\n"
                       f"tls cert {cert} key {key} ca {self.appliance.pki.ca}\n")
        self.peersync = self.ns.spawn([binary("tandem-peersync"), "-f", cfg, "--admin-socket", self.peersync_socket],
                                      name=f"peersync-{self.name}")
        wait_for_socket(self.peersync_socket, self.peersync)

    def kill_peersync(self, signo=signal.SIGKILL):
        os.kill(self.peersync.proc.pid, signo)
        self.peersync.proc.wait(5)

    def tandemctl(self, *args):
        """tandemctl on this node: (exit status, stdout, stderr)."""
        r = self.ns.run(binary("tandemctl"), "--run-dir", self.dir, *args, check=False, timeout=30)
        return r.returncode, r.stdout, r.stderr

    def kill_balancer(self, signo=signal.SIGKILL):
        os.kill(self.balancer.proc.pid, signo)
        self.balancer.proc.wait(5)

    def kill_vrrpd(self, signo=signal.SIGKILL):
        os.kill(self.vrrpd.proc.pid, signo)
        self.vrrpd.proc.wait(5)

    def state(self):
        return state(self.vrrpd_socket) if self.vrrpd and self.vrrpd.alive() else None

    def holds_vip(self):
        return self.ns.has(VIP)


def keepalived_conf(haproxy_name, priority, tuned, nopreempt=False):
    """The seeds' keepalived.conf for one node: a vrrp_script `killall -0
    HAPROXY_NAME` (weight 2) tracked by VI_1 on eth0, VRID 51, the lab's VIP;
    `state MASTER` at priority 101. tuned=False: the seeds' settings (VRRPv2,
    advert_int 1, script interval 2, PASS authentication). tuned=True: VRRPv3,
    advert_int 0.1, script interval 1, fall 1."""
    if tuned:
        glob, script_opts, advert, auth = "global_defs {\n    vrrp_version 3\n}\n", "    interval 1\n    fall 1\n", "0.1", ""
    else:
        glob, script_opts, advert = "", "    interval 2\n", "1"
        auth = "    authentication {\n        auth_type PASS\n        auth_pass mysecret\n    }\n"
    return (f"{glob}vrrp_script check_haproxy {{\n    script \"/usr/bin/killall -0 {haproxy_name}\"\n"
            f"{script_opts}    weight 2\n}}\n"
            f"vrrp_instance VI_1 {{\n    state {'MASTER' if priority == 101 else 'BACKUP'}\n"
            f"    interface eth0\n    virtual_router_id 51\n    priority {priority}\n"
            f"    advert_int {advert}\n{'    nopreempt' + chr(10) if nopreempt else ''}{auth}"
            f"    virtual_ipaddress {{\n        {VIP}/24\n    }}\n    track_script {{\n        check_haproxy\n    }}\n}}\n")


class KeepalivedNode(ApplianceNode):
    """The reference pair the benchmarks compare with: HAProxy 2.6 on the
    same balancer configuration and keepalived with the seeds' vrrp_script
    ("killall -0 haproxy", weight 2, priorities 101/100). killall sees every
    PID namespace's processes, so each node runs HAProxy under its own name
    (a symlink haproxy-a / haproxy-b) and its script checks that name.

    tuned=False: the seeds' settings (VRRPv2, advert_int 1, script interval 2).
    tuned=True: VRRPv3, advert_int 0.1, script interval 1, fall 1."""

    def __init__(self, appliance, name, priority, tuned):
        super().__init__(appliance, name, 101 if priority > 100 else 100)
        self.tuned = tuned
        self.haproxy = self.dir / f"haproxy-{name}"
        if not self.haproxy.exists():
            self.haproxy.symlink_to("/usr/sbin/haproxy")

    def start_balancer(self):
        cfg = self.dir / "haproxy.cfg"
        cfg.write_text(self.balancer_config())
        # As the seeds' guides say: HAProxy binds the VIP before holding it.
        self.ns.sysctl("net.ipv4.ip_nonlocal_bind", 1)
        self.balancer = self.ns.spawn([self.haproxy, "-db", "-f", cfg], name=f"haproxy-{self.name}")
        wait_for(lambda: ":80 " in self.ns.run("ss", "-Hltn").stdout, 5, what="haproxy listening")

    def start_vrrpd(self, nopreempt=False):
        text = keepalived_conf(f"haproxy-{self.name}", self.priority, self.tuned, nopreempt)
        cfg = self.dir / "keepalived.conf"
        cfg.write_text(text)
        self.vrrpd = self.ns.spawn(["keepalived", "--dont-fork", "--log-console", "--vrrp", "-f", cfg,
                                    "-p", self.dir / "keepalived.pid", "-r", self.dir / "keepalived-vrrp.pid"],
                                   name=f"keepalived-{self.name}")

    def kill_balancer(self, signo=signal.SIGKILL):
        kill_group(self.balancer, signo)
        self.balancer.proc.wait(5)

    def state(self):
        # keepalived has no API to ask: the VIP tells.
        if not (self.vrrpd and self.vrrpd.alive()):
            return None
        return MASTER if self.holds_vip() else BACKUP


class Appliance:
    """The lab plus the pair. `advert` is vrrpd's advert_int (0.1 s: every
    failover in the tests takes well under a second). flavor "tandem" is
    the product; "keepalived-seeds" and "keepalived-tuned" are HAProxy +
    keepalived on the same LAN and the same balancer configuration, for the
    benchmarks. transparent=True binds the VIP's listener with `transparent`."""

    def __init__(self, workdir, advert="0.1", nopreempt=False, flavor="tandem", peersync=True, transparent=False):
        self.workdir = Path(workdir)
        self.transparent = transparent
        self.advert = advert
        self.flavor = flavor
        self.lab = Lab(nodes=NODES)
        try:
            self.backends = {}
            for s in BACKENDS:
                node = self.lab[s]
                d = node.spawn([PYTHON, "-u", PYLIB / "serve_backend.py", s, node.address, 80], name=f"backend-{s}")
                wait_for(lambda d=d: "ready" in d.output(), 5, what=f"backend {s}")
                self.backends[s] = d
            if flavor == "tandem":
                self.nodes = {"a": ApplianceNode(self, "a", 150), "b": ApplianceNode(self, "b", 100)}
            else:
                tuned = flavor == "keepalived-tuned"
                self.nodes = {"a": KeepalivedNode(self, "a", 150, tuned), "b": KeepalivedNode(self, "b", 100, tuned)}
            for n in self.nodes.values():
                n.start_balancer()
            if flavor == "tandem" and peersync:
                from peersync_lab import Pki
                self.pki = Pki(self.workdir)
                for n in self.nodes.values():
                    n.start_peersync()
            for n in self.nodes.values():
                n.start_vrrpd(nopreempt=nopreempt)
            wait_for(lambda: self.master() == "a", 15, what="a MASTER, b BACKUP, the VIP on a")
        except BaseException:
            self.close()
            raise

    def __getitem__(self, name):
        return self.nodes[name]

    def master(self):
        """The node that is MASTER and holds the VIP while the other is not
        and does not: None unless exactly one is."""
        masters = [n for n in self.nodes.values() if n.state() == MASTER and n.holds_vip()]
        others = [n for n in self.nodes.values() if n not in masters and (n.state() == MASTER or n.holds_vip())]
        return masters[0].name if len(masters) == 1 and not others else None

    def holders(self):
        return [n.name for n in self.nodes.values() if n.holds_vip()]

    def prober(self, cookies=True, interval=0.01, path="/"):
        """A client in c asking through the VIP on fresh connections."""
        args = [PYTHON, "-u", PYLIB / "prober.py", VIP, 80, "--interval", interval, "--path", path]
        if cookies:
            args.append("--cookies")
        p = self.lab["c"].spawn(args, name="prober")
        wait_for(lambda: " ok" in p.output(), 5, what="a first answer through the VIP")
        return Probe(p)

    def client_get(self, path="/"):
        """One request from c through the VIP; the answering backend or None."""
        r = self.lab["c"].run(PYTHON, PYLIB / "prober.py", "--once", VIP, 80, "--path", path, check=False)
        return r.stdout.split()[1] if r.returncode == 0 else None

    def close(self):
        self.lab.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Probe:
    """What a prober saw: (time, backend or None, detail) per attempt."""

    def __init__(self, daemon):
        self.daemon = daemon

    def samples(self):
        out = []
        for line in self.daemon.output().splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[0].replace(".", "", 1).isdigit():
                out.append((float(parts[0]), None if parts[1] == "-" else parts[1], parts[2]))
        return out

    def stop(self):
        if self.daemon.alive():
            self.daemon.signal(signal.SIGTERM)
            self.daemon.proc.wait(5)
        return self.samples()

    def wait_answers_after(self, t, count=20, timeout=10):
        """Waits for `count` answers after monotonic time t."""
        wait_for(lambda: sum(1 for ts, b, _ in self.samples() if ts > t and b) >= count, timeout,
                 what=f"{count} answers through the VIP after the fault")


def outage_after(samples, t0):
    """Seconds from t0 to the first answer after the first failed attempt
    that followed t0 (0 when none failed), and the failures in between."""
    after = [(t, b) for t, b, _ in samples if t >= t0]
    first_fail = next((t for t, b in after if b is None), None)
    if first_fail is None:
        return 0.0, 0
    recovered = next((t for t, b in after if b and t > first_fail), None)
    if recovered is None:
        return float("inf"), sum(1 for t, b in after if b is None)
    return recovered - t0, sum(1 for t, b in after if b is None and t < recovered)


def backends_seen(samples, t0=None):
    return [b for t, b, _ in samples if b and (t0 is None or t >= t0)]


def now():
    return time.monotonic()
