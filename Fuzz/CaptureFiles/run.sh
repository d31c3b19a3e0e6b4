#!/usr/bin/env bash
# Builds and runs the CaptureFiles libFuzzer target (PcapFormat's pcap/pcapng readers).
#
#   Fuzz/CaptureFiles/run.sh [SECONDS] [extra libFuzzer flags...]   (default 60 s)
#
# The module's sources are compiled with the harness into one executable under /tmp (nothing is
# written into the repository). Seeds: the first 64 KiB of every ../shared/corpus/*.pcap* file
# (when present) behind mode byte 0, plus a few synthetic files for the variants the corpus lacks
# (when python3 is there). Crashes land in $CF_FUZZ_DIR/artifacts (default /tmp/cf-fuzz).
set -euo pipefail

seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${CF_FUZZ_DIR:-/tmp/cf-fuzz}"
mkdir -p "$work/corpus" "$work/artifacts"
command -v swiftc >/dev/null || PATH="/opt/swift/usr/bin:$PATH"

# lld: gold prints hundreds of harmless "Cannot export local symbol __asan_*" warnings.
# -wmo -j 1: a single compiler process (the build machine is shared).
swiftc -sanitize=fuzzer,address -parse-as-library -O -wmo -j 1 -use-ld=lld \
    -module-name CaptureFilesFuzz \
    "$root"/Sources/PcapFormat/*.swift "$here/main.swift" \
    -o "$work/fuzz-capture-files"

# Seeds are rebuilt every run (cheap); what the fuzzer finds accumulates in $work/corpus.
rm -rf "$work/seeds"
mkdir -p "$work/seeds"
shared="$root/../shared/corpus"
if [ -d "$shared" ]; then
    for f in "$shared"/*.pcap*; do
        [ -f "$f" ] || continue
        { printf '\000'; head -c 65536 "$f"; } > "$work/seeds/$(basename "$f")"
    done
fi
if command -v python3 >/dev/null; then
    python3 - "$work/seeds" <<'PY'
import struct, sys, os
dst = sys.argv[1]
def put(name, mode, data):
    with open(os.path.join(dst, name), "wb") as f: f.write(bytes([mode]) + data)

def pcap(e, magic, major, minor, snaplen, link, records, old=False):
    out = struct.pack(e + "IHHiIII", magic, major, minor, 0, 0, snaplen, link)
    for sec, frac, data, orig in records:
        cap, wire = len(data), orig
        out += struct.pack(e + "IIII", sec, frac, *((wire, cap) if old else (cap, wire))) + data
    return out
recs = [(1700000000, 123456, bytes(range(60)), 60), (1700000001, 999999999, b"\xaa" * 20, 1500)]
put("syn-pcap-be-micro", 0, pcap(">", 0xA1B2C3D4, 2, 4, 65535, 1, recs))
put("syn-pcap-be-nano", 0, pcap(">", 0xA1B23C4D, 2, 4, 65535, 101, recs))
put("syn-pcap-le-nano", 0, pcap("<", 0xA1B23C4D, 2, 4, 0, 113, recs))
put("syn-pcap-v2.2-lengths-swapped", 0, pcap("<", 0xA1B2C3D4, 2, 2, 96, 1, recs, old=True))
put("syn-pcap-huge-snaplen", 0, pcap("<", 0xA1B2C3D4, 2, 4, 0xFFFFFFFF, 1, recs))

def pad(b): return b + b"\0" * (-len(b) % 4)
def opt(e, code, val): return struct.pack(e + "HH", code, len(val)) + pad(val)
def block(e, btype, body):
    n = 12 + len(pad(body))
    return struct.pack(e + "II", btype, n) + pad(body) + struct.pack(e + "I", n)
def shb(e): return block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
def idb(e, link, snap, opts=b""):
    return block(e, 1, struct.pack(e + "HHI", link, 0, snap) + (opts + struct.pack(e + "HH", 0, 0) if opts else b""))
def epb(e, iface, ts, data, orig=None):
    return block(e, 6, struct.pack(e + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), orig or len(data)) + data)
def spb(e, data): return block(e, 3, struct.pack(e + "I", len(data)) + data)
def pb(e, iface, ts, data): return block(e, 2, struct.pack(e + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data)
def section(e):
    return (shb(e)
        + idb(e, 1, 0, opt(e, 9, b"\x09") + opt(e, 14, struct.pack(e + "q", 100)))
        + idb(e, 101, 64, opt(e, 9, b"\x94"))
        + idb(e, 228, 1500, opt(e, 9, b"\x13"))
        + epb(e, 0, 1700000000123456789, bytes(range(40)))
        + epb(e, 1, (1700000000 << 20) | 12345, b"\x45" * 30, 1000)
        + epb(e, 2, 1700000000 * 10**19 % 2**64, b"\x60" * 8)
        + block(e, 5, struct.pack(e + "III", 0, 0, 0))
        + spb(e, b"\x11" * 80)
        + pb(e, 1, 5, b"\x22" * 12)
        + block(e, 0xBAD, b"custom"))
put("syn-pcapng-le", 0, section("<"))
put("syn-pcapng-be", 0, section(">"))
# Two sections, other byte order, interface 0 with another link type: format must follow.
put("syn-pcapng-two-sections", 0, section("<") + shb(">") + idb(">", 113, 0) + epb(">", 0, 7, b"\x33" * 16))
put("syn-pcapng-no-idb-first", 0, shb("<") + block("<", 4, b"\0" * 8) + idb("<", 1, 0) + epb("<", 0, 1, b"x" * 4))
# ReadBuffer mode: capacity 16 << 2, ops ensure(10), consume(7), ensure(200), ensure(5000)
put("syn-readbuffer", 8, bytes([0x24]) + struct.pack("<IIII", 20, 15, 400, 10000) + bytes(range(256)) * 3)
for mode in range(1, 8):
    put(f"syn-mode-{mode}", mode, section("<") if mode >= 5 else pcap("<", 0xA1B2C3D4, 2, 4, 65535, 1, recs))
PY
fi

echo "fuzzing for ${seconds}s; seeds: $(ls "$work/seeds" | wc -l)"
# Let libFuzzer/ASan report crashes themselves instead of Swift's backtracer.
# -malloc_limit_mb=64: inputs are at most 64 KiB, so a larger single allocation can only come from
# a length field the file does not back with bytes.
SWIFT_BACKTRACE=enable=no "$work/fuzz-capture-files" "$work/corpus" "$work/seeds" \
    -max_total_time="$seconds" -max_len=65537 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=64 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$@"
