#!/usr/bin/env bash
# Live capture with every feature on (store + index + analytics + records), against tcpdump, on a
# ladder of tcpreplay rates into a veth pair between two network namespaces (issue 18).
# At each rung: what tcpdump stores and drops, what the agent stores, the kernel drops, and what
# its analytics shed (status.json). Target: at every rate where tcpdump drops nothing, the agent
# stores every packet and its analytics sheds nothing. Needs root.
#   RATES="50000 100000 200000 400000 top" Benchmarks/live-ladder.sh
source "$(dirname "$0")/lib.sh"
RATES=${RATES:-"25000 50000 100000 200000 400000 top"}
build_release
LIVE_PCAP=${VIGIE_LIVE_PCAP:-$WORK/ladder.pcap}
if [ ! -s "$LIVE_PCAP" ]; then "$BIN/vigie-gen" --output "$LIVE_PCAP" --bytes 64M --seed 3 >&2; fi
packets=$(capinfos -c -M "$LIVE_PCAP" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
veth_pair

replay() {  # $1: rate (packets/s) or "top"
  local opt=(--topspeed); [ "$1" != top ] && opt=(--pps "$1")
  ip netns exec $A tcpreplay -i $SA "${opt[@]}" "$LIVE_PCAP" 2>/dev/null | awk '/Successful packets:/{print $3}'
}

printf '%-8s | %-28s | %-52s\n' rate "tcpdump: stored / dropped" "vigie-agent: stored / kernel-dropped / shed (ring, too large)"
for rate in $RATES; do
  ip netns exec $B tcpdump -Z root -i $SB -w "$WORK/ladder-td.pcap" -B 65536 -s 0 2>"$WORK/ladder-td.err" &
  tpid=$!; sleep 2
  replay "$rate" > /dev/null; sleep 2
  kill -INT $tpid; wait $tpid || true
  tdgot=$(capinfos -c -M "$WORK/ladder-td.pcap" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
  tddrop=$(awk '/dropped by kernel/{print $1}' "$WORK/ladder-td.err")
  rm -rf "$WORK/ladder-agent"
  ip netns exec $B "$BIN/vigie-agent" capture --interface $SB --store "$WORK/ladder-agent" --quota 100GiB --log-level error &
  apid=$!; sleep 2
  replay "$rate" > /dev/null; sleep 3
  kill -TERM $apid; wait $apid || true
  got=$("$BIN/vigie-agent" status --store "$WORK/ladder-agent" --json | python3 -c '
import json,sys; s=json.load(sys.stdin); a=s.get("analytics") or {}
print(s["storage"]["packetsStored"], "/", s["capture"]["droppedByKernel"], "/", a.get("shedRingFull"), a.get("shedTooLarge"), "(analysed %s)" % a.get("packetsAnalysed"))')
  printf '%-8s | %-28s | %-52s\n' "$rate" "$tdgot / $tddrop" "$got"
done
echo "machine: $(machine); capture $LIVE_PCAP ($packets packets); both with a 64 MiB kernel buffer; the agent with its defaults (index, analytics, records)"
