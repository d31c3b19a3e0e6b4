#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine: installs the test tools, builds, fuzzes the packet
# decoder for a bounded time, runs the Swift test suites, then a bounded chaos soak (some need root for
# network namespaces and tmpfs; they skip with a message otherwise).
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
# The chaos soak of issue 19, bounded (about 2.5 minutes with setup and drain): two agents, two
# servers on PostgreSQL, the Kafka mock and seeded faults; nothing lost. Hour-long runs by hand.
bash Benchmarks/soak.sh --duration 120 --seed "${SOAK_SEED:-1}"
