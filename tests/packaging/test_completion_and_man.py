"""Bash completion and man pages, against the programs of this build.

Both are derived from the programs' own usage text (tandemctl help, DAEMON -h):
these tests check that derivation, so that a command added to tandemctl's
usage completes and is documented with no other change. No root needed."""

import gzip
import re
import shlex
import subprocess

import pytest

from harness import BUILD_DIR, SOURCE_DIR, BalancerProcess, binary, free_port, run

COMPLETION = SOURCE_DIR / "packaging" / "completion" / "tandem.bash"
DAEMONS = ["tandem-balancer", "tandem-vrrpd", "tandem-peersync"]


def complete(words, function="_tandemctl"):
    """COMPREPLY for the command line `words` (the last one being completed)."""
    script = (f"source {shlex.quote(str(COMPLETION))}\n"
              f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\n"
              f"{function}\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    return sorted(w for w in r.stdout.split("\n") if w)


def usage_section(text, name):
    """Entries of a usage section ("Options", "Commands"), descriptions cut."""
    out, on = [], False
    for line in text.splitlines():
        if line == f"{name}:":
            on = True
        elif on and line and not line.startswith(" "):
            on = False
        elif on and line.startswith("  ") and not line.startswith("   "):
            out.append(re.split(r"\s{2,}", line.strip())[0])
    return out


def test_every_command_of_the_usage_completes():
    ctl = binary("tandemctl")
    commands = usage_section(run([ctl, "help"]).stdout, "Commands")
    assert commands, "tandemctl help has no Commands: section"
    first_words = sorted({c.split()[0] for c in commands})
    assert complete([ctl, ""]) == first_words
    assert complete([ctl, "--json", ""]) == first_words


def test_subcommands_and_their_alternatives_complete():
    ctl = binary("tandemctl")
    commands = usage_section(run([ctl, "help"]).stdout, "Commands")
    for c in commands:
        words = c.replace("[", "").replace("]", "").split()
        if len(words) < 2 or words[1][0].isupper():
            continue
        expected = set()
        for other in commands:
            w = other.replace("[", "").replace("]", "").split()
            if w[0] == words[0] and len(w) > 1 and not w[1][0].isupper():
                expected.update(w[1].split("|"))
        assert complete([ctl, words[0], ""]) == sorted(expected), c
    assert complete([ctl, "server", "dr"]) == ["drain"]


def test_options_and_their_values_complete(tmp_path):
    ctl = binary("tandemctl")
    options = usage_section(run([ctl, "help"]).stdout, "Options")
    names = sorted(o.split()[0] for o in options)
    assert complete([ctl, "--"]) == names
    (tmp_path / "sockets").mkdir()
    assert complete([ctl, "--run-dir", f"{tmp_path}/so"]) == [f"{tmp_path}/sockets"]


@pytest.mark.parametrize("daemon", DAEMONS)
def test_daemon_options_complete(daemon, tmp_path):
    exe = binary(daemon)
    options = usage_section(run([exe, "-h"]).stdout, "Options")
    names = sorted(n for o in options for n in re.findall(r"(?:^|[ ,])(-[-\w]+)", o))
    assert "-f" in names and "--admin-socket" in names
    assert complete([exe, "-"], "_tandem_daemon") == names
    assert complete([exe, "--log-level", "w"], "_tandem_daemon") == ["warning"]
    (tmp_path / "balancer.cfg").write_text("")
    assert complete([exe, "-c", "-f", f"{tmp_path}/bal"], "_tandem_daemon") == [f"{tmp_path}/balancer.cfg"]


def test_backend_and_server_names_come_from_the_running_balancer(workdir):
    port = free_port()
    cfg = f"""
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:{port}
    default_backend app
backend app
    server one 127.0.0.1:9 check
    server two 127.0.0.1:9
backend api
    server three 127.0.0.1:9
"""
    with BalancerProcess(workdir, cfg, ports=[port]) as b:
        ctl = binary("tandemctl")
        sock = str(b.socket)
        assert complete([ctl, "--balancer-socket", sock, "servers", ""]) == ["api", "app"]
        assert complete([ctl, "--balancer-socket", sock, "server", "drain", "app/"]) == ["app/one", "app/two"]
        assert complete([ctl, "--balancer-socket", sock, "server", "weight", ""]) == \
            ["api/three", "app/one", "app/two"]
        # The socket given on the line is the one asked: without it, nothing answers.
        assert complete([ctl, "--run-dir", str(workdir / "none"), "servers", ""]) == []


MAN_PAGES = {"tandem-balancer": 8, "tandem-vrrpd": 8, "tandem-peersync": 8, "tandemctl": 1}


@pytest.mark.parametrize("prog", MAN_PAGES)
def test_man_page_renders_without_warnings_and_lists_every_option(prog):
    page = BUILD_DIR / "packaging" / "man" / f"{prog}.{MAN_PAGES[prog]}.gz"
    assert page.exists(), f"{page} is not built"
    roff = gzip.decompress(page.read_bytes()).decode()
    assert "@" not in roff, "an @PLACEHOLDER@ was left in the page"
    r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", str(page)], capture_output=True, text=True,
                       env={"MANWIDTH": "80", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}, timeout=30)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = re.sub(r".\x08", "", r.stdout)
    help_arg = "help" if prog == "tandemctl" else "-h"
    usage = run([binary(prog), help_arg]).stdout
    for entry in usage_section(usage, "Options") + usage_section(usage, "Commands"):
        assert entry.split(",")[0] in text, f"{entry!r} missing from {prog}({MAN_PAGES[prog]})"


# A usage text in the shape tandemctl's grows into: entries too long to share
# their line put the description on the next one, indented further.
LONG_USAGE = """Usage: tandemctl [--json] COMMAND [ARGS]

Options:
  --json                   machine-readable output

Commands:
  status                   both nodes at a glance
  table show NAME [--key K] [--limit N]
                           a stick table's entries
  reload balancer|vrrpd|peersync
                           loads a daemon's configuration again
  help                     this text
Exit status: 0 all is well.
"""


def fake_ctl(tmp_path):
    ctl = tmp_path / "tandemctl"
    ctl.write_text(f"#!/bin/sh\ncat <<'EOF'\n{LONG_USAGE}EOF\n")
    ctl.chmod(0o755)
    return ctl


def test_man_page_keeps_descriptions_on_their_own_line(tmp_path):
    ctl = fake_ctl(tmp_path)
    page = tmp_path / "tandemctl.1"
    run(["sh", SOURCE_DIR / "packaging" / "man" / "render-man.sh", SOURCE_DIR / "packaging" / "man" / "tandemctl.1.in",
         page, "9.9", "2026-01-01", ctl, "help"], check=True)
    r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", str(page)], capture_output=True, text=True,
                       env={"MANWIDTH": "80", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}, timeout=30)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = re.sub(r".\x08", "", r.stdout)
    commands = text[text.index("COMMANDS"):text.index("EXIT STATUS")]
    lines = [line.strip() for line in commands.splitlines() if line.strip()]
    assert lines[lines.index("table show NAME [--key K] [--limit N]") + 1] == "a stick table's entries"
    assert lines[lines.index("reload balancer|vrrpd|peersync") + 1] == "loads a daemon's configuration again"
    assert "Exit status" not in commands


def test_long_entries_complete(tmp_path):
    ctl = str(fake_ctl(tmp_path))
    assert complete([ctl, ""]) == ["help", "reload", "status", "table"]
    assert complete([ctl, "table", ""]) == ["show"]
    assert complete([ctl, "table", "show", "sessions", ""]) == ["--key"]
    assert complete([ctl, "reload", "v"]) == ["vrrpd"]
