#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz into build-fuzz/ (clang, ASan +
# UBSan) and runs them one after the other (docs/fuzzing.md).
#   scripts/fuzz.sh                  every target for 60 s
#   scripts/fuzz.sh 30m              every target for 30 minutes each
#   scripts/fuzz.sh 20s selector url the named targets for 20 s each
#   scripts/fuzz.sh --ci             CI: every target for FUZZ_CI_TIME (25 s) each,
#                                    libFuzzer's seed fixed (FUZZ_SEED, 20261127)
# DURATION is N, Ns, Nm or Nh (plain N: seconds). Targets: selector extract
# decode url job_file frame. Each run fails on a crash, a leak, a broken
# invariant, a unit slower than FUZZ_TIMEOUT seconds (default 10: the
# machine may be loaded) or one using more than FUZZ_RSS_MB MiB (default
# 2048). The exit status is 1 when any target failed; the summary table
# gives runs, exec/s, cov and ft per target, and artifacts (the failing
# inputs) are in build-fuzz/artifacts/<target>/.
# The working corpus build-fuzz/corpus/<target>/ is kept between runs;
# seeds are made anew each time from the tests and ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(selector extract decode url job_file frame)
duration=60
seed=${FUZZ_SEED:-}  # empty: libFuzzer draws one (printed in the log as "Seed:")
targets=()
for arg in "$@"; do
  case "$arg" in
    --ci) duration=${FUZZ_CI_TIME:-25}; seed=${FUZZ_SEED:-20261127} ;;
    [0-9]*) duration=$arg ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *)
      if [[ " ${ALL_TARGETS[*]} " != *" $arg "* ]]; then
        echo "fuzz.sh: unknown target '$arg' (targets: ${ALL_TARGETS[*]})" >&2
        exit 2
      fi
      targets+=("$arg")
      ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")

case "$duration" in
  *[0-9]s) seconds=${duration%s} ;;
  *[0-9]m) seconds=$((${duration%m} * 60)) ;;
  *[0-9]h) seconds=$((${duration%h} * 3600)) ;;
  *[0-9]) seconds=$duration ;;
  *) echo "fuzz.sh: bad duration '$duration' (N, Ns, Nm or Nh)" >&2; exit 2 ;;
esac
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "fuzz.sh: bad duration '$duration' (N, Ns, Nm or Nh)" >&2
  exit 2
fi
timeout_s=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}

scripts/install-deps.sh
BUILD_DIR=build-fuzz
args=(-S . -B "$BUILD_DIR" -G Ninja -DFORAGE_FUZZ=ON -DFORAGE_BUILD_BENCH=OFF
      -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)} CCACHE_NOHASHDIR=1
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# No -Werror here: clang warns on other things than gcc, and the gcc build
# (which compiles these targets too, for ctest's replays) is the gate.
echo "== fuzz: building $BUILD_DIR (clang, libFuzzer, ASan + UBSan)"
cmake "${args[@]}" >/dev/null
nice -n 10 cmake --build "$BUILD_DIR" --target fuzz -j "$(nproc)"

fuzz_dir=tests/fuzz
pages=../shared/corpus/pages
seeds=$BUILD_DIR/seeds
rm -rf "$seeds"
mkdir -p "$seeds/frame"
python3 "$fuzz_dir/make_seeds.py" "$seeds" "$pages" >/dev/null
FORAGE_FUZZ_WRITE_SEEDS=$seeds/frame "$BUILD_DIR/fuzz_frame" -runs=0 >/dev/null 2>&1

# Per target: the longest input, and the dictionary.
declare -A max_len=([selector]=1024 [extract]=65536 [decode]=65536 [url]=1024 [job_file]=8192
                    [frame]=4096)
declare -A dict=([selector]=css.dict [extract]=html.dict [decode]=html.dict [url]=url.dict
                 [job_file]=toml.dict)

export LSAN_OPTIONS="suppressions=$PWD/$fuzz_dir/lsan.supp"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Sets children_cpu to the CPU seconds (user + system) of the children this
# shell has waited for. Not in $(...): a subshell has no children of its own.
children_cpu() {
  times >"$BUILD_DIR/.times"
  children_cpu=$(tail -1 "$BUILD_DIR/.times" |
    awk '{ for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } print t }')
}
failed=()
summary=()
total_cpu=0
for t in "${targets[@]}"; do
  corpus=$BUILD_DIR/corpus/$t
  artifacts=$BUILD_DIR/artifacts/$t
  log=$BUILD_DIR/logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  inputs=("$corpus" "$seeds/$t")
  for d in "$fuzz_dir/seeds/$t" "$fuzz_dir/regressions/$t"; do
    [ -d "$d" ] && inputs+=("$d")
  done
  if [ "$t" = extract ] && [ -d "$pages" ]; then inputs+=("$pages"); fi
  flags=(-max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_mb"
         -malloc_limit_mb="$rss_mb" -max_len="${max_len[$t]}" -print_final_stats=1
         -artifact_prefix="$artifacts/")
  [ -n "${dict[$t]:-}" ] && flags+=(-dict="$fuzz_dir/dict/${dict[$t]}")
  [ -n "$seed" ] && flags+=(-seed="$seed")
  echo "== fuzz: $t for ${seconds}s (log: $log)"
  status=0
  children_cpu
  cpu_before=$children_cpu
  nice -n 15 "$BUILD_DIR/fuzz_$t" "${flags[@]}" "${inputs[@]}" >"$log" 2>&1 || status=$?
  children_cpu
  cpu=$(awk -v a="$children_cpu" -v b="$cpu_before" 'BEGIN { printf "%.0f", a - b }')
  total_cpu=$((total_cpu + cpu))
  # The last status line ("#N DONE cov: C ft: F ... exec/s: E") and the final stats.
  line=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
  result=ok
  if [ "$status" -ne 0 ]; then
    result="FAILED (exit $status)"
    failed+=("$t")
    echo "-- fuzz: $t failed; the report:" >&2
    grep -E -A40 '^==[0-9]+==ERROR|FUZZ_CHECK|^SUMMARY|ALARM|out-of-memory|deadly signal' \
      "$log" | head -80 >&2 || tail -40 "$log" >&2
    ls -1 "$artifacts" >&2 || true
  fi
  summary+=("$(printf '%-9s %6s %12s %8s %7s %8s  %s' "$t" "$cpu" "${runs:-?}" "${eps:-?}" \
               "${cov:-?}" "${ft:-?}" "$result")")
done

echo "== fuzz summary (${seconds}s per target at nice 15; cpu in seconds, user + system)"
printf '%-9s %6s %12s %8s %7s %8s  %s\n' target cpu runs exec/s cov ft result
printf '%s\n' "${summary[@]}"
echo "total cpu: ${total_cpu} s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $BUILD_DIR/artifacts/)" >&2
  exit 1
fi
echo "fuzz: every target ran clean (${#targets[@]} of them)"
