#!/usr/bin/env bash
# The crash torture, long: N iterations of a random job (CSV, JSONL, SQLite;
# list, --follow, dense) killed at random moments (kill -9 of the master's
# process group or of one worker, SIGINT, a file-size limit), resumed until it
# completes, and compared with a clean run. Prints one line per iteration and
# the figures; exit 1 if any iteration failed. See docs/output.md, "Crash torture".
#   scripts/torture.sh 200                  200 iterations, random seed (printed)
#   scripts/torture.sh 200 --seed 42        the same plans as another run with seed 42
#   scripts/torture.sh 1 --seed 42 --only 17 --keep --verbose   replay one iteration
#   scripts/torture.sh 100 --sink sqlite --job dense            one kind of job only
# Builds first unless NO_BUILD=1. BUILD_DIR picks the build (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/torture.sh N [forage_torture flags]" >&2
  exit 2
fi
n=$1
shift
BUILD_DIR=${BUILD_DIR:-build}
if [ "${NO_BUILD:-0}" != 1 ]; then
  BUILD_DIR=$BUILD_DIR scripts/build.sh >/dev/null
fi
exec nice -n 10 "$BUILD_DIR/tests/torture/forage_torture" --iterations "$n" "$@"
