#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine: installs the test tools, builds, fuzzes the packet
# decoder for a bounded time, then runs the Swift test suites (some need root for network namespaces
# and tmpfs; they skip with a message otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
swift build --build-tests
# libFuzzer targets, bounded in time (one budget: 5 x 48 s = 240 s by default): the packet decoder, the
# pcap/pcapng readers, the DNS/HTTP/TLS parsers, the server's record parser, the query language and
# time parsers.
bash Fuzz/PacketDecoding/run.sh "${FUZZ_SECONDS:-48}"
bash Fuzz/CaptureFiles/run.sh "${FUZZ_SECONDS:-48}"
bash Fuzz/AppProtocols/run.sh "${FUZZ_SECONDS:-48}"
bash Fuzz/RecordParser/run.sh "${FUZZ_SECONDS:-48}"
bash Fuzz/QueryLanguage/run.sh "${FUZZ_SECONDS:-48}"
swift test --skip-build
