#!/usr/bin/env python3
"""Holds many idle and slowloris connections open against a loopback listener, for a bounded time.

    slow_clients.py PORT IDLE SLOW SECONDS [--tls]

IDLE connections connect and send nothing; SLOW ones send a request head one header line every
second and never finish it. A connection the server closes is opened again, at most 100 a second
(the pressure stays on without turning into a connect flood) and at most 4 x (IDLE + SLOW) connects
in all. Prints one JSON line of counts at the end. Only ever connects to 127.0.0.1.
"""
import json, selectors, socket, ssl, sys, time

port, idle, slow, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
use_tls = "--tls" in sys.argv
ctx = None
if use_tls:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
budget = 4 * (idle + slow)
sel = selectors.DefaultSelector()
stats = {"connects": 0, "connect_errors": 0, "closed_by_server": 0, "open_at_end": 0}
conns = {}
pending = []  # kinds of connections closed by the server, to open again at the paced rate
RECONNECTS_PER_SECOND = 100


def open_one(kind):
    global budget
    if budget <= 0:
        return
    budget -= 1
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect_ex(("127.0.0.1", port))
    except OSError:
        stats["connect_errors"] += 1
        s.close()
        return
    stats["connects"] += 1
    conns[s.fileno()] = {"sock": s, "kind": kind, "sent": 0, "tls": None}
    sel.register(s, selectors.EVENT_READ)


for _ in range(idle):
    open_one("idle")
for _ in range(slow):
    open_one("slow")

end = time.monotonic() + seconds
next_tick = time.monotonic()
while time.monotonic() < end:
    for key, _ in sel.select(timeout=0.2):
        c = conns.get(key.fd)
        if c is None:
            continue
        try:
            data = c["sock"].recv(4096)
        except (BlockingIOError, ssl.SSLWantReadError):
            continue
        except OSError:
            data = b""
        if not data:
            sel.unregister(c["sock"])
            c["sock"].close()
            del conns[key.fd]
            stats["closed_by_server"] += 1
            pending.append(c["kind"])
    if time.monotonic() >= next_tick:
        next_tick += 1.0
        for kind in pending[:RECONNECTS_PER_SECOND]:
            open_one(kind)
        del pending[:RECONNECTS_PER_SECOND]
        for fd, c in list(conns.items()):
            if c["kind"] != "slow":
                continue
            line = b"GET /healthz HTTP/1.1\r\n" if c["sent"] == 0 else b"X-Slow-%d: a\r\n" % c["sent"]
            if use_tls:
                continue  # a TLS slowloris is a handshake that never completes: send nothing
            try:
                c["sock"].send(line)
                c["sent"] += 1
            except OSError:
                pass

stats["open_at_end"] = len(conns)
for c in conns.values():
    c["sock"].close()
print(json.dumps(stats))
