#!/usr/bin/env bash
# Installs the system packages Vigie needs from Debian 12's apt.
#   scripts/install-deps.sh          build/run dependencies
#   scripts/install-deps.sh --test   plus the tools the tests compare against
set -euo pipefail
pkgs=(libpcap-dev librdkafka-dev libcurl4-openssl-dev pkg-config)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(tshark tcpdump tcpreplay kcat iproute2 bc)
fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift not found: install a Swift 6 toolchain (https://swift.org/install) and put it on PATH" >&2; exit 1; }
