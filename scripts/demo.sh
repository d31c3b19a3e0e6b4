#!/usr/bin/env bash
# The first five minutes: the whole story on a generated capture in which a service fails midway.
#   1. installs the dependencies and builds (release);
#   2. generates a capture (vigie-gen) in which the host 172.16.0.1 starts refusing connections
#      after 150 s, and stores it with the agent's embedded defaults (store, index, analytics);
#   3. extracts one conversation with a query;
#   4. shows the service states the agent decided (its records);
#   5. starts the correlation server (embedded SQLite) with an inventory of the services the agent
#      discovered, feeds it the agent's records (what a live agent's --http-export sends), prints
#      the weather and the failing service's metric history;
#   6. keeps the server running for its console until Ctrl-C.
# Knobs: DEMO_DIR (work folder, default /tmp/vigie-demo), DEMO_PORT (default 8480), DEMO_BIN (use
# built binaries from there and skip steps 1's install and build), DEMO_NO_WAIT=1 (stop after the
# weather: tests, scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${DEMO_DIR:-/tmp/vigie-demo}
PORT=${DEMO_PORT:-8480}
SERVER_URL="http://127.0.0.1:$PORT"
step() { printf '\n== %s\n' "$*"; }

if [ -z "${DEMO_BIN:-}" ]; then
  step "1. dependencies and build (release)"
  scripts/install-deps.sh
  for p in vigie-agent vigie-gen vigie-server; do swift build -c release --product "$p"; done
  BIN=.build/release
else
  BIN=$DEMO_BIN
fi
rm -rf "$DIR"; mkdir -p "$DIR"
STORE=$DIR/store SAMPLE=$DIR/sample.pcap

step "2. a capture in which 172.16.0.1 fails after 150 s, stored by the agent"
# 5 server hosts, 400 packets a second of capture time, 4 minutes: enough attempts per 10 s window
# for every service of the failing host to be judged.
"$BIN/vigie-gen" --output "$SAMPLE" --packets 96000 --rate-pps 400 --servers 5 --clients 200 --seed 7 \
  --start 2026-01-01T10:00:00Z --outage 150-100000 --outage-server 0 | sed 's/^/   /'
# 10 s dependency-edge windows: the finest step of the server's metric history (default 60 s).
"$BIN/vigie-agent" ingest --store "$STORE" --agent-id demo-agent --no-progress --edge-interval 10s "$SAMPLE" | sed 's/^/   /'

# The agent's records (NDJSON, gzipped once closed: docs/records.md), one JSON object a line.
records() { zcat -f "$STORE"/records/records-*.ndjson* 2>/dev/null; }

step "3. one conversation, extracted with a query"
# The first complete HTTPS connection to the failing host, from the agent's flow records.
query=$(records | python3 -c '
import json, sys
first = None
for line in sys.stdin:  # read to the end: zcat must not die of a closed pipe
    r = json.loads(line)
    if first is None and r["kind"] == "conn" and r["resp_h"] == "172.16.0.1" and r["resp_p"] == 443 and r["conn_state"] == "SF":
        first = "host %s and port %d and host 172.16.0.1 and port 443" % (r["orig_h"], r["orig_p"])
print(first or "host 172.16.0.1 and port 443")
')
echo "   vigie-agent query --store $STORE -w $DIR/conversation.pcap '$query'"
"$BIN/vigie-agent" query --store "$STORE" -w "$DIR/conversation.pcap" "$query"
"$BIN/vigie-agent" query --store "$STORE" --count "$query" | sed 's/^/   /'
if command -v tshark >/dev/null; then tshark -r "$DIR/conversation.pcap" -c 12 2>/dev/null | sed "s/^/   /"; fi

step "4. what the agent decided: state changes of the services of 172.16.0.1"
records | python3 -c '
import json, sys
changes = []
for line in sys.stdin:
    r = json.loads(line)
    if r["kind"] == "service_state" and r["reason"] == "transition" and r["resp_h"] == "172.16.0.1":
        changes.append((r["ts"][:19], r["service"], r["previous_state"], r["state"], r["attempts"], r["refused"]))
for ts, service, before, after, attempts, refused in sorted(changes):
    print("   %s  %-20s %-9s -> %-9s (%d attempts, %d refused in the window)" % (ts, service, before, after, attempts, refused))
'

step "5. the correlation server (SQLite in $DIR/server) with an inventory of what the agent discovered"
# The inventory: the services the agent discovered, grouped per host into a "host service", the
# hosts under one application. (Edit it later: PUT /api/v1/inventory.)
records | python3 -c '
import json, sys
# What an operator would declare: the services that worked at some point (a port that only ever
# refused is a closed port, not a service).
services = sorted({r["service"] for r in map(json.loads, sys.stdin) if r["kind"] == "service_state" and r["state"] == "UP"})
hosts = sorted({s.rsplit(":", 1)[0] for s in services})
print("nodes:")
print("  - {id: demo-agent, kind: agent}")
print("  - {id: shop, kind: application, name: \"Demo shop\"}")
for h in hosts: print("  - {id: \"host-%s\", kind: service, name: \"services of %s\"}" % (h, h))
for s in services: print("  - {id: \"%s\", kind: endpoint}" % s)
print("edges:")
for h in hosts: print("  - {child: \"host-%s\", parent: shop}" % h)
for s in services: print("  - {child: \"%s\", parent: \"host-%s\"}" % (s, s.rsplit(":", 1)[0]))
' > "$DIR/inventory.yaml"
echo "   inventory: $(grep -c 'kind: endpoint' "$DIR/inventory.yaml") endpoints discovered by the agent ($DIR/inventory.yaml)"
"$BIN/vigie-server" serve --listen "127.0.0.1:$PORT" --data "$DIR/server" --inventory "$DIR/inventory.yaml" --log-level warning &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$SERVER_URL/readyz" >/dev/null && break; sleep 0.2; done
curl -sf "$SERVER_URL/readyz" >/dev/null || { echo "the server did not start" >&2; exit 1; }
# The agent's records, in the batches its HTTP export sends (POST /api/v1/ingest, NDJSON): a live
# agent started with --http-export delivers them itself as it goes.
records | python3 -c '
import sys, urllib.request
url = sys.argv[1] + "/api/v1/ingest"
def post(lines):
    request = urllib.request.Request(url, data="".join(lines).encode(), headers={"Content-Type": "application/x-ndjson"})
    urllib.request.urlopen(request, timeout=60).read()
batch, sent = [], 0
for line in sys.stdin:
    batch.append(line)
    if len(batch) == 2000:
        post(batch); sent += len(batch); batch = []
if batch:
    post(batch); sent += len(batch)
print("   %d records fed to the server" % sent)
' "$SERVER_URL"
echo "   records ingested: $(curl -sf "$SERVER_URL/metrics" | sed -n 's/^vigie_server_records_ingested_total \([0-9]*\)$/\1/p')"

step "the weather (worst first)"
curl -sf "$SERVER_URL/api/v1/weather" | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    why = ", ".join(n.get("root_causes") or n.get("causes") or [])
    print("   %-28s %-12s %-9s %s" % (n["id"], n.get("kind", ""), n["state"], ("root cause: " + why) if why else ""))
'

step "the metric history of 172.16.0.1:443/tcp, per minute (GET /api/v1/nodes/{id}/series)"
curl -sf "$SERVER_URL/api/v1/nodes/172.16.0.1:443%2Ftcp/series?step=1m&from=2026-01-01T10:00:00Z&to=2026-01-01T10:05:00Z&metrics=attempts,established,refused,rtt_p95_ms" \
  | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("   %-20s %9s %12s %8s %12s" % ("minute", "attempts", "established", "refused", "rtt p95 ms"))
for p in s["points"]:
    print("   %-20s %9d %12d %8d %12s" % (p["t"], p["attempts"], p["established"], p["refused"], "%.2f" % p["rtt_p95_ms"] if "rtt_p95_ms" in p else "-"))
'
echo
echo "Console: $SERVER_URL/    API: $SERVER_URL/api/v1/weather, $SERVER_URL/api/v1/nodes/shop, $SERVER_URL/metrics"
# The capture's own time (January 2026): its charts are there, not in the last hour.
echo "The failing service in the console: $SERVER_URL/#/node/172.16.0.1:443%2Ftcp?from=2026-01-01T10:00:00Z&to=2026-01-01T10:05:00Z"
echo "Packets of any flow: $BIN/vigie-agent query --store $STORE 'host 172.16.0.1 and port 443' | tshark -r -"
if [ -z "${DEMO_NO_WAIT:-}" ]; then
  echo "The server keeps running; Ctrl-C to stop it."
  wait $server
fi
