#!/usr/bin/env bash
# What the metric history costs the server's ingest (issue 21): the same batches (EDGE_SHARE of
# them `edge` windows, default 0.3; the rest service_state) posted to a server with the history
# and to one started with --no-history, RUNS times each (default 3), alternated, fresh data each
# run. Prints records/s per run, the medians and the ratio with/without.
source "$(dirname "$0")/lib.sh"
[ "${VIGIE_BENCH_NOBUILD:-}" = 1 ] || swift build -c release --product vigie-server >&2
PORT=${PORT:-18482}
URL="http://127.0.0.1:$PORT/api/v1/ingest"
PY="$(dirname "$0")/server-ingest.py"
RECORDS=${RECORDS:-200000}
export EDGE_SHARE=${EDGE_SHARE:-0.3}
echo "machine: $(machine)"
echo "records: $RECORDS per run, edge share $EDGE_SHARE, 5,000-record batches, 4 clients, 10,000 endpoints"
on=() off=()
for n in $(seq "${RUNS:-3}"); do
  for mode in on off; do
    data="$WORK/history-ingest-$mode"; rm -rf "$data"; mkdir -p "$data"
    python3 "$PY" "$URL" "$data" 10000 1000 0 5000 4 --inventory-only
    extra=(); [ "$mode" = off ] && extra=(--no-history)
    "$BIN/vigie-server" serve --listen 127.0.0.1:$PORT --data "$data" --inventory "$data/inventory.yaml" --log-level error "${extra[@]}" &
    pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
    rate=$(python3 "$PY" "$URL" "$data" 10000 1000 "$RECORDS" 5000 4 | sed -n 's/^throughput: \([0-9,]*\) records.*/\1/p' | tr -d ,)
    rows=$(curl -s "http://127.0.0.1:$PORT/metrics" | sed -n 's/^vigie_server_records_ingested_total \([0-9]*\)$/\1/p')
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "run $n, history $mode: $rate records/s ($rows ingested)"
    if [ "$mode" = on ]; then on+=("$rate"); else off+=("$rate"); fi
  done
done
mon=$(printf '%s\n' "${on[@]}" | median); moff=$(printf '%s\n' "${off[@]}" | median)
echo "median: history on $mon records/s, off $moff records/s, ratio on/off $(awk -v a="$mon" -v b="$moff" 'BEGIN{printf "%.2f", a/b}')"
