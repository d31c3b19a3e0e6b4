#!/usr/bin/env bash
# Builds and runs the AppProtocols libFuzzer target.
#
#   Fuzz/AppProtocols/run.sh [SECONDS] [extra libFuzzer flags...]   (default 60 s)
#
# The module's sources are compiled with the harness into one executable under /tmp (nothing is
# written into the repository). Seeds: the UDP/TCP payloads on ports 53, 80 and 443 of the shared
# corpus (../shared/corpus, when present and tshark is installed), each prefixed with the parser
# selector byte. Crashes land in /tmp/ap-fuzz/artifacts.
set -euo pipefail

seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${AP_FUZZ_DIR:-/tmp/ap-fuzz}"
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"

# lld: gold prints hundreds of harmless "Cannot export local symbol __asan_*" warnings.
swiftc -sanitize=fuzzer,address -parse-as-library -O -D APP_PROTOCOLS_STRICT_LOADS -use-ld=lld \
    -module-name AppProtocolsFuzz \
    $(find "$root/Sources/AppProtocols" -name '*.swift' | sort) "$here/main.swift" \
    -o "$work/fuzz-app-protocols"

# Seed once from the real captures: selector 0 = DNS/UDP, 1 = DNS/TCP, 2 = HTTP, 3 = TLS.
shared="$root/../shared/corpus"
if [ -d "$shared" ] && [ -z "$(ls -A "$work/seeds")" ] && command -v tshark >/dev/null && command -v python3 >/dev/null; then
    for f in "$shared"/*.pcap "$shared"/*.pcapng; do
        tshark -n -r "$f" -Y 'udp.port==53 || tcp.port==53 || tcp.port==80 || tcp.port==443 || tcp.port==8080' \
            -T fields -e udp.dstport -e udp.srcport -e tcp.dstport -e tcp.srcport -e udp.payload -e tcp.payload \
            2>/dev/null | head -300 | python3 -c '
import sys, os
dst, name = sys.argv[1], os.path.basename(sys.argv[2])
for i, line in enumerate(sys.stdin):
    f = line.rstrip("\n").split("\t")
    if len(f) < 6: continue
    ports = set(p for p in f[:4] if p)
    hexdata = f[4] or f[5]
    if not hexdata: continue
    data = bytes.fromhex(hexdata.replace(":", ""))[:2048]
    if f[4]: sel = 0
    elif "53" in ports: sel = 1
    elif "443" in ports: sel = 3
    else: sel = 2
    open(os.path.join(dst, f"{name}-{i}"), "wb").write(bytes([sel]) + data)
' "$work/seeds" "$f" || true
    done
fi

echo "fuzzing for ${seconds}s; seeds: $(ls "$work/seeds" | wc -l)"
# Let libFuzzer/ASan report crashes themselves instead of Swift's backtracer.
SWIFT_BACKTRACE=enable=no "$work/fuzz-app-protocols" "$work/corpus" "$work/seeds" \
    -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$@"
