#!/usr/bin/env bash
# S3 throughput: thousands of pages, no delay. Pages/s with full extraction,
# CPU ms per page, against the Gumbo parse-only cost of the same pages (the
# physical limit here). Usage: bench/scenarios/s3_throughput.sh [PAGES] [RUNS]
source "$(dirname "$0")/lib.sh"
PAGES=${1:-2000}
RUNS=${2:-3}
print_header "S3 throughput: $PAGES pages, no delay"
start_fixture --pages "$PAGES"
curl -s -o "$WORK/page1.html" "${BASE}shop/page/1/"
curl -s -o "$WORK/page2000.html" "${BASE}shop/page/$((PAGES / 2))/"
echo "-- parse-only limit (bench/parse_bench, one core):"
"$BUILD/bench/parse_bench" "$WORK/page1.html" 300 | sed 's/^/   /'
"$BUILD/bench/parse_bench" "$WORK/page2000.html" 300 | sed -n '2,5p' | sed 's/^/   /'
echo "-- forage, full extraction over HTTP:"
for i in $(seq "$RUNS"); do
  run_forage "forage workers=1 c=16 #$i" --pages "1-$PAGES" --workers 1 --concurrency 16 --per-host 0
done
for i in $(seq "$RUNS"); do
  run_forage "forage workers=2 c=32 #$i" --pages "1-$PAGES" --workers 2 --concurrency 32 --per-host 0
done
