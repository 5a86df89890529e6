#!/usr/bin/env bash
# Installs what forage needs, builds it, and runs every test through ctest;
# then does the same under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh           both builds
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
fi
