#!/usr/bin/env bash
# Storage-only ingest: `vigie-agent ingest` of the generated capture against
# `tcpdump -r IN -w OUT -C 256` in the same run, same disk, same page-cache state.
# Target (issue 2): agent wall time <= 1.2x tcpdump's (storage only: --no-index).
# Target (issue 3): ingest with default indexing <= 1.25x the storage-only ingest.
# Both agent runs leave flow analytics off (--no-analytics): this measures storage and indexing.
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-9}
build_release
ensure_capture
packets=$(capinfos -c -M "$CAPTURE" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
bytes=$(stat -c %s "$CAPTURE")
cat "$CAPTURE" > /dev/null  # warm the page cache for both tools

run_tcpdump() {
  rm -rf "$WORK/td" && mkdir -p "$WORK/td"
  sync  # start every run with no dirty pages left by the previous one (same state for all)
  local t0=$(now)
  # -Z root: as root, tcpdump would otherwise switch to user tcpdump before opening its -C files
  tcpdump $( [ "$(id -u)" = 0 ] && echo -Z root ) -r "$CAPTURE" -w "$WORK/td/out.pcap" -C 256 2>/dev/null
  sync "$WORK"/td/out.pcap*   # fsync of each file: the agent fsyncs every segment it finishes, so tcpdump must too
  echo "$(now) - $t0" | bc
}
run_agent() {  # $1: extra flags
  rm -rf "$WORK/agent"
  sync
  local t0=$(now)
  "$BIN/vigie-agent" ingest --store "$WORK/agent" --segment-size 256000000 --quota 100GiB --log-level error --no-progress $1 "$CAPTURE" > "$WORK/agent-summary.txt"
  echo "$(now) - $t0" | bc
}

: > "$WORK/td.times"; : > "$WORK/agent.times"; : > "$WORK/indexed.times"
for i in $(seq "$RUNS"); do   # alternate so all see the same machine state
  run_tcpdump >> "$WORK/td.times"
  run_agent "--no-index --no-analytics" >> "$WORK/agent.times"
  stored=$(awk '/^stored:/{print $2}' "$WORK/agent-summary.txt")
  run_agent --no-analytics >> "$WORK/indexed.times"
done
idxbytes=$(du -sb "$WORK/agent/index" | cut -f1); segbytes=$(du -sb "$WORK/agent/segments" | cut -f1)
td=$(median < "$WORK/td.times"); ag=$(median < "$WORK/agent.times"); ix=$(median < "$WORK/indexed.times")
ratio=$(echo "scale=3; $ag / $td" | bc)
iratio=$(echo "scale=3; $ix / $ag" | bc)
echo "machine:  $(machine)"
echo "capture:  $CAPTURE: $packets packets, $bytes bytes"
echo "tcpdump -r -w -C 256: median $td s over $RUNS runs ($(tr '\n' ' ' < "$WORK/td.times"))"
echo "vigie-agent ingest:   median $ag s over $RUNS runs ($(tr '\n' ' ' < "$WORK/agent.times")); stored $stored packets"
echo "ratio agent/tcpdump:  $ratio (target <= 1.2)"
echo "vigie-agent ingest, default indexing: median $ix s ($(tr '\n' ' ' < "$WORK/indexed.times")); index $idxbytes bytes for $segbytes pcap bytes ($(echo "scale=2; 100 * $idxbytes / $segbytes" | bc) %)"
echo "ratio indexed/storage-only: $iratio (target <= 1.25)"
# Each indexed run against the storage-only run just before it: pairs share the machine's state of
# the moment (this VM's speed drifts by tens of percent over minutes), so their median ratio is the
# steadier figure of the two.
paired=$(paste "$WORK/agent.times" "$WORK/indexed.times" | awk '{printf "%.3f\n", $2 / $1}' | median)
echo "median of paired ratios (indexed run / storage-only run before it): $paired ($(paste "$WORK/agent.times" "$WORK/indexed.times" | awk '{printf "%.2f ", $2 / $1}'))"
[ "$stored" = "$packets" ] || { echo "MISMATCH: stored $stored of $packets packets"; exit 1; }
