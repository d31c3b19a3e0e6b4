#!/usr/bin/env python3
"""Live TCP traffic for the chaos soak (stdlib only).

  traffic.py server --http IP:PORT... --toggle IP:PORT... --seed N
      HTTP services (always up) and toggled ones (listening, then closed so SYNs are refused,
      on a schedule drawn from the seed).
  traffic.py client --target IP:PORT... --rate R --stop-file F
      R connections per second per target, each one GET (1 in 5 a 404 path: a transaction error),
      until F exists. Refused / timed-out connections are expected and ignored.

Only addresses of the soak's network namespaces are ever targets.
"""
import argparse
import http.client
import http.server
import os
import random
import socketserver
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/missing"):
            body = b"not here\n"
            self.send_response(404)
        else:
            body = b"ok " + self.path.encode()[:64] + b"\n"
            self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def split(addr):
    host, port = addr.rsplit(":", 1)
    return host, int(port)


def serve_forever(addr):
    Server(split(addr), Handler).serve_forever(poll_interval=0.2)


def toggle(addr, rng, log):
    while True:
        srv = Server(split(addr), Handler)
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        t.start()
        up = rng.uniform(8, 20)
        print(f"{time.time():.3f} {addr} up {up:.1f}s", file=log, flush=True)
        time.sleep(up)
        srv.shutdown()
        srv.server_close()
        down = rng.uniform(5, 12)
        print(f"{time.time():.3f} {addr} down {down:.1f}s", file=log, flush=True)
        time.sleep(down)


def client(target, rate, stop_file, rng):
    host, port = split(target)
    n = 0
    interval = 1.0 / rate
    while not os.path.exists(stop_file):
        n += 1
        path = "/missing/%d" % n if rng.random() < 0.2 else "/item/%d" % n
        try:
            c = http.client.HTTPConnection(host, port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            c.close()
        except OSError:
            pass
        time.sleep(interval * rng.uniform(0.5, 1.5))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["server", "client"])
    p.add_argument("--http", nargs="*", default=[])
    p.add_argument("--toggle", nargs="*", default=[])
    p.add_argument("--target", nargs="*", default=[])
    p.add_argument("--rate", type=float, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stop-file", default="/nonexistent")
    a = p.parse_args()
    threads = []
    if a.mode == "server":
        for addr in a.http:
            threads.append(threading.Thread(target=serve_forever, args=(addr,), daemon=True))
        for i, addr in enumerate(a.toggle):
            threads.append(threading.Thread(target=toggle, args=(addr, random.Random(a.seed * 1000 + i), sys.stdout), daemon=True))
    else:
        for i, t in enumerate(a.target):
            threads.append(threading.Thread(target=client, args=(t, a.rate, a.stop_file, random.Random(a.seed * 2000 + i)),
                                            daemon=True))
    for t in threads:
        t.start()
    if a.mode == "server":
        while True:
            time.sleep(3600)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
