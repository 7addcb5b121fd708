"""vrrpd in a namespace lab: configurations and starting daemons."""

from harness import binary, wait_for_socket
from netlab import VIP


def instance_conf(priority, state="BACKUP", extra="", version=3, advert="0.1", vrid=51, vip=f"{VIP}/24",
                  name="VI_1", interface="eth0"):
    return f"""
vrrp_instance {name} {{
    state {state}
    interface {interface}
    virtual_router_id {vrid}
    priority {priority}
    advert_int {advert}
    version {version}
    virtual_ipaddress {{
        {vip}
    }}
{extra}
}}
"""


def start_vrrpd(node, workdir, text, tag=None):
    """Starts tandem-vrrpd in `node` with `text`; returns (daemon, admin socket)."""
    tag = tag or node.name
    cfg = workdir / f"vrrpd-{tag}.conf"
    cfg.write_text(text)
    sock = workdir / f"vrrpd-{tag}.sock"
    d = node.spawn([binary("tandem-vrrpd"), "-f", cfg, "--admin-socket", sock, "--log-level", "debug"],
                   name=f"vrrpd-{tag}")
    wait_for_socket(sock, d)
    return d, str(sock)
