"""The README's demo (until the two-node lab lands with the end-to-end issue):
tandem-balancer in front of three local test backends, with tandem-vrrpd and
tandem-peersync beside it; their health as tandemctl shows it, a few requests
showing the rotation, then a clean stop."""

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backend import Backend  # noqa: E402
from harness import Daemon, BalancerProcess, binary, free_port, run, wait_for_socket  # noqa: E402
from httpclient import Connection  # noqa: E402


def main() -> int:
    run_dir = Path(tempfile.mkdtemp(prefix="tandem-demo-"))
    backends = [Backend(f"web{i}") for i in (1, 2, 3)]
    daemons = []
    try:
        port = free_port()
        servers = "".join(f"    server {b.name} {b.address}\n" for b in backends)
        config = (f"global\n    nbthread 2\ndefaults\n    mode http\n    timeout connect 5s\n"
                  f"    timeout client 30s\n    timeout server 30s\n    option forwardfor\n"
                  f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
                  f"backend farm\n    balance roundrobin\n{servers}")
        print(f"--- balancer.cfg ---\n{config}")
        balancer = BalancerProcess(run_dir, config, ports=[port], name="balancer")
        daemons.append(balancer)
        for key, exe, text in (
                ("vrrpd", "tandem-vrrpd", "vrrp_instance VI_1 {\n    interface lo\n    virtual_router_id 51\n"
                                          "    virtual_ipaddress {\n        198.18.0.100/24\n    }\n}\n"),
                ("peersync", "tandem-peersync", "node lb1\nlisten 127.0.0.1:7400\ntls off\n")):
            cfg = run_dir / f"{key}.conf"
            cfg.write_text(text)
            d = Daemon([binary(exe), "-f", cfg, "--admin-socket", run_dir / f"{key}.sock"])
            daemons.append(d)
            wait_for_socket(run_dir / f"{key}.sock", d)
        print(f"$ tandemctl --run-dir {run_dir} health")
        r = run([binary("tandemctl"), "--run-dir", run_dir, "health"])
        print(r.stdout, end="")
        print(f"\n$ six requests to http://127.0.0.1:{port}/ on one keep-alive connection")
        with Connection("127.0.0.1", port) as c:
            for i in range(6):
                resp = c.request()
                print(f"  request {i + 1}: {resp.status} from {resp.header('X-Backend')}")
        return r.returncode
    finally:
        for d in daemons:
            d.stop()
        for b in backends:
            b.close()
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
