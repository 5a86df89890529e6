#!/usr/bin/env bash
# S1 IO-bound: 48 pages, each answered after 500 ms. Lower bound 0.5 s: every
# page in flight at once. Usage: bench/scenarios/s1_io_bound.sh [RUNS]
source "$(dirname "$0")/lib.sh"
RUNS=${1:-3}
print_header "S1 IO-bound: 48 pages x 500 ms delay, lower bound 0.500 s"
start_fixture --delay 500
LOWER_BOUND=0.5
for i in $(seq "$RUNS"); do
  run_forage "forage workers=auto #$i" --pages 1-48 --workers auto --concurrency 100 --per-host 0
done
for i in $(seq "$RUNS"); do
  run_forage "forage workers=1 #$i" --pages 1-48 --workers 1 --concurrency 100 --per-host 0
done
