#!/usr/bin/env python3
"""A stand-in for an agent's query API (or for something that is not one), for the server's
drill-down tests. Standard library only; listens on 127.0.0.1 only.

    drilldown_target.py LOG_FILE MODE

Prints the ephemeral port as the first stdout line. Every request (or raw connection) is appended
to LOG_FILE as one JSON line: {"path": ..., "headers": {name-lowercased: value}} or {"raw": true}.
MODE:
  pcap        200 with an empty pcap (its global header only)
  pcap-raw    the same with link type 101 (raw IP)
  status:N    status N with a body holding SECRET-BANNER
  big:N       200 with N bytes
  hang:S      waits S seconds, then answers like pcap
  raw         not HTTP: writes "SSH-2.0-SECRET-BANNER" and closes
  tls:CERT:KEY:CA   like pcap over HTTPS, requiring a client certificate signed by CA (the
                    client's subject CN is logged as "client_cn")
"""
import json, signal, socket, socketserver, ssl, struct, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log_path, mode = sys.argv[1], sys.argv[2]
# The test process may start us with signals blocked: SIGTERM must end us.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
signal.signal(signal.SIGTERM, signal.SIG_DFL)
lock = threading.Lock()

def log(entry):
    with lock, open(log_path, "a") as f:
        f.write(json.dumps(entry) + "\n")

PCAP = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        entry = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
        if isinstance(self.connection, ssl.SSLSocket):
            subject = dict(x[0] for x in self.connection.getpeercert().get("subject", ()))
            entry["client_cn"] = subject.get("commonName")
        log(entry)
        if mode.startswith("status:"):
            return self.answer(int(mode[7:]), b'{"title":"x","detail":"SECRET-BANNER from the target"} SECRET-BANNER', "text/plain")
        if mode.startswith("big:"):
            return self.answer(200, b"\0" * int(mode[4:]), "application/vnd.tcpdump.pcap")
        if mode.startswith("hang:"):
            time.sleep(float(mode[5:]))
        if mode == "pcap-raw":
            return self.answer(200, struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101), "application/vnd.tcpdump.pcap")
        self.answer(200, PCAP, "application/vnd.tcpdump.pcap")

    def answer(self, status, payload, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

class Raw(socketserver.BaseRequestHandler):
    def handle(self):
        log({"raw": True})
        self.request.sendall(b"SSH-2.0-SECRET-BANNER\r\n")
        time.sleep(0.2)

if mode == "raw":
    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True
    server = Server(("127.0.0.1", 0), Raw)
else:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if mode.startswith("tls:"):
        _, cert, key, ca = mode.split(":")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.load_verify_locations(ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
