#!/usr/bin/env bash
# The chaos soak of issue 19: the whole chain under seeded random faults, then "nothing lost".
#
#   Benchmarks/soak.sh [--seed N] [--duration SECONDS] [--bin DIR] [--faults a,b,c] [--without-token-rotate] [--keep]
#
# Two network namespaces joined by two veth pairs: "cli" runs HTTP clients (python), "core" runs
# everything else on its own loopback: the services they call, two agents capturing live on the
# core ends of the pairs (agent A exports over HTTP through a delaying proxy to server instance s1,
# agent B over Kafka to vigie-kafka-mock), two vigie-server instances on one private PostgreSQL
# (its data on a tmpfs) in one consumer group, and the fault injector (Benchmarks/soak/chaos.py).
# Nothing but loopback and these namespaces is ever a traffic target. Faults (seeded kinds, moments,
# durations, targets; one at a time, each logged with its start and end):
#   agent-kill    kill -9 an agent, restart it on the same store      server-kill  kill -9 s1 or s2, restart
#   broker-pause  SIGSTOP/SIGCONT of vigie-kafka-mock                  pg-restart   pg_ctl stop -m fast|immediate, start
#   net-drop      nftables numgen random drop (HTTP proxy or broker port) in the core namespace
#   proxy-delay   per-chunk delay or a stall of the agent-to-server proxy
#   fill-spool    an agent's spool tmpfs filled, then freed           fill-pg      PostgreSQL's tmpfs filled, then freed
#   token-rotate  server token rotated (SIGHUP), agent token file a few seconds later (the agent
#                 re-reads it after a 401; --without-token-rotate leaves it out)
# After the faults: everything healed, spools drained, traffic stopped, agents stopped (SIGTERM), then
# a reference vigie-server (SQLite, HTTP only) is fed the agents' NDJSON record files once and the
# shared servers are compared with it: every (agent_id, epoch, seq) the agents wrote covered by the
# PostgreSQL duplicate marks (HTTP marks for agent A, per-partition Kafka marks for agent B, using the
# partitions kcat reads back), conn/txn records stored exactly once in the flow table, weather and
# agent views equal to the reference's. Exit 1 with the reasons on any difference.
#
# Needs root, ip, nft, psql, kcat, PostgreSQL's server binaries (initdb, pg_ctl) and a 'postgres'
# user: otherwise it says what is missing and exits 0 (skipped).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SEED=1 DURATION=180 BIN=$ROOT/.build/debug KEEP=0 FAULTS="" TOKEN=""
while [ $# -gt 0 ]; do
  case $1 in
    --seed) SEED=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --bin) BIN=$(cd "$2" && pwd); shift 2 ;;
    --faults) FAULTS=$2; shift 2 ;;
    --with-token-rotate) TOKEN=1; shift ;;
    --without-token-rotate) TOKEN=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
# Every kind by default (token rotation unless --without-token-rotate); --with-token-rotate adds it
# to a --faults list.
if [ -z "$FAULTS" ]; then
  FAULTS=agent-kill,server-kill,broker-pause,pg-restart,net-drop,proxy-delay,fill-spool,fill-pg
  [ "$TOKEN" = 0 ] || FAULTS="$FAULTS,token-rotate"
elif [ "$TOKEN" = 1 ]; then
  FAULTS="$FAULTS,token-rotate"
fi

skip() { echo "soak.sh: SKIPPED: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, nftables, tmpfs mounts)"
for t in ip nft psql kcat python3 runuser mount umount; do
  command -v "$t" >/dev/null 2>&1 || skip "'$t' is not installed (apt install iproute2 nftables postgresql-client kcat python3)"
done
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ] || skip "PostgreSQL server binaries not installed (apt install postgresql)"
id postgres >/dev/null 2>&1 || skip "no 'postgres' user to run PostgreSQL as"
for b in vigie-agent vigie-server vigie-kafka-mock; do
  [ -x "$BIN/$b" ] || { echo "soak.sh: $BIN/$b missing (swift build, or --bin DIR)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/vigie-soak.XXXXXX)
chmod 755 "$WORK"
TAG=$$
CORE=vsk-core-$TAG CLI=vsk-cli-$TAG
MOUNTS=()
CHAOS_PID=""
cleanup() {
  local rc=$?
  set +e
  [ -n "$CHAOS_PID" ] && kill "$CHAOS_PID" 2>/dev/null && wait "$CHAOS_PID" 2>/dev/null
  if [ -f "$WORK/pids" ]; then
    while read -r pid; do kill -9 "$pid" 2>/dev/null; done < "$WORK/pids"
  fi
  if [ -f "$WORK/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate -w stop >/dev/null 2>&1
  fi
  for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done
  ip netns del "$CORE" 2>/dev/null; ip netns del "$CLI" 2>/dev/null
  # A failure in CI leaves no folder behind: the evidence goes to the output.
  if [ "$rc" != 0 ] && [ -d "$WORK/logs" ]; then
    for f in "$WORK"/logs/s1.log "$WORK"/logs/s2.log "$WORK"/logs/agent-a.log "$WORK"/logs/agent-b.log; do
      [ -f "$f" ] && { echo "---- last lines of $(basename "$f")"; grep -v '^%' "$f" | tail -n 25 | cut -c1-300; }
    done
  fi
  if [ "$KEEP" = 1 ]; then echo "soak.sh: work folder kept: $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Namespaces: core (10.77.1.1 and 10.77.2.1, on coa / cob) and cli (10.77.1.2, 10.77.2.2).
ip netns add "$CORE"; ip netns add "$CLI"
for ns in "$CORE" "$CLI"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link set lo up
done
for x in a:1 b:2; do
  n=${x%%:*} net=${x##*:}
  ip -n "$CORE" link add co$n type veth peer name cl$n netns "$CLI"
  ip -n "$CORE" addr add 10.77.$net.1/24 dev co$n; ip -n "$CLI" addr add 10.77.$net.2/24 dev cl$n
  ip -n "$CORE" link set co$n up; ip -n "$CLI" link set cl$n up
done

# tmpfs: PostgreSQL's data directory (256 MiB, 1 GiB beyond 600 s) and each agent's spool (filled by the fill-* faults). The spool's
# bound (64 MiB, chaos.py --spool-size) stays below its tmpfs.
mkdir -p "$WORK/pg/data" "$WORK/agent-a/store/spool" "$WORK/agent-b/store/spool" "$WORK/logs"
chown postgres: "$WORK/pg"
PGSIZE=256m; [ "$DURATION" -gt 600 ] && PGSIZE=1g   # an hour of flow rows and WAL needs more
mount -t tmpfs -o size=$PGSIZE,mode=0700,uid="$(id -u postgres)",gid="$(id -g postgres)" soak-pg "$WORK/pg/data"; MOUNTS+=("$WORK/pg/data")
for n in a b; do
  mount -t tmpfs -o size=128m soak-spool-$n "$WORK/agent-$n/store/spool"; MOUNTS+=("$WORK/agent-$n/store/spool")
done

echo "soak.sh: seed $SEED, duration ${DURATION}s, binaries $BIN, work $WORK"
ip netns exec "$CORE" python3 "$ROOT/Benchmarks/soak/chaos.py" --work "$WORK" --bin "$BIN" --pgbin "$PGBIN" --cli-ns "$CLI" \
  --seed "$SEED" --duration "$DURATION" --faults "$FAULTS" &
CHAOS_PID=$!
set +e
wait "$CHAOS_PID"
RC=$?
set -e
CHAOS_PID=""
exit $RC
