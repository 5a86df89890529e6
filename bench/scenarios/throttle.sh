#!/usr/bin/env bash
# Throttle: a site that answers 503 (no Retry-After) to any page request
# above 4 open at once (forage-fixture --limit-concurrency 4, 20 ms a page).
# Three settings, each RUNS times, medians at the end:
#   auto16  --throttle auto --per-host 16   (must settle at <= 4, < 5% 503s,
#                                            within 1.3x of fixed4's wall)
#   fixed4  --per-host 4                    (the right cap, known in advance)
#   fixed16 --per-host 16                   (too many: 503s, retries, backoff)
# 503 share: the fixture's 503s / the page requests it saw (its /__stats).
# Usage: bench/scenarios/throttle.sh [RUNS] [PAGES]
source "$(dirname "$0")/lib.sh"
RUNS=${1:-3}
PAGES=${2:-400}
print_header "throttle: site limited to 4 concurrent (503 above), 20 ms/page, $PAGES pages, 2 workers"
start_fixture --pages "$PAGES" --delay 20 --limit-concurrency 4
ROWS=$WORK/rows.txt
: > "$ROWS"

run_one() {
  local label=$1; shift
  curl -s "${BASE}__reset" > /dev/null
  "$FORAGE" run --url "${BASE}shop/page/{page}/" --pages "1-$PAGES" "${SEED_FIELDS[@]}" \
    --workers 2 --concurrency 32 -o "$WORK/out.csv" --overwrite \
    --report "$WORK/report.json" --quiet "$@" || true
  curl -s "${BASE}__stats" > "$WORK/stats.json"
  python3 - "$label" "$WORK/report.json" "$WORK/stats.json" "$BASE" "$ROWS" <<'PY'
import json, sys
label, rep, st, base, rows = sys.argv[1:6]
r = json.load(open(rep)); s = json.load(open(st))
t = r.get("throttle", {}).get(base.rstrip("/"), {})
page_requests = s["requests"] - s["paths"].get("/robots.txt", 0)
row = {"label": label, "wall": r["wall_s"], "ok": r["pages_ok"], "failed": r["pages_failed"],
       "items": r["items"], "requests": page_requests, "r503": s["limited"],
       "share": s["limited"] / max(page_requests, 1), "peak": s["peak_offered"],
       "settled": t.get("settled", "-"), "max": t.get("max", "-")}
row["pps"] = (row["ok"] + row["failed"]) / row["wall"]
open(rows, "a").write(json.dumps(row) + "\n")
print(f"{label:<8} wall {row['wall']:6.3f} s  {row['pps']:7.1f} pages/s  ok {row['ok']:>4}"
      f"  failed {row['failed']:>3}  requests {page_requests:>5}  503s {row['r503']:>5}"
      f" ({100 * row['share']:4.1f}%)  peak offered {row['peak']:>2}  settled {row['settled']}"
      f" (max {row['max']})")
PY
}

for i in $(seq "$RUNS"); do
  run_one auto16 --throttle auto --per-host 16
  run_one fixed4 --per-host 4
  run_one fixed16 --per-host 16
done

echo "-- medians of $RUNS runs (machine shared with other jobs: compare ratios)"
python3 - "$ROWS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = {}
for label in ("auto16", "fixed4", "fixed16"):
    rs = [r for r in rows if r["label"] == label]
    m = lambda k: statistics.median(r[k] for r in rs)
    med[label] = m("wall")
    settled = [r["settled"] for r in rs]
    print(f"{label:<8} wall {m('wall'):6.3f} s  {m('pps'):7.1f} pages/s  503 share "
          f"{100 * m('share'):4.1f}%  failed {m('failed'):g}  settled {settled}")
print(f"auto16 / fixed4 wall: {med['auto16'] / med['fixed4']:.2f}x (target <= 1.3x)")
print(f"fixed16 / fixed4 wall: {med['fixed16'] / med['fixed4']:.2f}x")
PY
