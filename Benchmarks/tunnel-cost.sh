#!/usr/bin/env bash
# What one tunnel layer costs (issue 16: at most 15 % on the per-packet cost vigie-bench measures).
# Wraps the same generated traffic in each encapsulation (vigie-bench encapsulate), then measures,
# alternating plain and tunnelled RUNS times (default 5), the median of
#   decode     vigie-bench decode: headers only, ns a packet
#   analytics  vigie-bench analytics --no-tcpdump: decode + flow tracking + DNS/HTTP/TLS, ns a packet
# and prints tunnelled/plain for each.
#
#   Benchmarks/tunnel-cost.sh [TUNNEL...]     (default: vxlan geneve gre gre-key erspan2 erspan3 mpls ipip gtpu)
source "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}
[ -z "${VIGIE_BENCH_NOBUILD:-}" ] && (cd "$ROOT" && swift build -c release --product vigie-bench >&2 && swift build -c release --product vigie-gen >&2)
tunnels=("$@"); [ ${#tunnels[@]} -gt 0 ] || tunnels=(vxlan geneve gre gre-key erspan2 erspan3 mpls ipip gtpu)
PLAIN=${VIGIE_TUNNEL_PCAP:-$WORK/tunnel-plain.pcap}
[ -s "$PLAIN" ] || "$BIN/vigie-gen" --output "$PLAIN" --bytes "${VIGIE_TUNNEL_BYTES:-128M}" --seed 1 >/dev/null
decode() { "$BIN/vigie-bench" decode --pcap "$1" --rounds 5 | sed -n 's/^best: \([0-9.]*\) ns\/packet.*/\1/p'; }
analytics() { "$BIN/vigie-bench" analytics --pcap "$1" --no-tcpdump | sed -n 's/^best: .*(\([0-9.]*\) ns\/packet).*/\1/p'; }
echo "machine: $(machine)"
echo "plain capture: $PLAIN ($(stat -c %s "$PLAIN") bytes)"
printf 'tunnel\tdecode plain\tdecode tunnelled\tratio\tanalytics plain\tanalytics tunnelled\tratio\n'
for t in "${tunnels[@]}"; do
  wrapped="$WORK/tunnel-$t.pcap"
  [ -s "$wrapped" ] || "$BIN/vigie-bench" encapsulate --in "$PLAIN" --out "$wrapped" --tunnel "$t" >/dev/null
  : > "$WORK/dp"; : > "$WORK/dt"; : > "$WORK/ap"; : > "$WORK/at"
  for _ in $(seq "$RUNS"); do
    decode "$PLAIN" >> "$WORK/dp"; decode "$wrapped" >> "$WORK/dt"
    analytics "$PLAIN" >> "$WORK/ap"; analytics "$wrapped" >> "$WORK/at"
  done
  dp=$(median < "$WORK/dp"); dt=$(median < "$WORK/dt"); ap=$(median < "$WORK/ap"); at=$(median < "$WORK/at")
  printf '%s\t%.1f\t%.1f\t%.3f\t%.0f\t%.0f\t%.3f\n' "$t" "$dp" "$dt" "$(echo "$dt / $dp" | bc -l)" "$ap" "$at" "$(echo "$at / $ap" | bc -l)"
done
