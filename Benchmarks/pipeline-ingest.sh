#!/usr/bin/env bash
# The default pipeline (store + index + analytics + records) against tcpdump (issue 18).
# `vigie-agent ingest` with every default on, and `tcpdump -r IN -w OUT -C 256` (with fsync), in
# alternating runs on the same capture, same disk, same page-cache state.
# Target: agent wall time <= 1.0x tcpdump's, with 1 analytics worker (WORKERS=1, the default on 2 cores).
# Any capture: VIGIE_BENCH_PCAP=/path/to/unseen.pcap Benchmarks/pipeline-ingest.sh
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-7}
WORKERS=${WORKERS:-1}
build_release
ensure_capture
packets=$(capinfos -c -M "$CAPTURE" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
bytes=$(stat -c %s "$CAPTURE")
cat "$CAPTURE" > /dev/null
printf 'analytics:\n  workers: %s\n' "$WORKERS" > "$WORK/pipeline.yaml"

run_tcpdump() {
  rm -rf "$WORK/td" && mkdir -p "$WORK/td"
  sync
  local t0=$(now)
  tcpdump $( [ "$(id -u)" = 0 ] && echo -Z root ) -r "$CAPTURE" -w "$WORK/td/out.pcap" -C 256 2>/dev/null
  sync "$WORK"/td/out.pcap*
  echo "$(now) - $t0" | bc
}
run_agent() {
  rm -rf "$WORK/agent"
  sync
  local t0=$(now)
  /usr/bin/time -f "%U %S %M" -o "$WORK/agent.rusage" "$BIN/vigie-agent" ingest --config "$WORK/pipeline.yaml" --store "$WORK/agent" \
    --segment-size 256000000 --quota 100GiB --log-level error --no-progress "$CAPTURE" > "$WORK/agent-summary.txt"
  echo "$(now) - $t0" | bc
}

: > "$WORK/td.times"; : > "$WORK/pipeline.times"; : > "$WORK/pipeline.cpu"
for i in $(seq "$RUNS"); do
  run_tcpdump >> "$WORK/td.times"
  run_agent >> "$WORK/pipeline.times"
  cat "$WORK/agent.rusage" >> "$WORK/pipeline.cpu"
done
stored=$(awk '/^stored:/{print $2}' "$WORK/agent-summary.txt")
td=$(median < "$WORK/td.times"); ag=$(median < "$WORK/pipeline.times")
paired=$(paste "$WORK/td.times" "$WORK/pipeline.times" | awk '{printf "%.3f\n", $2 / $1}' | median)
records=$(du -cb "$WORK"/agent/records/records-* 2>/dev/null | tail -1 | cut -f1)
nrec=$(zcat -f "$WORK"/agent/records/records-* 2>/dev/null | wc -l || true)
echo "machine:  $(machine)"
echo "capture:  $CAPTURE: $packets packets, $bytes bytes"
echo "tcpdump -r -w -C 256 (+fsync): median $td s over $RUNS runs ($(tr '\n' ' ' < "$WORK/td.times"))"
echo "vigie-agent ingest, defaults, $WORKERS worker(s): median $ag s ($(tr '\n' ' ' < "$WORK/pipeline.times")); stored $stored packets"
echo "  user/sys CPU s and max RSS KiB per run: $(awk '{printf "%s/%s %s; ", $1, $2, $3}' "$WORK/pipeline.cpu")"
echo "ratio agent/tcpdump (medians): $(echo "scale=3; $ag / $td" | bc); median of paired ratios: $paired (target <= 1.0)"
echo "records: $nrec lines, $records bytes as stored = $(echo "scale=2; 100 * $records / $bytes" | bc) % of the capture (target <= 10 %)"
python3 - "$WORK/agent/state/status.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["analytics"]
print("analytics: %d flows, %d records, shed ring_full %d too_large %d flow_budget %d, %d worker(s)" % (
    a["flowsCreated"], a["recordsEmitted"], a["shedRingFull"], a["shedTooLarge"], a["shedFlowBudget"], a["workers"]))
PY
[ "$stored" = "$packets" ] || { echo "MISMATCH: stored $stored of $packets packets"; exit 1; }
