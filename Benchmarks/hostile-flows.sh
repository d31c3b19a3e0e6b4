#!/usr/bin/env bash
# Hostile traffic (issue 18): a flood of one-packet flows (TCP SYNs from random sources and ports,
# default 10,000,000) plus fragments that never complete (1 in 100), ingested with every default
# on. Reports the agent's peak RSS (it must stay bounded by the configuration: docs/pipeline.md),
# its wall time against tcpdump's on the same file (storage must not stall), flows evicted, and
# what analytics shed. FLOWS=1000000 for a quicker run; MAX_FLOWS sets analytics.max_flows.
source "$(dirname "$0")/lib.sh"
FLOWS=${FLOWS:-10000000}
MAX_FLOWS=${MAX_FLOWS:-1000000}
build_release
FLOOD=$WORK/flood-$FLOWS.pcap
if [ ! -s "$FLOOD" ]; then
  python3 - "$FLOOD" "$FLOWS" <<'PY'
import random, struct, sys
path, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(18)
eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
with open(path, "wb", buffering=1 << 22) as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    t = 1_700_000_000 * 1_000_000
    for i in range(n):
        src = 0x0A000000 | rnd.getrandbits(24)  # 10.0.0.0/8
        if i % 100 == 50:  # a first fragment whose rest never comes
            ip = struct.pack("!BBHHHBBHII", 0x45, 0, 28, i & 0xFFFF, 0x2000, 64, 17, 0, src, 0xC0000221)
            pkt = eth + ip + b"\x00" * 8
        else:
            ip = struct.pack("!BBHHHBBHII", 0x45, 0, 40, i & 0xFFFF, 0, 64, 6, 0, src, 0xC000020A)
            tcp = struct.pack("!HHIIBBHHH", 1024 + rnd.getrandbits(15), 443, rnd.getrandbits(32), 0, 0x50, 0x02, 65535, 0, 0)
            pkt = eth + ip + tcp
        us = t + i * 2  # 500,000 packets/s of packet time
        f.write(struct.pack("<IIII", us // 1_000_000, us % 1_000_000, len(pkt), len(pkt)))
        f.write(pkt)
PY
fi
packets=$(capinfos -c -M "$FLOOD" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
cat "$FLOOD" > /dev/null
printf 'analytics:\n  max_flows: %s\n' "$MAX_FLOWS" > "$WORK/hostile.yaml"
rm -rf "$WORK/td" && mkdir -p "$WORK/td"; sync
t0=$(now); tcpdump $( [ "$(id -u)" = 0 ] && echo -Z root ) -r "$FLOOD" -w "$WORK/td/out.pcap" -C 256 2>/dev/null; sync "$WORK"/td/out.pcap*; td=$(echo "$(now) - $t0" | bc)
rm -rf "$WORK/hostile-agent"; sync
t0=$(now)
/usr/bin/time -f "%M" -o "$WORK/hostile.rss" "$BIN/vigie-agent" ingest --config "$WORK/hostile.yaml" --store "$WORK/hostile-agent" \
  --segment-size 256000000 --quota 100GiB --log-level error --no-progress "$FLOOD" > "$WORK/hostile-summary.txt"
ag=$(echo "$(now) - $t0" | bc)
echo "machine: $(machine)"
echo "capture: $FLOOD: $packets packets ($FLOWS one-packet flows, 1 % never-completed fragments)"
echo "tcpdump -r -w -C 256 + sync: $td s; vigie-agent ingest (max_flows $MAX_FLOWS): $ag s; stored $(awk '/^stored:/{print $2}' "$WORK/hostile-summary.txt")"
echo "agent peak RSS: $(( $(cat "$WORK/hostile.rss") / 1024 )) MiB"
python3 - "$WORK/hostile-agent/state/status.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["analytics"]
print("analytics: %d flows created, %d evicted, %d analysed, shed ring_full %d too_large %d flow_budget %d" % (
    a["flowsCreated"], a["flowsEvicted"], a["packetsAnalysed"], a["shedRingFull"], a["shedTooLarge"], a["shedFlowBudget"]))
PY
