#!/usr/bin/env bash
# Builds and runs the record parser libFuzzer target.
#
#   Fuzz/RecordParser/run.sh [SECONDS] [extra libFuzzer flags...]   (default 60 s)
#
# The parser's sources (JSONLineScanner, RecordFields, Records and the types they use) are compiled
# with the harness into one executable under /tmp (nothing is written into the repository). Seeds:
# the agent-shaped record lines of Tests/CorrelationTests/Fixtures.swift. Crashes land in
# /tmp/rp-fuzz/artifacts.
set -euo pipefail

seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${RP_FUZZ_DIR:-/tmp/rp-fuzz}"
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
src="$root/Sources/Correlation"

# lld: gold prints hundreds of harmless "Cannot export local symbol __asan_*" warnings.
swiftc -sanitize=fuzzer,address -parse-as-library -O -use-ld=lld -module-name RecordParserFuzz \
    "$src/Records.swift" "$src/RecordFields.swift" "$src/JSONLineScanner.swift" "$src/State.swift" \
    "$src/Inventory.swift" "$src/Functions.swift" "$here/main.swift" \
    -o "$work/fuzz-record-parser"

# Seeds once: the fixture lines, their \#(name) interpolations filled with plausible values.
if [ -z "$(ls -A "$work/seeds")" ]; then
    python3 - "$work/seeds" "$root/Tests/CorrelationTests/Fixtures.swift" <<'PY'
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
