#!/usr/bin/env python3
"""Test HTTP receiver for the agent's HTTP sink (an independent implementation, standard library only).

    http_receiver.py OUT_FILE CONTROL_FILE TOKEN

Listens on 127.0.0.1 (an ephemeral port, printed as the first stdout line). Each POST:
  - answers 401 unless `Authorization: Bearer TOKEN`;
  - reads CONTROL_FILE's first word: `ok` (default) -> 200, a number -> that status,
    `hang` -> waits 60 s before answering 200;
  - on 200, gunzips the body if `Content-Encoding: gzip` and appends each NDJSON line to OUT_FILE
    as `IDEMPOTENCY_KEY<TAB>LINE`.
"""
import gzip, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out_path, control_path, token = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Authorization") != "Bearer " + token:
            return self.answer(401, b'{"error":"bad token"}')
        try:
            mode = open(control_path).read().split()[0]
        except (OSError, IndexError):
            mode = "ok"
        if mode == "hang":
            time.sleep(60)
        elif mode != "ok":
            return self.answer(int(mode), b'{"error":"as configured"}')
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        key = self.headers.get("Idempotency-Key", "")
        with lock, open(out_path, "a") as f:
            for line in body.decode().splitlines():
                f.write(key + "\t" + line + "\n")
        self.answer(200, b'{"accepted":true}')

    def answer(self, status, payload):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
