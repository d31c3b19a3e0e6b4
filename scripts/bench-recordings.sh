#!/bin/bash
# Per-packet cost of planned recordings (docs/recordings.md, "Per-packet cost"): a release
# `vigie-agent ingest` (analytics off) of one capture, without recordings, with one whose window is
# not reached, one in its window with a filter matching nothing, and one taking every packet cut to
# 96 bytes. Prints the best and every run's packets/s (a shared VM varies a lot between runs).
#
#   scripts/bench-recordings.sh BUILD_DIR [PACKETS] [RUNS]
#   e.g. swift build -c release --product vigie-agent --product vigie-gen && scripts/bench-recordings.sh .build/release
set -euo pipefail
bin=${1:?usage: $0 BUILD_DIR [PACKETS] [RUNS]}
packets=${2:-1000000}
runs=${3:-6}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/vigie-gen" -o "$work/in.pcap" --packets "$packets" >/dev/null 2>&1
read -r first _ < <(capinfos -a -S -T -r "$work/in.pcap" | cut -f2)
day=$(date -u -d "@${first%.*}" +%Y-%m-%d)
next=$(date -u -d "$day + 1 day" +%Y-%m-%d)
run() {
  local name=$1 rec=$2 best=0 all=""
  for _ in $(seq "$runs"); do
    rm -rf "$work/s"
    printf 'store: %s\nanalytics: {enabled: false}\nstorage: {quota: 4GiB}\n%s\n' "$work/s" "$rec" > "$work/c.yaml"
    pps=$("$bin/vigie-agent" ingest --config "$work/c.yaml" --no-progress --json --log-level error "$work/in.pcap" \
      | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["packetsPerSecond"]))')
    all="$all $pps"
    if [ "$pps" -gt "$best" ]; then best=$pps; fi
  done
  echo "$name: best $best packets/s (runs:$all)"
}
run none ""
run not-reached "recordings: [{id: r, start: '2200-01-01T00:00:00Z', end: '2200-01-02T00:00:00Z', quota: 2GiB}]"
run filter-nothing "recordings: [{id: r, start: '${day}T00:00:00Z', end: '${next}T00:00:00Z', filter: 'port 1', quota: 2GiB}]"
run all-96 "recordings: [{id: r, start: '${day}T00:00:00Z', end: '${next}T00:00:00Z', snaplen: 96, quota: 2GiB}]"
