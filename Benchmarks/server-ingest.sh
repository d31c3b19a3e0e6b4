#!/usr/bin/env bash
# vigie-server HTTP ingest (issue 6): >= 50 k records/s with >= 10 k endpoints and 1 k services;
# p99 from a record's arrival to the changed weather <= 100 ms (bounded by the batch round trip).
# Runs two configurations, each RUNS times (default 2) against a fresh server and data directory:
#   throughput: 5,000-record batches, 4 clients (RECORDS, default 200,000 records)
#   latency:      500-record batches, 2 clients (LATENCY_RECORDS, default 100,000 records)
# VIGIE_SERVER_BIN=path runs another vigie-server build (a baseline). PERF=1 records a `perf record -g` profile of the server per run (in $WORK/server-bench-*.perf).
source "$(dirname "$0")/lib.sh"
[ "${VIGIE_BENCH_NOBUILD:-}" = 1 ] || swift build -c release --product vigie-server >&2
PORT=${PORT:-18480}
SERVER=${VIGIE_SERVER_BIN:-$BIN/vigie-server}   # another build to compare with
URL="http://127.0.0.1:$PORT/api/v1/ingest"
PY="$(dirname "$0")/server-ingest.py"
echo "machine: $(machine)"

# run NAME RECORDS BATCH CLIENTS
run() {
  local name=$1 records=$2 batch=$3 clients=$4 data="$WORK/server-bench" pid perfpid=
  rm -rf "$data"; mkdir -p "$data"
  python3 "$PY" "$URL" "$data" 10000 1000 0 "$batch" "$clients" --inventory-only
  "$SERVER" serve --listen 127.0.0.1:$PORT --data "$data" --inventory "$data/inventory.yaml" --log-level error &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/weather" >/dev/null && break; sleep 0.2; done
  if [ "${PERF:-}" = 1 ]; then
    perf record -g -p "$pid" -o "$WORK/server-bench-$name.perf" >/dev/null 2>&1 & perfpid=$!
  fi
  echo "== $name: $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 "$PY" "$URL" "$data" 10000 1000 "$records" "$batch" "$clients"
  curl -s "http://127.0.0.1:$PORT/metrics" | grep -E "^vigie_server_records_(ingested|duplicate|rejected)" || true
  [ -z "$perfpid" ] || { kill -INT "$perfpid"; wait "$perfpid" || true; }
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

for n in $(seq "${RUNS:-2}"); do
  run "throughput-$n" "${RECORDS:-200000}" 5000 4
  run "latency-$n" "${LATENCY_RECORDS:-100000}" 500 2
done
