#!/usr/bin/env bash
# The seed article's tables (SEEDS.md section 1), reproduced with forage on
# the fixture. The seed's shop queued concurrent requests (responses slowed
# down under load); the fixture does the same with --max-inflight 4. Times
# are scaled down: 200 ms of service per page instead of the live site's.
# Then the CPU-heavy experiment through `forage bench`, with its chart.
# Usage: bench/scenarios/seed_tables.sh [OUT_DIR]   (writes seed-bench.{md,json,svg})
source "$(dirname "$0")/lib.sh"
OUT=${1:-$WORK}
CORES=$(nproc)
print_header "seed tables: 48 shop pages, the shop serves 4 at once, 200 ms each"
start_fixture --delay 200 --max-inflight 4
LOWER_BOUND=2.4
run_forage "sequential (c=1)" --pages 1-48 --workers 1 --concurrency 1 --per-host 0
run_forage "async, all 48 at once" --pages 1-48 --workers 1 --concurrency 48 --per-host 0
run_forage "semaphore 3 (c=3)" --pages 1-48 --workers 1 --concurrency 3 --per-host 0
run_forage "10 total / 3 per host" --pages 1-48 --workers 1 --concurrency 10 --per-host 3
echo "-- the delay endpoint, 48 at once (no queueing): bound 2 s"
start_fixture
URLS=$WORK/delay.txt
for i in $(seq 1 48); do echo "${BASE}delay/2?n=$i"; done > "$URLS"
"$FORAGE" run --urls "$URLS" --items body --field t=p --workers 1 --concurrency 48 --per-host 0 \
  -o "$WORK/d.jsonl" --report "$WORK/d.json" --quiet || true
python3 -c "import json; r = json.load(open('$WORK/d.json')); print(f\"delay/2 x48, all at once      wall {r['wall_s']:7.3f} s  user {r['user_s']:7.3f} s  sys {r['sys_s']:6.3f} s\")"

echo "-- CPU-heavy post-processing (100 ms per page): forage bench"
start_fixture --delay 200 --max-inflight 4
cat > "$WORK/cpu.toml" <<TOML
url = "${BASE}shop/page/{page}/"
pages = "1-48"
items = ".product"
concurrency = 48
cpu_burn = "100ms"
[fields]
id = ".add_to_cart_button::attr(data-product_id)"
name = "h2"
TOML
"$FORAGE" bench "$WORK/cpu.toml" --repeat 1 --workers-list "$CORES" \
  --md "$OUT/seed-bench.md" --json "$OUT/seed-bench.json" --svg "$OUT/seed-bench.svg" 2>/dev/null
