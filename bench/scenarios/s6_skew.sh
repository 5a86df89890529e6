#!/usr/bin/env bash
# S6 skew: the expensive pages are bunched at the start of the range. Pages
# 1-12 of 48 carry 2 MB of extra markup (?pad=2048, about 90 ms of parsing
# each); the rest are ordinary shop pages (about 2 ms). With static chunks
# one worker gets every heavy page; dynamic leasing spreads them.
# Usage: bench/scenarios/s6_skew.sh [RUNS]
source "$(dirname "$0")/lib.sh"
RUNS=${1:-3}
CORES=$(nproc)
print_header "S6 skew: pages 1-12 of 48 are ~45x heavier to parse; $CORES workers"
start_fixture --delay 50
URLS=$WORK/urls.txt
for p in $(seq 1 48); do
  if [ "$p" -le 12 ]; then echo "${BASE}shop/page/$p/?pad=2048"; else echo "${BASE}shop/page/$p/"; fi
done > "$URLS"
run_urls() {
  local label=$1; shift
  "$FORAGE" run --urls "$URLS" "${SEED_FIELDS[@]}" -o "$WORK/out.csv" \
    --report "$WORK/report.json" --quiet "$@" || true
  python3 - "$label" "$WORK/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
busy = " ".join(f"{w['busy_s']:.2f}" for w in r["per_worker"])
print(f"{sys.argv[1]:<24} wall {r['wall_s']:6.3f} s  user {r['user_s']:6.3f} s  items {r['items']}"
      f"  busy per worker [{busy}] s")
PY
}
for i in $(seq "$RUNS"); do
  run_urls "static #$i" --workers "$CORES" --concurrency 100 --per-host 0 --chunking static
  run_urls "dynamic #$i" --workers "$CORES" --concurrency 100 --per-host 0 --chunking dynamic
done
