#!/usr/bin/env bash
# A/B of two builds on the same machine, same input, same page cache, runs alternated (issue 15:
# "the benchmarks no slower" after a restructuring; reusable for any change that must not cost speed).
#
#   Benchmarks/ab-compare.sh OLD_BIN_DIR NEW_BIN_DIR
#
# Each BIN_DIR holds release builds of vigie-agent, vigie-bench and vigie-server. Measures, RUNS
# times each (default 5), alternating old/new:
#   analytics    vigie-bench analytics --no-tcpdump (decode + flow tracking, best of 3 rounds, M packets/s)
#   index-build  vigie-bench index-build (add and sort + serialise, ns a packet)
#   ingest       vigie-agent ingest with default indexing and analytics, wall seconds
#   server       vigie-server ingest of 100,000 records (server-ingest.py, 5,000-record batches, 4 clients), records/s
# and prints the medians and the new/old ratio of each. The capture: VIGIE_BENCH_PCAP or a generated
# 256 MiB one (vigie-gen, seed 1).
source "$(dirname "$0")/lib.sh"
old=${1:?old binary directory}; new=${2:?new binary directory}
RUNS=${RUNS:-5}
PCAP=${VIGIE_BENCH_PCAP:-$WORK/ab-256m.pcap}
[ -f "$PCAP" ] || "$new/vigie-gen" --output "$PCAP" --bytes 256M --seed 1 >/dev/null 2>&1 || "$BIN/vigie-gen" --output "$PCAP" --bytes 256M --seed 1
PORT=${PORT:-18481}
PY="$(dirname "$0")/server-ingest.py"
out="$WORK/ab-results.tsv"; : > "$out"
echo "machine: $(machine)"; echo "capture: $PCAP ($(stat -c %s "$PCAP") bytes)"

# "best: 0.002 s = 2.45 M packets/s (408 ns/packet)" -> 2.45
analytics() { "$1/vigie-bench" analytics --pcap "$PCAP" --no-tcpdump | sed -n 's/^best: .* = \([0-9.]*\) M packets\/s.*/\1/p'; }
# "best: add 30 ns/packet, sort+serialise 214 ns/packet, total 243 ns/packet; ..." -> 243
index_build() { "$1/vigie-bench" index-build --pcap "$PCAP" --rounds 3 | sed -n 's/^best: .*total \([0-9.]*\) ns\/packet.*/\1/p'; }
ingest() {
  local store="$WORK/ab-store"; rm -rf "$store"
  local t0=$(date +%s.%N); "$1/vigie-agent" ingest --store "$store" --agent-id ab --log-level error "$PCAP" >/dev/null 2>&1
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", b - a }'
}
server() {
  local data="$WORK/ab-server" pid rate
  rm -rf "$data"; mkdir -p "$data"
  python3 "$PY" "http://127.0.0.1:$PORT/api/v1/ingest" "$data" 10000 1000 0 5000 4 --inventory-only >/dev/null
  "$1/vigie-server" serve --listen 127.0.0.1:$PORT --data "$data" --inventory "$data/inventory.yaml" --log-level error & pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/weather" >/dev/null && break; sleep 0.2; done
  # "throughput: 61,234 records/s (1.63 s); errors: 0 []" -> 61234
  rate=$(python3 "$PY" "http://127.0.0.1:$PORT/api/v1/ingest" "$data" 10000 1000 100000 5000 4 | sed -n 's/^throughput: \([0-9,]*\) records.*/\1/p' | tr -d ,)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$rate"
}

for n in $(seq "$RUNS"); do
  for m in analytics index_build ingest server; do
    for side in old new; do
      dir=$old; [ "$side" = new ] && dir=$new
      v=$($m "$dir"); printf '%s\t%s\t%s\n' "$m" "$side" "$v" | tee -a "$out"
    done
  done
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
units = {"analytics": "M packets/s (higher is better)", "index_build": "ns a packet (lower is better)",
         "ingest": "s wall (lower is better)", "server": "records/s (higher is better)"}
for m in units:
    med = {}
    for side in ("old", "new"):
        vals = [float(v) for k, s, v in rows if k == m and s == side and v]
        med[side] = statistics.median(vals) if vals else float("nan")
    print(f"{m:12s} old {med['old']:.3f}  new {med['new']:.3f}  new/old {med['new'] / med['old']:.3f}  {units[m]}")
PY
