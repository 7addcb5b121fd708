"""The README's demo: the three daemons side by side with example
configurations, their health as tandemctl shows it, then a clean stop.

(Grows into the two-node network-namespace demo with the end-to-end issue.)"""

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Daemon, binary, run, wait_for_socket  # noqa: E402

CONFIGS = {
    "balancer": ("tandem-balancer", "balancer.cfg", "global\n    maxconn 1000\nfrontend web\n    mode http\n"),
    "vrrpd": ("tandem-vrrpd", "vrrpd.conf",
              "vrrp_instance VI_1 {\n    interface lo\n    virtual_router_id 51\n"
              "    virtual_ipaddress {\n        198.18.0.100/24\n    }\n}\n"),
    "peersync": ("tandem-peersync", "peersync.conf", "node lb1\nlisten 127.0.0.1:7400\ntls off\n"),
}


def main() -> int:
    run_dir = Path(tempfile.mkdtemp(prefix="tandem-demo-"))
    daemons = []
    try:
        for key, (exe, fname, text) in CONFIGS.items():
            cfg = run_dir / fname
            cfg.write_text(text)
            d = Daemon([binary(exe), "-f", cfg, "--admin-socket", run_dir / f"{key}.sock"])
            daemons.append(d)
            wait_for_socket(run_dir / f"{key}.sock", d)
        print(f"$ tandemctl --run-dir {run_dir} health")
        r = run([binary("tandemctl"), "--run-dir", run_dir, "health"])
        print(r.stdout, end="")
        return r.returncode
    finally:
        for d in daemons:
            d.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
