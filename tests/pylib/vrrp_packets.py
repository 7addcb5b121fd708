"""VRRP packets built by hand, to spoof and to break: the e2e tests send them
from a client namespace and check that the routers change nothing.

    vrrp_packets.py send SRC VRID PRIORITY TTL [--vips A,B] [--version 2|3]
                    [--bad-checksum] [--count N] [--password P]
"""

import argparse
import socket
import struct


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def vrrp(version, vrid, priority, vips, src, dst, interval=10, password=None, count=None):
    addrs = b"".join(socket.inet_aton(v) for v in vips)
    n = len(vips) if count is None else count
    if version == 3:
        body = struct.pack("!BBBBHH", 0x31, vrid, priority, n, interval & 0xFFF, 0) + addrs
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 112, len(body))
        c = checksum(pseudo + body)
    else:
        auth = (password or "").encode().ljust(8, b"\0")
        body = struct.pack("!BBBBBBH", 0x21, vrid, priority, n, 1 if password else 0, 1, 0) + addrs + auth
        c = checksum(body)
    return body[:6] + struct.pack("!H", c) + body[8:]


def ip_header(src, dst, ttl, payload_len):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + payload_len, 0, 0, ttl, 112, 0,
                       socket.inet_aton(src), socket.inet_aton(dst))


def send(src, payload, ttl, dst="224.0.0.18", dev="eth0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    s.sendto(ip_header(src, dst, ttl, len(payload)) + payload, (dst, 0))
    s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["send"])
    p.add_argument("src")
    p.add_argument("vrid", type=int)
    p.add_argument("priority", type=int)
    p.add_argument("ttl", type=int)
    p.add_argument("--vips", default="198.18.0.100")
    p.add_argument("--version", type=int, default=3)
    p.add_argument("--bad-checksum", action="store_true")
    p.add_argument("--count", type=int)
    p.add_argument("--password")
    p.add_argument("--repeat", type=int, default=1)
    a = p.parse_args()
    vips = [v for v in a.vips.split(",") if v]
    pkt = vrrp(a.version, a.vrid, a.priority, vips, a.src, "224.0.0.18", password=a.password, count=a.count)
    if a.bad_checksum:
        pkt = pkt[:6] + bytes([pkt[6] ^ 0x55, pkt[7]]) + pkt[8:]
    for _ in range(a.repeat):
        send(a.src, pkt, a.ttl)


if __name__ == "__main__":
    main()
