"""The stats page (HTML, ;csv, ;json, admin form), the runtime API on the
stats socket, and the Prometheus exporter, against a running balancer. The
CSV header is compared column by column with HAProxy 2.6's own."""

import base64
import contextlib
import json
import os
import shutil
import socket
import stat
import struct
import subprocess
import time

import pytest

from backend import Backend
from harness import BalancerProcess, Daemon, free_port, wait_for, wait_for_port, wait_for_socket
from httpclient import Connection, get

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:s3cret").decode()}


@pytest.fixture
def backends():
    bs = [Backend(f"app{i}") for i in (1, 2, 3)]
    yield bs
    for b in bs:
        b.close()


def config(workdir, backends, stats_port, web_port, admin="LOCALHOST", extra_global=""):
    return (
        "global\n"
        f"    stats socket {workdir}/admin.sock mode 660 level admin\n"
        f"    stats socket {workdir}/oper.sock mode 600 level operator\n"
        f"    stats socket {workdir}/user.sock level user\n"
        f"{extra_global}"
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n"
        "listen stats\n"
        f"    bind 127.0.0.1:{stats_port}\n"
        "    stats enable\n    stats uri /stats\n    stats refresh 10s\n    stats auth admin:s3cret\n"
        "    stats realm Tandem\\ Statistics\n    stats show-legends\n"
        f"    stats admin if {admin}\n"
        "frontend web\n"
        f"    bind 127.0.0.1:{web_port}\n"
        "    http-request use-service prometheus-exporter if { path /metrics }\n"
        "    default_backend farm\n"
        "backend farm\n    balance roundrobin\n    option httpchk GET /health\n"
        f"    server a {backends[0].address} check inter 100ms fall 1 rise 1\n"
        f"    server b {backends[1].address} check inter 100ms fall 1 rise 1 weight 2\n"
        f"    server c {backends[2].address} backup\n"
    )


@pytest.fixture
def lb(workdir, backends):
    sp, wp = free_port(), free_port()
    with BalancerProcess(workdir, config(workdir, backends, sp, wp), ports=[sp, wp]) as p:
        p.stats_port, p.web_port = sp, wp
        wait_for_socket(workdir / "admin.sock", p)
        wait_for(lambda: all(csv_rows(p)[("farm", s)]["check_status"] == "L7OK" for s in "ab"), what="farm checked")
        yield p


@contextlib.contextmanager
def haproxy_twin(workdir, backends):
    """HAProxy 2.6 running the `lb` fixture's configuration, less its
    Prometheus service line: its admin socket."""
    hdir = workdir / "hap"
    hdir.mkdir()
    cfg = hdir / "hap.cfg"
    cfg.write_text(config(hdir, backends, free_port(), free_port())
                   .replace("    http-request use-service prometheus-exporter if { path /metrics }\n", ""))
    with Daemon(["haproxy", "-db", "-f", str(cfg)], name="haproxy") as h:
        wait_for_socket(hdir / "admin.sock", h)
        yield hdir / "admin.sock"


def cli(path, line, timeout=5.0):
    """One line to a stats socket; everything until it closes."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(str(path))
    s.sendall(line.encode() + b"\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode()


def parse_csv(text):
    lines = text.splitlines()
    assert lines[0].startswith("# ")
    names = lines[0][2:].rstrip(",").split(",")
    rows = {}
    for ln in lines[1:]:
        if not ln:
            continue
        cells = ln.split(",")
        assert len(cells) == len(names) + 1 and cells[-1] == "", ln  # every line ends with ','
        rows[(cells[0], cells[1])] = dict(zip(names, cells))
    return names, rows


def csv_rows(p):
    r = get("127.0.0.1", p.stats_port, "/stats;csv", AUTH)
    assert r.status == 200, r
    return parse_csv(r.body.decode())[1]


def haproxy_header(workdir):
    """`show stat`'s header line from HAProxy 2.6 itself."""
    sock = workdir / "hap.sock"
    cfg = workdir / "hap.cfg"
    port = free_port()
    cfg.write_text(f"global\n    stats socket {sock} level admin\n"
                   "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n"
                   f"frontend f\n    bind 127.0.0.1:{port}\n")
    with Daemon(["haproxy", "-db", "-f", str(cfg)], name="haproxy"):
        wait_for(sock.exists, what="haproxy stats socket")
        return cli(sock, "show stat").splitlines()[0]


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_csv_header_is_haproxy_26s_column_by_column(workdir, lb):
    theirs = haproxy_header(workdir)[2:].rstrip(",").split(",")
    page = get("127.0.0.1", lb.stats_port, "/stats;csv", AUTH).body.decode().splitlines()[0]
    sock = cli(workdir / "admin.sock", "show stat").splitlines()[0]
    assert page == sock
    ours = page[2:].rstrip(",").split(",")
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"column {i}: ours {a!r}, HAProxy's {b!r}"
    assert len(ours) == len(theirs)


def test_stats_page_needs_the_configured_credentials(lb):
    r = get("127.0.0.1", lb.stats_port, "/stats")
    assert r.status == 401
    assert r.header("www-authenticate") == 'Basic realm="Tandem Statistics"'
    bad = {"Authorization": "Basic " + base64.b64encode(b"admin:wrong").decode()}
    assert get("127.0.0.1", lb.stats_port, "/stats", bad).status == 401
    r = get("127.0.0.1", lb.stats_port, "/stats", AUTH)
    assert r.status == 200 and r.header("content-type") == "text/html"
    body = r.body.decode()
    assert '<meta http-equiv="refresh" content="10">' in body
    assert '<table class="px" id="px-farm">' in body
    # ;norefresh drops the refresh; a path outside the prefix is not the page.
    assert "refresh" not in get("127.0.0.1", lb.stats_port, "/stats;norefresh", AUTH).body.decode().split("<style>")[0]


def test_csv_rows_carry_the_counters_and_states(lb, backends):
    for _ in range(6):
        assert get("127.0.0.1", lb.web_port, "/").status == 200
    rows = csv_rows(lb)
    assert set(rows) >= {("stats", "FRONTEND"), ("stats", "BACKEND"), ("web", "FRONTEND"), ("farm", "a"),
                         ("farm", "b"), ("farm", "c"), ("farm", "BACKEND")}
    fe, be, a, b, c = rows[("web", "FRONTEND")], rows[("farm", "BACKEND")], rows[("farm", "a")], rows[("farm", "b")], rows[("farm", "c")]
    assert fe["status"] == "OPEN" and fe["type"] == "0" and fe["mode"] == "http"
    assert int(fe["stot"]) >= 6 and int(fe["req_tot"]) >= 6 and int(fe["hrsp_2xx"]) >= 6
    assert int(fe["bin"]) > 0 and int(fe["bout"]) > 0
    assert be["status"] == "UP" and be["algo"] == "roundrobin" and be["type"] == "1"
    assert be["act"] == "2" and be["bck"] == "1" and be["weight"] == "3"  # usable actives, usable backups
    assert int(a["stot"]) + int(b["stot"]) == 6 and a["lbtot"] == a["stot"]
    assert int(be["bout"]) > 0 and int(a["bout"]) > 0 and int(a["bin"]) > 0  # request and response bytes
    assert a["status"] == "UP" and a["check_status"] == "L7OK" and a["check_code"] == "200"
    assert a["check_desc"] == "Layer7 check passed" and a["check_rise"] == "1" and a["check_fall"] == "1"
    assert b["weight"] == "2" and b["uweight"] == "2" and b["addr"] == backends[1].address
    assert c["status"] == "no check" and c["bck"] == "1" and c["act"] == "0" and c["type"] == "2"
    # A failing check shows at once.
    backends[0].set_health(503)
    wait_for(lambda: csv_rows(lb)[("farm", "a")]["status"] == "DOWN", what="a DOWN")
    a = csv_rows(lb)[("farm", "a")]
    assert a["check_status"] == "L7STS" and a["check_code"] == "503" and int(a["chkdown"]) >= 1 and int(a["chkfail"]) >= 1


def test_json_is_haproxys_typed_layout(lb):
    r = get("127.0.0.1", lb.stats_port, "/stats;json", AUTH)
    assert r.status == 200 and r.header("content-type") == "application/json"
    doc = json.loads(r.body)
    assert isinstance(doc, list) and all(isinstance(row, list) for row in doc)
    by = {}
    for row in doc:
        fields = {f["field"]["name"]: f for f in row}
        by[(fields["pxname"]["value"]["value"], fields["svname"]["value"]["value"])] = fields
    a = by[("farm", "a")]
    assert a["pxname"]["objType"] == "Server" and a["status"]["value"] == {"type": "str", "value": "UP"}
    assert a["weight"]["field"]["pos"] == 18 and a["weight"]["value"]["value"] == 1
    assert by[("web", "FRONTEND")]["pxname"]["objType"] == "Frontend"


def post_form(port, body, headers=AUTH):
    with Connection("127.0.0.1", port) as c:
        h = dict(headers)
        h["Content-Type"] = "application/x-www-form-urlencoded"
        return c.request("POST", "/stats", h, body.encode())


def test_admin_form_sets_server_states(lb):
    r = post_form(lb.stats_port, "s=a&s=b&action=drain&b=farm")
    assert r.status == 303 and r.header("location") == "/stats;st=DONE"
    rows = csv_rows(lb)
    assert rows[("farm", "a")]["status"] == "DRAIN" and rows[("farm", "b")]["status"] == "DRAIN"
    page = get("127.0.0.1", lb.stats_port, "/stats;st=DONE", AUTH).body.decode()
    assert "Action processed successfully." in page
    assert '<select name="action">' in page and 'value="maint"' in page
    assert post_form(lb.stats_port, "s=a&action=maint&b=farm").header("location") == "/stats;st=DONE"
    assert csv_rows(lb)[("farm", "a")]["status"] == "MAINT"
    assert post_form(lb.stats_port, "s=a&s=b&action=ready&b=farm").status == 303
    wait_for(lambda: csv_rows(lb)[("farm", "a")]["status"] == "UP", what="a ready again")
    assert post_form(lb.stats_port, "s=zz&action=maint&b=farm").header("location") == "/stats;st=PART"
    assert post_form(lb.stats_port, "s=a&action=explode&b=farm").header("location") == "/stats;st=ERRP"
    assert post_form(lb.stats_port, "s=a&action=maint&b=farm", headers={}).status == 401


def test_admin_actions_refused_when_the_condition_fails(workdir, backends):
    sp, wp = free_port(), free_port()
    with BalancerProcess(workdir, config(workdir, backends, sp, wp, admin="FALSE"), ports=[sp, wp]) as p:
        r = post_form(sp, "s=a&action=maint&b=farm")
        assert r.status == 303 and r.header("location") == "/stats;st=DENY"
        p.stats_port = sp
        assert csv_rows(p)[("farm", "a")]["status"] != "MAINT"
        page = get("127.0.0.1", sp, "/stats", AUTH).body.decode()
        assert "<select" not in page and 'type="checkbox"' not in page


def test_prometheus_exporter(lb):
    for _ in range(4):
        get("127.0.0.1", lb.web_port, "/")
    r = get("127.0.0.1", lb.web_port, "/metrics")
    assert r.status == 200 and r.header("content-type").startswith("text/plain; version=0.0.4")
    text = r.body.decode()
    metrics = {}
    for ln in text.splitlines():
        if ln and not ln.startswith("#"):
            name, value = ln.rsplit(" ", 1)
            metrics[name] = float(value)
    assert metrics['haproxy_server_status{proxy="farm",server="a",state="UP"}'] == 1
    assert metrics['haproxy_server_status{proxy="farm",server="a",state="DOWN"}'] == 0
    assert metrics['haproxy_backend_active_servers{proxy="farm"}'] == 2
    assert metrics['haproxy_frontend_http_requests_total{proxy="web"}'] >= 4
    assert metrics['haproxy_frontend_http_responses_total{proxy="web",code="2xx"}'] >= 4
    assert (metrics['haproxy_server_sessions_total{proxy="farm",server="a"}'] +
            metrics['haproxy_server_sessions_total{proxy="farm",server="b"}']) >= 4
    assert metrics["haproxy_process_nbthread"] >= 1
    assert "# TYPE haproxy_server_sessions_total counter" in text
    # Every sample line belongs to a declared family.
    families = {ln.split()[2] for ln in text.splitlines() if ln.startswith("# TYPE")}
    for name in metrics:
        assert name.split("{")[0] in families, name


# ---- the seeds' stats configurations ------------------------------------------------------------------------

def test_seed_s002_stats_dashboard(workdir, backends):
    from test_seeds import render
    port = free_port()
    path = render("s002_stats.cfg", workdir, backends, {"PORT": port, "PORT2": free_port(), "PORT3": free_port()})
    with BalancerProcess(workdir, path.read_text(), ports=[port]):
        assert get("127.0.0.1", port, "/stats").status == 401
        creds = {"Authorization": "Basic " + base64.b64encode(b"admin:secretpassword").decode()}
        page = get("127.0.0.1", port, "/stats", creds).body.decode()
        assert '<meta http-equiv="refresh" content="10">' in page and 'id="px-stats"' in page
        # `stats admin if LOCALHOST`: the test client is local, so the form is there.
        assert '<select name="action">' not in page  # ... but the stats section has no server to act on
        assert 'type="checkbox"' not in page


def test_seed_s003_basic_stats_uri_and_socket(workdir, backends):
    from test_seeds import render
    port = free_port()
    path = render("s003_basic.cfg", workdir, backends, {"PORT": port, "PORT2": free_port(), "PORT3": free_port()})
    with BalancerProcess(workdir, path.read_text(), ports=[port]):
        r = get("127.0.0.1", port, "/haproxy?stats;csv")
        assert r.status == 200
        _, rows = parse_csv(r.body.decode())
        assert rows[("http_back", "my_server")]["addr"] == backends[0].address
        assert get("127.0.0.1", port, "/").header("X-Backend") in ("app1", "app2")
        sock = workdir / "admin.sock"
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o660
        assert cli(sock, "set server http_back/my_server2 state maint") == "\n"
        assert [get("127.0.0.1", port, "/").header("X-Backend") for _ in range(3)] == ["app1"] * 3


# ---- runtime API --------------------------------------------------------------------------------------------

def test_socket_files_have_the_configured_mode(workdir, lb):
    assert stat.S_IMODE(os.stat(workdir / "admin.sock").st_mode) == 0o660
    assert stat.S_IMODE(os.stat(workdir / "oper.sock").st_mode) == 0o600
    assert stat.S_ISSOCK(os.stat(workdir / "user.sock").st_mode)


def test_show_info_and_show_stat(workdir, lb):
    info = cli(workdir / "admin.sock", "show info")
    assert info.endswith("\n\n")
    kv = dict(ln.split(": ", 1) for ln in info.splitlines() if ": " in ln)
    assert kv["Name"] == "Tandem" and int(kv["Pid"]) == lb.proc.pid
    assert int(kv["Maxconn"]) > 0 and int(kv["Uptime_sec"]) >= 0 and kv["Nbproc"] == "1"
    names, rows = parse_csv(cli(workdir / "user.sock", "show stat").rstrip("\n") + "\n")
    assert ("farm", "a") in rows and names[0] == "pxname"
    doc = json.loads(cli(workdir / "user.sock", "show stat json"))
    assert any(f["field"]["name"] == "svname" and f["value"]["value"] == "BACKEND" for row in doc for f in row)


def typed_fields(text, info=False):
    """`show stat typed` / `show info typed` lines: {(obj, pos, name): (tags, type)}."""
    out = {}
    for ln in text.splitlines():
        if not ln:
            continue
        head, tags, typ, _ = ln.split(":", 3)
        if info:
            pos, name, _proc = head.split(".", 2)
            out[("I", int(pos), name)] = (tags, typ)
        else:
            obj, _iid, _sid, pos, name, _proc = head.split(".", 5)
            out[(obj, int(pos), name)] = (tags, typ)
    return out


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_typed_output_matches_haproxy_26(workdir, lb, backends):
    """`show stat typed` and `show info typed`: every field both print has
    HAProxy's position, tags and type, for the same configuration."""
    with haproxy_twin(workdir, backends) as hsock:
        theirs_stat = typed_fields(cli(hsock, "show stat typed"))
        theirs_info = typed_fields(cli(hsock, "show info typed"), info=True)
    ours_stat = typed_fields(cli(workdir / "user.sock", "show stat typed"))
    ours_info = typed_fields(cli(workdir / "user.sock", "show info typed"), info=True)
    for ours, theirs in ((ours_stat, theirs_stat), (ours_info, theirs_info)):
        both = ours.keys() & theirs.keys()
        assert {k: ours[k] for k in both} == {k: theirs[k] for k in both}
        # Nearly everything we print, HAProxy prints too (the rest: fields
        # HAProxy leaves out in this state, such as a frontend's empty ones).
        assert len(both) >= 0.8 * len(ours), sorted(ours.keys() - theirs.keys())
    assert len(ours_info) >= 20 and ("I", 6, "Pid") in ours_info


def described_fields(text, info=False):
    """`show stat typed desc` / `show info typed desc` lines: {name: description}."""
    out = {}
    for ln in text.splitlines():
        if not ln:
            continue
        assert ln.endswith('"') and ':"' in ln, ln
        head, desc = ln[:-1].rsplit(':"', 1)
        name = head.split(":", 1)[0].split(".")[1 if info else 4]
        assert out.setdefault(name, desc) == desc, (name, desc, out[name])  # one description per field
    return out


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_field_descriptions_match_haproxy_26(workdir, lb, backends):
    """`show stat typed desc`, `show info desc` and `show info typed desc`:
    each field ends with HAProxy 2.6's description of it, for every field
    both print; `desc` changes neither the CSV nor the JSON forms."""
    with haproxy_twin(workdir, backends) as hsock:
        theirs_stat = described_fields(cli(hsock, "show stat typed desc"))
        theirs_info = described_fields(cli(hsock, "show info typed desc"), info=True)
        theirs_plain = cli(hsock, "show info desc")
    ours_stat = described_fields(cli(workdir / "user.sock", "show stat typed desc"))
    ours_info = described_fields(cli(workdir / "user.sock", "show info typed desc"), info=True)
    for ours, theirs in ((ours_stat, theirs_stat), (ours_info, theirs_info)):
        both = ours.keys() & theirs.keys()
        assert {k: ours[k] for k in both} == {k: theirs[k] for k in both}
        assert len(both) >= 0.8 * len(ours), sorted(ours.keys() - theirs.keys())
    assert ours_stat["scur"] == "Number of current sessions on the frontend, backend or server"
    # The plain form: "Name: value:"description"".
    plain = cli(workdir / "user.sock", "show info desc")
    assert f'Pid: {lb.proc.pid}:"{ours_info["Pid"]}"' in plain.splitlines()
    assert 'Nbproc: 1:"Number of started worker processes (historical, always 1)"' in plain.splitlines()
    assert 'Nbproc: 1:"Number of started worker processes (historical, always 1)"' in theirs_plain.splitlines()
    # The last format word wins; desc alone is the plain form.
    assert cli(workdir / "user.sock", "show info json typed desc").splitlines()[0].endswith(':"Product name"')
    assert '"Product name"' not in cli(workdir / "user.sock", "show info typed json desc")
    # CSV and JSON are the same with or without desc (as HAProxy's).
    def no_times(t):
        return t.split("\n", 1)[0]
    assert no_times(cli(workdir / "user.sock", "show stat desc")) == no_times(cli(workdir / "user.sock", "show stat"))
    assert "Number of current sessions" not in cli(workdir / "user.sock", "show stat json desc")
    assert "Number of current sessions" not in cli(workdir / "user.sock", "show stat desc")


def test_show_servers_state(workdir, lb, backends):
    out = cli(workdir / "oper.sock", "show servers state farm")
    lines = out.splitlines()
    assert lines[0] == "1"
    cols = lines[1][2:].split()
    assert cols[:6] == ["be_id", "be_name", "srv_id", "srv_name", "srv_addr", "srv_op_state"] and len(cols) == 25
    rows = {ln.split()[3]: dict(zip(cols, ln.split())) for ln in lines[2:] if ln}
    assert rows["a"]["srv_op_state"] == "2" and rows["a"]["srv_admin_state"] == "0"
    assert rows["b"]["srv_uweight"] == "2" and rows["a"]["srv_port"] == str(backends[0].port)
    assert rows["a"]["srv_check_result"] == "3" and rows["a"]["srv_check_status"] == "14"  # passed, L7OK
    assert cli(workdir / "oper.sock", "show servers state nope") == "Can't find backend.\n\n"


def test_server_commands(workdir, lb):
    sock = workdir / "admin.sock"
    assert cli(sock, "set server farm/a state drain") == "\n"
    assert csv_rows(lb)[("farm", "a")]["status"] == "DRAIN"
    assert cli(sock, "disable server farm/a") == "\n"
    assert csv_rows(lb)[("farm", "a")]["status"] == "MAINT"
    assert cli(sock, "show servers state farm").splitlines()[2].split()[6] == "1"  # forced maintenance
    assert cli(sock, "enable server farm/a") == "\n"
    wait_for(lambda: csv_rows(lb)[("farm", "a")]["status"] == "UP", what="a back")
    assert cli(sock, "set server farm/b weight 7") == "\n"
    assert cli(sock, "get weight farm/b") == "7 (initial 2)\n\n"
    assert cli(sock, "set weight farm/b 50%") == "\n"
    assert cli(sock, "get weight farm/b") == "1 (initial 2)\n\n"
    assert cli(sock, "set server farm/b weight 300") == "Absolute weight can only be between 0 and 256 inclusive.\n\n"
    assert cli(sock, "set server farm/b state sleepy") == "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n"
    assert cli(sock, "set server farm/zz state maint") == "No such server.\n\n"
    assert cli(sock, "set server farm/a state maint; get weight farm/a") == "\n1 (initial 1)\n\n"
    assert csv_rows(lb)[("farm", "a")]["status"] == "MAINT"


def test_levels_are_enforced(workdir, lb):
    assert cli(workdir / "oper.sock", "set server farm/a state maint") == "Permission denied\n\n"
    assert cli(workdir / "user.sock", "disable server farm/a") == "Permission denied\n\n"
    assert cli(workdir / "user.sock", "show servers state").startswith("1\n# be_id ")  # any level, as HAProxy
    assert cli(workdir / "user.sock", "operator") == "Permission denied\n\n"
    assert cli(workdir / "admin.sock", "user; set server farm/a weight 3") == "\nPermission denied\n\n"
    assert cli(workdir / "admin.sock", "operator; show cli level") == "\noperator\n\n"
    assert cli(workdir / "user.sock", "show cli level") == "user\n\n"
    assert csv_rows(lb)[("farm", "a")]["status"] == "UP"


def test_help_unknown_and_show_sess(workdir, lb):
    h = cli(workdir / "admin.sock", "help")
    assert h.startswith("The following commands are valid at this level:\n")
    assert "  show stat [desc|json|no-maint|typed|up]*" in h and "  set server <bk>/<srv> [opts]" in h
    assert "set server" not in cli(workdir / "user.sock", "help")
    u = cli(workdir / "admin.sock", "frobnicate now")
    assert u.startswith("Unknown command, but maybe one of the following ones is a better match:\n")
    assert cli(workdir / "admin.sock", "show frobs").startswith("Unknown command")
    with Connection("127.0.0.1", lb.web_port) as c:  # one open client session
        c.request("GET", "/")
        out = cli(workdir / "oper.sock", "show sess")
        assert "frontend web: 1 current" in out
    assert out.startswith("total: ")


def test_prompt_mode_keeps_the_connection(workdir, lb):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(str(workdir / "admin.sock"))

    def until_prompt():
        buf = b""
        while not buf.endswith(b"\n> "):
            d = s.recv(65536)
            assert d, buf
            buf += d
        return buf.decode()

    s.sendall(b"prompt\n")
    assert until_prompt() == "\n> "
    s.sendall(b"show cli level\n")
    assert until_prompt() == "admin\n\n> "
    s.sendall(b"get weight farm/a\n")
    assert until_prompt() == "1 (initial 1)\n\n> "
    s.sendall(b"quit\n")
    assert s.recv(100) == b""
    s.close()


# ---- the page in a browser ----------------------------------------------------------------------------------

def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (scripts/install-deps)")
def test_stats_page_renders_in_chromium(workdir, lb):
    cli(workdir / "admin.sock", "set server farm/b state maint")
    url = f"http://admin:s3cret@127.0.0.1:{lb.stats_port}/stats"
    common = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
              f"--user-data-dir={workdir}/chromium", "--window-size=1400,900"]
    shot = workdir / "stats.png"
    subprocess.run(common + [f"--screenshot={shot}", url], capture_output=True, timeout=60, check=True)
    w, h = png_size(shot)
    assert (w, h) == (1400, 900) and shot.stat().st_size > 20000, shot.stat().st_size
    dom = subprocess.run(common + ["--dump-dom", url], capture_output=True, timeout=60, check=True, text=True).stdout
    # The page as the browser built it: one table per proxy, servers coloured
    # by state, the admin form, the process block.
    for needle in ['id="px-stats"', 'id="px-web"', 'id="px-farm"', '<tr class="up">', '<tr class="maint">',
                   '<tr class="no_check">', '<select name="action">', 'id="process"', "MAINT", "L7OK/200"]:
        assert needle in dom, needle
    # Pixel check: the screenshot holds the colours of UP (#c0ffc0) and MAINT (#c0c0ff) rows.
    raw = subprocess.run(["python3", "-c", PNG_COLOURS, str(shot)], capture_output=True, text=True, check=True).stdout
    colours = set(raw.split())
    assert "c0ffc0" in colours and "c0c0ff" in colours, sorted(colours)[:20]


# Decodes a PNG (zlib + filters, no third-party modules) and prints its colours.
PNG_COLOURS = r'''
import sys, zlib, struct
data = open(sys.argv[1], "rb").read()
pos, idat, w, h, ct = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": w, h, depth, ct = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT": idat += body
bpp = 4 if ct == 6 else 3
raw = zlib.decompress(idat); stride = w * bpp; prev = bytearray(stride); seen = set(); i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, stride, bpp * 4): seen.add("%02x%02x%02x" % tuple(line[x:x + 3]))
print(" ".join(sorted(seen)))
'''


# ---- stick tables through the runtime API -------------------------------------------------------------------

def test_table_commands(workdir, backends):
    port = free_port()
    cfg = (f"global\n    stats socket {workdir}/admin.sock level admin\n    stats socket {workdir}/user.sock level user\n"
           f"    stats socket {workdir}/oper.sock level operator\n"
           "defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n"
           f"frontend web\n    bind 127.0.0.1:{port}\n"
           "    stick-table type ip size 100 expire 30s store gpc0,conn_cnt,http_req_rate(10s)\n"
           "    http-request track-sc0 src\n    default_backend farm\n"
           "backend farm\n    stick-table type string len 32 size 10 store server_id\n"
           f"    server a {backends[0].address} id 7\n")
    with BalancerProcess(workdir, cfg, ports=[port]):
        admin, user, oper = workdir / "admin.sock", workdir / "user.sock", workdir / "oper.sock"
        get("127.0.0.1", port, "/")
        assert cli(user, "show table") == ("# table: web, type: ip, size:100, used:1\n"
                                           "# table: farm, type: string, size:10, used:0\n\n")
        # A user socket sees the header only (as HAProxy); operator and admin the entries.
        assert cli(user, "show table web") == ("# table: web, type: ip, size:100, used:1\n"
                                               "# contents not dumped due to insufficient privileges\n\n")
        # The request's tracking ends when its connection is done: use=0 then.
        wait_for(lambda: "use=0" in cli(oper, "show table web"), what="the entry released")
        lines = cli(oper, "show table web").splitlines()
        assert lines[0] == "# table: web, type: ip, size:100, used:1"
        entry = lines[1].split(": ", 1)[1].split()
        assert entry[0] == "key=127.0.0.1" and entry[1] == "use=0" and entry[2].startswith("exp=")
        assert 0 < int(entry[2][4:]) <= 30000
        assert entry[3:] == ["gpc0=0", "conn_cnt=0", "http_req_rate(10000)=1"] or "http_req_rate(10000)=1" in entry

        assert cli(admin, "set table web key 10.0.0.1 data.gpc0 5") == "\n"
        assert "key=10.0.0.1" in cli(oper, "show table web key 10.0.0.1")
        assert "key=127.0.0.1" not in cli(oper, "show table web key 10.0.0.1")
        filtered = cli(oper, "show table web data.gpc0 gt 0")
        assert "key=10.0.0.1" in filtered and "key=127.0.0.1" not in filtered and "gpc0=5" in filtered
        assert cli(user, "show table web data.foo eq 1") == "Filter entry #1: Unknown data type\n\n"
        assert cli(admin, "set table web key 1.2.3.4 data.foo 1") == "Unknown data type\n\n"
        assert cli(admin, "set table farm key abc data.server_id 7") == "\n"
        assert "key=abc use=0 exp=0 server_id=7" in cli(oper, "show table farm")
        assert cli(user, "show table nope") == "No such table\n\n"
        assert cli(user, "clear table web") == "\n"  # clears nothing at this level, as HAProxy
        assert cli(user, "clear table web key 10.0.0.1") == "Permission denied\n\n"
        assert "key=10.0.0.1" in cli(oper, "show table web")
        assert cli(admin, "clear table web key 10.0.0.1") == "\n"
        assert "key=10.0.0.1" not in cli(oper, "show table web")
        assert cli(admin, "clear table web") == "\n"
        assert cli(oper, "show table web") == "# table: web, type: ip, size:100, used:0\n\n"
        assert cli(admin, "clear table nope") == "No such table\n\n"


def sticktable_metrics(port):
    r = get("127.0.0.1", port, "/metrics")
    assert r.status == 200
    return sorted(ln for ln in r.body.decode().splitlines() if "haproxy_sticktable_" in ln)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_prometheus_sticktables_as_haproxy_26(workdir, backends):
    """The stick-table families, line for line as HAProxy's for the same
    configuration and traffic (one tracked client)."""
    def cfg(port):
        return ("defaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n"
                f"frontend web\n    bind 127.0.0.1:{port}\n"
                "    stick-table type ip size 1k expire 30s store conn_cnt\n    tcp-request connection track-sc0 src\n"
                "    http-request use-service prometheus-exporter if { path /metrics }\n    default_backend farm\n"
                "backend farm\n    stick-table type string len 32 size 200 store server_id\n"
                f"    server a {backends[0].address}\n")
    port = free_port()
    with BalancerProcess(workdir, cfg(port), ports=[port]):
        ours = sticktable_metrics(port)
    hport = free_port()
    path = workdir / "hap-prom.cfg"
    path.write_text(cfg(hport))
    with Daemon(["haproxy", "-db", "-f", str(path)], name="haproxy") as h:
        wait_for_port("127.0.0.1", hport, h)
        theirs = sticktable_metrics(hport)
    assert ours == theirs
    assert 'haproxy_sticktable_used{name="web",type="ip"} 1' in ours


def stats_access_config(port):
    return ("defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            "userlist admins\n    user bob insecure-password pw\n"
            f"listen stats\n    bind 127.0.0.1:{port}\n    stats enable\n    stats uri /stats\n"
            "    stats http-request deny if { src 127.0.0.3 }\n"
            "    stats http-request allow if { src 127.0.0.4 }\n"
            "    stats http-request auth realm Bobs unless { http_auth(admins) } || { src 127.0.0.1 }\n"
            f"listen stats2\n    bind 127.0.0.1:{port + 1}\n    stats enable\n    stats uri /stats\n"
            "    stats http-request auth if { src 127.0.0.5 }\n")


def stats_access_answers(port):
    """(status, www-authenticate, start of the body) per client and page."""
    import http.client
    out = []
    for p, src, user in ((port, "127.0.0.3", None), (port, "127.0.0.4", None), (port, "127.0.0.2", None),
                         (port, "127.0.0.1", None), (port, "127.0.0.2", "bob:pw"), (port, "127.0.0.2", "bob:no"),
                         (port + 1, "127.0.0.5", None), (port + 1, "127.0.0.2", None)):
        c = http.client.HTTPConnection("127.0.0.1", p, timeout=5, source_address=(src, 0))
        headers = {"Authorization": "Basic " + base64.b64encode(user.encode()).decode()} if user else {}
        try:
            c.request("GET", "/stats;csv", headers=headers)
            r = c.getresponse()
            body = r.read().decode()
            first = body.splitlines()[1] if r.status in (401, 403) else body[:9]
            out.append((r.status, r.getheader("www-authenticate"), first))
        finally:
            c.close()
    return out


def access_ports():
    while True:
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_stats_http_request_rules_as_haproxys(workdir):
    """`stats http-request allow|deny|auth [realm R] [if|unless COND]`: the
    first matching rule decides (deny 403, auth 401 with its realm or
    "HAProxy Statistics", allow serves the page), as HAProxy 2.6 answers the
    same requests."""
    port = access_ports()
    with BalancerProcess(workdir, stats_access_config(port), ports=[port, port + 1]):
        ours = stats_access_answers(port)
    hport = access_ports()
    cfg = workdir / "hap-access.cfg"
    cfg.write_text(stats_access_config(hport))
    with Daemon(["haproxy", "-db", "-f", str(cfg)], name="haproxy") as h:
        wait_for_port("127.0.0.1", hport, h)
        wait_for_port("127.0.0.1", hport + 1, h)
        theirs = stats_access_answers(hport)
    assert ours == theirs
    assert [(s, a) for s, a, _ in ours] == [
        (403, None), (200, None), (401, 'Basic realm="Bobs"'), (200, None), (200, None), (401, 'Basic realm="Bobs"'),
        (401, 'Basic realm="HAProxy Statistics"'), (200, None)]
    assert ours[0][2] == "Request forbidden by administrative rules."
    assert ours[1][2] == "# pxname,"


def test_stats_http_request_config_errors(workdir):
    from harness import binary, run
    base = "defaults\n    mode http\nlisten stats\n    bind 127.0.0.1:1\n    stats enable\n"
    path = workdir / "s.cfg"
    path.write_text(base + "    stats auth a:b\n    stats http-request allow\n")
    r = run([binary("tandem-balancer"), "-c", "-f", path])
    assert r.returncode == 1
    assert "proxy 'stats': stats 'auth'/'realm' and 'http-request' can't be used at the same time" in r.stderr
    path.write_text(base + "    stats http-request permit\n")
    r = run([binary("tandem-balancer"), "-c", "-f", path])
    assert r.returncode == 1 and f"{path}:6: stats http-request: expects 'allow', 'deny' or 'auth" in r.stderr, r.stderr
    path.write_text(base + "    stats http-request deny if { nosuchfetch }\n")
    r = run([binary("tandem-balancer"), "-c", "-f", path])
    assert r.returncode == 1 and f"{path}:6" in r.stderr, r.stderr


LEVEL_COMMANDS = ["show info", "show stat", "show servers state", "show table", "show table farm",
                  "show table farm key 1.2.3.4", "show table farm data.gpc0 gt 0", "clear table farm key 1.2.3.4",
                  "clear table farm", "show table farm", "set table farm key 1.2.3.4 data.gpc0 1",
                  "disable server farm/a", "enable server farm/a", "set server farm/a state ready",
                  "set server farm/a weight 1", "set weight farm/a 1", "get weight farm/a", "show sess", "operator",
                  "user", "show cli level", "help", "frobnicate"]
# Answers compared whole; the others by kind (refused, unknown, answered).
LEVEL_WHOLE = ("show servers state", "show table", "clear table", "set table", "get weight", "show cli level",
               "operator", "user", "enable", "disable", "set server", "set weight")


def levels_config(d, port):
    return (f"global\n    stats socket {d}/admin.sock mode 640 level admin user nobody group nogroup\n"
            f"    stats socket {d}/oper.sock level operator uid 4242 gid 4243\n"
            f"    stats socket {d}/user.sock level user\n"
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
            f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend farm\n"
            "backend farm\n    stick-table type ip size 10 expire 1m store gpc0\n    server a 127.0.0.1:1\n")


def levels_run(d):
    import grp
    import pwd
    import re
    out = {}
    for level in ("user", "oper", "admin"):
        cli(d / "admin.sock", "set table farm key 1.2.3.4 data.gpc0 1")
        for c in LEVEL_COMMANDS:
            text = re.sub(r"0x[0-9a-f]+|exp=\d+", "X", cli(d / f"{level}.sock", c))
            if not c.startswith(LEVEL_WHOLE):
                text = "refused" if text.startswith("Permission denied") else \
                    "unknown" if text.startswith("Unknown command") else "answered"
            out.setdefault((level, c), []).append(text)
    st = os.stat(d / "admin.sock")
    out["owner"] = (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, oct(stat.S_IMODE(st.st_mode)))
    st = os.stat(d / "oper.sock")
    out["ids"] = (st.st_uid, st.st_gid)
    return out


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_command_levels_as_haproxys(workdir):
    """Each runtime command of issue 7 on a user, an operator and an admin
    socket answers as HAProxy 2.6's for the same configuration: refused above
    the socket's level, stick-table contents withheld from a user socket
    (header only, `key` refused, `clear table T` clearing nothing); the
    socket file gets the configured mode, user and group."""
    results = []
    for name in ("tandem", "haproxy"):
        d = workdir / name
        d.mkdir()
        port = free_port()
        if name == "tandem":
            with BalancerProcess(workdir, levels_config(d, port), ports=[port]) as p:
                wait_for_socket(d / "admin.sock", p)
                results.append(levels_run(d))
        else:
            (d / "h.cfg").write_text(levels_config(d, port))
            with Daemon(["haproxy", "-db", "-f", str(d / "h.cfg")], name="haproxy"):
                wait_for(lambda: (d / "user.sock").exists(), what="haproxy's sockets")
                results.append(levels_run(d))
    ours, theirs = results
    differ = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
    assert not differ, "\n".join(f"{k}: tandem {o!r} haproxy {t!r}" for k, (o, t) in differ.items())
    assert ours["owner"] == ("nobody", "nogroup", "0o640") and ours["ids"] == (4242, 4243)
    assert ours[("user", "show table farm")][0].endswith("# contents not dumped due to insufficient privileges\n\n")


def prometheus_families(port):
    """Each family's name, type and help text."""
    text = get("127.0.0.1", port, "/metrics").body.decode()
    helps = {ln.split(" ", 3)[2]: ln.split(" ", 3)[3] for ln in text.splitlines() if ln.startswith("# HELP ")}
    return {ln.split()[2]: (ln.split()[3], helps.get(ln.split()[2])) for ln in text.splitlines() if ln.startswith("# TYPE ")}


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_prometheus_families_are_haproxy_26s(workdir):
    """Every metric family Tandem exports is one HAProxy 2.6's exporter
    exports for the same configuration, with the same type (Tandem exports
    a subset: what it counts)."""
    cfg = ("defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
           "frontend web\n    bind 127.0.0.1:PORT\n    stick-table type ip size 10 store gpc0\n"
           "    http-request use-service prometheus-exporter if { path /metrics }\n    default_backend farm\n"
           "backend farm\n    server a 127.0.0.1:1 check\n")
    port = free_port()
    with BalancerProcess(workdir, cfg.replace("PORT", str(port)), ports=[port]):
        ours = prometheus_families(port)
    port = free_port()
    path = workdir / "hap-prom.cfg"
    path.write_text(cfg.replace("PORT", str(port)))
    with Daemon(["haproxy", "-db", "-f", str(path)], name="haproxy") as h:
        wait_for_port("127.0.0.1", port, h)
        theirs = prometheus_families(port)
    foreign = {n: t for n, t in ours.items() if n not in theirs or theirs[n][0] != t[0]}
    assert not foreign, foreign
    assert len(ours) >= 60
    for name in ("haproxy_frontend_intercepted_requests_total", "haproxy_frontend_denied_connections_total",
                 "haproxy_backend_client_aborts_total", "haproxy_server_server_aborts_total",
                 "haproxy_frontend_responses_denied_total", "haproxy_frontend_connections_total"):
        assert ours[name] == theirs[name], (name, ours[name], theirs[name])


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")
def test_tcp_backend_current_sessions_as_haproxys(workdir):
    """A TCP backend's scur/smax count its open connections, as HAProxy's."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []
    results = []
    try:
        for name in ("tandem", "haproxy"):
            port = free_port()
            sock = workdir / f"{name}-tcp.sock"
            cfg = (f"global\n    stats socket {sock} level admin\n"
                   "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n"
                   f"frontend fe\n    bind 127.0.0.1:{port}\n    default_backend be\n"
                   f"backend be\n    server s1 127.0.0.1:{server.getsockname()[1]}\n")
            # Readiness from the stats socket, not a probe connection: a probe
            # through the frontend would be a session on the backend (until
            # its timeouts) and count in smax.
            if name == "tandem":
                proc = BalancerProcess(workdir, cfg)
            else:
                path = workdir / "hap-tcp.cfg"
                path.write_text(cfg)
                proc = Daemon(["haproxy", "-db", "-f", str(path)], name="haproxy")
            with proc:
                wait_for_socket(sock)

                def rows():
                    return parse_csv(cli(sock, "show stat"))[1]

                def be_row():
                    return rows()[("be", "BACKEND")]
                wait_for(lambda: rows()[("fe", "FRONTEND")]["status"] == "OPEN", what="the frontend open")
                assert be_row()["stot"] == "0"
                clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
                held += [server.accept()[0] for _ in clients]
                wait_for(lambda: be_row()["scur"] == "2", what="two sessions on the backend")
                for c in clients:
                    c.close()
                wait_for(lambda: be_row()["scur"] == "0", what="none left")
                r = be_row()
                results.append((r["scur"], r["smax"]))
        assert results[0] == results[1] == ("0", "2"), results
    finally:
        for c in held:
            c.close()
        server.close()
