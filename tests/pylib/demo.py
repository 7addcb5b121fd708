"""The README's demo: the two-node appliance in network namespaces.

Builds a LAN (198.18.0.0/24, in namespaces only) with nodes a and b, each
running tandem-balancer, tandem-vrrpd and tandem-peersync from the build tree,
a client c and two HTTP backends; shows the pair through tandemctl; sends
traffic through the VIP (a browser-like client keeping its cookie, and a client
without cookies held to its server by a stick table that peersync replicates);
kills the master's balancer with SIGKILL; prints how long the clients saw no
answer and whether they kept their servers; then removes everything it made.

Needs root (network namespaces). Ctrl-C at any point still cleans up."""

import signal
import sys
import tempfile
import shutil
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from appliance import VIP, Appliance, backends_seen, now, outage_after  # noqa: E402
from harness import binary, wait_for  # noqa: E402


def tandemctl(node, *args):
    cmd = ["tandemctl", "--run-dir", str(node.dir), *args]
    print(f"\n[{node.name}]$ {' '.join(cmd)}")
    r = node.ns.run(binary("tandemctl"), "--run-dir", node.dir, *args, check=False)
    print((r.stdout + r.stderr).rstrip())
    return r.returncode


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="tandem-demo-"))
    try:
        print("Starting the pair: nodes a and b (tandem-balancer + tandem-vrrpd + tandem-peersync), "
              "client c, backends s1 and s2")
        with Appliance(workdir) as pair:
            print(f"\n--- balancer.cfg (both nodes) ---\n{pair['a'].balancer_config()}")
            print(f"a is MASTER and holds the VIP {VIP}; b is BACKUP")
            for n in ("a", "b"):
                tandemctl(pair[n], "status")

            print(f"\n$ six fresh requests from c to http://{VIP}/ (no cookies): round robin")
            print("  " + " ".join(pair.client_get() or "-" for _ in range(6)))

            print("\n$ a browser-like client on c: a new connection every 10 ms, keeping its cookie")
            probe = pair.prober(cookies=True)
            probe.wait_answers_after(now(), count=50)
            before = backends_seen(probe.samples())
            print(f"  {len(before)} answers, all from {sorted(set(before))}")
            print(f"\n$ a client on c without cookies asking http://{VIP}/app every 10 ms (stick on src, replicated)")
            sticky = pair.prober(cookies=False, path="/app")
            sticky.wait_answers_after(now(), count=50)
            sticky_before = backends_seen(sticky.samples())
            print(f"  {len(sticky_before)} answers, all from {sorted(set(sticky_before))}")

            print("\n$ kill -9 the balancer on a (the master)")
            t0 = now()
            pair["a"].kill_balancer(signal.SIGKILL)
            wait_for(lambda: pair.master() == "b", 3, what="b MASTER with the VIP")
            probe.wait_answers_after(now(), count=50)
            sticky.wait_answers_after(now(), count=50)
            print(f"  b took the VIP; a is {pair['a'].state().removeprefix('STATE_')}")
            kept = True
            worst = 0.0
            for name, p, seen_before in (("cookie client", probe, before), ("cookieless client", sticky, sticky_before)):
                samples = p.stop()
                outage, failures = outage_after(samples, t0)
                after = backends_seen(samples, t0)
                ok = set(after) == set(seen_before)
                kept = kept and ok
                worst = max(worst, outage)
                print(f"  {name}: no answer for {outage * 1000:.0f} ms ({failures} failed attempts); "
                      f"{len(after)} answers since, from {sorted(set(after))}: "
                      + ("kept its server" if ok else "CHANGED SERVER"))
            outage = worst
            for n in ("a", "b"):
                tandemctl(pair[n], "status")
            print("\nStopping everything and removing the namespaces.")
        return 0 if kept and outage < 1.0 else 1
    except KeyboardInterrupt:
        print("\ninterrupted: cleaned up")
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
