#!/usr/bin/env bash
# Listener limits under load (issue 14): 5,000 idle + slowloris connections (IDLE and SLOW per client
# process, two processes; Tests/TestSupport/Scripts/slow_clients.py) held against a listener with its default
# limits (4,096 connections, 10 s head deadline), while a real request is made every 0.5 s with a
# 1 s deadline. Reports how many real requests were answered, and how fast. Loopback only.
#   Benchmarks/slow-clients.sh [agent|server]      (default agent; release binaries)
source "$(dirname "$0")/lib.sh"
which=${1:-agent}
IDLE=${IDLE:-1250}; SLOW=${SLOW:-1250}; SECONDS_HELD=${HOLD:-30}; PORT=${PORT:-18495}
if [ "$which" = server ]; then
  [ -n "${VIGIE_BENCH_NOBUILD:-}" ] || (cd "$ROOT" && swift build -c release --product vigie-server >&2)
  mkdir -p "$WORK/slow-server"
  "$BIN/vigie-server" serve --listen 127.0.0.1:$PORT --data "$WORK/slow-server" --log-level error & pid=$!
  path=/api/v1/weather
else
  build_release
  STORE="$WORK/slow-store"
  if [ ! -d "$STORE" ]; then
    "$BIN/vigie-gen" --output "$WORK/slow.pcap" --packets 20000 >&2
    "$BIN/vigie-agent" ingest --store "$STORE" --log-level error --no-progress "$WORK/slow.pcap" >&2
  fi
  "$BIN/vigie-agent" serve --store "$STORE" --listen 127.0.0.1:$PORT --log-level error & pid=$!
  path=/api/v1/segments
fi
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT$path" >/dev/null && break; sleep 0.2; done
echo "machine: $(machine)"
echo "$which: $((2 * (IDLE + SLOW))) slow connections from 2 processes for ${SECONDS_HELD}s"
PY="$ROOT/Tests/TestSupport/Scripts/slow_clients.py"
python3 "$PY" $PORT $IDLE $SLOW $SECONDS_HELD > "$WORK/slow1.json" & c1=$!
python3 "$PY" $PORT $IDLE $SLOW $SECONDS_HELD > "$WORK/slow2.json" & c2=$!
sleep 2
: > "$WORK/slow.times"
end=$(( $(date +%s) + SECONDS_HELD - 4 ))
while [ "$(date +%s)" -lt $end ]; do
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 1 "http://127.0.0.1:$PORT$path" >> "$WORK/slow.times" || true
  sleep 0.5
done
wait $c1 $c2
n=$(wc -l < "$WORK/slow.times"); ok=$(awk '$1 == 200' "$WORK/slow.times" | wc -l)
echo "clients: $(cat "$WORK/slow1.json") $(cat "$WORK/slow2.json")"
echo "real requests: $ok of $n answered within 1 s; median $(awk '$1 == 200 {print $2}' "$WORK/slow.times" | median) s, max $(awk '$1 == 200 {print $2}' "$WORK/slow.times" | sort -g | tail -1) s"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^vigie_[a-z_]*(connections|header_timeouts)[a-z_]* ' || true
