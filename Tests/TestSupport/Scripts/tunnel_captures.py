#!/usr/bin/env python3
"""Writes one pcap per encapsulation the packet decoder walks through (Scapy).

    tunnel_captures.py OUTDIR

Every capture `<name>.pcap` carries the same inner story, with fixed timestamps (the output is
byte-for-byte deterministic):
  * 20 answered TCP connections 10.1.0.X:4000X -> 192.0.2.10:80 (handshake, a small request and
    response, FIN both ways), 9 packets each;
  * 20 refused ones 10.1.0.X:5000X -> 192.0.2.20:8080 (SYN answered by RST-ACK), 2 packets each.
The inner packets are IPv6 (2001:db8:1::X -> 2001:db8:2::10 / ::20) for 6in4 and 6in6.
IP-level tunnels use the outer endpoints 198.51.100.1 (client side) <-> 198.51.100.2 (server side),
2001:db8:ff::1 <-> 2001:db8:ff::2 for 6in6; the two directions swap them.

Names: vxlan geneve gre gre-eth erspan1 erspan2 erspan3 mpls mpls-pw-cw mpls-pw pppoe ipip 6in4 6in6
gtpu vlan3 llc wifi (link type 105) radiotap (127); plus
  tenants.pcap          5 connections in VXLAN VNI 100 and the same 5 (same inner addresses and
                        ports) in VNI 200, interleaved packet by packet;
  erspan-sessions.pcap  ERSPAN II, client->server in session 1, server->client in session 2;
  hostile.pcap          damaged tunnels, one per packet, in the order of HOSTILE below.

Prints nothing on success; exits non-zero with a message on error (2 when Scapy is missing, so
callers can skip).
"""
import logging
import os
import struct
import sys

# Scapy logs warnings (no route, no IPv6 address...) on import in bare containers: stay silent.
logging.getLogger("scapy").setLevel(logging.ERROR)
try:
    from scapy.all import (  # noqa: F401
        IP, IPv6, TCP, UDP, Ether, Dot1Q, Dot1AD, Dot3, LLC, SNAP, PPPoE, PPP, GRE, Raw,
        Dot11, Dot11QoS, raw, conf,
    )
    from scapy.contrib.mpls import MPLS
except Exception as error:  # ImportError, or a broken install
    sys.stderr.write("tunnel_captures.py: scapy is not importable (%s)\n" % error)
    sys.exit(2)

conf.verb = 0

BASE_TIME = 1_700_000_000
# Inner MACs: vendor OUIs (Intel, VMware) so tshark's MPLS pseudowire heuristic, which looks the
# OUIs up, sees a plain Ethernet frame without control word; behind a control word the bytes it
# would take for a source MAC (21:ff:ff / 56:ff:ff) are no vendor's, so it picks the control word.
CLIENT_MAC, SERVER_MAC = "00:1b:21:ff:ff:0a", "00:50:56:ff:ff:0b"
OUTER_CLIENT_MAC, OUTER_SERVER_MAC = "02:00:00:00:01:01", "02:00:00:00:01:02"
OUTER4 = ("198.51.100.1", "198.51.100.2")
OUTER6 = ("2001:db8:ff::1", "2001:db8:ff::2")
REQUEST = b"GET / HTTP/1.1\r\nHost: 192.0.2.10\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


# ---------------------------------------------------------------------------------------------
# The inner story: a list of (c2s: bool, inner IP packet bytes)

def story(ipv6=False, answered=range(20), refused=range(20)):
    """Yields (client_to_server, inner IP packet) for every packet of the story, in time order."""
    def ip(src, dst):
        if ipv6:
            return IPv6(src=src, dst=dst, hlim=64)
        return IP(src=src, dst=dst, ttl=64, id=1, flags="DF")

    def addr(k, server):
        if ipv6:
            return ("2001:db8:1::%x" % (k + 1), "2001:db8:2::%x" % server)
        return ("10.1.0.%d" % (k + 1), "192.0.2.%d" % server)

    for k in answered:
        c, s = addr(k, 0x10 if ipv6 else 10)
        cp, sp = 40000 + k, 80
        ci, si = 1000 + k * 1000, 500000 + k * 1000
        def c2s(flags, seq, ack=0, data=b""):
            return (True, raw(ip(c, s) / TCP(sport=cp, dport=sp, flags=flags, seq=seq, ack=ack, window=64240) / data))
        def s2c(flags, seq, ack=0, data=b""):
            return (False, raw(ip(s, c) / TCP(sport=sp, dport=cp, flags=flags, seq=seq, ack=ack, window=65160) / data))
        req, resp = len(REQUEST), len(RESPONSE)
        yield c2s("S", ci)
        yield s2c("SA", si, ci + 1)
        yield c2s("A", ci + 1, si + 1)
        yield c2s("PA", ci + 1, si + 1, REQUEST)
        yield s2c("PA", si + 1, ci + 1 + req, RESPONSE)
        yield c2s("A", ci + 1 + req, si + 1 + resp)
        yield c2s("FA", ci + 1 + req, si + 1 + resp)
        yield s2c("FA", si + 1 + resp, ci + 2 + req)
        yield c2s("A", ci + 2 + req, si + 2 + resp)
    for k in refused:
        c, s = addr(k, 0x20 if ipv6 else 20)
        cp, sp = 50000 + k, 8080
        ci = 7000 + k * 1000
        yield (True, raw(ip(c, s) / TCP(sport=cp, dport=sp, flags="S", seq=ci, window=64240)))
        yield (False, raw(ip(s, c) / TCP(sport=sp, dport=cp, flags="RA", seq=0, ack=ci + 1, window=0)))


def is_v6(packet):
    return packet[0] >> 4 == 6


# ---------------------------------------------------------------------------------------------
# Wrappers: (c2s, inner IP bytes) -> frame bytes

def outer_eth(c2s, ethertype=None):
    src, dst = (OUTER_CLIENT_MAC, OUTER_SERVER_MAC) if c2s else (OUTER_SERVER_MAC, OUTER_CLIENT_MAC)
    return Ether(src=src, dst=dst) if ethertype is None else Ether(src=src, dst=dst, type=ethertype)


def inner_eth(c2s, inner):
    src, dst = (CLIENT_MAC, SERVER_MAC) if c2s else (SERVER_MAC, CLIENT_MAC)
    return raw(Ether(src=src, dst=dst, type=0x86DD if is_v6(inner) else 0x0800)) + inner


def outer_ip4(c2s, proto):
    src, dst = OUTER4 if c2s else OUTER4[::-1]
    return outer_eth(c2s) / IP(src=src, dst=dst, ttl=63, id=7, proto=proto)


def udp_tunnel(c2s, dport, payload, sport=None):
    src, dst = OUTER4 if c2s else OUTER4[::-1]
    sport = sport if sport is not None else (49152 if c2s else 49153)
    return raw(outer_eth(c2s) / IP(src=src, dst=dst, ttl=63, id=7) / UDP(sport=sport, dport=dport, chksum=0) / Raw(payload))


def vxlan_header(vni, flags=0x08):
    return struct.pack("!B3xI", flags, vni << 8)


def gre_header(proto, key=None, seq=None, flags_extra=0):
    flags = flags_extra
    tail = b""
    if key is not None:
        flags |= 0x2000
        tail += struct.pack("!I", key)
    if seq is not None:
        flags |= 0x1000
        tail += struct.pack("!I", seq)
    return struct.pack("!HH", flags, proto) + tail


def erspan2_header(session, vlan=0):
    # version 1 (type II), VLAN; COS/En/T = 0, session id; reserved, index 0
    return struct.pack("!HHI", (1 << 12) | vlan, session & 0x3FF, 0)


def erspan3_header(session, frame_type=0, o_bit=False):
    # version 2 (type III), VLAN 0; COS/BSO/T, session; timestamp; SGT; P/FT/HW/D/Gra/O
    word = (frame_type & 0x1F) << 10 | (1 if o_bit else 0)
    return struct.pack("!HHIHH", 2 << 12, session & 0x3FF, 0x01020304, 0, word)


def geneve_header(vni, proto=0x6558, options=b"", version=0):
    assert len(options) % 4 == 0
    return struct.pack("!BBHI", (version << 6) | (len(options) // 4), 0, proto, vni << 8) + options


GENEVE_OPTION = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\x00\x00\x00\x2a"  # class, type, length 1 word


def gtpu_g_pdu(teid, inner, extension=True):
    """GTP-U G-PDU; with one PDU-session container extension header (type 0x85)."""
    if extension:
        ext = bytes([1, 0x10, 0x09, 0])  # length 1 (4 bytes), PDU type 1 (UL), QFI 9, no next header
        body = struct.pack("!HBB", 0, 0, 0x85) + ext + inner
        flags = 0x34  # version 1, PT 1, E
    else:
        body = inner
        flags = 0x30
    return struct.pack("!BBHI", flags, 0xFF, len(body), teid) + body


def mpls_labels(labels):
    out = b""
    for i, label in enumerate(labels):
        bottom = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", (label << 12) | (bottom << 8) | 64)
    return out


def wifi_frame(c2s, inner):
    # QoS data; client->server goes to the DS (addr1 = BSSID), server->client comes from it.
    ap = "02:00:00:00:02:00"
    if c2s:
        dot11 = Dot11(type=2, subtype=8, FCfield=1, addr1=ap, addr2=CLIENT_MAC, addr3=SERVER_MAC, SC=0)
    else:
        dot11 = Dot11(type=2, subtype=8, FCfield=2, addr1=CLIENT_MAC, addr2=ap, addr3=SERVER_MAC, SC=0)
    llc = LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=0x86DD if is_v6(inner) else 0x0800)
    return raw(dot11 / Dot11QoS(TID=0) / llc) + inner


def radiotap_header():
    # version 0, length 14, present = Flags | Rate | Channel; flags 0 (no FCS), 1 Mb/s, 2412 MHz 2.4 GHz CCK
    return struct.pack("<BBHI", 0, 0, 14, 0x0000000E) + struct.pack("<BBHH", 0, 2, 2412, 0x00A0)


def ip_tunnel(c2s, proto, payload):
    return raw(outer_ip4(c2s, proto) / Raw(payload))


WRAPPERS = {
    "vxlan": lambda c2s, inner: udp_tunnel(c2s, 4789, vxlan_header(100) + inner_eth(c2s, inner)),
    "geneve": lambda c2s, inner: udp_tunnel(c2s, 6081, geneve_header(300, options=GENEVE_OPTION) + inner_eth(c2s, inner)),
    "gre": lambda c2s, inner: ip_tunnel(c2s, 47, gre_header(0x0800, key=7) + inner),
    "gre-eth": lambda c2s, inner: ip_tunnel(c2s, 47, gre_header(0x6558, key=8) + inner_eth(c2s, inner)),
    "erspan1": lambda c2s, inner: ip_tunnel(c2s, 47, gre_header(0x88BE) + inner_eth(c2s, inner)),
    "erspan2": lambda c2s, inner: ip_tunnel(c2s, 47, gre_header(0x88BE, seq=1) + erspan2_header(33) + inner_eth(c2s, inner)),
    "erspan3": lambda c2s, inner: ip_tunnel(c2s, 47, gre_header(0x22EB, seq=1) + erspan3_header(44) + inner_eth(c2s, inner)),
    "mpls": lambda c2s, inner: raw(outer_eth(c2s, 0x8847)) + mpls_labels([16, 17]) + inner,
    "mpls-pw-cw": lambda c2s, inner: raw(outer_eth(c2s, 0x8847)) + mpls_labels([18, 100]) + b"\x00\x00\x00\x00" + inner_eth(c2s, inner),
    "mpls-pw": lambda c2s, inner: raw(outer_eth(c2s, 0x8847)) + mpls_labels([101]) + inner_eth(c2s, inner),
    "pppoe": lambda c2s, inner: raw(outer_eth(c2s) / PPPoE(sessionid=0x1234) / PPP(proto=0x0057 if is_v6(inner) else 0x0021) / Raw(inner)),
    "ipip": lambda c2s, inner: ip_tunnel(c2s, 4, inner),
    "6in4": lambda c2s, inner: ip_tunnel(c2s, 41, inner),
    "6in6": lambda c2s, inner: raw(outer_eth(c2s) / IPv6(src=OUTER6[0 if c2s else 1], dst=OUTER6[1 if c2s else 0], hlim=63, nh=41) / Raw(inner)),
    "gtpu": lambda c2s, inner: udp_tunnel(c2s, 2152, gtpu_g_pdu(0x1001 if c2s else 0x2002, inner), sport=2152),
    "vlan3": lambda c2s, inner: raw(outer_eth(c2s) / Dot1AD(vlan=100) / Dot1Q(vlan=200) / Dot1Q(vlan=300, type=0x0800)) + inner,
    "llc": lambda c2s, inner: raw(Dot3(src=OUTER_CLIENT_MAC if c2s else OUTER_SERVER_MAC, dst=OUTER_SERVER_MAC if c2s else OUTER_CLIENT_MAC, len=8 + len(inner)) / LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=0x0800)) + inner,
    "wifi": wifi_frame,
    "radiotap": lambda c2s, inner: radiotap_header() + wifi_frame(c2s, inner),
}
LINK_TYPES = {"wifi": 105, "radiotap": 127}
IPV6_INNER = {"6in4", "6in6"}


def write(path, frames, linktype=1):
    """Writes a little-endian microsecond pcap; packet i gets BASE_TIME + i milliseconds. A frame
    is bytes, or (bytes, original length) for one cut short by the capture."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, frame in enumerate(frames):
            frame, wire = frame if isinstance(frame, tuple) else (frame, len(frame))
            f.write(struct.pack("<IIII", BASE_TIME + i // 1000, (i % 1000) * 1000, len(frame), wire))
            f.write(frame)


# ---------------------------------------------------------------------------------------------
# Hostile: (description, frame). The order is what TunnelDecodingTests expects; append only.

def hostile():
    one_syn = next(story())[1]
    ip4 = lambda src, dst, proto, payload: raw(IP(src=src, dst=dst, ttl=63, id=7, proto=proto) / Raw(payload))
    out = []
    # 0-3: tunnel headers cut short (the UDP/IP lengths say so too: these are short packets)
    out.append(("vxlan header truncated", udp_tunnel(True, 4789, b"\x08\x00\x00")))
    out.append(("gre header truncated", ip_tunnel(True, 47, b"\x00\x00")))
    out.append(("geneve header truncated", udp_tunnel(True, 6081, b"\x00\x00\x65\x58\x00")))
    out.append(("gtp header truncated", udp_tunnel(True, 2152, b"\x30\xff\x00")))
    # 4: GRE says a key follows, but the capture (snap length) ends right after the 4-byte base header
    full = ip_tunnel(True, 47, gre_header(0x0800, key=9) + one_syn)
    out.append(("gre key flag at capture end", (full[: 14 + 20 + 4], len(full))))
    # 5: Geneve option length (63 words) past the end of the packet
    out.append(("geneve option length past packet", udp_tunnel(True, 6081, struct.pack("!BBHI", 63, 0, 0x6558, 5 << 8) + GENEVE_OPTION)))
    # 6: GTP-U extension header with length 0
    out.append(("gtp extension length 0", udp_tunnel(True, 2152, struct.pack("!BBHIHBB", 0x34, 0xFF, 8 + len(one_syn), 1, 0, 0, 0x85) + bytes([0, 0, 0, 0]) + one_syn, sport=2152)))
    # 7: GRE in GRE nested 12 deep; level k's IP header is 10.99.k.1 -> 10.99.k.2, then the SYN
    packet = one_syn
    for level in range(12, 0, -1):
        packet = ip4("10.99.%d.1" % level, "10.99.%d.2" % level, 47, gre_header(0x0800) + packet)
    out.append(("gre nested 12 deep", raw(outer_eth(True, 0x0800)) + ip4(OUTER4[0], OUTER4[1], 47, gre_header(0x0800) + packet)))
    # 8: GRE with an unknown protocol type
    out.append(("gre protocol 0x1234", ip_tunnel(True, 47, gre_header(0x1234) + one_syn)))
    # 9: ERSPAN III with frame type 5 (unknown)
    out.append(("erspan3 unknown frame type", ip_tunnel(True, 47, gre_header(0x22EB, seq=1) + erspan3_header(44, frame_type=5) + inner_eth(True, one_syn))))
    # 10: VXLAN without the I flag
    out.append(("vxlan I flag clear", udp_tunnel(True, 4789, vxlan_header(100, flags=0) + inner_eth(True, one_syn))))
    # 11: VXLAN whose inner Ethernet header is cut (10 of 14 bytes)
    out.append(("vxlan inner ethernet truncated", udp_tunnel(True, 4789, vxlan_header(100) + inner_eth(True, one_syn)[:10])))
    # 12: VXLAN whose inner IPv4 header is cut (12 of 20 bytes)
    out.append(("vxlan inner ipv4 truncated", udp_tunnel(True, 4789, vxlan_header(100) + inner_eth(True, one_syn)[: 14 + 12])))
    # 13: IP-in-IP whose inner packet is not IPv4 (version 5)
    out.append(("ipip inner bad version", ip_tunnel(True, 4, bytes([0x55]) + one_syn[1:])))
    # 14: GTP-U G-PDU carrying something that is not IP
    out.append(("gtp non-ip payload", udp_tunnel(True, 2152, gtpu_g_pdu(0x1001, b"\x00" * 20, extension=False), sport=2152)))
    # 15: Geneve version 1
    out.append(("geneve version 1", udp_tunnel(True, 6081, geneve_header(300, version=1) + inner_eth(True, one_syn))))
    # 16: ERSPAN II whose version field says type III
    out.append(("erspan2 wrong version", ip_tunnel(True, 47, gre_header(0x88BE, seq=1) + erspan3_header(33)[:8] + inner_eth(True, one_syn))))
    # 17: GRE version 1 (PPTP enhanced GRE): left undecoded, not an anomaly
    out.append(("gre version 1", ip_tunnel(True, 47, struct.pack("!HHHH", 0x3001, 0x880B, 0, 0) + struct.pack("!I", 1))))
    # 18: MPLS stack of 9 labels
    out.append(("mpls 9 labels", raw(outer_eth(True, 0x8847)) + mpls_labels(list(range(16, 25))) + one_syn))
    # 19: MPLS payload neither IP nor Ethernet
    out.append(("mpls unknown payload", raw(outer_eth(True, 0x8847)) + mpls_labels([16]) + b"\x00" * 40))
    # 20: GTP-U message length shorter than its optional fields
    out.append(("gtp length short of optional fields", udp_tunnel(True, 2152, struct.pack("!BBHIHBB", 0x34, 0xFF, 2, 1, 0, 0, 0x85) + bytes([1, 0x10, 9, 0]) + one_syn, sport=2152)))
    # 21: VXLAN in GRE in VXLAN (legitimately nested: three IP-level tunnels)
    vxlan_syn = vxlan_header(100) + inner_eth(True, one_syn)
    in_gre = ip4("10.50.0.1", "10.50.0.2", 17, raw(UDP(sport=49152, dport=4789, chksum=0) / Raw(vxlan_syn)))
    gre_pkt = ip4("10.60.0.1", "10.60.0.2", 47, gre_header(0x0800, key=5) + in_gre)
    out.append(("vxlan in gre in vxlan", udp_tunnel(True, 4789, vxlan_header(200) + raw(Ether(src=CLIENT_MAC, dst=SERVER_MAC, type=0x0800)) + gre_pkt)))
    # 22: ERSPAN III announcing an IP frame (type 2) with nothing after its header (found by the fuzzer)
    out.append(("erspan3 ip frame type, empty", ip_tunnel(True, 47, gre_header(0x22EB, seq=1) + erspan3_header(44, frame_type=2))))
    # 23: the same with the O bit: the 8-byte platform subheader runs past the packet
    out.append(("erspan3 o bit past packet", ip_tunnel(True, 47, gre_header(0x22EB, seq=1) + erspan3_header(44, frame_type=2, o_bit=True) + b"\x45\x00")))
    # 24: VXLAN whose UDP length is below 8 (non-fatal badUDPLength), inner IPv4 header cut: the
    #     fields go back to the outer packet, which keeps its own anomaly
    bad_udp = bytearray(udp_tunnel(True, 4789, vxlan_header(100) + inner_eth(True, one_syn)[: 14 + 12]))
    bad_udp[14 + 20 + 4: 14 + 20 + 6] = b"\x00\x04"
    out.append(("vxlan bad udp length, inner ipv4 truncated", bytes(bad_udp)))
    # 25: GTP-U with only the S flag: a non-zero next-extension byte must be ignored (no E flag)
    out.append(("gtp s flag only, stray next-extension byte", udp_tunnel(True, 2152, struct.pack("!BBHIHBB", 0x32, 0xFF, 4 + len(one_syn), 0x1001, 7, 0, 0x85) + one_syn, sport=2152)))
    return out


HOSTILE = [name for name, _ in hostile()]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: tunnel_captures.py OUTDIR\n")
        return 1
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name, wrap in WRAPPERS.items():
        frames = [wrap(c2s, inner) for c2s, inner in story(ipv6=name in IPV6_INNER)]
        write(os.path.join(outdir, name + ".pcap"), frames, LINK_TYPES.get(name, 1))
    tenants = []
    for c2s, inner in story(answered=range(5), refused=range(0)):
        for vni in (100, 200):
            tenants.append(udp_tunnel(c2s, 4789, vxlan_header(vni) + inner_eth(c2s, inner)))
    write(os.path.join(outdir, "tenants.pcap"), tenants)
    sessions = [ip_tunnel(c2s, 47, gre_header(0x88BE, seq=1) + erspan2_header(1 if c2s else 2) + inner_eth(c2s, inner))
                for c2s, inner in story()]
    write(os.path.join(outdir, "erspan-sessions.pcap"), sessions)
    write(os.path.join(outdir, "hostile.pcap"), [frame for _, frame in hostile()])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as error:
        sys.stderr.write("tunnel_captures.py: %s: %s\n" % (type(error).__name__, error))
        sys.exit(1)
