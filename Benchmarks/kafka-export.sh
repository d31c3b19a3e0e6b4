#!/usr/bin/env bash
# Kafka export speed (issue 18: >= 300,000 records/s): the agent's spool -> KafkaSink -> broker path,
# delivery reports and spool acknowledgements included (`vigie-bench kafka-export`), against kcat
# producing the same records to the same cluster. Each run starts a fresh `vigie-kafka-mock` on
# loopback (librdkafka's mock cluster keeps every message in memory, so one cluster per run bounds
# its memory), sends RECORDS records (default 500,000) once with vigie and once with kcat, in
# alternating order, and checks with kcat that the cluster appended every record (end offsets).
# The records are the agent's own (`vigie-bench kafka-export --make-from`: the analytics and record
# encoder over `vigie-gen --bytes 256M --seed 1`, every transaction kept, repeated up to RECORDS),
# as KEY<TAB>JSON lines; kcat sends them with that key and the sink's two fixed headers, and with
# the sink's delivery settings (KCAT_OPTS) so both clients do the same work.
# RUNS runs (default 5), PARTITIONS partitions a topic (default 3). Loopback only.
source "$(dirname "$0")/lib.sh"
if [ "${VIGIE_BENCH_NOBUILD:-}" != 1 ]; then
  (cd "$ROOT" && for p in vigie-bench vigie-kafka-mock vigie-gen; do swift build -c release --product $p >&2; done)
fi
command -v kcat >/dev/null || { echo "kcat is needed (apt-get install -y kcat)" >&2; exit 1; }
RUNS=${RUNS:-5}; RECORDS=${RECORDS:-500000}; PARTITIONS=${PARTITIONS:-3}
KCAT_OPTS=${KCAT_OPTS:--X enable.idempotence=true -X acks=all -X compression.type=lz4 -X linger.ms=50}
SINK_OPTS=${SINK_OPTS:-}   # e.g. "--set linger.ms=5" (librdkafka overrides) or "--topic vigie.all" (one topic, as kcat)
PCAP=${KAFKA_PCAP:-$WORK/kafka-export.pcap}
DIR="$WORK/kafka-export"; mkdir -p "$DIR"
RECFILE="$DIR/records-$RECORDS.tsv"
TOPICS="conn txn edge service_state service_seen agent_health"
echo "machine: $(machine)"
echo "librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?'), $(kcat -V 2>&1 | grep -m1 -o 'kcat - .*' || true) $(kcat -V 2>&1 | grep -m1 -oi 'version [^ ]*' || true)"

[ -s "$PCAP" ] || "$BIN/vigie-gen" --output "$PCAP" --bytes 256M --seed 1 >&2
[ -s "$RECFILE" ] || "$BIN/vigie-bench" kafka-export --record-file "$RECFILE" --make-from "$PCAP" --records "$RECORDS"
echo "records: $(wc -l < "$RECFILE") lines, $(stat -c %s "$RECFILE") bytes ($RECFILE)"

MOCK_PID=
stop_mock() { [ -z "$MOCK_PID" ] || { kill "$MOCK_PID" 2>/dev/null; wait "$MOCK_PID" 2>/dev/null || true; MOCK_PID=; }; }
trap stop_mock EXIT

# start_mock -> sets BOOT (127.0.0.1:PORT) and MOCK_PID
start_mock() {
  local file="$DIR/bootstrap" args=()
  rm -f "$file"
  for t in $TOPICS; do args+=(--topic "vigie.$t:$PARTITIONS"); done
  "$BIN/vigie-kafka-mock" --bootstrap-file "$file" "${args[@]}" --topic "vigie.all:$PARTITIONS" --topic "kcat.bench:$PARTITIONS" \
    >/dev/null 2>"$DIR/mock.log" &
  MOCK_PID=$!
  for _ in $(seq 400); do [ -s "$file" ] && break; sleep 0.05; done
  BOOT=$(cat "$file")
  case "$BOOT" in 127.0.0.1:*) ;; *) echo "mock did not start (bootstrap '$BOOT')" >&2; exit 1 ;; esac
}

# count TOPIC... -> messages the cluster appended to those topics: the sum of every partition's end
# offset (a fresh cluster starts at 0). Read back with kcat rather than consumed: the mock keeps only
# the last ~5 MB of each partition, so a consumer would not see them all.
count() {
  local t p n=0
  for t in "$@"; do
    for p in $(seq 0 $((PARTITIONS - 1))); do
      n=$((n + $(kcat -Q -b "$BOOT" -t "$t:$p:-1" | awk '{print $NF}')))
    done
  done
  echo "$n"
}

# vigie_run -> records/s (every record acknowledged to the spool)
vigie_run() {
  local out="$DIR/vigie.out"
  # shellcheck disable=SC2086
  "$BIN/vigie-bench" kafka-export --bootstrap "$BOOT" --record-file "$RECFILE" --records "$RECORDS" \
    --spool "$DIR/spool" $SINK_OPTS > "$out" || { cat "$out" >&2; exit 1; }
  grep -q "retried=0" "$out" || echo "  (vigie: records were retried: $(grep '^result' "$out"))" >&2
  awk '/^result/ { for (i = 2; i <= NF; i++) if ($i ~ /^rate=/) print substr($i, 6) }' "$out"
}

# kcat_run -> records/s (kcat exits once every message is delivered); its CPU seconds in $DIR/kcat.cpu
kcat_run() {
  local t0 t1
  t0=$(now)
  # shellcheck disable=SC2086
  /usr/bin/time -f "%U %S" -o "$DIR/kcat.time" \
    kcat -P -b "$BOOT" -t kcat.bench -K $'\t' -H vigie-schema=1 -H content-type=application/json $KCAT_OPTS -l "$RECFILE"
  t1=$(now)
  awk '{print $1 + $2}' "$DIR/kcat.time" > "$DIR/kcat.cpu"
  awk -v n="$RECORDS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%d\n", n / (b - a) }'
}

: > "$DIR/pairs"
for i in $(seq "$RUNS"); do
  start_mock
  if [ $((i % 2)) = 1 ]; then v=$(vigie_run); k=$(kcat_run); order="vigie first"; else k=$(kcat_run); v=$(vigie_run); order="kcat first"; fi
  got_v=$(count $(for t in $TOPICS all; do echo "vigie.$t"; done)); got_k=$(count kcat.bench)
  cpu_v=$(awk '/^result/ { for (i = 2; i <= NF; i++) if ($i ~ /^cpu=/) print substr($i, 5) }' "$DIR/vigie.out"); cpu_k=$(cat "$DIR/kcat.cpu")
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$MOCK_PID/status")
  stop_mock
  [ "$got_v" = "$RECORDS" ] && [ "$got_k" = "$RECORDS" ] || { echo "run $i: count mismatch: vigie $got_v, kcat $got_k, expected $RECORDS" >&2; exit 1; }
  echo "$v $k $cpu_v $cpu_k" >> "$DIR/pairs"
  echo "run $i ($order): vigie $v records/s, kcat $k records/s, vigie/kcat $(awk -v a="$v" -v b="$k" 'BEGIN {printf "%.2f", a / b}');" \
       "CPU s vigie $cpu_v, kcat $cpu_k; on the cluster: $got_v + $got_k messages; mock RSS $rss MiB"
done
echo "vigie median $(cut -d' ' -f1 "$DIR/pairs" | median) records/s, kcat median $(cut -d' ' -f2 "$DIR/pairs" | median) records/s," \
     "median paired ratio vigie/kcat $(awk '{printf "%.3f\n", $1 / $2}' "$DIR/pairs" | median) (target: vigie >= 300000 records/s)"
echo "CPU seconds for $RECORDS records (whole process, a figure less moved by other load): vigie median $(cut -d' ' -f3 "$DIR/pairs" | median)," \
     "kcat median $(cut -d' ' -f4 "$DIR/pairs" | median)"
