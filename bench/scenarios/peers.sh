#!/usr/bin/env bash
# forage next to the peer scrapers of ../shared/peers (the tutorial's Python
# versions a..e, Scrapy f, Crawlee g), all against the SAME forage-fixture in
# the SAME run. forage-fixture serves pages byte-identical to the peers' own
# fixture (shopgen.py). Every command is timed as a whole process by the peers'
# own timer (tools/bench.py: wait4() rusage, children included), and every CSV
# is checked against the catalogue (tools/verify.py: header, row count, the
# rows as a multiset; forage's price keeps its pound sign, which the check
# tolerates). Prints one table per scenario: wall/user/sys medians, and the
# ratio of each to forage (the fastest forage setting, marked *) and to the
# scenario's lower bound.
#
# Usage: bench/scenarios/peers.sh [RUNS]        (RUNS counted runs per case, default 1)
# Environment:
#   SCENARIOS="S1 S2 S4 S3"   which scenarios, in that order
#   WARM=1                    warm-up runs per case (S3 and the sequential peer get none)
#   TMO=180                   seconds before one run is killed
#   PEERS_S1=... PEERS_S2=... PEERS_S3=... PEERS_S4=...   override the peer lists
#   PEERS_DIR=../shared/peers BUILD=build
#   PEERS_TMP=/tmp/forage-peers   where the Crawlee copy (with node_modules) lives
# Cases are interleaved: round 1 runs every case once, then round 2, and so on.
# Installs what the peers need (Debian packages; `npm ci` in a copy of the
# Crawlee peer under /tmp) only if missing; a peer that cannot run is skipped.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
RUNS=${1:-${RUNS:-1}}
WARM=${WARM:-1}
TMO=${TMO:-180}
SCENARIOS=${SCENARIOS:-S1 S2 S4 S3}
PY=/usr/bin/python3
PEERS_TMP=${PEERS_TMP:-/tmp/forage-peers}
CORES=$(nproc)

if [ ! -d "$PEERS_DIR/scrapers" ] || [ ! -f "$PEERS_DIR/tools/bench.py" ]; then
  echo "peers.sh: no peers at $PEERS_DIR (../shared/peers); skipping."
  exit 0
fi
PEERS_DIR=$(cd "$PEERS_DIR" && pwd)
if [ ! -x "$PY" ]; then
  echo "peers.sh: $PY not found (the peers need Debian's python3); skipping."
  exit 0
fi

# --- binaries: use the built ones; build into build-peers only if missing ---
if [ -z "${BUILD:-}" ]; then
  BUILD=$ROOT/build
  if [ ! -x "$BUILD/forage" ] || [ ! -x "$BUILD/forage-fixture" ]; then
    BUILD=$ROOT/build-peers
  fi
fi
FORAGE=$BUILD/forage
FIXTURE=$BUILD/forage-fixture
if [ ! -x "$FORAGE" ] || [ ! -x "$FIXTURE" ]; then
  echo "building forage and forage-fixture into $BUILD" >&2
  timeout 1800 cmake -S "$ROOT" -B "$BUILD" -G Ninja >&2 &&
    timeout 1800 cmake --build "$BUILD" --target forage forage-fixture >&2 ||
    { echo "peers.sh: build failed; cannot run." >&2; exit 1; }
fi

WORK=$(mktemp -d /tmp/forage-peers-run.XXXXXX)
JSONL=$WORK/runs.jsonl
: > "$JSONL"
FIXTURE_PID=""
cleanup() {
  if [ -n "$FIXTURE_PID" ]; then kill "$FIXTURE_PID" 2>/dev/null; wait "$FIXTURE_PID" 2>/dev/null; fi
  if [ -s "$JSONL" ]; then mkdir -p "$PEERS_TMP" && cp "$JSONL" "$PEERS_TMP/last-runs.jsonl"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- what the peers need ---------------------------------------------------
APT_UPDATED=0
apt_install() {  # packages...: best effort, bounded
  [ "$(id -u)" = 0 ] || { echo "   not root: cannot apt-get install $*"; return 1; }
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get update -qq > "$WORK/apt.log" 2>&1
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends "$@" \
    >> "$WORK/apt.log" 2>&1
}
py_has() { "$PY" -c "import $1" 2>/dev/null; }

echo "== setup"
missing=()
for pair in aiohttp:python3-aiohttp bs4:python3-bs4 requests:python3-requests lxml:python3-lxml \
            numpy:python3-numpy scrapy:python3-scrapy; do
  py_has "${pair%%:*}" || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "   installing ${missing[*]} (apt-get)"
  if ! apt_install "${missing[@]}"; then
    for p in "${missing[@]}"; do apt_install "$p" || echo "   could not install $p"; done
  fi
fi

CRAWLEE_DIR=$PEERS_TMP/crawlee
CRAWLEE_OK=0
crawlee_setup() {
  if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
    echo "   node/npm missing: installing nodejs npm (apt-get)"
    apt_install nodejs npm || { echo "   could not install nodejs/npm"; return 1; }
  fi
  mkdir -p "$CRAWLEE_DIR" || return 1
  # a copy, never inside shared/; node_modules is kept while the lock file is unchanged
  if ! cmp -s "$PEERS_DIR/crawlee/package-lock.json" "$CRAWLEE_DIR/package-lock.json"; then
    rm -rf "$CRAWLEE_DIR/node_modules"
  fi
  local f
  for f in "$PEERS_DIR"/crawlee/*; do
    [ "$(basename "$f")" = node_modules ] && continue
    cp -r "$f" "$CRAWLEE_DIR/" || return 1
  done
  if [ ! -d "$CRAWLEE_DIR/node_modules/@crawlee/cheerio" ]; then
    echo "   npm ci in $CRAWLEE_DIR"
    (cd "$CRAWLEE_DIR" && timeout 900 npm ci --no-audit --no-fund --loglevel=error) > "$WORK/npm.log" 2>&1 ||
      { echo "   npm ci failed: $(tail -3 "$WORK/npm.log" | tr '\n' ' ')"; return 1; }
  fi
  [ -d "$CRAWLEE_DIR/node_modules/@crawlee/cheerio" ]
}
if [ -f "$PEERS_DIR/crawlee/g_crawlee_cheerio.mjs" ] && crawlee_setup; then CRAWLEE_OK=1; fi

S=$PEERS_DIR/scrapers
LXML_PARSER=0
grep -q 'lxml.html' "$S/common.py" && py_has lxml.html && LXML_PARSER=1

peer_cmd() {  # name -> CMD array (the peer without the common arguments)
  local C=$CRAWLEE_DIR/g_crawlee_cheerio.mjs
  case "$1" in
    a_seq_requests_bs4)  CMD=("$PY" "$S/a_seq_requests_bs4.py") ;;
    b_asyncio_aiohttp)   CMD=("$PY" "$S/b_asyncio_aiohttp.py") ;;
    c_semaphore_3)       CMD=("$PY" "$S/c_asyncio_semaphore.py" --sem 3) ;;
    c_semaphore_10)      CMD=("$PY" "$S/c_asyncio_semaphore.py" --sem 10) ;;
    d_connector_10_3)    CMD=("$PY" "$S/d_aiohttp_connector.py" --limit 10 --limit-per-host 3) ;;
    e_hybrid_1proc)      CMD=("$PY" "$S/e_hybrid_procpool.py" --procs 1) ;;
    e_hybrid_2proc)      CMD=("$PY" "$S/e_hybrid_procpool.py" --procs 2) ;;
    e_hybrid_4proc)      CMD=("$PY" "$S/e_hybrid_procpool.py" --procs 4) ;;
    e_hybrid_2proc_lxml) CMD=("$PY" "$S/e_hybrid_procpool.py" --procs 2 --parser lxml.html) ;;
    f_scrapy_default)    CMD=("$PY" "$S/f_scrapy_spider.py") ;;
    f_scrapy_c64)        CMD=("$PY" "$S/f_scrapy_spider.py" --concurrency 64) ;;
    g_crawlee_max100)    CMD=(node "$C" --max-concurrency 100) ;;
    g_crawlee_pin100)    CMD=(node "$C" --min-concurrency 100 --desired-concurrency 100 --max-concurrency 100) ;;
    *) return 1 ;;
  esac
}

peer_need() {  # name -> why it cannot run, empty if it can
  local mods
  case "$1" in
    a_*) mods="requests bs4" ;;
    b_*|c_*|d_*) mods="aiohttp bs4" ;;
    e_*lxml) mods="aiohttp numpy bs4 lxml.html" ;;
    e_*) mods="aiohttp numpy bs4" ;;
    f_*) mods="scrapy bs4" ;;
    g_*) [ "$CRAWLEE_OK" = 1 ] || echo "Crawlee (node + npm ci) not available"; return 0 ;;
    *) echo "unknown peer"; return 0 ;;
  esac
  local m miss=""
  for m in $mods; do py_has "$m" || miss="$miss $m"; done
  [ -n "$miss" ] && echo "python modules missing:$miss"
  return 0
}

SKIPPED=""
usable() {  # peer names -> PEERS_OK, the ones that can run; says once why one is skipped
  local n why
  PEERS_OK=""
  for n in "$@"; do
    why=$(peer_need "$n")
    if [ -z "$why" ] && peer_cmd "$n"; then PEERS_OK="$PEERS_OK $n"; continue; fi
    case " $SKIPPED " in *" $n "*) ;; *) echo "   SKIP $n: ${why:-no such peer}"; SKIPPED="$SKIPPED $n";; esac
  done
}

# --- fixture -----------------------------------------------------------------
start_fixture() {  # forage-fixture flags...: sets BASE (with trailing slash), PBASE (without)
  if [ -n "$FIXTURE_PID" ]; then kill "$FIXTURE_PID" 2>/dev/null; wait "$FIXTURE_PID" 2>/dev/null; FIXTURE_PID=""; fi
  local fifo=$WORK/fixture.out
  rm -f "$fifo"; mkfifo "$fifo"
  "$FIXTURE" --port 0 "$@" > "$fifo" 2> "$WORK/fixture.err" &
  FIXTURE_PID=$!
  exec 7< "$fifo"
  BASE=""
  read -t 15 -r BASE <&7
  exec 7<&-
  if [ -z "$BASE" ]; then echo "forage-fixture did not start ($*)"; exit 1; fi
  PBASE=${BASE%/}
  echo "   forage-fixture $* at $BASE (pid $FIXTURE_PID)"
}

SEED_FIELDS=(--items .product
  --field 'id=.add_to_cart_button::attr(data-product_id)'
  --field name=h2 --field price=.price
  --field 'url=.woocommerce-loop-product__link::attr(href)')

# case specs: NAME|KIND|ARG ; KIND forage (ARG = forage run flags) or peer
bench_one() {  # scenario name pages burn warm cmd...: one counted run (+warm-ups) via tools/bench.py
  local sc=$1 name=$2 pages=$3 warm=$4; shift 4
  local csv=$WORK/out_${sc}_${name}.csv
  local cmd=("$@")
  cmd=("${cmd[@]//@CSV@/$csv}")
  timeout $(( (TMO + 10) * (warm + 1) + 30 )) "$PY" "$PEERS_DIR/tools/bench.py" --scenario "$sc" --name "$name" \
    --runs 1 --warmup "$warm" --timeout "$TMO" --jsonl "$JSONL" --log "$WORK/${sc}_${name}.log" \
    --csv "$csv" --base "$PBASE" --pages "$pages" --watch-pid "$FIXTURE_PID" -- "${cmd[@]}" |
    sed 's/^/   /'
}

# run_scenario SC PAGES BURN_MS BOUND "forage label=flags;..." peers...
run_scenario() {
  local sc=$1 pages=$2 burn=$3 bound=$4 forage_specs=$5; shift 5
  local peers round spec label flags name w
  usable "$@"; peers=$PEERS_OK
  echo "   cases: forage [${forage_specs//;/ | }]; peers:$peers"
  echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for round in $(seq "$RUNS"); do
    IFS=';' read -ra specs <<< "$forage_specs"
    for spec in "${specs[@]}"; do
      label=${spec%%=*}; flags=${spec#*=}
      w=0; [ "$round" = 1 ] && [ "$sc" != S3 ] && w=$WARM
      # shellcheck disable=SC2086
      bench_one "$sc" "$label" "$pages" "$w" "$FORAGE" run --url "${BASE}shop/page/{page}/" "${SEED_FIELDS[@]}" \
        --pages "$pages" $flags -o @CSV@ --quiet
    done
    for name in $peers; do
      peer_cmd "$name"
      w=0; [ "$round" = 1 ] && [ "$sc" != S3 ] && [ "$name" != a_seq_requests_bs4 ] && w=$WARM
      bench_one "$sc" "$name" "$pages" "$w" "${CMD[@]}" --base "$PBASE" --pages "$pages" --burn-ms "$burn" --out @CSV@
    done
  done
  echo "$sc|$bound" >> "$WORK/bounds"
}

S1() {
  echo "== S1 IO-bound: 48 pages x 500 ms delay, lower bound 0.500 s"
  start_fixture --delay 500
  run_scenario S1 1-48 0 0.5 "forage_c100=--workers auto --concurrency 100 --per-host 0" \
    ${PEERS_S1:-a_seq_requests_bs4 b_asyncio_aiohttp c_semaphore_3 c_semaphore_10 d_connector_10_3 \
      e_hybrid_2proc f_scrapy_default f_scrapy_c64 g_crawlee_max100 g_crawlee_pin100}
}

S2() {
  local bound
  bound=$("$PY" -c "print(round(max(48 * 0.1 / $CORES, 0.2 + 0.1), 3))")
  echo "== S2 mixed: 48 pages x 200 ms delay + 100 ms CPU each, lower bound $bound s (the burn alone, on $CORES cores)"
  start_fixture --delay 200
  run_scenario S2 1-48 100 "$bound" "forage_c100=--workers auto --concurrency 100 --per-host 0 --cpu-burn 100ms" \
    ${PEERS_S2:-a_seq_requests_bs4 b_asyncio_aiohttp e_hybrid_2proc f_scrapy_default f_scrapy_c64 \
      g_crawlee_max100 g_crawlee_pin100 e_hybrid_1proc e_hybrid_4proc e_hybrid_2proc_lxml}
}

S4() {
  echo "== S4 queueing server: 48 pages x 300 ms, at most 4 in service, lower bound 3.600 s"
  start_fixture --delay 300 --max-inflight 4
  run_scenario S4 1-48 0 3.6 \
    "forage_c4=--workers auto --concurrency 4 --per-host 0;forage_c48=--workers auto --concurrency 48 --per-host 0" \
    ${PEERS_S4:-b_asyncio_aiohttp c_semaphore_3 d_connector_10_3 e_hybrid_2proc f_scrapy_default \
      f_scrapy_c64 g_crawlee_pin100}
}

S3() {
  local n=2000 e=e_hybrid_2proc_lxml bound="0"
  [ "$LXML_PARSER" = 1 ] || e=e_hybrid_2proc
  echo "== S3 throughput: $n pages, no delay"
  start_fixture --pages "$n"
  if [ -x "$BUILD/bench/parse_bench" ]; then
    curl -s --max-time 10 -o "$WORK/page1.html" "${BASE}shop/page/1/"
    local ms
    ms=$(timeout 60 "$BUILD/bench/parse_bench" "$WORK/page1.html" 300 2>/dev/null | awk '$1=="both"{print $3}')
    if [ -n "$ms" ]; then
      bound=$("$PY" -c "print(round($n * $ms / 1000 / $CORES, 3))")
      echo "   lower bound $bound s: Gumbo parse+extract only ($ms ms/page, page 1, bench/parse_bench best) x $n pages / $CORES cores, no HTTP"
    fi
  fi
  [ "$bound" = 0 ] && echo "   (no parse_bench in $BUILD/bench: no lower bound)"
  # prime: every page once, so the fixture's first-render cost is not timed
  timeout 120 curl -s "${BASE}shop/page/[1-$n]/" > /dev/null || true
  run_scenario S3 "1-$n" 0 "$bound" "forage_c32=--workers auto --concurrency 32 --per-host 0" \
    ${PEERS_S3:-$e f_scrapy_c64 g_crawlee_pin100}
}

echo "   machine: $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "   forage: $FORAGE ($(date -r "$FORAGE" '+%F %T')), rev $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)"
echo "   peers: $PEERS_DIR; python: $("$PY" --version 2>&1); $("$PY" -c 'import importlib
out = []
for m in ("aiohttp", "bs4", "requests", "lxml", "numpy", "scrapy"):
    try:
        out.append("%s %s" % (m, importlib.import_module(m).__version__))
    except Exception:
        out.append(m + " -")
print(", ".join(out))' 2>/dev/null)"
if [ "$CRAWLEE_OK" = 1 ]; then
  echo "   node $(node --version), crawlee $(node -p "require('$CRAWLEE_DIR/node_modules/@crawlee/cheerio/package.json').version" 2>/dev/null) ($CRAWLEE_DIR)"
else
  echo "   Crawlee: not available"
fi
echo "   runs per case: $RUNS counted, warm-up $WARM (none in S3 and for the sequential peer); per-run timeout ${TMO}s"

for sc in $SCENARIOS; do
  case "$sc" in S1|S2|S3|S4) "$sc" ;; *) echo "unknown scenario $sc" ;; esac
done
if [ -n "$FIXTURE_PID" ]; then kill "$FIXTURE_PID" 2>/dev/null; wait "$FIXTURE_PID" 2>/dev/null; FIXTURE_PID=""; fi

echo
"$PY" "$HERE/peers_report.py" "$JSONL" "$WORK/bounds" "$CORES"
[ -n "$SKIPPED" ] && echo "skipped peers:$SKIPPED (see SKIP lines above)"
echo "raw runs: $PEERS_TMP/last-runs.jsonl"
