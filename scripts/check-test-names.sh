#!/usr/bin/env bash
# Fails when a doctest case name holds a ';'. ctest registers each case by its
# name through a CMake list, which splits at ';': such a case would be
# registered under a name that matches nothing, and "pass" without running.
set -euo pipefail
cd "$(dirname "$0")/.."
hits=$(grep -rnE 'TEST_CASE\("[^"]*;' --include='*.cc' base parser worker engine cmd tests bench || true)
if [ -n "$hits" ]; then
  echo "$hits" | sed 's|$|   <- a ";" in a test name: ctest would run nothing for it|'
  exit 1
fi
echo "test names: none holds a ';'"
