#!/usr/bin/env bash
# What metrics cost the capture (issue 20): live capture at tcpreplay's top speed into a veth pair,
# alternating runs with no scraper and with a scrape storm on the agent's metrics-only listener
# (SCRAPERS curl loops, default 8, each scraping /metrics back to back). Compares what the agent
# received, stored and lost, and how many scrapes were answered (PPS=N: a fixed rate instead of top
# speed). Needs root.
#   Benchmarks/metrics-cost.sh                    (release build of this tree)
#   VIGIE_BENCH_BIN=.build-x/release Benchmarks/metrics-cost.sh
# The per-packet path itself (ingest, analytics, index build) before and after metrics: ab-compare.sh.
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
SCRAPERS=${SCRAPERS:-8}
build_release
LIVE_PCAP=${VIGIE_LIVE_PCAP:-$WORK/live.pcap}
if [ ! -s "$LIVE_PCAP" ]; then "$BIN/vigie-gen" --output "$LIVE_PCAP" --bytes 200M --seed 2 >&2; fi
# PPS=N replays at a fixed rate (the same load in both modes; the scrapers also take CPU from
# tcpreplay at top speed on a small machine).
rate=(--topspeed); [ -n "${PPS:-}" ] && rate=(--pps "$PPS")
veth_pair
# The scrapers die with the script, however it ends (they would go on hammering otherwise).
scrapers=() apid=
trap 'for p in "${scrapers[@]}" $apid; do kill "$p" 2>/dev/null || true; done; ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true' EXIT
ip netns exec $B ip link set lo up
echo "machine: $(machine)"
echo "capture: $LIVE_PCAP ($(capinfos -c -M "$LIVE_PCAP" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}') packets), scrapers: $SCRAPERS, rate: ${rate[*]}"

replay() { ip netns exec $A tcpreplay -i $SA "${rate[@]}" "$LIVE_PCAP" 2>/dev/null | awk '/Successful packets:/{print $3}'; }

run() {  # run MODE(quiet|storm)
  local store="$WORK/metrics-agent" scrapes="$WORK/scrapes"
  rm -rf "$store" "$scrapes"; mkdir -p "$scrapes"
  ip netns exec $B "$BIN/vigie-agent" capture --interface $SB --store "$store" --quota 100GiB --metrics-listen 9471 --log-level error &
  apid=$!
  sleep 2
  if [ "$1" = storm ]; then
    for s in $(seq "$SCRAPERS"); do
      ip netns exec $B bash -c "while :; do curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:9471/metrics || echo 000; done" \
        > "$scrapes/$s" 2>/dev/null &
      scrapers+=($!)
    done
  fi
  local t0 t1 sent
  t0=$(now); sent=$(replay); t1=$(now)
  sleep 2
  for p in "${scrapers[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  scrapers=()
  kill -TERM $apid; wait $apid || true
  apid=
  local got ok=0 bad=0
  got=$("$BIN/vigie-agent" status --store "$store" --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["pipeline"]["packetsReceived"], s["storage"]["packetsStored"], s["capture"]["droppedByKernel"])')
  if [ "$1" = storm ]; then
    ok=$(cat "$scrapes"/* | grep -c '^200$' || true); bad=$(cat "$scrapes"/* | grep -vc '^200$' || true)
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$sent" "$(echo "$t1 - $t0" | bc)" "$got" "$ok" "$bad"
}

printf 'mode\tsent\treplay_s\treceived stored kernel_dropped\tscrapes_ok\tscrapes_failed\n'
for i in $(seq "$RUNS"); do
  run quiet
  run storm
done
