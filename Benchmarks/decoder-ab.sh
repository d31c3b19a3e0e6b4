#!/usr/bin/env bash
# A/B of the packet decoder alone: Sources/PacketDecoding at OLD_COMMIT against the working tree,
# both compiled standalone (swiftc -O, whole module) with the same decode loop (decoder-ab/main.swift),
# run alternately RUNS times (default 7) over each capture given; prints the median ns/packet and
# new/old per capture. Issue 16: untunnelled traffic must not decode slower.
#
#   Benchmarks/decoder-ab.sh OLD_COMMIT CAPTURE...
source "$(dirname "$0")/lib.sh"
old_commit=${1:?old commit}; shift
RUNS=${RUNS:-7}
dir="$WORK/decoder-ab"; rm -rf "$dir"; mkdir -p "$dir/old"
(cd "$ROOT" && git archive "$old_commit" Sources/PacketDecoding | tar -x -C "$dir/old")
build() { swiftc -O -wmo -parse-as-library -module-name DecoderLoop "$1"/*.swift "$ROOT/Benchmarks/decoder-ab/main.swift" -o "$2"; }
build "$dir/old/Sources/PacketDecoding" "$dir/decode-old"
build "$ROOT/Sources/PacketDecoding" "$dir/decode-new"
echo "machine: $(machine)"
for capture in "$@"; do
  : > "$dir/old.txt"; : > "$dir/new.txt"
  for _ in $(seq "$RUNS"); do
    "$dir/decode-old" "$capture" 5 | awk '{print $1}' >> "$dir/old.txt"
    "$dir/decode-new" "$capture" 5 | awk '{print $1}' >> "$dir/new.txt"
  done
  o=$(median < "$dir/old.txt"); n=$(median < "$dir/new.txt")
  printf '%s\told %.1f ns/packet\tnew %.1f ns/packet\tnew/old %.3f\n' "$(basename "$capture")" "$o" "$n" "$(echo "$n / $o" | bc -l)"
done
