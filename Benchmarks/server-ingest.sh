#!/usr/bin/env bash
# vigie-server HTTP ingest (issue 6): >= 50 k records/s with >= 10 k endpoints and 1 k services;
# p99 from a record's arrival to the changed weather <= 100 ms (bounded by the batch round trip).
source "$(dirname "$0")/lib.sh"
[ "${VIGIE_BENCH_NOBUILD:-}" = 1 ] || swift build -c release --product vigie-server >&2
DATA="$WORK/server-bench"; rm -rf "$DATA"; mkdir -p "$DATA"
PORT=${PORT:-18480}
python3 "$(dirname "$0")/server-ingest.py" "http://127.0.0.1:$PORT/api/v1/ingest" "$DATA" 10000 1000 0 5000 4 --inventory-only
"$BIN/vigie-server" serve --listen 127.0.0.1:$PORT --data "$DATA" --inventory "$DATA/inventory.yaml" --log-level error &
pid=$!; trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/weather" >/dev/null && break; sleep 0.2; done
echo "machine: $(machine)"
python3 "$(dirname "$0")/server-ingest.py" "http://127.0.0.1:$PORT/api/v1/ingest" "$DATA" 10000 1000 "${RECORDS:-200000}" 5000 4
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E "^vigie_server_records_(ingested|duplicate|rejected)" || true
