#!/usr/bin/env python3
"""HTTP ingest benchmark of vigie-server (issue 6): an inventory of ENDPOINTS endpoints under
SERVICES services (and 10 applications), then gzip NDJSON batches of service_state records shaped
like the agent's, POSTed by CONCURRENCY clients. Reports records/s and the per-batch latency
(the server applies and propagates a batch before answering, so a batch's round trip bounds the
time from a record's arrival to the changed weather).

    server-ingest.py URL DATA_DIR [ENDPOINTS] [SERVICES] [RECORDS] [BATCH] [CONCURRENCY]

With an https:// URL, VIGIE_BENCH_CA names the CA file that verifies the server; with
VIGIE_BENCH_TOKENS=FILE, each client agentK sends the token of the line `agent agentK TOKEN` of FILE
(the server's token file). EDGE_SHARE=F (0...1, default 0) makes that share of the records `edge`
windows (60 s, counters and two latency histograms, a client among 1,000; the run's batches cover
one hour of intervals in order, as agents send them) instead of
`service_state`: the records the server's metric history is fed from (docs/history.md).
"""
import gzip, json, os, random, ssl, sys, threading, time, urllib.request

url, out = sys.argv[1], sys.argv[2]
endpoints = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
services = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000
records = int(sys.argv[5]) if len(sys.argv) > 5 else 500_000
batch = int(sys.argv[6]) if len(sys.argv) > 6 else 5_000
concurrency = int(sys.argv[7]) if len(sys.argv) > 7 else 4

def endpoint(i): return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}:443/tcp"

if sys.argv[-1] == "--inventory-only" or "--inventory" in sys.argv:
    pass

lines = ["nodes:"]
lines += [f'  - {{id: "{endpoint(i)}", kind: endpoint}}' for i in range(endpoints)]
lines += [f"  - {{id: svc{j}, kind: service, reduce: best}}" for j in range(services)]
lines += [f"  - {{id: app{k}, kind: application}}" for k in range(10)]
lines += ["edges:"]
lines += [f'  - {{child: "{endpoint(i)}", parent: svc{i % services}}}' for i in range(endpoints)]
lines += [f"  - {{child: svc{j}, parent: app{j % 10}}}" for j in range(services)]
open(out + "/inventory.yaml", "w").write("\n".join(lines) + "\n")
if "--inventory-only" in sys.argv:
    sys.exit(0)

states = ["UP", "UP", "UP", "DEGRADED", "REFUSED", "UNREACHABLE"]
def record(seq, agent, i, state):
    return json.dumps({"schema_version": 1, "kind": "service_state", "agent_id": agent, "epoch": 1, "seq": seq,
        "ts": "2026-11-23T08:00:00.000000000Z", "agent_ts": "2026-11-23T08:00:00.000000000Z",
        "service": endpoint(i), "resp_h": endpoint(i).split(":")[0], "resp_p": 443, "transport": "tcp",
        "state": state, "previous_state": "UP", "reason": "transition",
        "window_start": "2026-11-23T07:59:50.000000000Z", "window_end": "2026-11-23T08:00:00.000000000Z",
        "since": "2026-11-23T08:00:00.000000000Z", "attempts": 5, "established": 5, "answered": 0, "refused": 0,
        "unanswered": 0, "resets": 0, "transactions": 5, "transaction_errors": 0, "error_rate": 0},
        separators=(",", ":"))

edge_share = float(os.environ.get("EDGE_SHARE", "0"))
def edge(seq, agent, i, rng, minute):
    start = f"2026-11-23T07:{minute:02d}:00.000000000Z"
    end = f"2026-11-23T07:{minute:02d}:59.999999999Z"
    return json.dumps({"schema_version": 1, "kind": "edge", "agent_id": agent, "epoch": 1, "seq": seq,
        "ts": end, "agent_ts": end, "orig_h": f"10.200.{rng.randrange(4)}.{rng.randrange(250)}", "service": endpoint(i),
        "resp_h": endpoint(i).split(":")[0], "resp_p": 443, "transport": "tcp", "app": "tls",
        "interval_start": start, "interval_end": end, "attempts": 12, "established": 11, "refused": 1, "unanswered": 0,
        "resets": 0, "transactions": 30, "transaction_errors": 1, "bytes_to_server": 40000, "bytes_to_client": 900000,
        "retransmissions": 2,
        "rtt": {"layout": "log2x4-us", "count": 11, "sum_us": 5500, "min_us": 300, "max_us": 900, "buckets": [[33, 3], [34, 4], [37, 4]]},
        "response_time": {"layout": "log2x4-us", "count": 30, "sum_us": 600000, "min_us": 4000, "max_us": 90000,
                          "buckets": [[48, 10], [52, 10], [57, 6], [65, 4]]}}, separators=(",", ":"))

# Pre-build every batch (gzip) so the clients only send.
rng = random.Random(7)
bodies = []
per_agent = {}
for b in range(records // batch):
    agent = f"agent{b % concurrency}"
    start = per_agent.get(agent, 0)
    # As agents send them: the edges of one interval together, intervals in order over the run.
    minute = b * 60 // max(1, records // batch)
    text = "\n".join(edge(start + n + 1, agent, rng.randrange(endpoints), rng, minute) if rng.random() < edge_share
                     else record(start + n + 1, agent, rng.randrange(endpoints), rng.choice(states)) for n in range(batch)) + "\n"
    per_agent[agent] = start + batch
    bodies.append((agent, gzip.compress(text.encode(), 1)))

tokens = {}
if os.environ.get("VIGIE_BENCH_TOKENS"):
    for line in open(os.environ["VIGIE_BENCH_TOKENS"]):
        f = line.split()
        if len(f) == 3 and f[0] == "agent": tokens[f[1]] = f[2]
context = ssl.create_default_context(cafile=os.environ["VIGIE_BENCH_CA"]) if url.startswith("https:") else None

latencies, lock, errors = [], threading.Lock(), []
def client(k):
    for agent, body in bodies[k::concurrency]:
        headers = {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
        if agent in tokens: headers["Authorization"] = "Bearer " + tokens[agent]
        req = urllib.request.Request(url, data=body, method="POST", headers=headers)
        t0 = time.perf_counter()
        try:
            urllib.request.urlopen(req, timeout=120, context=context).read()
        except Exception as e:
            with lock: errors.append(str(e))
        with lock: latencies.append(time.perf_counter() - t0)

t0 = time.perf_counter()
threads = [threading.Thread(target=client, args=(k,)) for k in range(concurrency)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.perf_counter() - t0
latencies.sort()
p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
sent = len(bodies) * batch
print(f"inventory: {endpoints} endpoints, {services} services, 10 applications; {sent} records in {len(bodies)} batches of {batch}, {concurrency} clients")
print(f"throughput: {sent / elapsed:,.0f} records/s ({elapsed:.2f} s); errors: {len(errors)} {errors[:2]}")
print(f"batch round trip (arrival -> applied and propagated): p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {latencies[-1]*1000:.0f} ms")
