#!/usr/bin/env python3
"""Writes a hostile capture for the live overload test (Scapy):

    flood_captures.py OUTDIR

synflood.pcap: 20,000 TCP SYNs from random sources (10.0.0.0/8, random ports) to 192.0.2.10:443,
each a flow of its own, with 50 normal TCP sessions to 192.0.2.20:8080 interleaved (one every 400
SYNs: handshake, a 100-byte request, a 300-byte reply, FIN both ways, 10 packets each, kept
together), and 200 IPv4 fragments that never complete (first fragments of 3-fragment datagrams).
Seeded: the file is the same on every run. Exits 2 when Scapy is missing.
"""
import logging
import random
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
try:
    from scapy.all import IP, TCP, Ether, Raw, wrpcap
except ImportError:
    sys.exit(2)

MAC_A, MAC_B = "02:00:00:00:00:01", "02:00:00:00:00:02"


def session(n):
    c, s = "172.16.0.%d" % (1 + n), "192.0.2.20"
    cp = 20000 + n
    isn_c, isn_s = 1000 * n + 1, 5000 * n + 1
    req, rep = b"q" * 100, b"r" * 300
    out = [
        IP(src=c, dst=s) / TCP(sport=cp, dport=8080, flags="S", seq=isn_c),
        IP(src=s, dst=c) / TCP(sport=8080, dport=cp, flags="SA", seq=isn_s, ack=isn_c + 1),
        IP(src=c, dst=s) / TCP(sport=cp, dport=8080, flags="A", seq=isn_c + 1, ack=isn_s + 1),
        IP(src=c, dst=s) / TCP(sport=cp, dport=8080, flags="PA", seq=isn_c + 1, ack=isn_s + 1) / Raw(req),
        IP(src=s, dst=c) / TCP(sport=8080, dport=cp, flags="A", seq=isn_s + 1, ack=isn_c + 101),
        IP(src=s, dst=c) / TCP(sport=8080, dport=cp, flags="PA", seq=isn_s + 1, ack=isn_c + 101) / Raw(rep),
        IP(src=c, dst=s) / TCP(sport=cp, dport=8080, flags="FA", seq=isn_c + 101, ack=isn_s + 301),
        IP(src=s, dst=c) / TCP(sport=8080, dport=cp, flags="FA", seq=isn_s + 301, ack=isn_c + 102),
        IP(src=c, dst=s) / TCP(sport=cp, dport=8080, flags="A", seq=isn_c + 102, ack=isn_s + 302),
        IP(src=s, dst=c) / TCP(sport=8080, dport=cp, flags="A", seq=isn_s + 302, ack=isn_c + 102),
    ]
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: flood_captures.py OUTDIR")
    rnd = random.Random(18)
    packets = []
    sessions = 0
    for i in range(20000):
        src = "10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255))
        packets.append(IP(src=src, dst="192.0.2.10") / TCP(sport=rnd.randrange(1024, 65536), dport=443, flags="S",
                                                          seq=rnd.randrange(1 << 32)))
        if i % 400 == 399:
            packets.extend(session(sessions))
            sessions += 1
        if i % 100 == 50:
            frag = IP(src="198.51.100.%d" % (1 + i % 200), dst="192.0.2.30", id=i, flags="MF", proto=17) / Raw(b"f" * 64)
            packets.append(frag)
    t = 1_700_000_000.0
    frames = []
    for k, p in enumerate(packets):
        f = Ether(src=MAC_A, dst=MAC_B) / p
        f.time = t + k * 0.00005
        frames.append(f)
    wrpcap(sys.argv[1] + "/synflood.pcap", frames)


if __name__ == "__main__":
    main()
