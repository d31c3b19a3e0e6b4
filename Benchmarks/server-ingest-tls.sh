#!/usr/bin/env bash
# vigie-server HTTP ingest with TLS and per-agent tokens against plain HTTP without tokens (issue 14:
# within 10 %). Paired, alternating runs (this machine drifts by tens of percent within minutes): each
# pair ingests RECORDS (default 200,000) service_state records in 5,000-record gzip batches from 4
# clients into a fresh server and data directory, once plain, once TLS (P-256 certificate from
# Tests/TestSupport/Scripts/make_test_pki.sh) with a token file holding one `agent` token per client.
# RUNS pairs (default 5). Loopback only.
source "$(dirname "$0")/lib.sh"
[ "${VIGIE_BENCH_NOBUILD:-}" = 1 ] || (cd "$ROOT" && swift build -c release --product vigie-server >&2)
PORT=${PORT:-18482}; RUNS=${RUNS:-5}; RECORDS=${RECORDS:-200000}
PY="$(dirname "$0")/server-ingest.py"
PKI="$WORK/api-pki"; [ -f "$PKI/server.pem" ] || bash "$ROOT/Tests/TestSupport/Scripts/make_test_pki.sh" "$PKI"
TOKENS="$WORK/server-bench-tokens"
: > "$TOKENS"; for k in 0 1 2 3; do echo "agent agent$k $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> "$TOKENS"; done; chmod 600 "$TOKENS"
echo "machine: $(machine)"

# run MODE -> records/s
run() {
  local mode=$1 data="$WORK/server-bench-tls" pid url extra=()
  rm -rf "$data"; mkdir -p "$data"
  python3 "$PY" "http://x" "$data" 10000 1000 0 5000 4 --inventory-only
  if [ "$mode" = tls ]; then
    extra=(--token-file "$TOKENS" --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key"); url="https://127.0.0.1:$PORT/api/v1/ingest"
  else
    url="http://127.0.0.1:$PORT/api/v1/ingest"
  fi
  "$BIN/vigie-server" serve --listen 127.0.0.1:$PORT --data "$data" --inventory "$data/inventory.yaml" --log-level error "${extra[@]}" &
  pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null --cacert "$PKI/ca.pem" "${url%/api/v1/ingest}/metrics" && break; sleep 0.2; done
  VIGIE_BENCH_CA="$PKI/ca.pem" VIGIE_BENCH_TOKENS="$TOKENS" python3 "$PY" "$url" "$data" 10000 1000 "$RECORDS" 5000 4 > "$WORK/server-bench-$mode.out"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  grep -q "errors: 0 " "$WORK/server-bench-$mode.out" || { cat "$WORK/server-bench-$mode.out" >&2; exit 1; }
  awk '/^throughput:/ {gsub(",", "", $2); print $2}' "$WORK/server-bench-$mode.out"
}
: > "$WORK/server-tls.pairs"
for i in $(seq "$RUNS"); do
  a=$(run plain); b=$(run tls)
  echo "$a $b" >> "$WORK/server-tls.pairs"
  echo "run $i: plain $a records/s, TLS+token $b records/s"
done
echo "plain median $(cut -d' ' -f1 "$WORK/server-tls.pairs" | median) records/s, TLS+token median $(cut -d' ' -f2 "$WORK/server-tls.pairs" | median)," \
     "median paired ratio TLS/plain $(awk '{printf "%.3f\n", $2 / $1}' "$WORK/server-tls.pairs" | median) (target >= 0.90)"
