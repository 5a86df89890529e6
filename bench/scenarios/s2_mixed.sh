#!/usr/bin/env bash
# S2 mixed IO/CPU: 48 pages, 200 ms delay each, 100 ms of CPU work per page.
# Lower bound: 48 x 100 ms of CPU over the cores (2.4 s on 2 cores).
# Usage: bench/scenarios/s2_mixed.sh [RUNS]
source "$(dirname "$0")/lib.sh"
RUNS=${1:-3}
CORES=$(nproc)
LOWER_BOUND=$(python3 -c "print(max(48 * 0.1 / $CORES, 0.2 + 0.1))")
print_header "S2 mixed: 48 pages x 200 ms delay + 100 ms CPU each, lower bound ${LOWER_BOUND} s"
start_fixture --delay 200
for i in $(seq "$RUNS"); do
  run_forage "forage workers=$CORES #$i" --pages 1-48 --workers "$CORES" --concurrency 100 --per-host 0 --cpu-burn 100ms
done
for i in $(seq "$RUNS"); do
  run_forage "forage workers=1 #$i" --pages 1-48 --workers 1 --concurrency 100 --per-host 0 --cpu-burn 100ms
done
echo "   (user time above the burned 4.800 s, per page: (user - 4.8) / 48)"
