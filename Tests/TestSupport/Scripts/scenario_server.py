#!/usr/bin/env python3
"""A real HTTP server for the service-state scenario test (standard library only).

    scenario_server.py ADDRESS PORT DELAY_FILE

Answers every GET with 200 after sleeping the number of seconds written in DELAY_FILE (0 if absent).
"""
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

address, port, delay_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *args):
        pass
    def do_GET(self):
        try:
            delay = float(open(delay_file).read().strip() or 0)
        except (OSError, ValueError):
            delay = 0
        time.sleep(delay)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer((address, port), Handler).serve_forever()
