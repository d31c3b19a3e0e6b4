#!/usr/bin/env bash
# Builds and runs the record parser libFuzzer target.
#
#   Fuzz/RecordParser/run.sh [SECONDS] [extra libFuzzer flags...]   (default 60 s)
#
# The parser's sources (Sources/Records without its writer: kinds, field names, service ids, the
# scanner and the parser) are compiled with the harness into one executable under /tmp (nothing is
# written into the repository); TimeFormat, which they import, first as a module of its own. Seeds:
# the agent-shaped record lines of Tests/TestSupport/RecordLines.swift. Crashes land in
# /tmp/rp-fuzz/artifacts.
set -euo pipefail

seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${RP_FUZZ_DIR:-/tmp/rp-fuzz}"
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts" "$work/modules"
src="$root/Sources/Records"

# lld: gold prints hundreds of harmless "Cannot export local symbol __asan_*" warnings.
flags=(-sanitize=fuzzer,address -parse-as-library -O -use-ld=lld -I "$work/modules" -L "$work/modules")
swiftc "${flags[@]}" -module-name TimeFormat -emit-library -static -emit-module \
    -emit-module-path "$work/modules/TimeFormat.swiftmodule" \
    "$root"/Sources/TimeFormat/*.swift -o "$work/modules/libTimeFormat.a"
swiftc "${flags[@]}" -module-name RecordParserFuzz \
    "$src"/*.swift "$src"/Reader/*.swift "$here/main.swift" \
    -lTimeFormat -o "$work/fuzz-record-parser"

# Seeds once: the fixture lines, their \#(name) interpolations filled with plausible values.
if [ -z "$(ls -A "$work/seeds")" ]; then
    python3 - "$work/seeds" "$root/Tests/TestSupport/RecordLines.swift" <<'PY'
import os, re, sys
values = {"agent": "edge-paris-01", "epoch": "1763877000000", "seq": "7", "service": "10.0.0.5:443/tcp", "h": "10.0.0.5",
          "p": "443", "t": "tcp", "state": "UP", "previous": "UP", "reason": "transition", "ts": "2023-11-14T22:14:40.000000000Z",
          "client": "10.0.1.1"}
text = open(sys.argv[2]).read()
for i, raw in enumerate(re.findall(r'#"(\{"schema_version".*?)"#', text)):
    line = re.sub(r'\\#\((\w+)\)', lambda m: values.get(m.group(1), "x"), raw)
    open(os.path.join(sys.argv[1], f"seed{i}"), "w").write(line + "\n")
PY
fi

echo "fuzzing for ${seconds}s; seeds: $(ls "$work/seeds" | wc -l)"
# Let libFuzzer/ASan report crashes themselves instead of Swift's backtracer.
SWIFT_BACKTRACE=enable=no "$work/fuzz-record-parser" "$work/corpus" "$work/seeds" \
    -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$@"
