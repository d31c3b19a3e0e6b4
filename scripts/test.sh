#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine: installs the test tools, builds, fuzzes the packet
# decoder for a bounded time, then runs the Swift test suites (some need root for network namespaces
# and tmpfs; they skip with a message otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
swift build --build-tests
# libFuzzer targets, bounded in time: the packet decoder, the pcap/pcapng readers, the DNS/HTTP/TLS parsers,
# the server's record parser.
bash Fuzz/PacketDecoding/run.sh "${FUZZ_SECONDS:-60}"
bash Fuzz/CaptureFiles/run.sh "${FUZZ_SECONDS:-60}"
bash Fuzz/AppProtocols/run.sh "${FUZZ_SECONDS:-60}"
bash Fuzz/RecordParser/run.sh "${FUZZ_SECONDS:-60}"
swift test --skip-build
