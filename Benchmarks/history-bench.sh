#!/usr/bin/env bash
# Metric history (issue 21): one node's one-week chart and the weather page's data, each under
# 100 ms, with ENDPOINTS endpoints' history in the server's SQLite database.
#   Benchmarks/history-bench.sh [ENDPOINTS (10000)] [DAYS (7)] [TEN_SECOND_DAYS (2)]
# 1. `vigie-bench history-load` writes DAYS of 1 min / 15 min / 1 h rows for every endpoint, its
#    service (10 endpoints) and application (10 services), and TEN_SECOND_DAYS of 10 s rows (the
#    default retention is 2 days; the full run is tens of GB: TEN_SECOND_DAYS=0.25 keeps it near
#    25 GB); KEEP=1 reuses the data of an earlier run.
# 2. vigie-server starts on it; every endpoint gets an UP view (one DOWN per service).
# 3. Each request is timed RUNS times (default 20) over HTTP on loopback, and the same week's rows
#    are read with Python's sqlite3 from the same file: the floor any server on this database has.
# Not in CI (tens of GB); Tests/VigieServerTests/HistoryBenchSmokeTests.swift runs it small.
source "$(dirname "$0")/lib.sh"
ENDPOINTS=${1:-10000} DAYS=${2:-7} TEN=${3:-2}
[ "${VIGIE_BENCH_NOBUILD:-}" = 1 ] || { swift build -c release --product vigie-server >&2; swift build -c release --product vigie-bench >&2; }
PORT=${PORT:-18490}
DATA=$WORK/history-$ENDPOINTS-$DAYS-$TEN
END=${HISTORY_END:-1767225600}   # 2026-01-01T00:00:00Z: the history ends there
echo "machine: $(machine)"
if [ "${KEEP:-}" != 1 ] || [ ! -s "$DATA/data/vigie-server.sqlite" ]; then
  rm -rf "$DATA"; mkdir -p "$DATA"
  "$BIN/vigie-bench" history-load --data "$DATA/data" --endpoints "$ENDPOINTS" --days "$DAYS" --ten-second-days "$TEN" \
    --end "$END" --inventory "$DATA/inventory.yaml"
fi
echo "database: $(du -sh "$DATA/data" | cut -f1)"
"$BIN/vigie-server" serve --listen "127.0.0.1:$PORT" --data "$DATA/data" --inventory "$DATA/inventory.yaml" --log-level error \
  --history-retention "10s=36500d" --history-retention "1m=36500d" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
python3 - "$PORT" "$DATA/data/vigie-server.sqlite" "$ENDPOINTS" "$DAYS" "$END" "${RUNS:-20}" <<'PY'
import json, sqlite3, statistics, sys, time, urllib.request
port, db, endpoints, days, end, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
base = "http://127.0.0.1:%s" % port
def endpoint(k): return "10.%d.%d.%d:443/tcp" % ((k >> 16) & 255, (k >> 8) & 255, k & 255)
# Every endpoint's view: UP, the first endpoint of each service DOWN (the weather has causes).
ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end))
lines = []
for k in range(endpoints):
    state = "REFUSED" if k % 10 == 0 else "UP"
    lines.append(json.dumps({"schema_version": 1, "kind": "service_state", "agent_id": "bench-agent", "epoch": 1, "seq": k + 1,
                             "ts": ts, "agent_ts": ts, "service": endpoint(k), "state": state}))
for i in range(0, len(lines), 2000):
    req = urllib.request.Request(base + "/api/v1/ingest", data=("\n".join(lines[i:i + 2000]) + "\n").encode(),
                                 headers={"Content-Type": "application/x-ndjson"})
    urllib.request.urlopen(req, timeout=120).read()
week = "from=%d&to=%d" % (end - days * 86400, end)
mid = endpoint(endpoints // 2)
cases = [
    ("endpoint, %d days (auto)" % days, "/api/v1/nodes/%s/series?%s" % (mid.replace("/", "%2F"), week)),
    ("service, %d days (auto)" % days, "/api/v1/nodes/service-%d/series?%s" % (endpoints // 20, week)),
    ("application, %d days (auto)" % days, "/api/v1/nodes/application-0/series?%s" % week),
    ("endpoint, 1 day at 1m", "/api/v1/nodes/%s/series?from=%d&to=%d&step=1m" % (mid.replace("/", "%2F"), end - 86400, end)),
    ("endpoint, 1 hour at 10s", "/api/v1/nodes/%s/series?from=%d&to=%d&step=10s" % (mid.replace("/", "%2F"), end - 3600, end)),
    ("weather (services, applications)", "/api/v1/weather"),
    ("weather (all %d+ nodes)" % endpoints, "/api/v1/weather?all=true"),
    ("inventory (the console's tree)", "/api/v1/inventory"),
]
def timed(fn):
    samples = []
    for _ in range(runs):
        t = time.perf_counter(); out = fn(); samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return out, statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))], samples[-1]
print("%-34s %8s %10s %9s %9s %9s" % ("request", "points", "bytes", "median ms", "p95 ms", "max ms"))
for name, path in cases:
    body, med, p95, mx = timed(lambda: urllib.request.urlopen(base + path, timeout=60).read())
    doc = json.loads(body)
    points = len(doc["points"]) if "points" in doc else len(doc.get("nodes", []))  # inventory: its nodes
    print("%-34s %8d %10d %9.1f %9.1f %9.1f" % (name, points, len(body), med, p95, mx))
# The floor: the same rows read by Python's sqlite3 from the same file (no HTTP, no JSON).
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
q = "SELECT * FROM metric_point INDEXED BY metric_point_series WHERE kind = 0 AND subject = ? AND scale = 2 AND bucket >= ? AND bucket < ? ORDER BY bucket"
rows, med, p95, mx = timed(lambda: con.execute(q, (mid, end - days * 86400, end)).fetchall())
print("%-34s %8d %10s %9.1f %9.1f %9.1f" % ("sqlite3 (Python), endpoint 15m rows", len(rows), "-", med, p95, mx))
PY
