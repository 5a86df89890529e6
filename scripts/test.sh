#!/usr/bin/env bash
# Installs what forage needs, builds it, and runs every test through ctest;
# then does the same under AddressSanitizer + UndefinedBehaviorSanitizer, and
# runs every libFuzzer target for a short fixed time (scripts/fuzz.sh --ci:
# 25 s each; a crash, leak, broken invariant, unit slower than 10 s or over
# 2048 MiB fails; docs/fuzzing.md).
#   scripts/test.sh           all three
#   scripts/test.sh --fast    the release build only
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/build.sh
echo "== ctest (release build)"
ctest --test-dir build --output-on-failure -j "$jobs"

if [ "${1:-}" != "--fast" ]; then
  BUILD_DIR=build-asan SANITIZE=1 scripts/build.sh
  echo "== ctest (AddressSanitizer + UndefinedBehaviorSanitizer)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
  echo "== fuzz (libFuzzer, clang, ASan + UBSan; 25 s per target)"
  scripts/fuzz.sh --ci
fi
