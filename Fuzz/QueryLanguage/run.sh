#!/usr/bin/env bash
# Builds and runs the query language / time parser libFuzzer target.
#
#   Fuzz/QueryLanguage/run.sh [SECONDS] [extra libFuzzer flags...]   (default 60 s)
#
# Everything is built under /tmp (nothing is written into the repository), in four modules, because
# the sources import each other as in the package and the agent's TimeParser has the same name as
# the query language's:
#   0. TimeFormat: RFC3339.swift (the RFC 3339 parser both time parsers use);
#   1. PacketDecoding: IPAddress.swift, IPAddress+Text.swift (the address type the query AST uses);
#   2. Indexer (-enable-testing, so the harness reaches the internal TimeParser): Query/QueryAST,
#      QueryError, QueryLexer, QueryParser, TimeParser, plus Format/FieldID (Key128),
#      Format/IndexFieldSet and Build/NameScratch (ReversedName);
#   3. the executable: main.swift with the agent's Config/TimeParser.swift and Config/Units.swift,
#      which `import TimeFormat` (for RFC3339) as they do in the package.
# All three are instrumented (-sanitize=fuzzer,address). Seeds: the queries of docs/query-language.md
# and the string literals of Tests/IndexerTests/*Query*.swift, plus a few agent time and unit
# arguments. Crashes land in /tmp/ql-fuzz/artifacts.
set -euo pipefail

seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${QL_FUZZ_DIR:-/tmp/ql-fuzz}"
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts" "$work/modules"
pd="$root/Sources/PacketDecoding"
ix="$root/Sources/Indexer"
ag="$root/Sources/Agent/Config"

# lld: gold prints hundreds of harmless "Cannot export local symbol __asan_*" warnings.
flags=(-sanitize=fuzzer,address -parse-as-library -O -use-ld=lld -I "$work/modules" -L "$work/modules")
swiftc "${flags[@]}" -module-name TimeFormat -emit-library -static -emit-module \
    -emit-module-path "$work/modules/TimeFormat.swiftmodule" \
    "$root"/Sources/TimeFormat/*.swift -o "$work/modules/libTimeFormat.a"
swiftc "${flags[@]}" -module-name SystemIO -emit-library -static -emit-module \
    -emit-module-path "$work/modules/SystemIO.swiftmodule" \
    "$root/Sources/SystemIO/WallClock.swift" -o "$work/modules/libSystemIO.a"
swiftc "${flags[@]}" -module-name PacketDecoding -emit-library -static -emit-module \
    -emit-module-path "$work/modules/PacketDecoding.swiftmodule" \
    "$pd/IPAddress.swift" "$pd/IPAddress+Text.swift" "$pd/TunnelInfo.swift" "$pd/NetworkLayer.swift" \
    -o "$work/modules/libPacketDecoding.a"
swiftc "${flags[@]}" -enable-testing -module-name Indexer -emit-library -static -emit-module \
    -emit-module-path "$work/modules/Indexer.swiftmodule" \
    "$ix/Query/QueryAST.swift" "$ix/Query/QueryError.swift" "$ix/Query/QueryLexer.swift" \
    "$ix/Query/QueryParser.swift" "$ix/Query/QueryParser+Values.swift" "$ix/Query/TimeParser.swift" \
    "$ix/Format/FieldID.swift" "$ix/Format/IndexFieldSet.swift" "$ix/Build/NameScratch.swift" \
    -o "$work/modules/libIndexer.a"
swiftc "${flags[@]}" -module-name QueryLanguageFuzz \
    "$ag/TimeParser.swift" "$ag/Units.swift" "$here/main.swift" \
    -lIndexer -lPacketDecoding -lTimeFormat -lSystemIO -o "$work/fuzz-query-language"

# Seeds once: every query example of the documentation and string literal of the query tests.
if [ -z "$(ls -A "$work/seeds")" ]; then
    python3 - "$work/seeds" "$root/docs/query-language.md" "$root"/Tests/IndexerTests/*Query*.swift <<'PY'
import os, re, sys
dst, doc, tests = sys.argv[1], sys.argv[2], sys.argv[3:]
seeds = set()
text = open(doc).read()
for block in re.findall(r"```\n(.*?)```", text, re.S):
    if ":=" in block: continue  # the grammar
    seeds.update(line.strip() for line in block.splitlines() if line.strip())
seeds.update(re.findall(r"`([^`\n]+)`", text))
for path in tests:
    for literal in re.findall(r'"((?:[^"\\\n]|\\.)*)"', open(path).read()):
        if "\\(" not in literal:
            seeds.add(literal.encode().decode("unicode_escape", "ignore"))
# The agent's time and unit arguments.
seeds.update(["now", "15m ago", " 2h ago ", "1700000000.5", "1700000000", "2026-11-23 14:05:00Z",
              "2026-11-23T15:05:00.25+01:00", "1.5w", "500ms", "90", "256MiB", "10GB", "1.5T", "512K"])
for i, s in enumerate(sorted(seeds)):
    with open(os.path.join(dst, f"seed{i}"), "w") as f:
        f.write(s)
PY
fi

echo "fuzzing for ${seconds}s; seeds: $(ls "$work/seeds" | wc -l)"
# Let libFuzzer/ASan report crashes themselves instead of Swift's backtracer.
SWIFT_BACKTRACE=enable=no "$work/fuzz-query-language" "$work/corpus" "$work/seeds" \
    -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$@"
