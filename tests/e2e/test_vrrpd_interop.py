"""tandem-vrrpd and keepalived 2.2.7 (Debian's) in the same VRRP group, v3 and
v2: either can be master, the other backs up, and each takes over when the
other goes."""

import signal

import pytest

from harness import wait_for
from netlab import VIP, Lab, kill_group, state
from vrrpd_lab import instance_conf, start_vrrpd

MASTER, BACKUP = "STATE_MASTER", "STATE_BACKUP"

# (version, advert_int, extra lines): v2 as the seeds write it.
VERSIONS = {
    3: ("0.1", ""),
    2: ("1", "    authentication {\n        auth_type PASS\n        auth_pass mysecret\n    }\n"),
}


@pytest.fixture
def lab():
    with Lab() as lab:
        yield lab


def keepalived_conf(version, priority, state_word):
    advert, extra = VERSIONS[version]
    return (f"global_defs {{\n    vrrp_version {version}\n}}\n" +
            instance_conf(priority, state_word, extra, version=version, advert=advert).replace("    version %d\n" % version, ""))


def start_keepalived(node, workdir, text, tag=None):
    tag = tag or node.name
    cfg = workdir / f"keepalived-{tag}.conf"
    cfg.write_text(text)
    return node.spawn(["keepalived", "--dont-fork", "--log-console", "--vrrp", "-f", cfg,
                       "-p", workdir / f"keepalived-{tag}.pid", "-r", workdir / f"keepalived-vrrp-{tag}.pid"],
                      name=f"keepalived-{tag}")


def tandem_conf(version, priority, state_word):
    advert, extra = VERSIONS[version]
    return instance_conf(priority, state_word, extra, version=version, advert=advert)


def holders(lab):
    return [n for n in ("a", "b") if lab[n].has(VIP)]


@pytest.mark.parametrize("version", [3, 2])
def test_tandem_master_keepalived_backup(lab, workdir, version):
    slow, quiet = (6, 4.0) if version == 2 else (3, 1.0)  # Master_Down_Interval: v2 3.6 s, v3 0.36 s
    da, sa = start_vrrpd(lab["a"], workdir, tandem_conf(version, 150, "MASTER"))
    wait_for(lambda: state(sa) == MASTER, slow, what="tandem MASTER")
    kb = start_keepalived(lab["b"], workdir, keepalived_conf(version, 100, "BACKUP"))
    wait_for(lambda: "Entering BACKUP STATE" in kb.output(), slow, what="keepalived BACKUP")
    # keepalived accepts our adverts: it stays backup beyond its Master_Down_Interval.
    with pytest.raises(TimeoutError):
        wait_for(lambda: lab["b"].has(VIP), quiet, what="keepalived taking the VIP (it must not)")
    assert holders(lab) == ["a"]
    # We leave with priority 0: keepalived takes over after its Skew_Time.
    da.signal(signal.SIGTERM)
    wait_for(lambda: holders(lab) == ["b"], 2, what="keepalived MASTER")
    # We come back with the higher priority and preempt keepalived.
    da2, sa2 = start_vrrpd(lab["a"], workdir, tandem_conf(version, 150, "BACKUP"), tag="a2")
    wait_for(lambda: state(sa2) == MASTER and holders(lab) == ["a"], slow + 2, what="tandem MASTER again")
    assert "dropped" not in da2.output(), da2.output()
    # Killed outright, we say nothing: keepalived takes over after its Master_Down_Interval.
    kill_group(da2)
    wait_for(lambda: lab["b"].has(VIP), slow, what="keepalived MASTER after our kill -9")


@pytest.mark.parametrize("version", [3, 2])
def test_keepalived_master_tandem_backup(lab, workdir, version):
    slow, quiet = (6, 4.0) if version == 2 else (3, 1.0)
    ka = start_keepalived(lab["a"], workdir, keepalived_conf(version, 150, "MASTER"))
    wait_for(lambda: lab["a"].has(VIP), slow, what="keepalived MASTER")
    db, sb = start_vrrpd(lab["b"], workdir, tandem_conf(version, 100, "BACKUP"))
    wait_for(lambda: state(sb) == BACKUP, 2, what="tandem BACKUP")
    with pytest.raises(TimeoutError):
        wait_for(lambda: state(sb) == MASTER, quiet, what="tandem taking over (it must not)")
    assert "dropped" not in db.output(), db.output()
    # keepalived dies without a word (its VRRP child too): we take over after
    # Master_Down_Interval.
    kill_group(ka)
    wait_for(lambda: state(sb) == MASTER and lab["b"].has(VIP), slow, what="tandem MASTER")
    # keepalived comes back (its VIP still on a: keepalived removes it itself) and preempts us.
    ka2 = start_keepalived(lab["a"], workdir, keepalived_conf(version, 150, "BACKUP"), tag="a2")
    wait_for(lambda: state(sb) == BACKUP, slow + 2, what="tandem BACKUP again")
    wait_for(lambda: holders(lab) == ["a"], 2, what="the VIP on keepalived only")
    # keepalived leaves gracefully (priority 0): we take over after Skew_Time.
    ka2.signal(signal.SIGTERM)
    wait_for(lambda: state(sb) == MASTER, 2, what="tandem MASTER after keepalived's priority 0")
