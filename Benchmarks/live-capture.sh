#!/usr/bin/env bash
# Live capture at tcpreplay's top speed into a veth pair between two network namespaces:
# vigie-agent and `tcpdump -w` capture in turn the same replay; compare what each lost.
# Target (issue 2): the agent drops no more than tcpdump. Needs root.
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
build_release
LIVE_PCAP=${VIGIE_LIVE_PCAP:-$WORK/live.pcap}
if [ ! -s "$LIVE_PCAP" ]; then "$BIN/vigie-gen" --output "$LIVE_PCAP" --bytes 200M --seed 2 >&2; fi
sent_expected=$(capinfos -c -M "$LIVE_PCAP" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
veth_pair

replay() { ip netns exec $A tcpreplay -i $SA --topspeed "$LIVE_PCAP" 2>/dev/null | awk '/Successful packets:/{print $3}'; }

for i in $(seq "$RUNS"); do
  rm -rf "$WORK/live-agent" "$WORK/live-td.pcap"
  ip netns exec $B "$BIN/vigie-agent" capture --interface $SB --store "$WORK/live-agent" --quota 100GiB --log-level error &
  apid=$!; sleep 2
  t0=$(now); sent=$(replay); t1=$(now); sleep 2
  kill -TERM $apid; wait $apid || true
  got=$("$BIN/vigie-agent" status --store "$WORK/live-agent" --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["storage"]["packetsStored"], s["capture"]["droppedByKernel"])')
  echo "run $i agent:   sent $sent in $(echo "$t1 - $t0" | bc) s; stored/kernel-dropped: $got"
  ip netns exec $B tcpdump -Z root -i $SB -w "$WORK/live-td.pcap" -B 65536 -s 0 2>"$WORK/td.err" &
  tpid=$!; sleep 2
  t0=$(now); sent=$(replay); t1=$(now); sleep 2
  kill -INT $tpid; wait $tpid || true
  tdgot=$(capinfos -c -M "$WORK/live-td.pcap" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
  tddrop=$(awk '/dropped by kernel/{print $1}' "$WORK/td.err")
  echo "run $i tcpdump: sent $sent in $(echo "$t1 - $t0" | bc) s; stored/kernel-dropped: $tdgot $tddrop"
done
echo "machine: $(machine); capture $LIVE_PCAP ($sent_expected packets); both with a 64 MiB kernel buffer"
