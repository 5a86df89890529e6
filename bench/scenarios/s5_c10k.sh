#!/usr/bin/env bash
# S5 C10K: 10,000 requests that each take 1 s, all in flight at once
# (--concurrency 10000). Lower bound 1 s. Also prints the peak resident
# memory of all forage processes together, sampled every 20 ms.
# Usage: bench/scenarios/s5_c10k.sh [REQUESTS] [WORKERS]
source "$(dirname "$0")/lib.sh"
N=${1:-10000}
WORKERS=${2:-auto}
print_header "S5 C10K: $N requests x 1 s delay, concurrency $N, workers $WORKERS"
start_fixture
URLS=$WORK/urls.txt
for i in $(seq 1 "$N"); do echo "${BASE}delay/1?n=$i"; done > "$URLS"
"$FORAGE" run --urls "$URLS" --items body --field 'text=p' --workers "$WORKERS" \
  --concurrency "$N" --per-host 0 -o "$WORK/out.jsonl" --report "$WORK/report.json" --quiet &
PID=$!
PEAK=0
while kill -0 "$PID" 2>/dev/null; do
  # The master and its children (the workers).
  pids="$PID $(cat /proc/$PID/task/$PID/children 2>/dev/null)"
  rss=0
  for p in $pids; do
    r=$(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0)
    rss=$((rss + ${r:-0}))
  done
  [ "$rss" -gt "$PEAK" ] && PEAK=$rss
  sleep 0.02
done
wait "$PID" || true
python3 - "$WORK/report.json" "$PEAK" "$N" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
peak_kb, n = int(sys.argv[2]), int(sys.argv[3])
print(f"   wall {r['wall_s']:.3f} s (bound 1.000 s, {r['wall_s']:.2f}x)  user {r['user_s']:.3f} s  "
      f"sys {r['sys_s']:.3f} s  ok {r['pages_ok']}  failed {r['pages_failed']}")
print(f"   peak RSS of all forage processes: {peak_kb / 1024:.0f} MB "
      f"({peak_kb * 1024 / n / 1024:.1f} KB per transfer in flight)")
for f in r["failures"][:3]:
    print("   failed:", f["url"], f["reason"])
PY
