#!/usr/bin/env bash
# Builds and runs the PacketDecoding libFuzzer target.
#
#   Fuzz/PacketDecoding/run.sh [SECONDS] [extra libFuzzer flags...]   (default 60 s)
#
# The module's sources are compiled with the harness into one executable under /tmp (nothing is
# written into the repository). Seeds: every packet of the shared corpus (../shared/corpus, when
# present), each prefixed with the link-type selector byte. Crashes land in /tmp/pd-fuzz/artifacts.
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

# Seed once from the real captures (first 200 packets per file) so the fuzzer starts deep.
shared="$root/../shared/corpus"
if [ -d "$shared" ] && [ -z "$(ls -A "$work/seeds")" ] && command -v python3 >/dev/null; then
    python3 - "$shared" "$work/seeds" <<'PY'
import os, struct, sys
src, dst = sys.argv[1], sys.argv[2]
selector = {0: 0, 1: 1, 12: 2, 14: 3, 101: 4, 108: 5, 113: 6, 228: 7, 229: 8, 276: 9}  # LinkType.supported order
def emit(name, i, link, data):
    if (link & 0x03FFFFFF) in selector:
        with open(os.path.join(dst, f"{name}-{i}"), "wb") as f:
            f.write(bytes([selector[link & 0x03FFFFFF]]) + data[:2048])
for name in sorted(os.listdir(src)):
    b = open(os.path.join(src, name), "rb").read()
    if len(b) < 24: continue
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        link = struct.unpack(e + "I", b[20:24])[0]; off = 24; i = 0
        while off + 16 <= len(b) and i < 200:
            incl = struct.unpack(e + "I", b[off + 8:off + 12])[0]
            if off + 16 + incl > len(b): break
            emit(name, i, link, b[off + 16:off + 16 + incl]); off += 16 + incl; i += 1
    elif magic == b"\x0a\x0d\x0d\x0a":
        off = 0; e = "<"; links = []; i = 0
        while off + 12 <= len(b) and i < 200:
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
fi

echo "fuzzing for ${seconds}s; seeds: $(ls "$work/seeds" | wc -l)"
# Let libFuzzer/ASan report crashes themselves instead of Swift's backtracer.
SWIFT_BACKTRACE=enable=no "$work/fuzz-packet-decoding" "$work/corpus" "$work/seeds" \
    -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$@"
