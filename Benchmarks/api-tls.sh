#!/usr/bin/env bash
# Agent query API with TLS and a bearer token against the same API in plain HTTP (issue 14:
# within 10 %). Two `vigie-agent serve` processes over one store, on loopback: plain, and TLS
# (a P-256 certificate from Tests/TestSupport/Scripts/make_test_pki.sh) with a read token. Paired, alternating
# runs (this machine drifts by tens of percent within minutes), each:
#   bulk:  one extraction of every TCP packet of the store (LIMIT, default 1,000,000), MB/s;
#   small: SMALL requests (default 200) of one conversation each, a new connection per request (as
#          a drill-down makes them: TLS handshake included), requests/s;
#   keepalive: the same requests on one kept-alive connection, requests/s.
# Reports the medians and the median of the paired TLS/plain ratios. RUNS (default 7) pairs.
source "$(dirname "$0")/lib.sh"
build_release
ensure_capture
RUNS=${RUNS:-7}; LIMIT=${LIMIT:-1000000}; SMALL=${SMALL:-200}
STORE="$WORK/api-store"
if [ ! -d "$STORE" ]; then
  "$BIN/vigie-agent" ingest --store "$STORE" --quota 100GiB --log-level error --no-progress "$CAPTURE" >&2
fi
PKI="$WORK/api-pki"; [ -f "$PKI/server.pem" ] || bash "$ROOT/Tests/TestSupport/Scripts/make_test_pki.sh" "$PKI"
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'read bench %s\n' "$TOKEN" > "$WORK/api-tokens"; chmod 600 "$WORK/api-tokens"
P1=${PORT:-18490}; P2=$((P1 + 1))
"$BIN/vigie-agent" serve --store "$STORE" --listen 127.0.0.1:$P1 --log-level error & plain=$!
"$BIN/vigie-agent" serve --store "$STORE" --listen 127.0.0.1:$P2 --log-level error --token-file "$WORK/api-tokens" \
  --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" & tls=$!
trap 'kill $plain $tls 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$P1/healthz" >/dev/null && curl -sf --cacert "$PKI/ca.pem" "https://127.0.0.1:$P2/healthz" >/dev/null && break; sleep 0.2; done
echo "machine: $(machine)"
# A few conversations (client address and port of TCP SYNs in the first segment) for the small requests.
seg=$(ls "$STORE"/segments/*.pcap | head -1)
mapfile -t CONVS < <(tcpdump -nn -r "$seg" -c 400 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0' 2>/dev/null \
  | awk '{split($3,a,"."); print "host " a[1]"."a[2]"."a[3]"."a[4] " and port " a[5]}' | head -"$SMALL")

# bulk URL CURLARGS... -> MB/s
bulk() {
  local url=$1; shift
  curl -s "$@" -o /dev/null -w '%{size_download} %{time_total}\n' "$url/api/v1/packets?q=tcp&limit=$LIMIT" \
    | awk '{printf "%.1f\n", $1 / $2 / 1e6}'
}
# small URL CLOSE CURLARGS... -> requests/s (one curl process; CLOSE=close: a new connection per request)
small() {
  local url=$1 close=$2; shift 2; local t0 t1 args=() hdr=()
  [ "$close" = close ] && hdr=(-H "Connection: close")
  for c in "${CONVS[@]}"; do args+=(--next "$@" "${hdr[@]}" -o /dev/null -G --data-urlencode "q=$c" "$url/api/v1/packets"); done
  t0=$(now); curl -s "${args[@]:1}"; t1=$(now)
  echo "${#CONVS[@]} / ($t1 - $t0)" | bc -l | xargs printf '%.1f\n'
}
TLSARGS=(--cacert "$PKI/ca.pem" -H "Authorization: Bearer $TOKEN")
: > "$WORK/api.bulk"; : > "$WORK/api.small"; : > "$WORK/api.keepalive"
echo "TLS: $(curl -sv "${TLSARGS[@]}" -o /dev/null "https://127.0.0.1:$P2/healthz" 2>&1 | grep -o 'SSL connection using.*')"
for i in $(seq "$RUNS"); do
  a=$(bulk "http://127.0.0.1:$P1"); b=$(bulk "https://127.0.0.1:$P2" "${TLSARGS[@]}")
  c=$(small "http://127.0.0.1:$P1" close); d=$(small "https://127.0.0.1:$P2" close "${TLSARGS[@]}")
  e=$(small "http://127.0.0.1:$P1" keep); f=$(small "https://127.0.0.1:$P2" keep "${TLSARGS[@]}")
  echo "$a $b" >> "$WORK/api.bulk"; echo "$c $d" >> "$WORK/api.small"; echo "$e $f" >> "$WORK/api.keepalive"
  echo "run $i: bulk plain $a MB/s, TLS+token $b MB/s; small plain $c req/s, TLS+token $d req/s; keep-alive plain $e req/s, TLS+token $f req/s"
done
for kind in bulk small keepalive; do
  f="$WORK/api.$kind"
  echo "$kind: plain median $(cut -d' ' -f1 "$f" | median), TLS+token median $(cut -d' ' -f2 "$f" | median)," \
       "median paired ratio TLS/plain $(awk '{printf "%.3f\n", $2 / $1}' "$f" | median) (target >= 0.90)"
done
echo "packets per bulk extraction: $(curl -s "http://127.0.0.1:$P1/api/v1/packets?q=tcp&limit=$LIMIT" | tcpdump -r - 2>/dev/null | wc -l)"
