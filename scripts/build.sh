#!/usr/bin/env bash
# Builds forage into build/ (or BUILD_DIR), installing Debian packages first.
#   scripts/build.sh                 release build (RelWithDebInfo)
#   BUILD_DIR=build-asan SANITIZE=1 scripts/build.sh    ASan + UBSan build
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
args=(-S . -B "$BUILD_DIR" -G Ninja)
if [ "${SANITIZE:-0}" = 1 ]; then
  args+=(-DFORAGE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi
if command -v ccache >/dev/null; then
  # Worktrees beside this checkout share one cache.
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)} CCACHE_NOHASHDIR=1
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [ "${CI:-}" = true ]; then
  args+=(-DFORAGE_WERROR=ON)
fi
cmake "${args[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
