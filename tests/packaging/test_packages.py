"""The .deb and the .rpm, built from this build with cpack, and the .deb's whole
life on this machine: apt-get install (dependencies from Debian's registry),
every file with its mode and owner, each daemon's -c on the shipped
configurations, the three daemons run from their installed paths the way their
units run them, an upgrade, remove, purge.

No systemd runs here (PID 1 is not systemd), so a unit is run by hand: its
ExecStart and ExecReload lines, with its User=, Group=, capabilities and
NoNewPrivileges= applied by setpriv(1), in a network namespace of its own (the
shipped configurations bind :80 and a VRRP instance on eth0), with a
$NOTIFY_SOCKET that must receive READY=1. The units themselves are checked by
systemd-analyze verify and scored by systemd-analyze security. What needs a
running systemd is not exercised here: the sandboxing options themselves (only
the user, group, capabilities and no_new_privs are applied, by setpriv), and
the restarts on upgrade, whose logic (tandem-maint restart-changed) runs
against a fake systemctl.

The test leaves the machine as it found it, also when it fails: the package is
purged, the sysctl values it changed are restored, the user it made removed.
Needs root."""

import grp
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from harness import BUILD_DIR, SOURCE_DIR, run, wait_for, wait_for_socket

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installs a package on this machine: needs root")

UNITDIR = Path("/usr/lib/systemd/system")
RUN_DIR = Path("/run/tandem")
DAEMONS = {"balancer": "balancer.cfg", "vrrpd": "vrrpd.conf", "peersync": "peersync.conf"}
SYSCTLS = ["net.ipv4.ip_nonlocal_bind", "net.ipv6.ip_nonlocal_bind"]
# Other engineers' apt-get may hold dpkg's lock on this shared machine: wait for it.
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=240"]
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}

# Every file the package ships: path -> mode in the package (owner root:root).
# Directories are all 0755 root:root.
SHIPPED = {
    "/usr/sbin/tandem-balancer": 0o755,
    "/usr/sbin/tandem-vrrpd": 0o755,
    "/usr/sbin/tandem-peersync": 0o755,
    "/usr/bin/tandemctl": 0o755,
    "/usr/libexec/tandem/tandem-maint": 0o755,
    "/usr/libexec/tandem/tandem-cert": 0o755,
    "/etc/tandem/balancer.cfg": 0o644,
    "/etc/tandem/vrrpd.conf": 0o644,
    "/etc/tandem/peersync.conf": 0o644,
    "/usr/lib/systemd/system/tandem-balancer.service": 0o644,
    "/usr/lib/systemd/system/tandem-vrrpd.service": 0o644,
    "/usr/lib/systemd/system/tandem-peersync.service": 0o644,
    "/usr/lib/systemd/system/tandem.target": 0o644,
    "/usr/lib/tmpfiles.d/tandem.conf": 0o644,
    "/usr/lib/sysusers.d/tandem.conf": 0o644,
    "/usr/lib/sysctl.d/60-tandem.conf": 0o644,
    "/usr/share/man/man8/tandem-balancer.8.gz": 0o644,
    "/usr/share/man/man8/tandem-vrrpd.8.gz": 0o644,
    "/usr/share/man/man8/tandem-peersync.8.gz": 0o644,
    "/usr/share/man/man1/tandemctl.1.gz": 0o644,
    "/usr/share/bash-completion/completions/tandemctl": 0o644,
    "/usr/share/bash-completion/completions/tandem-balancer": "-> tandemctl",
    "/usr/share/bash-completion/completions/tandem-vrrpd": "-> tandemctl",
    "/usr/share/bash-completion/completions/tandem-peersync": "-> tandemctl",
    "/usr/share/doc/tandem/README.md": 0o644,
    "/usr/share/doc/tandem/README.packaging.md": 0o644,
    "/usr/share/doc/tandem/copyright": 0o644,
    "/usr/share/doc/tandem/changelog.gz": 0o644,
    **{f"/usr/share/doc/tandem/examples/{node}/{f}": 0o644
       for node in ("lb-a", "lb-b") for f in ("balancer.cfg", "vrrpd.conf", "peersync.conf")},
}
CONFFILES = ["/etc/tandem/balancer.cfg", "/etc/tandem/vrrpd.conf", "/etc/tandem/peersync.conf"]

# After installation: what the maintainer scripts made or changed.
# path -> (mode, owner, group)
MADE_BY_POSTINST = {
    "/etc/tandem/balancer.cfg": (0o640, "root", "tandem"),
    "/etc/tandem/vrrpd.conf": (0o640, "root", "tandem"),
    "/etc/tandem/peersync.conf": (0o640, "root", "tandem"),
    "/etc/tandem/tls": (0o750, "root", "tandem"),
    "/etc/tandem/tls/ca.crt": (0o644, "root", "root"),
    "/etc/tandem/tls/ca.key": (0o600, "root", "root"),
    "/etc/tandem/tls/node.crt": (0o644, "root", "root"),
    "/etc/tandem/tls/node.key": (0o640, "root", "tandem"),
    "/run/tandem": (0o770, "root", "tandem"),
}

# rpmlint warnings that remain, each explained in packaging/README.md.
RPMLINT_EXPLAINED = {"non-standard-gid", "no-url-tag", "invalid-license",
                     "dangerous-command-in-%pre", "dangerous-command-in-%postun"}


def sh(args, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=ENV, timeout=kw.pop("timeout", 300),
                       **kw)
    return r


def must(args, **kw):
    r = sh(args, **kw)
    assert r.returncode == 0, f"{shlex.join(map(str, args))}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def project_version():
    cache = (BUILD_DIR / "CMakeCache.txt").read_text()
    return re.search(r"^CMAKE_PROJECT_VERSION:STATIC=(.+)$", cache, re.M).group(1)


def installed():
    r = sh(["dpkg-query", "-W", "-f=${Status}", "tandem"])
    return r.returncode == 0 and "not-installed" not in r.stdout


def purge():
    if sh(["dpkg-query", "-W", "tandem"]).returncode == 0:
        must([*APT, "purge", "-y", "-q", "tandem"])


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def packages():
    """The .deb and the .rpm built by cpack from this build, and an upgrade
    .deb: the same contents with a higher version."""
    out = Path(tempfile.mkdtemp(prefix="tandem-packages-"))
    try:
        must(["cpack", "-G", "DEB;RPM", "-B", out, "--config", BUILD_DIR / "CPackConfig.cmake"], cwd=BUILD_DIR)
        version = project_version()
        deb = out / f"tandem_{version}_amd64.deb"
        rpm = out / f"tandem-{version}-1.x86_64.rpm"
        upgrade_dir = out / "upgrade"
        must(["cpack", "-G", "DEB", "-B", upgrade_dir, "-D", f"CPACK_PACKAGE_VERSION={version}+upgradetest",
              "--config", BUILD_DIR / "CPackConfig.cmake"], cwd=BUILD_DIR)
        upgrade = upgrade_dir / f"tandem_{version}+upgradetest_amd64.deb"
        for p in (deb, rpm, upgrade):
            assert p.exists(), f"cpack did not make {p.name}: {sorted(x.name for x in out.iterdir())}"
        yield {"deb": deb, "rpm": rpm, "upgrade": upgrade, "version": version}
    finally:
        shutil.rmtree(out, ignore_errors=True)


class Machine:
    """The .deb installed on this machine, and what to put back afterwards."""

    def __init__(self, packages):
        self.packages = packages
        self.user_existed = sh(["getent", "passwd", "tandem"]).returncode == 0
        self.group_existed = sh(["getent", "group", "tandem"]).returncode == 0
        self.sysctls = {k: must(["sysctl", "-n", k]).stdout.strip() for k in SYSCTLS}
        self.processes = []

    def restore(self):
        for p in self.processes:
            if p.poll() is None:
                p.kill()
                p.wait()
        purge()
        for k, v in self.sysctls.items():
            sh(["sysctl", "-q", "-w", f"{k}={v}"])
        if not self.user_existed and sh(["getent", "passwd", "tandem"]).returncode == 0:
            must(["userdel", "tandem"])
        if not self.group_existed and sh(["getent", "group", "tandem"]).returncode == 0:
            must(["groupdel", "tandem"])


@pytest.fixture(scope="module")
def machine(packages):
    assert not installed(), "tandem is installed on this machine already: purge it before running this test"
    for leftover in ("/etc/tandem", "/run/tandem", "/usr/libexec/tandem"):
        assert not Path(leftover).exists(), f"{leftover} exists without the package: remove it first"
    m = Machine(packages)
    try:
        r = must([*APT, "install", "-y", "-q", "--no-install-recommends", str(packages["deb"])],
                 cwd=packages["deb"].parent)
        m.install_output = r.stdout + r.stderr
        yield m
    finally:
        m.restore()


# ------------------------------------------------------------------ the packages

def test_deb_control(packages):
    deb = packages["deb"]
    fields = {k: must(["dpkg-deb", "-f", deb, k]).stdout.strip() for k in
              ("Package", "Version", "Architecture", "Depends", "Section", "Maintainer")}
    assert fields["Package"] == "tandem"
    assert fields["Version"] == packages["version"]
    assert fields["Architecture"] == must(["dpkg", "--print-architecture"]).stdout.strip()
    depends = {d.split()[0] for d in fields["Depends"].split(", ")}
    assert {"adduser", "openssl", "procps"} <= depends
    # Library dependencies come from the binaries: the package of every
    # library each program needs is a dependency (dpkg-shlibdeps).
    for prog in ("balancer/tandem-balancer", "vrrpd/tandem-vrrpd", "peersync/tandem-peersync", "cli/tandemctl"):
        for soname in re.findall(r"NEEDED\s+(\S+)", must(["objdump", "-p", BUILD_DIR / prog]).stdout):
            owners = {line.split(":")[0] for line in must(["dpkg", "-S", f"*/{soname}"]).stdout.splitlines()}
            assert owners & depends, f"{prog} needs {soname} from {owners}, not in Depends: {fields['Depends']}"
    conffiles = sh(["sh", "-c", f"dpkg-deb --ctrl-tarfile {shlex.quote(str(deb))} | tar -xO ./conffiles"]).stdout
    assert sorted(conffiles.split()) == sorted(CONFFILES)


def test_deb_contents(packages):
    listing = must(["dpkg-deb", "-c", packages["deb"]]).stdout.splitlines()
    files, dirs = {}, set()
    for line in listing:
        perms, owner, _size, _date, _time, path, *rest = line.split(maxsplit=6)
        path = path.removeprefix(".").rstrip("/") or "/"
        assert owner == "root/root", line
        if perms.startswith("d"):
            assert perms == "drwxr-xr-x", line
            dirs.add(path)
        elif perms.startswith("l"):
            files[path] = rest[0]  # "-> TARGET"
        else:
            files[path] = int(_mode_bits(perms), 8)
    assert files == SHIPPED
    assert "/etc/tandem" in dirs and "/usr/libexec/tandem" in dirs
    assert "/run/tandem" not in dirs  # made by tmpfiles.d, never shipped


def _mode_bits(perms):
    """'-rwxr-x---' -> '750'."""
    digits = ""
    for i in range(1, 10, 3):
        t = perms[i:i + 3]
        digits += str((t[0] == "r") * 4 + (t[1] == "w") * 2 + (t[2] in "xs") * 1)
    return digits


def test_lintian_finds_no_error_and_no_warning(packages):
    r = sh(["lintian", "--tag-display-limit", "0", "--fail-on", "none", packages["deb"]], timeout=600)
    tags = [line for line in r.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert tags == [], "lintian (each must be fixed, or explained in packaging/README.md and allowed here):\n" + \
        "\n".join(tags)


def test_rpm_contents_and_requires(packages):
    rpm = packages["rpm"]
    listed = set(must(["rpm", "-qlp", rpm]).stdout.split())
    assert set(SHIPPED) <= listed, set(SHIPPED) - listed
    # Beyond the files: the package's own directories, and rpmbuild's
    # build-id links (as in every Fedora package); no directory another
    # package owns.
    listed = {p for p in listed if not p.startswith("/usr/lib/.build-id")}
    assert listed - set(SHIPPED) == {"/etc/tandem", "/usr/libexec/tandem", "/usr/share/doc/tandem",
                                     "/usr/share/doc/tandem/examples", "/usr/share/doc/tandem/examples/lb-a",
                                     "/usr/share/doc/tandem/examples/lb-b"}, listed - set(SHIPPED)
    assert sorted(must(["rpm", "-qcp", rpm]).stdout.split()) == sorted(CONFFILES)
    dump = must(["rpm", "-qp", "--dump", rpm]).stdout
    for conf in CONFFILES:
        fields = next(line.split() for line in dump.splitlines() if line.startswith(conf + " "))
        assert fields[4:7] == ["0100640", "root", "tandem"], fields
    requires = set(must(["rpm", "-qp", "--requires", rpm]).stdout.splitlines())
    assert {"openssl", "procps-ng", "shadow-utils"} <= requires
    for prog in ("balancer/tandem-balancer", "vrrpd/tandem-vrrpd", "peersync/tandem-peersync", "cli/tandemctl"):
        for soname in re.findall(r"NEEDED\s+(\S+)", must(["objdump", "-p", BUILD_DIR / prog]).stdout):
            assert f"{soname}()(64bit)" in requires, f"{prog} needs {soname}: not in rpm's requires"
    scripts = must(["rpm", "-qp", "--scripts", rpm]).stdout
    for scriptlet in ("preinstall", "postinstall", "preuninstall", "postuninstall"):
        assert f"{scriptlet} scriptlet" in scripts
    # Each scriptlet is valid sh (rpm runs them with /bin/sh); lintian checks the deb's.
    for tag in ("PREIN", "POSTIN", "PREUN", "POSTUN"):
        body = must(["rpm", "-qp", "--qf", f"%{{{tag}}}", rpm]).stdout
        assert "tandem" in body, tag
        r = subprocess.run(["sh", "-n"], input=body, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, f"%{tag}: {r.stderr}"
    assert must(["rpm", "-qp", "--qf", "%{VERSION}", rpm]).stdout == packages["version"]


def test_rpmlint_finds_no_error(packages):
    r = sh(["rpmlint", "-c", SOURCE_DIR / "packaging" / "rpm" / "rpmlint.toml", packages["rpm"]], timeout=300)
    lines = r.stdout.splitlines()
    errors = [line for line in lines if ": E: " in line]
    assert errors == [], "\n".join(errors)
    warnings = {line.split(": W: ")[1].split()[0] for line in lines if ": W: " in line}
    assert warnings <= RPMLINT_EXPLAINED, f"unexplained rpmlint warnings: {warnings - RPMLINT_EXPLAINED}\n{r.stdout}"


# ------------------------------------------------------------------ installed

def owner_of(path):
    st = os.lstat(path)
    return stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name


def test_install_makes_a_system_user_and_every_file(machine):
    user = pwd.getpwnam("tandem")
    assert user.pw_uid < 1000 and user.pw_dir == "/nonexistent" and user.pw_shell == "/usr/sbin/nologin"
    assert grp.getgrgid(user.pw_gid).gr_name == "tandem"
    listed = [p for p in must(["dpkg-query", "-L", "tandem"]).stdout.splitlines() if p not in ("/.",)]
    for path in listed:
        p = Path(path)
        if p.is_dir() and not p.is_symlink():
            continue
        assert path in SHIPPED, f"{path} is installed but not expected"
    for path, mode in SHIPPED.items():
        if isinstance(mode, str):
            assert os.readlink(path) == mode.removeprefix("-> "), path
            continue
        expected = MADE_BY_POSTINST.get(path, (mode, "root", "root"))
        assert owner_of(path) == expected, path
    for path, expected in MADE_BY_POSTINST.items():
        assert owner_of(path) == expected, path
    assert sorted(os.listdir("/etc/tandem/tls")) == ["ca.crt", "ca.key", "node.crt", "node.key"]
    assert os.listdir(RUN_DIR) == []


def test_install_starts_nothing_and_sets_the_sysctls(machine):
    assert pids_of_installed() == []
    for k in SYSCTLS:
        assert must(["sysctl", "-n", k]).stdout.strip() == "1", k


def test_postinst_certificate_is_verified_by_its_ca(machine):
    r = must(["/usr/libexec/tandem/tandem-cert", "show"])
    short = must(["hostname", "-s"]).stdout.strip()
    assert f"subject=CN = {short}" in r.stdout and "verified by /etc/tandem/tls/ca.crt" in r.stdout
    usage = must(["openssl", "x509", "-in", "/etc/tandem/tls/node.crt", "-noout", "-ext", "extendedKeyUsage"]).stdout
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in usage  # mutual TLS: both ends


@pytest.mark.parametrize("daemon", DAEMONS)
def test_shipped_configuration_passes_check_as_root_and_as_the_unit(machine, daemon):
    conf = f"/etc/tandem/{DAEMONS[daemon]}"
    r = must([f"/usr/sbin/tandem-{daemon}", "-c", "-f", conf])
    assert r.stdout.strip() == "Configuration file is valid"
    # ExecReload runs -c with the unit's credentials: the file must be readable there.
    u = unit(f"tandem-{daemon}.service")
    must(credentials(u) + [f"/usr/sbin/tandem-{daemon}", "-c", "-f", conf])


@pytest.mark.parametrize("node", ["lb-a", "lb-b"])
@pytest.mark.parametrize("daemon", DAEMONS)
def test_example_pair_configurations_pass_check(machine, daemon, node):
    must([f"/usr/sbin/tandem-{daemon}", "-c", "-f", f"/usr/share/doc/tandem/examples/{node}/{DAEMONS[daemon]}"])


def test_systemd_analyze_verifies_the_units(machine):
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze is missing: scripts/install-deps installs systemd for it")
    units = [str(UNITDIR / u) for u in ("tandem-balancer.service", "tandem-vrrpd.service",
                                        "tandem-peersync.service", "tandem.target")]
    r = sh(["systemd-analyze", "verify", *units])
    assert r.returncode == 0 and r.stderr.strip() == "" and r.stdout.strip() == "", r.stdout + r.stderr
    # The sandbox, as systemd scores it (lower is tighter); a unit that loses
    # a hardening option fails here.
    for name, ceiling in (("balancer", 2.2), ("vrrpd", 3.0), ("peersync", 2.0)):
        r = sh(["systemd-analyze", "security", "--offline=true", "--no-pager", str(UNITDIR / f"tandem-{name}.service")])
        score = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", r.stdout).group(1))
        assert score <= ceiling, f"tandem-{name}.service exposure {score} > {ceiling}:\n{r.stdout}"


# ------------------------------------------------------------------ daemons, as their units run them

def unit(name):
    """A unit file's settings: key -> [values], in order."""
    out = {}
    for line in (UNITDIR / name).read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;[":
            continue
        k, _, v = line.partition("=")
        out.setdefault(k.strip(), []).append(v.strip())
    return out


def credentials(u):
    """setpriv arguments that give a process what the unit gives it: user,
    group, capability bounding and ambient sets, no_new_privs."""
    user, group = u.get("User", ["root"])[-1], u.get("Group", [None])[-1]
    args = ["setpriv"]
    if user != "root":
        args += ["--reuid", user, "--regid", group or user, "--init-groups"]
    elif group:
        args += ["--regid", group, "--clear-groups"]

    def caps(key):
        names = " ".join(u.get(key, [])).split()
        return names, ",".join(["-all"] + ["+" + n.lower().removeprefix("cap_") for n in names])

    _, bounding = caps("CapabilityBoundingSet")
    ambient_names, ambient = caps("AmbientCapabilities")
    args += ["--bounding-set", bounding, "--inh-caps", ambient]
    if ambient_names:
        args += ["--ambient-caps", ambient]
    if u.get("NoNewPrivileges", ["no"])[-1] == "yes":
        args += ["--no-new-privs"]
    return args + ["--"]


def pids_of_installed():
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                exe = os.readlink(p / "exe")
            except OSError:
                continue
            if re.match(r"^/usr/(s?bin)/tandem", exe):
                pids.append(int(p.name))
    return pids


class UnitProcess:
    """A unit's ExecStart run by hand (see the module's docstring), in a
    network namespace of its own with an eth0."""

    def __init__(self, machine, name, workdir):
        self.name = name
        self.u = unit(f"{name}.service")
        self.notify_path = workdir / f"{name}.notify"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.notify_path))
        os.chmod(self.notify_path, 0o666)
        self.log = open(workdir / f"{name}.log", "w+")
        cmd = credentials(self.u) + self.u["ExecStart"][-1].split()
        script = ("ip link set lo up && ip link add eth0 type veth peer name eth1 && ip link set eth0 up && "
                  "ip link set eth1 up && exec " + shlex.join(cmd))
        self.proc = subprocess.Popen(["unshare", "--net", "--", "sh", "-c", script], stdout=self.log,
                                     stderr=subprocess.STDOUT, env={**ENV, "NOTIFY_SOCKET": str(self.notify_path)},
                                     start_new_session=True)
        machine.processes.append(self.proc)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def wait_ready(self, timeout=15):
        self.notify.settimeout(timeout)
        messages = []
        deadline = time.monotonic() + timeout
        while "READY=1" not in messages:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.output()}")
            self.notify.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                messages += self.notify.recv(4096).decode().split("\n")
            except socket.timeout:
                raise AssertionError(f"{self.name}: no READY=1 on $NOTIFY_SOCKET:\n{self.output()}")
        return messages

    def reload(self):
        """The unit's ExecReload lines, in order, with its credentials."""
        for line in self.u["ExecReload"]:
            args = [a.replace("$MAINPID", str(self.proc.pid)) for a in line.split()]
            r = sh(credentials(self.u) + args)
            if r.returncode != 0:
                return r
        return r


def health(extra=()):
    r = run([*extra, "/usr/bin/tandemctl", "--json", "health"])
    try:
        return r.returncode, {d["name"]: d["health"] for d in json.loads(r.stdout)["daemons"]}
    except (ValueError, KeyError):
        return r.returncode, r.stdout + r.stderr


@pytest.fixture(scope="module")
def running(machine):
    """The three daemons started as their units start them."""
    workdir = Path(tempfile.mkdtemp(prefix="tandem-units-"))
    os.chmod(workdir, 0o711)  # daemons running as tandem reach their notify sockets
    procs = {}
    try:
        for d in ("tandem-balancer", "tandem-vrrpd", "tandem-peersync"):  # the units' order (After=)
            procs[d] = UnitProcess(machine, d, workdir)
            procs[d].wait_ready()
        yield procs
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_daemons_run_from_their_installed_paths_as_their_units(running):
    rc, states = health()
    assert rc == 0 and states == {"balancer": "SERVING", "vrrpd": "SERVING", "peersync": "SERVING"}, states
    # The sockets: made by each daemon in /run/tandem, 0660, group tandem.
    for name, user in (("balancer", "tandem"), ("vrrpd", "root"), ("peersync", "tandem")):
        st = os.stat(RUN_DIR / f"{name}.sock")
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660
        assert (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name) == (user, "tandem"), name
    # The balancer has CAP_NET_BIND_SERVICE and CAP_NET_RAW (`transparent`) and
    # nothing else; vrrpd keeps only its two.
    for name, caps in (("tandem-balancer", (1 << 10) | (1 << 13)), ("tandem-vrrpd", (1 << 12) | (1 << 13)), ("tandem-peersync", 0)):
        status = Path(f"/proc/{running[name].proc.pid}/status").read_text()
        assert int(re.search(r"CapEff:\s+(\w+)", status).group(1), 16) == caps, name


def test_tandemctl_works_for_group_tandem_only(running):
    nobody_in_tandem = ["setpriv", "--reuid", "nobody", "--regid", "tandem", "--clear-groups", "--"]
    rc, states = health(nobody_in_tandem)
    assert rc == 0 and set(states.values()) == {"SERVING"}, states
    nobody = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", "--"]
    rc, states = health(nobody)
    assert rc != 0 and "SERVING" not in str(states), states


def test_exec_reload_checks_then_signals(running):
    for name, proc in running.items():
        r = proc.reload()
        assert r.returncode == 0, f"{name}: {r.stdout}{r.stderr}"
        assert proc.proc.poll() is None, f"{name} died on reload:\n{proc.output()}"
    rc, states = health()
    assert rc == 0 and set(states.values()) == {"SERVING"}, states
    # A broken configuration: the check fails, and the daemon is not signalled.
    conf = Path("/etc/tandem/balancer.cfg")
    saved = conf.read_bytes()
    try:
        with open(conf, "a") as f:
            f.write("frobnicate on\n")
        before = running["tandem-balancer"].output()
        r = running["tandem-balancer"].reload()
        assert r.returncode == 1 and "frobnicate" in r.stderr
        time.sleep(0.2)  # a SIGHUP, had one been sent, would be logged by now
        # (The first reload's old configuration may log its release meanwhile.)
        after = running["tandem-balancer"].output()[len(before):]
        assert "reload" not in after, after
    finally:
        conf.write_bytes(saved)


def test_restart_changed_restarts_only_what_changed(running, tmp_path):
    """tandem-maint restart-changed (the upgrade's restarts) against a fake
    systemctl, in a mount namespace with its own /run: there systemd "runs"."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (tmp_path / "pids").mkdir()
    (fake / "systemctl").write_text(f"""#!/bin/sh
echo "systemctl $*" >> {tmp_path}/log
[ "$1" = -q ] && shift
case "$1" in
  is-active) [ -f "{tmp_path}/pids/$2" ] ;;
  show) cat "{tmp_path}/pids/$5" 2>/dev/null || echo 0 ;;
esac
""")
    (fake / "deb-systemd-invoke").write_text(f'#!/bin/sh\necho "invoke $*" >> {tmp_path}/log\n')
    (fake / "tandemctl").write_text('#!/bin/sh\nprintf "%s" "$FAKE_VRRP"\nexit "$FAKE_VRRP_RC"\n')
    for f in fake.iterdir():
        f.chmod(0o755)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        # balancer: the installed program, unit unchanged -> left alone.
        # peersync: another program runs (as after an upgrade) -> restarted.
        # vrrpd: the installed program, but its unit changed -> restarted,
        #        unless it is MASTER.
        (tmp_path / "pids" / "tandem-balancer.service").write_text(str(running["tandem-balancer"].proc.pid))
        (tmp_path / "pids" / "tandem-peersync.service").write_text(str(sleeper.pid))
        (tmp_path / "pids" / "tandem-vrrpd.service").write_text(str(running["tandem-vrrpd"].proc.pid))
        script = f"""set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system /run/tandem-upgrade
cp {UNITDIR}/tandem-balancer.service {UNITDIR}/tandem-peersync.service /run/tandem-upgrade/
sed 's/^Restart=.*/Restart=always/' {UNITDIR}/tandem-vrrpd.service > /run/tandem-upgrade/tandem-vrrpd.service
PATH={fake}:$PATH /usr/libexec/tandem/tandem-maint restart-changed
test ! -e /run/tandem-upgrade
"""
        cases = [({"FAKE_VRRP": '{"instances":[{"name":"VI_1", "state": "MASTER"}]}', "FAKE_VRRP_RC": "0"},
                  ["tandem-peersync.service"], "this node is MASTER: not restarted"),
                 ({"FAKE_VRRP": '{"instances":[{"name":"VI_1","state":"BACKUP"}]}', "FAKE_VRRP_RC": "0"},
                  ["tandem-peersync.service", "tandem-vrrpd.service"], "restarting tandem-vrrpd: its unit file"),
                 # Once MASTER, BACKUP now: its past transitions do not count.
                 ({"FAKE_VRRP": '{"instances":[{"name":"VI_1","state":"BACKUP","recent_transitions":'
                                '[{"from":"MASTER","to":"BACKUP"}]}]}', "FAKE_VRRP_RC": "0"},
                  ["tandem-peersync.service", "tandem-vrrpd.service"], "restarting tandem-vrrpd: its unit file"),
                 ({"FAKE_VRRP": "", "FAKE_VRRP_RC": "2"},
                  ["tandem-peersync.service", "tandem-vrrpd.service"], "its VRRP role could not be read")]
        for env, restarted, says in cases:
            (tmp_path / "log").write_text("")
            r = subprocess.run(["unshare", "--mount", "--", "sh", "-c", script], capture_output=True, text=True,
                               env={**ENV, **env}, timeout=60)
            assert r.returncode == 0, r.stdout + r.stderr
            log = (tmp_path / "log").read_text().splitlines()
            assert [line.split()[-1] for line in log if line.startswith("invoke restart")] == restarted, log
            assert "systemctl daemon-reload" in log
            assert "tandem-balancer: unchanged, not restarted" in r.stdout
            assert "restarting tandem-peersync: its program changed" in r.stdout
            assert says in r.stdout, r.stdout
        # Without systemd (this machine), it does nothing.
        (tmp_path / "log").write_text("")
        r = subprocess.run(["/usr/libexec/tandem/tandem-maint", "restart-changed"], capture_output=True, text=True,
                           env={**ENV, "PATH": f"{fake}:{ENV['PATH']}"}, timeout=60)
        assert r.returncode == 0 and (tmp_path / "log").read_text() == ""
    finally:
        sleeper.kill()
        sleeper.wait()
    for name in ("tandem-balancer", "tandem-vrrpd"):
        assert running[name].proc.poll() is None, name


def test_sigterm_stops_a_daemon_cleanly(running):
    b = running["tandem-balancer"]
    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(15) == 0, b.output()
    assert not (RUN_DIR / "balancer.sock").exists()
    b.notify.settimeout(5)
    messages = []
    while "STOPPING=1" not in messages:
        messages += b.notify.recv(4096).decode().split("\n")


def test_upgrade_keeps_configuration_and_running_daemons(machine, running):
    conf = Path("/etc/tandem/balancer.cfg")
    conf.write_text(conf.read_text() + "# edited by the administrator\n")
    tls = {p.name: p.read_bytes() for p in Path("/etc/tandem/tls").iterdir()}
    pids = {n: p.proc.pid for n, p in running.items() if p.proc.poll() is None}
    assert set(pids) == {"tandem-vrrpd", "tandem-peersync"}
    up = machine.packages["upgrade"]
    must([*APT, "install", "-y", "-q", "--no-install-recommends", str(up)], cwd=up.parent)
    assert must(["dpkg-query", "-W", "-f=${Version}", "tandem"]).stdout == f"{machine.packages['version']}+upgradetest"
    assert conf.read_text().endswith("# edited by the administrator\n")
    assert {p.name: p.read_bytes() for p in Path("/etc/tandem/tls").iterdir()} == tls
    for path, expected in MADE_BY_POSTINST.items():
        assert owner_of(path) == expected, path
    # An upgrade stops nothing (with systemd, restart-changed restarts what changed).
    for name, pid in pids.items():
        assert running[name].proc.poll() is None, f"{name} stopped on upgrade"
    rc, states = health()
    assert states.get("vrrpd") == "SERVING" and states.get("peersync") == "SERVING", states


def test_remove_stops_every_daemon_and_keeps_the_configuration(machine, running):
    # vrrpd and peersync still run (from programs the upgrade replaced):
    # removal stops them too.
    assert len(pids_of_installed()) == 2
    must([*APT, "remove", "-y", "-q", "tandem"])
    for name in ("tandem-vrrpd", "tandem-peersync"):
        assert running[name].proc.wait(15) == 0, running[name].output()
    assert pids_of_installed() == []
    assert not RUN_DIR.exists()
    for path in SHIPPED:
        if path in CONFFILES:
            assert Path(path).exists(), path
        else:
            assert not os.path.lexists(path), f"{path} left after remove"
    assert Path("/etc/tandem/tls/node.key").exists()


def test_purge_leaves_nothing_but_the_user(machine):
    if shutil.which("systemctl"):
        # An administrator's `systemctl enable tandem.target` (before the
        # removal) made a link the purge must take away; re-install to make it.
        must([*APT, "install", "-y", "-q", "--no-install-recommends", str(machine.packages["deb"])],
             cwd=machine.packages["deb"].parent)
        must(["systemctl", "enable", "tandem.target"])
        assert Path("/etc/systemd/system/multi-user.target.wants/tandem.target").is_symlink()
    must([*APT, "purge", "-y", "-q", "tandem"])
    assert sh(["dpkg-query", "-W", "tandem"]).returncode != 0
    for path in list(SHIPPED) + ["/etc/tandem", "/usr/libexec/tandem", "/usr/share/doc/tandem", "/run/tandem",
                                 "/run/tandem-upgrade"]:
        assert not os.path.lexists(path), f"{path} left after purge"
    leftovers = must(["sh", "-c", "find /etc/systemd /var/lib/systemd -name '*tandem*' 2>/dev/null; true"]).stdout
    assert leftovers == "", leftovers
    assert pids_of_installed() == []
    # Debian's practice: the system user stays (files elsewhere may belong to it).
    assert sh(["getent", "passwd", "tandem"]).returncode == 0
