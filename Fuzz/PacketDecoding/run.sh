#!/usr/bin/env bash
# Builds and runs the PacketDecoding libFuzzer target.
#
#   Fuzz/PacketDecoding/run.sh [SECONDS] [extra libFuzzer flags...]   (default 60 s)
#
# The module's sources are compiled with the harness into one executable under /tmp (nothing is
# written into the repository). Seeds: packets of the shared corpus (../shared/corpus, when
# present) and of the generated tunnel captures (when scapy is importable), each prefixed with the
# link-type selector byte. Crashes land in /tmp/pd-fuzz/artifacts.
set -euo pipefail

seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${PD_FUZZ_DIR:-/tmp/pd-fuzz}"
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"

# lld: gold prints hundreds of harmless "Cannot export local symbol __asan_*" warnings.
swiftc -sanitize=fuzzer,address -parse-as-library -O -D PACKET_DECODING_STRICT_LOADS -use-ld=lld \
    -module-name PacketDecodingFuzz \
    "$root"/Sources/PacketDecoding/*.swift "$here/main.swift" \
    -o "$work/fuzz-packet-decoding"

# Seed once from the real captures (first 200 packets per file) so the fuzzer starts deep, and from
# the generated tunnel captures (Tests/TestSupport/Scripts/tunnel_captures.py, when scapy is
# importable) so every encapsulation layer is reached from the start.
seed() {  # seed DIR PREFIX MAX_PER_FILE
    python3 - "$1" "$work/seeds" "$2" "$3" <<'PY'
import os, struct, sys
src, dst, prefix, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# LinkType.supported order (main.swift indexes that array with the selector byte).
order = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 10, 105, 127, 239, 242, 281]
selector = {link: i for i, link in enumerate(order)}
def emit(name, i, link, data):
    if (link & 0x03FFFFFF) in selector:
        with open(os.path.join(dst, f"{prefix}{name}-{i}"), "wb") as f:
            f.write(bytes([selector[link & 0x03FFFFFF]]) + data[:2048])
for name in sorted(os.listdir(src)):
    b = open(os.path.join(src, name), "rb").read()
    if len(b) < 24: continue
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        link = struct.unpack(e + "I", b[20:24])[0]; off = 24; i = 0
        while off + 16 <= len(b) and (i < limit or name.startswith("hostile")):
            incl = struct.unpack(e + "I", b[off + 8:off + 12])[0]
            if off + 16 + incl > len(b): break
            emit(name, i, link, b[off + 16:off + 16 + incl]); off += 16 + incl; i += 1
    elif magic == b"\x0a\x0d\x0d\x0a":
        off = 0; e = "<"; links = []; i = 0
        while off + 12 <= len(b) and i < limit:
            if b[off:off + 4] == b"\x0a\x0d\x0d\x0a":
                e = "<" if b[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"; links = []
            btype, blen = struct.unpack(e + "II", b[off:off + 8])
            if blen < 12 or off + blen > len(b): break
            if btype == 1: links.append(struct.unpack(e + "H", b[off + 8:off + 10])[0])
            elif btype == 6:
                iface, cap = struct.unpack(e + "I", b[off + 8:off + 12])[0], struct.unpack(e + "I", b[off + 20:off + 24])[0]
                if iface < len(links): emit(name, i, links[iface], b[off + 28:off + 28 + cap]); i += 1
            off += blen
PY
}
shared="$root/../shared/corpus"
if command -v python3 >/dev/null; then
    if [ -d "$shared" ] && ! ls "$work/seeds" | grep -qv '^tunnel-'; then
        seed "$shared" "" 200
    fi
    # The story repeats after the first connection: 24 packets per capture reach every layer and
    # flag combination; the hostile capture is seeded whole.
    if ! ls "$work/seeds" | grep -q '^tunnel-' && python3 -c 'import scapy' 2>/dev/null; then
        rm -rf "$work/tunnels"
        python3 "$root/Tests/TestSupport/Scripts/tunnel_captures.py" "$work/tunnels" && seed "$work/tunnels" "tunnel-" 24
    fi
fi

echo "fuzzing for ${seconds}s; seeds: $(ls "$work/seeds" | wc -l)"
# Let libFuzzer/ASan report crashes themselves instead of Swift's backtracer.
SWIFT_BACKTRACE=enable=no "$work/fuzz-packet-decoding" "$work/corpus" "$work/seeds" \
    -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$@"
