#!/usr/bin/env bash
# Query benchmark (issue 3): a store of >= 5 GB of generated traffic, indexed at ingest; a
# `host A and port B` query matching < 0.1 % of packets, timed against `tcpdump -r` scanning the
# same segments with the same filter, in the same run. Also reports index bytes / pcap bytes.
# Targets: query wall time <= 5 % of tcpdump's; index bytes <= 5 % of pcap bytes.
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}
SIZE=${VIGIE_QUERY_BYTES:-5G}
build_release
BIG="$WORK/traffic-$SIZE.pcap"
STORE="$WORK/store-$SIZE"
if [ ! -d "$STORE" ]; then
  "$BIN/vigie-gen" --output "$BIG" --bytes "$SIZE" --seed 5 >&2
  "$BIN/vigie-agent" ingest --store "$STORE" --quota 100GiB --log-level error --no-progress "$BIG" >&2
  rm -f "$BIG"   # the store holds it now
fi
segs=$(ls "$STORE"/segments/*.pcap)
pkts=$("$BIN/vigie-agent" status --store "$STORE" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["storage"]["packetsStored"])')
# A -> B: the client address and ephemeral port of a TCP session in the middle of the store.
mid=$(echo "$segs" | awk -v n=$(echo "$segs" | wc -l) 'NR==int(n/2)+1')
read -r A B < <(tcpdump -nn -r "$mid" -c 1 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0' 2>/dev/null | awk '{split($3,a,"."); print a[1]"."a[2]"."a[3]"."a[4], a[5]}')
Q="host $A and port $B"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
cat $segs > /dev/null   # both from the page cache
: > "$WORK/q.times"; : > "$WORK/t.times"
for i in $(seq "$RUNS"); do
  t0=$(now); "$BIN/vigie-agent" query --store "$STORE" -w "$WORK/q.pcap" "$Q" 2> "$WORK/q.err"; echo "$(now) - $t0" | bc >> "$WORK/q.times"
  rm -f "$WORK"/t-*.pcap
  t0=$(now); for s in $segs; do tcpdump -r "$s" -w "$WORK/t-$(basename "$s")" "$Q" 2>/dev/null; done; echo "$(now) - $t0" | bc >> "$WORK/t.times"
done
qm=$(median < "$WORK/q.times"); tm=$(median < "$WORK/t.times")
qn=$(capinfos -c -M "$WORK/q.pcap" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
tn=$(capinfos -c -M "$WORK"/t-*.pcap | awk -F: '/Number of packets/{gsub(/ /,"",$2); n+=$2} END{print n}')
idx=$(du -sb "$STORE/index" | cut -f1); pcap=$(du -sb "$STORE/segments" | cut -f1)
echo "machine: $(machine)"
echo "store:   $pcap pcap bytes in $(echo "$segs" | wc -l) segments, $pkts packets; index $idx bytes ($(echo "scale=2; 100 * $idx / $pcap" | bc) % of pcap)"
echo "query:   '$Q' -> $qn packets ($(echo "scale=5; 100 * $qn / $pkts" | bc) % of packets); tcpdump: $tn packets"
echo "vigie-agent query: median $qm s ($(tr '\n' ' ' < "$WORK/q.times")) [$(tail -1 "$WORK/q.err")]"
echo "tcpdump -r over the segments: median $tm s ($(tr '\n' ' ' < "$WORK/t.times"))"
echo "ratio query/tcpdump: $(echo "scale=4; $qm / $tm" | bc) (target <= 0.05)"
[ "$qn" = "$tn" ] || { echo "MISMATCH: $qn vs $tn packets"; exit 1; }
