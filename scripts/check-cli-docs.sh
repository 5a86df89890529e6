#!/usr/bin/env bash
# Checks that docs/cli.md and the binaries' --help agree:
#   1. every flag in the --help of each forage subcommand (and of
#      forage-fixture) is in docs/cli.md;
#   2. every flag that a table row of docs/cli.md documents (its first
#      column) is accepted by some subcommand (it is in some --help).
# Usage: scripts/check-cli-docs.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: check-cli-docs.sh BUILD_DIR}
forage="$build/forage"
fixture="$build/forage-fixture"
doc=docs/cli.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

flags_of() {  # the --long flags in a help text on stdin
  grep -oE -- '(^|[^a-z0-9-])--[a-z0-9][a-z0-9.-]*[a-z0-9]' | sed -E 's/^[^-]//' | sort -u
}

in_doc() {  # the flag, as a whole word (--cache is not --cache-mode)
  grep -qE -- "$(printf '%s' "$1" | sed 's/[.]/[.]/g')([^a-z0-9.-]|[.]?\$)" "$doc"
}

fail=0
: >"$tmp/all"
for sub in run select extract bench tune demo worker status; do
  "$forage" "$sub" --help >"$tmp/help" 2>&1 || true
  flags_of <"$tmp/help" >"$tmp/flags"
  if [ ! -s "$tmp/flags" ]; then
    echo "forage $sub --help lists no flag"
    fail=1
  fi
  cat "$tmp/flags" >>"$tmp/all"
  while read -r flag; do
    [ "$flag" = --help ] && continue
    if ! in_doc "$flag"; then
      echo "forage $sub: $flag is in --help but not in $doc"
      fail=1
    fi
  done <"$tmp/flags"
done
"$fixture" --help >"$tmp/help" 2>&1 || true
flags_of <"$tmp/help" >"$tmp/flags"
cat "$tmp/flags" >>"$tmp/all"
while read -r flag; do
  [ "$flag" = --help ] && continue
  if ! in_doc "$flag"; then
    echo "forage-fixture: $flag is in --help but not in $doc"
    fail=1
  fi
done <"$tmp/flags"
"$forage" --help | flags_of >>"$tmp/all"
sort -u -o "$tmp/all" "$tmp/all"

# The flags that table rows document: the first cell of rows starting "| `-".
grep -E '^\| `-' "$doc" | cut -d'|' -f2 | flags_of >"$tmp/documented" || true
while read -r flag; do
  if ! grep -qxF -- "$flag" "$tmp/all"; then
    echo "$doc documents $flag, which no forage subcommand accepts"
    fail=1
  fi
done <"$tmp/documented"
if [ "$fail" = 0 ]; then
  echo "cli docs: $(wc -l <"$tmp/all") flags in --help, $(wc -l <"$tmp/documented") in $doc tables: they agree"
fi
exit "$fail"
