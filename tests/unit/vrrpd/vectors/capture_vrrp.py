import socket, sys, time
# Captures the first N VRRP packets seen on eth0 (AF_PACKET), prints "src dst ttl hex(vrrp)"
n = int(sys.argv[1]); timeout = float(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind(("eth0", 0)); s.settimeout(timeout)
got = 0
while got < n:
    f = s.recv(2048)
    et = f[12:14]
    if et == b"\x08\x00" and f[14+9] == 112:
        ip = f[14:]; ihl = (ip[0] & 15) * 4; tot = int.from_bytes(ip[2:4], "big")
        print(socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), ip[8], ip[ihl:tot].hex(), flush=True); got += 1
    elif et == b"\x86\xdd" and f[14+6] == 112:
        ip = f[14:]; pl = int.from_bytes(ip[4:6], "big")
        print(socket.inet_ntop(socket.AF_INET6, ip[8:24]), socket.inet_ntop(socket.AF_INET6, ip[24:40]), ip[7], ip[40:40+pl].hex(), flush=True); got += 1
