#!/usr/bin/env bash
# S3 A/B: the S3 job (PAGES pages, no delay, 2 workers, 32 in flight) with two
# builds of forage, alternating, against one fixture, so that a loaded
# machine treats both alike. Prints each run's row and the median CPU ms per
# page of each build.
#   bench/scenarios/s3_ab.sh OLD_BUILD_DIR [PAGES] [RUNS]
# OLD_BUILD_DIR holds forage (e.g. a build of an older commit); the new one
# is $BUILD (build/).
source "$(dirname "$0")/lib.sh"
OLD=${1:?usage: s3_ab.sh OLD_BUILD_DIR [PAGES] [RUNS]}
PAGES=${2:-2000}
RUNS=${3:-5}
print_header "S3 A/B: $PAGES pages, 2 workers, c=32; old $OLD, new $BUILD"
start_fixture --pages "$PAGES"
NEW_FORAGE=$FORAGE
rows=$WORK/rows.txt
curl -s -o "$WORK/page.html" "${BASE}shop/page/$((PAGES / 2))/"
bench_page() {
  echo "-- parse_bench, page $((PAGES / 2)):"
  [ -x "$OLD/bench/parse_bench" ] && "$OLD/bench/parse_bench" "$WORK/page.html" 300 | sed 's/^/   old /'
  "$BUILD/bench/parse_bench" "$WORK/page.html" 300 | sed 's/^/   new /'
}
bench_page
for i in $(seq "$RUNS"); do
  FORAGE=$OLD/forage run_forage "old #$i" --pages "1-$PAGES" --workers 2 --concurrency 32 --per-host 0 | tee -a "$rows"
  FORAGE=$NEW_FORAGE run_forage "new #$i" --pages "1-$PAGES" --workers 2 --concurrency 32 --per-host 0 | tee -a "$rows"
done
bench_page
python3 - "$rows" <<'PY'
import re, statistics, sys
cpu = {"old": [], "new": []}
for line in open(sys.argv[1]):
    m = re.search(r"cpu ms/page\s+([\d.]+)", line)
    cpu[line.split()[0]].append(float(m.group(1)))
old, new = statistics.median(cpu["old"]), statistics.median(cpu["new"])
print(f"median cpu ms/page: old {old:.3f}  new {new:.3f}  new/old {new / old:.3f}")
PY
