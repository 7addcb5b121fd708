"""Two nodes' stick-table replication on 127.0.0.1: a tandem-balancer and a
tandem-peersync per node, with certificates made by the openssl CLI.
Everything runs in the foreground and is killed at the end."""

import json
import subprocess
from pathlib import Path

from harness import BUILD_DIR, BalancerProcess, Daemon, binary, free_port, run, wait_for, wait_for_port, \
    wait_for_socket

TABLE_LINE = "stick-table type ip size 2m expire 30m peers p store server_id,gpc0"


def tool(name):
    path = BUILD_DIR / "tests" / "integration" / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is not built")
    return str(path)


class Pki:
    """A CA and certificates for names; another CA for refusal tests."""

    def __init__(self, workdir, ca="ca"):
        self.dir = Path(workdir) / f"pki-{ca}"
        self.dir.mkdir(exist_ok=True)
        self.ca = self.dir / "ca.crt"
        self.ca_key = self.dir / "ca.key"
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", self.ca_key, "-out", self.ca, "-subj", f"/CN=tandem-test-{ca}", "-days", "2"], check=True)

    def issue(self, name, san=True):
        """(cert, key) for `name`: CN=name and, with `san`, subjectAltName DNS:name."""
        key, csr, crt = (self.dir / f"{name}.{ext}" for ext in ("key", "csr", "crt"))
        run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", f"/CN={name}"], check=True)
        ext = self.dir / f"{name}.ext"
        ext.write_text(f"subjectAltName=DNS:{name}\n" if san else "basicConstraints=CA:FALSE\n")
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key, "-CAcreateserial",
             "-out", crt, "-days", "2", "-extfile", ext], check=True)
        return crt, key


class Node(BalancerProcess):
    """A tandem-balancer named `node` (`localpeer`), with one backend per table
    (a table is named after its proxy), each `stick on src` over servers s1
    and s2, and a `peers p` section naming `peers` (lb1 and lb2)."""

    def __init__(self, workdir, node, tables=(("web", TABLE_LINE),), name=None, peers=("lb1", "lb2")):
        self.node = node
        self.port = free_port()
        backends = "".join(f"backend {t}\n    {line}\n    stick on src\n"
                           f"    server s1 127.0.0.1:9\n    server s2 127.0.0.1:10\n" for t, line in tables)
        cfg = (f"global\n    localpeer {node}\n"
               "peers p\n" + "".join(f"    peer {n} 127.0.0.1:{i + 1}\n" for i, n in enumerate(peers)) +
               "defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n"
               f"frontend f\n    bind 127.0.0.1:{self.port}\n    default_backend {tables[0][0]}\n" + backends)
        super().__init__(workdir, cfg, ports=[self.port], name=name or f"balancer-{node}")
        wait_for_socket(self.socket, self)


class PeerSync(Daemon):
    """tandem-peersync for `node`, listening on `listen_host`:`port`, dialling
    `peer` at 127.0.0.1:`peer_port` (no peer when `peer` is None)."""

    def __init__(self, workdir, node, port, peer, peer_port, balancer_socket, tls, name=None, listen_host="127.0.0.1"):
        self.workdir = Path(workdir)
        self.node = node
        self.port = port
        self.listen_host = listen_host
        self.balancer_socket = balancer_socket
        self.name_ = name or f"peersync-{node}"
        self.config = self.workdir / f"{self.name_}.conf"
        self.socket = self.workdir / f"{self.name_}.sock"
        self.write_config({peer: f"127.0.0.1:{peer_port}"} if peer else {}, tls)
        super().__init__([binary("tandem-peersync"), "-f", self.config, "--admin-socket", self.socket],
                         name=self.name_)
        wait_for_socket(self.socket, self)
        wait_for_port("127.0.0.1", port, self)

    def write_config(self, peers, tls, extra=""):
        """peersync.conf with `peers` ({name: "ip:port"}) and `tls` ((cert, key, ca) or None)."""
        tls_line = "tls off" if tls is None else f"tls cert {tls[0]} key {tls[1]} ca {tls[2]}"
        peer_lines = "".join(f"peer {n} {a}\n" for n, a in peers.items())
        self.config.write_text(
            f"node {self.node}\nlisten {self.listen_host}:{self.port}\nbalancer-socket {self.balancer_socket}\n"
            f"vrrpd-socket {self.workdir}/no-vrrpd.sock\n{peer_lines}{tls_line}\n{extra}")

    def cluster(self):
        r = run([tool("stick_tool"), "cluster", self.socket], timeout=20)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def link(self):
        """This node's outgoing link to its peer (PeerLink as JSON)."""
        return self.cluster()["local"]["peers"][0]


def stick(*args, timeout=120):
    r = run([tool("stick_tool"), *args], timeout=timeout)
    assert r.returncode == 0, f"stick_tool {args}: {r.stderr}"
    return r.stdout


def count(socket, table="web"):
    return int(stick("count", socket, table).strip())


def dump(socket, table="web"):
    return stick("dump", socket, table)


def wait_identical(a_socket, b_socket, entries, table="web", timeout=60):
    """Both tables hold `entries` and dump identically."""
    wait_for(lambda: count(a_socket, table) == entries and count(b_socket, table) == entries, timeout=timeout,
             interval=0.1, what=f"{entries} entries on both nodes")
    def same():
        return dump(a_socket, table) == dump(b_socket, table)
    wait_for(same, timeout=10, interval=0.2, what="identical dumps")
