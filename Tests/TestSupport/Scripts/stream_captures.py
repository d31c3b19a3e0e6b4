#!/usr/bin/env python3
"""Writes the same application conversations as several pcaps whose TCP segments arrive in
different shapes (Scapy), to check that stream reassembly gives the same transactions.

    stream_captures.py OUTDIR

Conversations (10.0.0.1 is the client; segments carry at most MSS = 200 bytes, so headers, TLS
hellos and DNS messages span segments):
  * HTTP/1.1 keep-alive to 10.0.0.2:80: GET /a (700-byte header) -> 200 with a 1500-byte body;
    GET /b and HEAD /c pipelined in one write -> 200 chunked (extension, trailer) and 200 with
    Content-Length but no body (HEAD); POST /d with Expect: 100-continue -> 100, body, 201;
    GET /e -> 304; GET /f -> 404; PURGE /g (a method no list knows) -> 500;
    GET /h -> 200 without length, body to the close.
  * TLS to 10.0.0.3:443: a 1.7 kB ClientHello with SNI reassembled.example, ServerHello and a
    2 kB certificate record, ChangeCipherSpec, application data.
  * DNS over TCP to 10.0.0.4:53: two queries in one write (www.example.com A, broken.example A)
    answered NOERROR and SERVFAIL in one write.
Shapes (file names):
  inorder      every segment once, in order;
  reordered    the segments of every write in reverse order;
  duplicated   every segment followed by an exact copy;
  overlapping  every write sent, then sent again cut at other places (same bytes);
  conflicting  of every write of 3+ segments: the third segment, then a copy of it with other
               bytes (the first copy must win), then the others in order.
Timestamps are fixed (output byte-for-byte deterministic). Exits 2 when Scapy is missing.
"""
import logging
import struct
import sys

logging.getLogger("scapy").setLevel(logging.ERROR)
try:
    from scapy.all import IP, TCP, Ether, DNS, DNSQR, DNSRR, raw, wrpcap
except Exception as error:
    sys.stderr.write("stream_captures.py: scapy is not importable (%s)\n" % error)
    sys.exit(2)

MSS = 200
CLIENT = "10.0.0.1"
CLIENT_MAC, SERVER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


def http_conversation():
    """(direction, bytes) writes: 'c' client -> server, 's' server -> client."""
    cookie = "Cookie: " + "k=" + "v" * 660 + "\r\n"
    body_a = b"A" * 1500
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"10;ext=1\r\n" + b"B" * 16 + b"\r\n" + b"1f4\r\n" + b"C" * 500 + b"\r\n"
               b"0\r\nX-Trailer: t\r\n\r\n")
    return [
        ("c", ("GET /a HTTP/1.1\r\nHost: web.example\r\n" + cookie + "\r\n").encode()),
        ("s", b"HTTP/1.1 200 OK\r\nContent-Length: 1500\r\n\r\n" + body_a),
        ("c", b"GET /b HTTP/1.1\r\nHost: web.example\r\n\r\nHEAD /c HTTP/1.1\r\nHost: web.example\r\n\r\n"),
        ("s", chunked + b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"),
        ("c", b"POST /d HTTP/1.1\r\nHost: web.example\r\nExpect: 100-continue\r\nContent-Length: 300\r\n\r\n"),
        ("s", b"HTTP/1.1 100 Continue\r\n\r\n"),
        ("c", b"D" * 300),
        ("s", b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
        ("c", b"GET /e HTTP/1.1\r\nHost: web.example\r\n\r\n"),
        ("s", b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"),
        ("c", b"GET /f HTTP/1.1\r\nHost: web.example\r\n\r\n"),
        ("s", b"HTTP/1.1 404 Not Found\r\nContent-Length: 20\r\n\r\n" + b"N" * 20),
        ("c", b"PURGE /g HTTP/1.1\r\nHost: web.example\r\n\r\n"),
        ("s", b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"),
        ("c", b"GET /h HTTP/1.1\r\nHost: web.example\r\nConnection: close\r\n\r\n"),
        ("s", b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"H" * 900),
    ]


def tls_record(content_type, body):
    return struct.pack("!BHH", content_type, 0x0303, len(body)) + body


def handshake(kind, body):
    return struct.pack("!B", kind) + struct.pack("!I", len(body))[1:] + body


def tls_conversation():
    name = b"reassembled.example"
    sni = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    extensions = struct.pack("!HH", 0, len(sni)) + sni + struct.pack("!HH", 0x0015, 1500) + b"\x00" * 1500
    hello = (struct.pack("!H", 0x0303) + b"\x11" * 32 + b"\x00" + struct.pack("!HHH", 4, 0x1301, 0xC02F)
             + b"\x01\x00" + struct.pack("!H", len(extensions)) + extensions)
    server_hello = struct.pack("!H", 0x0303) + b"\x22" * 32 + b"\x00" + struct.pack("!H", 0xC02F) + b"\x00"
    certificate = handshake(11, b"\x00" * 2000)
    return [
        ("c", tls_record(22, handshake(1, hello))),
        ("s", tls_record(22, handshake(2, server_hello)) + tls_record(22, certificate)),
        ("c", tls_record(20, b"\x01") + tls_record(22, b"\x5a" * 40)),
        ("s", tls_record(20, b"\x01") + tls_record(22, b"\x5b" * 40)),
        ("c", tls_record(23, b"\x77" * 300)),
    ]


def dns_tcp(message):
    data = raw(message)
    return struct.pack("!H", len(data)) + data


def dns_conversation():
    q1 = DNS(id=0x1111, rd=1, qd=DNSQR(qname="www.example.com", qtype="A"))
    q2 = DNS(id=0x2222, rd=1, qd=DNSQR(qname="broken.example", qtype="A"))
    r1 = DNS(id=0x1111, qr=1, rd=1, ra=1, qd=DNSQR(qname="www.example.com", qtype="A"),
             an=DNSRR(rrname="www.example.com", type="A", ttl=60, rdata="192.0.2.80"))
    r2 = DNS(id=0x2222, qr=1, rd=1, ra=1, rcode=2, qd=DNSQR(qname="broken.example", qtype="A"))
    return [("c", dns_tcp(q1) + dns_tcp(q2)), ("s", dns_tcp(r1) + dns_tcp(r2))]


CONVERSATIONS = [
    (40001, "10.0.0.2", 80, http_conversation()),
    (40002, "10.0.0.3", 443, tls_conversation()),
    (40003, "10.0.0.4", 53, dns_conversation()),
]


def segment(data, start, cut=MSS, first=MSS):
    """(seq, bytes) pieces of `data` starting at sequence `start`: the first piece `first` bytes."""
    pieces, offset, size = [], 0, first
    while offset < len(data):
        pieces.append((start + offset, data[offset:offset + size]))
        offset += size
        size = cut
    return pieces


def shaped(pieces, shape):
    """The order (and copies) in which a write's segments go on the wire."""
    if shape == "reordered":
        return list(reversed(pieces))
    if shape == "duplicated":
        return [p for piece in pieces for p in (piece, piece)]
    if shape == "conflicting" and len(pieces) >= 3:
        seq, data = pieces[2]
        other = bytes((b ^ 0x55) for b in data)
        return [pieces[2], (seq, other)] + pieces[:2] + pieces[3:]
    return list(pieces)


def conversation_packets(client_port, server, server_port, writes, shape):
    """Ethernet frames (without times) of one connection: handshake, the writes, FIN both ways."""
    isn = {"c": 1000 + client_port, "s": 900000 + client_port}
    nxt = {"c": isn["c"] + 1, "s": isn["s"] + 1}
    frames = []

    def frame(side, flags, seq, ack, payload=b""):
        src, dst = (CLIENT, server) if side == "c" else (server, CLIENT)
        sport, dport = (client_port, server_port) if side == "c" else (server_port, client_port)
        smac, dmac = (CLIENT_MAC, SERVER_MAC) if side == "c" else (SERVER_MAC, CLIENT_MAC)
        return (Ether(src=smac, dst=dmac) / IP(src=src, dst=dst) /
                TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=65535) / payload)

    frames.append(frame("c", "S", isn["c"], 0))
    frames.append(frame("s", "SA", isn["s"], nxt["c"]))
    frames.append(frame("c", "A", nxt["c"], nxt["s"]))
    for side, data in writes:
        peer = "s" if side == "c" else "c"
        pieces = segment(data, nxt[side])
        wire = shaped(pieces, shape)
        if shape == "overlapping":
            wire += segment(data, nxt[side], first=MSS // 2)
        for seq, payload in wire:
            frames.append(frame(side, "PA", seq, nxt[peer], payload))
        nxt[side] += len(data)
        frames.append(frame(peer, "A", nxt[peer], nxt[side]))
    frames.append(frame("s", "FA", nxt["s"], nxt["c"]))
    frames.append(frame("c", "FA", nxt["c"], nxt["s"] + 1))
    frames.append(frame("s", "A", nxt["s"] + 1, nxt["c"] + 1))
    return frames


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: stream_captures.py OUTDIR\n")
        sys.exit(1)
    for shape in ["inorder", "reordered", "duplicated", "overlapping", "conflicting"]:
        frames = []
        for client_port, server, server_port, writes in CONVERSATIONS:
            frames += conversation_packets(client_port, server, server_port, writes, shape)
        for i, f in enumerate(frames):
            f.time = 1_700_000_000 + i * 0.001
        wrpcap("%s/%s.pcap" % (sys.argv[1], shape), frames)


if __name__ == "__main__":
    main()
