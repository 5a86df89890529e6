#!/usr/bin/env bash
# Fails when a module includes a module above it, or a C library outside the
# module that owns it. Dependencies point down: cmd -> engine -> worker -> parser -> base.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
check() {  # folder, forbidden include pattern, why
  local hits
  hits=$(grep -rnE "^#include [<\"]($2)" "$1" --include='*.h' --include='*.cc' || true)
  if [ -n "$hits" ]; then echo "$hits" | sed "s|\$|   <- $3|"; fail=1; fi
}
check base   'parser/|worker/|engine/|cmd/' 'base depends on std and fmt only'
check parser 'worker/|engine/|cmd/|uv\.h|curl/' 'parser is pure'
check worker 'engine/|cmd/|gumbo\.h' 'worker must not include engine or cmd'
check engine 'cmd/|gumbo\.h|curl/' 'engine must not include cmd or C libraries of lower modules'
check cmd    'worker/|parser/|uv\.h|curl/|gumbo\.h' 'cmd sees engine and base only'
# hiredis belongs to engine/redis_client.cc alone (distributed mode).
hits=$(grep -rnE '^#include [<"]hiredis/' base parser worker engine cmd --include='*.h' --include='*.cc' | grep -v '^engine/redis_client.cc:' || true)
if [ -n "$hits" ]; then echo "$hits" | sed 's|$|   <- only engine/redis_client.cc talks to hiredis|'; fail=1; fi
[ "$fail" = 0 ] && echo "includes: every dependency points down"
exit "$fail"
