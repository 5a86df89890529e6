#!/usr/bin/env bash
# S4 queueing server: 48 pages, 300 ms each, the server serves at most 4 at
# once and queues the rest (like the seed's shop). Lower bound 48 / 4 x 0.3 s
# = 3.6 s; asking for more concurrency than the server serves gains nothing.
# Usage: bench/scenarios/s4_queueing.sh [RUNS]
source "$(dirname "$0")/lib.sh"
RUNS=${1:-3}
print_header "S4 queueing server: 48 pages x 300 ms, at most 4 in service, lower bound 3.600 s"
start_fixture --delay 300 --max-inflight 4
LOWER_BOUND=3.6
for c in 4 48; do
  for i in $(seq "$RUNS"); do
    run_forage "forage c=$c #$i" --pages 1-48 --workers auto --concurrency "$c" --per-host 0
  done
done
