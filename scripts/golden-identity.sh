#!/usr/bin/env bash
# One-off behaviour check for restructurings (issue 15): replays every corpus capture and a generated
# one through `vigie-agent ingest` with every index field, then hashes each index file and each record
# stream with the wall-clock fields removed (agent_ts, epoch, and agent_health's process figures).
#
#   scripts/golden-identity.sh record BIN_DIR OUT.tsv   # with the binaries of the old commit
#   scripts/golden-identity.sh check  BIN_DIR OUT.tsv   # with the new ones: exits 1 on any difference
#
# BIN_DIR holds vigie-agent and vigie-gen (e.g. .build/release). Needs ../shared/corpus and python3.
set -euo pipefail
mode=${1:?record or check}; bin=${2:?binary directory}; golden=${3:?golden TSV}
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${VIGIE_CORPUS:-$here/../shared/corpus}
[ -d "$corpus" ] || { echo "golden-identity: no corpus at $corpus" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$bin/vigie-gen" --output "$work/generated.pcap" --packets 400000 --seed 15 >/dev/null
now="$work/now.tsv"; : > "$now"
for capture in "$corpus"/*.pcap "$corpus"/*.pcapng "$work/generated.pcap"; do
    name=$(basename "$capture")
    store="$work/store-$name"
    "$bin/vigie-agent" ingest --store "$store" --index-fields all --agent-id golden --segment-size 4MiB \
        --log-level error "$capture" >/dev/null 2>&1 || true   # corrupt captures exit 2: their prefix counts
    for idx in $(cd "$store" && find index -type f -name '*.idx' | sort); do
        printf '%s\t%s\t%s\n' "$name" "$idx" "$(sha256sum "$store/$idx" | cut -d' ' -f1)" >> "$now"
    done
    python3 - "$store" "$name" >> "$now" <<'PY'
import gzip, hashlib, json, os, sys
store, name = sys.argv[1], sys.argv[2]
volatile = {"agent_ts", "epoch"}
health_volatile = {"uptime_s", "rss_bytes", "cpu_s", "spool_bytes", "spool_records", "exported", "export_errors"}
records = os.path.join(store, "records")
# records-N.ndjson or, compressed when closed, records-N.ndjson.gz (one per N; the .gz when both):
# the same lines, hashed under the plain name so stores of either kind compare.
files = {}
for f in sorted(os.listdir(records)) if os.path.isdir(records) else []:
    if f.startswith("records-") and (f.endswith(".ndjson") or f.endswith(".ndjson.gz")):
        plain = f.removesuffix(".gz")
        if f.endswith(".gz") or plain not in files:
            files[plain] = f
for plain in sorted(files):
    f = files[plain]
    digest = hashlib.sha256()
    opener = gzip.open if f.endswith(".gz") else open
    for line in opener(os.path.join(records, f), "rb"):
        r = json.loads(line)
        if r.get("kind") == "agent_health":
            continue   # process figures of the run (RSS, CPU, uptime), not of the traffic
        for key in volatile:
            r.pop(key, None)
        digest.update(json.dumps(r, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    print(f"{name}\trecords/{plain}\t{digest.hexdigest()}")
PY
done
case "$mode" in
    record) cp "$now" "$golden"; echo "golden-identity: $(wc -l < "$golden") hashes recorded in $golden" ;;
    check)
        if diff <(sort "$golden") <(sort "$now") > "$work/diff"; then
            echo "golden-identity: $(wc -l < "$now") index files and record streams identical"
        else
            echo "golden-identity: differences (< golden, > now):"; cat "$work/diff"; exit 1
        fi ;;
    *) echo "record or check" >&2; exit 2 ;;
esac
