#!/usr/bin/env python3
"""Test receiver of the server's notifications (standard library only).

    notify_receiver.py webhook PORT OUT_FILE CONTROL_FILE TOKEN
    notify_receiver.py syslog-udp PORT OUT_FILE
    notify_receiver.py syslog-tcp PORT OUT_FILE

webhook: an Alertmanager-style webhook receiver on 127.0.0.1:PORT. Each POST:
  - 401 unless `Authorization: Bearer TOKEN`;
  - CONTROL_FILE's first word: `ok` (default) -> 200; a number -> that status, nothing recorded;
    `slow` -> sleeps 3 s, records the alerts, then answers 200 (too late for the sender's timeout:
    it will send again, with the same fingerprint);
  - on record, appends one JSON line per alert to OUT_FILE:
    {"status", "fingerprint", "alertname", "node", "version", "receiver", "groupKey"}.
syslog-udp: receives RFC 5424 datagrams on 127.0.0.1:PORT, parses each and appends it as JSON
  {"pri", "version", "timestamp", "hostname", "app", "procid", "msgid", "sd_id", "params", "msg"}
  (or {"unparsed": TEXT}).
syslog-tcp: the same over TCP, each message framed by octet counting (RFC 6587: `LEN SP MSG`);
  a frame that is not so framed is recorded as {"badframe": TEXT}.
Prints "ready" once listening.
"""
import json, re, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()

def append(path, obj):
    with lock, open(path, "a") as f:
        f.write(json.dumps(obj, sort_keys=True) + "\n")

def webhook(port, out_path, control_path, token):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Authorization") != "Bearer " + token:
                return self.answer(401)
            try:
                mode = open(control_path).read().split()[0]
            except (OSError, IndexError):
                mode = "ok"
            if mode not in ("ok", "slow"):
                return self.answer(int(mode))
            if mode == "slow":
                time.sleep(3)
            doc = json.loads(body)
            for a in doc["alerts"]:
                append(out_path, {"status": a["status"], "fingerprint": a["fingerprint"], "alertname": a["labels"]["alertname"],
                                  "node": a["labels"]["node"], "version": doc["version"], "receiver": doc["receiver"],
                                  "groupKey": doc["groupKey"], "doc_status": doc["status"]})
            self.answer(200)

        def answer(self, status):
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up (timeout): what it sees does not matter

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()

# RFC 5424: <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]
LINE = re.compile(r'^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[(\S+)((?: [^=\s]+="(?:[^"\\\]]|\\.)*")*)\])(?: (.*))?$', re.S)
PARAM = re.compile(r' ([^=\s]+)="((?:[^"\\\]]|\\.)*)"')

def record(out_path, text):
    m = LINE.match(text)
    if not m:
        append(out_path, {"unparsed": text})
        return
    params = {k: re.sub(r'\\(.)', r'\1', v) for k, v in PARAM.findall(m.group(10) or "")}
    append(out_path, {"pri": int(m.group(1)), "version": int(m.group(2)), "timestamp": m.group(3), "hostname": m.group(4),
                      "app": m.group(5), "procid": m.group(6), "msgid": m.group(7), "sd_id": m.group(9), "params": params,
                      "msg": m.group(11)})

def syslog_udp(port, out_path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    print("ready", flush=True)
    while True:
        data, _ = s.recvfrom(65535)
        record(out_path, data.decode("utf-8", "replace"))

def syslog_tcp(port, out_path):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        conn.close()
        while data:
            space = data.find(b" ")
            if space <= 0 or not data[:space].isdigit():
                append(out_path, {"badframe": data.decode("utf-8", "replace")})
                break
            n = int(data[:space])
            frame, data = data[space + 1:space + 1 + n], data[space + 1 + n:]
            if len(frame) != n:
                append(out_path, {"badframe": frame.decode("utf-8", "replace")})
                break
            record(out_path, frame.decode("utf-8"))

if __name__ == "__main__":
    if sys.argv[1] == "webhook":
        webhook(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "syslog-tcp":
        syslog_tcp(int(sys.argv[2]), sys.argv[3])
    else:
        syslog_udp(int(sys.argv[2]), sys.argv[3])
