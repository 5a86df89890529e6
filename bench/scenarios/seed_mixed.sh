#!/usr/bin/env bash
# The seed's CPU-heavy experiment (SEEDS.md section 1) on the fixture:
# 48 shop pages, the shop queueing requests like a real one (at most 4 in
# service, 100 ms each), and 100 ms of CPU work per page after extraction.
# Sequential (one worker, one request at a time), async (one worker, all
# pages at once) and hybrid (one worker per core).
# Usage: bench/scenarios/seed_mixed.sh [RUNS]
source "$(dirname "$0")/lib.sh"
RUNS=${1:-1}
CORES=$(nproc)
print_header "seed mixed: 48 pages, server serves 4 at once x 100 ms, 100 ms CPU per page"
start_fixture --delay 100 --max-inflight 4
for i in $(seq "$RUNS"); do
  run_forage "sequential #$i" --pages 1-48 --workers 1 --concurrency 1 --per-host 0 --cpu-burn 100ms
  run_forage "async #$i" --pages 1-48 --workers 1 --concurrency 48 --per-host 0 --cpu-burn 100ms
  run_forage "hybrid x$CORES #$i" --pages 1-48 --workers "$CORES" --concurrency 48 --per-host 0 --cpu-burn 100ms
done
