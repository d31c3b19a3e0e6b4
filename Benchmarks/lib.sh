# Shared helpers for the benchmark scripts (sourced).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${VIGIE_BENCH_BIN:-$ROOT/.build/release}   # another build folder: VIGIE_BENCH_BIN=.build-x/release
WORK=${VIGIE_BENCH_DIR:-/tmp/vigie-bench}
CAPTURE=${VIGIE_BENCH_PCAP:-$WORK/traffic.pcap}
mkdir -p "$WORK"

build_release() {
  [ -z "${VIGIE_BENCH_NOBUILD:-}" ] || return 0
  (cd "$ROOT" && swift build -c release --product vigie-agent >&2 && swift build -c release --product vigie-gen >&2)
}

# The generated capture: >= 1 GiB and >= 1.5 M packets of TCP sessions, DNS, refusals, unanswered SYNs.
ensure_capture() {
  if [ ! -s "$CAPTURE" ]; then
    "$BIN/vigie-gen" --output "$CAPTURE" --bytes "${VIGIE_BENCH_BYTES:-1G}" --seed 1 >&2
  fi
}

now() { date +%s.%N; }

# Median of the numbers on stdin.
median() { sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }

machine() {
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(uname -r), $(df -T "$WORK" | awk 'NR==2{print $2}') at $WORK"
}
