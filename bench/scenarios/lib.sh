# Shared by the scenario scripts: start the fixture, run forage, print figures.
# Source it; it expects to be run from anywhere inside the repository.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FORAGE=$BUILD/forage
FIXTURE=$BUILD/forage-fixture
WORK=$(mktemp -d /tmp/forage-bench.XXXXXX)
FIXTURE_PID=""

cleanup() {
  [ -n "$FIXTURE_PID" ] && kill "$FIXTURE_PID" 2>/dev/null && wait "$FIXTURE_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ ! -x "$FORAGE" ] || [ ! -x "$FIXTURE" ]; then
  "$ROOT/scripts/build.sh" >&2
fi

# start_fixture [fixture flags...]: sets BASE (http://127.0.0.1:PORT/).
start_fixture() {
  if [ -n "$FIXTURE_PID" ]; then
    kill "$FIXTURE_PID" 2>/dev/null; wait "$FIXTURE_PID" 2>/dev/null || true
  fi
  local fifo=$WORK/fixture.out
  rm -f "$fifo"; mkfifo "$fifo"
  "$FIXTURE" --port 0 "$@" > "$fifo" &
  FIXTURE_PID=$!
  exec 7< "$fifo"
  read -r BASE <&7
  exec 7<&-
}

SEED_FIELDS=(--items .product
  --field 'id=.add_to_cart_button::attr(data-product_id)'
  --field name=h2 --field price=.price
  --field 'url=.woocommerce-loop-product__link::attr(href)')

# run_forage LABEL [forage run flags...]: runs the seed's job, prints one row.
run_forage() {
  local label=$1; shift
  local report=$WORK/report.json
  "$FORAGE" run --url "${BASE}shop/page/{page}/" "${SEED_FIELDS[@]}" \
    -o "$WORK/out.csv" --report "$report" --quiet "$@" || true
  python3 - "$label" "$report" "${LOWER_BOUND:-0}" <<'PY'
import json, sys
label, path, bound = sys.argv[1], sys.argv[2], float(sys.argv[3])
r = json.load(open(path))
pages = r["pages_ok"] + r["pages_failed"]
ratio = f"{r['wall_s'] / bound:5.2f}x" if bound > 0 else "   -  "
print(f"{label:<28} wall {r['wall_s']:7.3f} s  user {r['user_s']:7.3f} s  sys {r['sys_s']:6.3f} s"
      f"  pages {pages:>6}  items {r['items']:>7}  {pages / r['wall_s']:8.1f} pages/s"
      f"  vs bound {ratio}  cpu ms/page {1000 * (r['user_s'] + r['sys_s']) / max(pages, 1):6.2f}")
PY
}

print_header() {
  echo "== $1"
  echo "   machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
}
