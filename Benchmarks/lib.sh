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

# A veth pair between two fresh network namespaces: sender $SA in $A, receiver $SB in $B (MTU 9000,
# IPv6 off so no neighbour discovery joins the replay), deleted when the script exits. Needs root.
veth_pair() {
  local t=$$
  A=vba-$t; B=vbb-$t; SA=vsa$t; SB=vsb$t
  trap 'ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true' EXIT
  ip netns add $A; ip netns add $B
  ip link add $SA type veth peer name $SB
  ip link set $SA netns $A; ip link set $SB netns $B
  for ns in $A $B; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
  ip netns exec $A ip link set $SA mtu 9000 up; ip netns exec $B ip link set $SB mtu 9000 up
}
