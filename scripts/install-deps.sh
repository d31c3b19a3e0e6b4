#!/usr/bin/env bash
# Installs the system packages Vigie needs from Debian 12's apt.
#   scripts/install-deps.sh          build/run dependencies
#   scripts/install-deps.sh --test   plus the tools the tests compare against
set -euo pipefail
# curl and python3: scripts/demo.sh talks to the server and reads the records with them.
pkgs=(libpcap-dev librdkafka-dev libcurl4-openssl-dev zlib1g-dev libsqlite3-dev libpq-dev pkg-config curl python3)
if [ "${1:-}" = "--test" ]; then
  # python3: the tests' HTTP receiver and scenario server/client; jsonschema validates records;
  # scapy (below) writes the tunnel captures.
  # postgresql: the server binaries the PostgreSQL tests start on loopback (initdb, pg_ctl).
  # nftables: the chaos soak drops packets with nft rules inside its network namespace.
  # prometheus: a real Prometheus scrapes an agent and a server in a test; promtool checks the
  # alert rules and the dashboard's queries (Packaging/prometheus/).
  # chromium and chromium-driver: the operator console's browser test (Tests/EndToEndTests/ConsoleBrowserTests.swift)
  # drives Debian's headless Chromium through its chromedriver, with Selenium (below).
  pkgs+=(tshark tcpdump tcpreplay kcat iproute2 bc python3 curl postgresql nftables prometheus chromium chromium-driver)
fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian's prometheus package starts a server on :9090 where systemd runs; the tests start their
# own on loopback ports: the packaged one is not needed.
if [ "${1:-}" = "--test" ] && command -v systemctl >/dev/null 2>&1 && systemctl is-enabled prometheus >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
if [ "${1:-}" = "--test" ] && ! python3 -c 'import jsonschema' 2>/dev/null; then
  # From PyPI; a Debian-managed python3 refuses pip installs (PEP 668): then Debian's package.
  python3 -m pip install -q jsonschema 2>/dev/null || {
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-jsonschema
  }
fi
# scapy writes the tunnel captures the decoder tests compare with tshark (Tests/TestSupport/Scripts/
# tunnel_captures.py); from PyPI, else Debian's package. Without it those tests are skipped with a message.
if [ "${1:-}" = "--test" ] && ! python3 -c 'import scapy' 2>/dev/null; then
  python3 -m pip install -q scapy 2>/dev/null || {
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-scapy
  } || echo "install-deps: scapy could not be installed; the tunnel decoding tests will be skipped" >&2
fi
# selenium drives Chromium in the console's browser test (Tests/EndToEndTests/Browser/console_check.py), with
# Debian's /usr/bin/chromedriver (SE_OFFLINE=true: Selenium Manager never downloads a driver). From PyPI, else
# Debian's package. Without it that test is skipped with a message.
if [ "${1:-}" = "--test" ] && ! python3 -c 'import selenium' 2>/dev/null; then
  python3 -m pip install -q selenium 2>/dev/null || {
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-selenium
  } || echo "install-deps: selenium could not be installed; the console browser test will be skipped" >&2
fi
# schemathesis (Tests/AgentHTTPTests/AgentAPISchemathesisTests.swift checks the agent against Schemas/agent-api.yaml),
# pinned: its CLI and checks change between releases. From PyPI; where a Debian-managed python3 refuses pip
# installs (PEP 668) and Debian has no package, into a venv of its own linked from /usr/local/bin. If neither
# works the test is skipped with a message, as without the tool.
SCHEMATHESIS_VERSION=4.32.5
if [ "${1:-}" = "--test" ] && ! schemathesis --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION" 2>/dev/null || {
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    venv=/opt/vigie-test-tools
    { dpkg -s python3-venv >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv; } &&
      $SUDO python3 -m venv "$venv" && $SUDO "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" &&
      $SUDO ln -sf "$venv/bin/schemathesis" /usr/local/bin/schemathesis
  } || echo "install-deps: schemathesis $SCHEMATHESIS_VERSION could not be installed; the agent API conformance test will be skipped" >&2
fi
command -v swift >/dev/null || { echo "swift not found: install a Swift 6 toolchain (https://swift.org/install) and put it on PATH" >&2; exit 1; }
