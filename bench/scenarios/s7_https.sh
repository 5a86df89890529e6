#!/usr/bin/env bash
# S7 HTTPS: S3's job (thousands of shop pages, no delay) through one nginx in
# front of the fixture, three ways: plain HTTP, HTTPS with HTTP/1.1
# (--http1.1) and HTTPS with HTTP/2. Pages/s, CPU ms/page (forage's
# user+sys, master and workers, from its report), connections and TLS
# handshakes, and HTTPS's CPU per page against plain HTTP's.
# nginx and its throw-away CA come from tests/nginx/ (make-certs.sh and
# forage-test.conf.in), all in the run's temp dir.
# Usage: bench/scenarios/s7_https.sh [PAGES] [RUNS]
source "$(dirname "$0")/lib.sh"
PAGES=${1:-2000}
RUNS=${2:-3}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_PID=""
trap 'if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; fi; cleanup' EXIT

print_header "S7 HTTPS: $PAGES pages through nginx, plain HTTP vs HTTPS/1.1 vs HTTPS/2"
start_fixture --pages "$PAGES"
UPSTREAM=${BASE#http://}; UPSTREAM=${UPSTREAM%/}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
NG=$WORK/nginx
"$ROOT/tests/nginx/make-certs.sh" "$NG"
HTTPS_PORT=$(free_port); HTTP_PORT=$(free_port)
sed -e "s#@DIR@#$NG#g" -e "s#@HTTPS_PORT@#$HTTPS_PORT#g" -e "s#@HTTP_PORT@#$HTTP_PORT#g" \
  -e "s#@UPSTREAM@#$UPSTREAM#g" -e "s#@CLIENT_VERIFY@##" -e "s#@KEEPALIVE_REQUESTS@#1000000#" -e "s#@HTTP2@#http2#" \
  "$ROOT/tests/nginx/forage-test.conf.in" > "$NG/nginx.conf"
"$NGINX" -c "$NG/nginx.conf" -p "$NG/" 2>>"$NG/stderr" &
NGINX_PID=$!
for _ in $(seq 100); do  # until it answers (at most 10 s)
  curl -s -o /dev/null --cacert "$NG/ca.pem" "https://127.0.0.1:$HTTPS_PORT/__stats" && break
  sleep 0.1
done
echo "   nginx $($NGINX -v 2>&1 | cut -d/ -f2), $(curl --version | head -1 | cut -d' ' -f1-3)"

# run_s7 LABEL BASE_URL [forage flags...]: one row; its CPU ms/page in CPU_MS.
run_s7() {
  local label=$1 base=$2; shift 2
  local report=$WORK/report.json
  "$FORAGE" run --url "${base}shop/page/{page}/" --pages "1-$PAGES" "${SEED_FIELDS[@]}" \
    -o "$WORK/out.csv" --overwrite --report "$report" --quiet --ignore-robots "$@" || true
  python3 - "$label" "$report" "$WORK/rows.tsv" <<'PY'
import json, sys
label, path, rows = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.load(open(path))
pages = r["pages_ok"] + r["pages_failed"]
cpu_ms = 1000 * (r["user_s"] + r["sys_s"]) / max(pages, 1)
v = r.get("http_versions", {})
print(f"{label:<26} wall {r['wall_s']:7.3f} s  {pages / r['wall_s']:8.1f} pages/s"
      f"  cpu ms/page {cpu_ms:5.3f}  failed {r['pages_failed']}"
      f"  connections {r.get('connections_opened', 0):>4}  handshakes {r.get('tls_handshakes', 0):>4}"
      f"  h1.1 {v.get('1.1', 0)} h2 {v.get('2', 0)}")
with open(rows, "a") as f:
    f.write(f"{label.split(' #')[0]}\t{cpu_ms}\t{pages / r['wall_s']}\n")
PY
}

: > "$WORK/rows.tsv"
for w in 1 2; do
  echo "-- workers=$w c=$((16 * w)) --per-host 0:"
  for i in $(seq "$RUNS"); do
    run_s7 "http      w=$w #$i" "http://127.0.0.1:$HTTP_PORT/" --workers "$w" \
      --concurrency $((16 * w)) --per-host 0
    run_s7 "https/1.1 w=$w #$i" "https://127.0.0.1:$HTTPS_PORT/" --workers "$w" \
      --concurrency $((16 * w)) --per-host 0 --cacert "$NG/ca.pem" --http1.1
    run_s7 "https/2   w=$w #$i" "https://127.0.0.1:$HTTPS_PORT/" --workers "$w" \
      --concurrency $((16 * w)) --per-host 0 --cacert "$NG/ca.pem"
  done
done
echo "-- medians; CPU per page against plain HTTP through the same nginx (target: HTTPS <= +15%):"
python3 - "$WORK/rows.tsv" <<'PY'
import collections, statistics, sys
cpu, rate = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, c, p = line.rstrip("\n").split("\t")
    cpu[label.strip()].append(float(c)); rate[label.strip()].append(float(p))
for w in ("1", "2"):
    base = statistics.median(cpu[f"http      w={w}".strip()])
    for kind in ("http", "https/1.1", "https/2"):
        key = f"{kind:<9} w={w}".strip()
        c = statistics.median(cpu[key])
        print(f"   {key:<16} {statistics.median(rate[key]):8.1f} pages/s  cpu ms/page {c:5.3f}"
              f"  {100 * (c / base - 1):+6.1f}% vs http")
PY
