"""Failover of the whole appliance as a browser sees it, Tandem against
HAProxy + keepalived in the same lab and the same run.

The lab is tests/pylib/appliance.py: nodes a and b with the same balancer
configuration (HTTP, a farm of two backends on their own hosts, cookie
persistence), a client c. The client is a prober: a fresh connection every
10 ms through the VIP, 50 ms per attempt, keeping its cookie. A trial's
failover time runs from the fault to the first answer after the last failed
attempt; a trial also checks that every answer came from the client's server.

Faults: the master's balancer killed with SIGKILL (restarted after the
trial); the master's cable pulled (plugged back after). Each fault comes after
a random pause of up to one period of what detects it (the advert interval,
or keepalived's script interval), so trials do not all hit one phase.

Scenarios, interleaved: Tandem (advert_int 0.1); HAProxy + keepalived tuned
(VRRPv3, advert_int 0.1, script interval 1, fall 1); HAProxy + keepalived
with the seeds' settings (VRRPv2, advert_int 1, script interval 2; crash
only). TANDEM_BENCH_TRIALS (default 10) per scenario; the table is printed
and written to $TANDEM_BUILD_DIR/appliance_failover_bench.json.
"""

import json
import os
import random
import statistics
import time

from appliance import Appliance, backends_seen, now, outage_after
from harness import BUILD_DIR, wait_for

TRIALS = int(os.environ.get("TANDEM_BENCH_TRIALS", "10"))
PHASE = random.Random(5798)


def trial(pair, fault, restore, period):
    wait_for(lambda: pair.master() == "a", 30, what="a master before the trial")
    probe = pair.prober(cookies=True)
    probe.wait_answers_after(now(), count=10)
    time.sleep(PHASE.uniform(0, period))
    t0 = now()
    fault()
    wait_for(lambda: pair["b"].holds_vip(), 30, what="b taking the VIP")
    probe.wait_answers_after(now(), count=10, timeout=30)
    samples = probe.stop()
    restore()
    outage, _ = outage_after(samples, t0)
    kept = len(set(backends_seen(samples))) == 1
    return outage, kept


def scenario(workdir, flavor, faults):
    out = {}
    with Appliance(workdir / flavor, flavor=flavor) as pair:
        a = pair["a"]
        period = 0.1 if flavor == "tandem" else (1.0 if flavor == "keepalived-tuned" else 2.0)
        for kind in faults:
            if kind == "crash":
                fault, restore = a.kill_balancer, a.start_balancer
            else:
                fault, restore = (lambda: pair.lab.cable("a", False)), (lambda: pair.lab.cable("a", True))
                period = 0.1 if flavor != "keepalived-seeds" else 1.0
            out[kind] = [trial(pair, fault, restore, period) for _ in range(TRIALS)]
    return out


def row(name, results):
    times = [t for t, _ in results]
    return {"scenario": name, "trials": len(times), "median_ms": round(statistics.median(times) * 1000, 1),
            "worst_ms": round(max(times) * 1000, 1), "best_ms": round(min(times) * 1000, 1),
            "kept_server": sum(1 for _, k in results if k), "all_ms": [round(t * 1000, 1) for t in times]}


def test_appliance_failover_side_by_side(workdir, capsys):
    tandem = scenario(workdir, "tandem", ["crash", "link"])
    tuned = scenario(workdir, "keepalived-tuned", ["crash", "link"])
    seeds = scenario(workdir, "keepalived-seeds", ["crash"])
    rows = [row("tandem, advert_int 0.1: balancer kill -9", tandem["crash"]),
            row("haproxy+keepalived tuned: haproxy kill -9", tuned["crash"]),
            row("haproxy+keepalived seeds: haproxy kill -9", seeds["crash"]),
            row("tandem, advert_int 0.1: link down", tandem["link"]),
            row("haproxy+keepalived tuned: link down", tuned["link"])]
    (BUILD_DIR / "appliance_failover_bench.json").write_text(json.dumps(rows, indent=2))
    ratio_crash = rows[1]["median_ms"] / max(rows[0]["median_ms"], 0.1)
    ratio_link = rows[4]["median_ms"] / max(rows[3]["median_ms"], 0.1)
    with capsys.disabled():
        print(f"\n{'scenario':<45} {'n':>3} {'median':>9} {'worst':>9} {'best':>9} {'kept server':>12}")
        for r in rows:
            print(f"{r['scenario']:<45} {r['trials']:>3} {r['median_ms']:>7.1f}ms {r['worst_ms']:>7.1f}ms "
                  f"{r['best_ms']:>7.1f}ms {r['kept_server']:>5}/{r['trials']}")
        print(f"median ratio keepalived tuned / tandem: balancer crash {ratio_crash:.1f}x, link down {ratio_link:.1f}x")
    assert all(r["trials"] == TRIALS for r in rows)
