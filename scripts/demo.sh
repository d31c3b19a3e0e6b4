#!/usr/bin/env bash
# Installs dependencies, builds, generates a sample capture and stores it: the agent's main job with
# its embedded defaults (no server needed). Then lists the segments and the status.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product vigie-agent
swift build -c release --product vigie-gen
STORE=${STORE:-/tmp/vigie-demo-store}
SAMPLE=${SAMPLE:-/tmp/vigie-demo.pcap}
[ -s "$SAMPLE" ] || .build/release/vigie-gen --output "$SAMPLE" --bytes 64M --seed 7
.build/release/vigie-agent ingest --store "$STORE" --segment-size 16MiB "$SAMPLE"
.build/release/vigie-agent segments --store "$STORE"
.build/release/vigie-agent status --store "$STORE"
echo "Segments are plain pcap files: tshark -r $STORE/segments/000000000001.pcap | head"
