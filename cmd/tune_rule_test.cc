#include "cmd/tune_rule.h"

#include <doctest/doctest.h>

namespace forage::cmd {
namespace {

// A measured setting: median wall, its min-max, and the busy time of the
// workers (CPU time processing pages).
BenchRow Row(int workers, int concurrency, double wall, double lo, double hi, double busy = 0,
             double core_share = 1) {
  BenchRow r;
  r.mode = workers == 1 ? "async" : "hybrid";
  r.workers = workers;
  r.concurrency = concurrency;
  r.wall_s = wall;
  r.wall_min_s = lo;
  r.wall_max_s = hi;
  r.busy_s = busy;
  r.core_share = core_share;
  r.runs = 3;
  return r;
}

TEST_SUITE("cmd.tune_rule") {

TEST_CASE("faster beyond the noise needs a gain above both spreads and above 5%") {
  // 1.00 vs 0.80, spreads 0.04 + 0.04: a clear win.
  CHECK(FasterBeyondNoise(Row(1, 64, 0.80, 0.78, 0.82), Row(1, 4, 1.00, 0.98, 1.02)));
  // 3% faster but the spreads (0.11 + 0.09) cover it.
  CHECK_FALSE(FasterBeyondNoise(Row(1, 64, 0.97, 0.93, 1.02), Row(1, 4, 1.00, 0.95, 1.06)));
  // 3% faster with no spread at all (one run each): under the 5% floor.
  CHECK_FALSE(FasterBeyondNoise(Row(1, 64, 0.97, 0.97, 0.97), Row(1, 4, 1.00, 1.00, 1.00)));
  // 7% faster with tight spreads: beyond both.
  CHECK(FasterBeyondNoise(Row(1, 64, 0.93, 0.925, 0.935), Row(1, 4, 1.00, 0.995, 1.005)));
  // Never faster than itself.
  const BenchRow same = Row(2, 16, 0.5, 0.5, 0.5);
  CHECK_FALSE(FasterBeyondNoise(same, same));
}

TEST_CASE("cost orders by workers, then concurrency") {
  CHECK(Cheaper(Row(1, 64, 1, 1, 1), Row(2, 4, 1, 1, 1)));
  CHECK(Cheaper(Row(2, 4, 1, 1, 1), Row(2, 16, 1, 1, 1)));
  CHECK_FALSE(Cheaper(Row(2, 16, 1, 1, 1), Row(2, 16, 1, 1, 1)));
}

TEST_CASE("a 3 percent difference inside the noise picks the cheaper setting") {
  // The case of issue 13: concurrency 64 was recommended over 4 on a 3% gain.
  std::vector<BenchRow> rows = {Row(1, 4, 1.000, 0.95, 1.06), Row(1, 16, 0.990, 0.94, 1.05),
                                Row(1, 64, 0.970, 0.93, 1.02)};
  CHECK(Fastest(rows) == 2);
  CHECK(Recommend(rows) == 0);
}

TEST_CASE("the faster setting wins when it wins beyond the noise") {
  std::vector<BenchRow> rows = {Row(1, 4, 2.00, 1.95, 2.10), Row(1, 16, 0.60, 0.58, 0.63),
                                Row(1, 64, 0.59, 0.55, 0.66), Row(2, 64, 0.58, 0.50, 0.70)};
  // 64 and 2x64 are within the noise of 16; 16 beats 4 by far: 16.
  CHECK(Fastest(rows) == 3);
  CHECK(Recommend(rows) == 1);
}

TEST_CASE("a table of medians and spreads gives the cheapest setting the fastest does not beat") {
  struct Case {
    std::vector<BenchRow> rows;
    size_t want;
  };
  const Case cases[] = {
      // One setting: itself.
      {{Row(1, 4, 1.0, 1.0, 1.0)}, 0},
      // Equal medians: the cheaper (listed last on purpose).
      {{Row(2, 4, 1.0, 0.9, 1.1), Row(1, 4, 1.0, 0.9, 1.1)}, 1},
      // Workers halve the time beyond the noise: 2 workers, the lowest concurrency of them.
      {{Row(1, 4, 2.0, 1.9, 2.1), Row(1, 16, 1.98, 1.9, 2.1), Row(2, 4, 1.0, 0.95, 1.05),
        Row(2, 16, 0.99, 0.95, 1.05)},
       2},
      // A noisy fastest point (spread 0.6) does not beat a tight cheaper one.
      {{Row(1, 16, 1.0, 0.99, 1.01), Row(4, 64, 0.7, 0.4, 1.0)}, 0},
      // 1 run each (no spread): a 10% gain counts, a 4% one does not.
      {{Row(1, 4, 1.0, 1.0, 1.0), Row(1, 16, 0.9, 0.9, 0.9)}, 1},
      {{Row(1, 4, 1.0, 1.0, 1.0), Row(1, 16, 0.96, 0.96, 0.96)}, 0},
  };
  for (const auto& c : cases) {
    CAPTURE(c.want);
    CHECK(Recommend(c.rows) == c.want);
  }
}

TEST_CASE("a job burning 50 ms of CPU per page is not called IO-bound") {
  // 48 pages x 50 ms: one worker is busy 2.4 s of its 2.5 s; two workers
  // halve the wall time.
  std::vector<BenchRow> rows = {Row(1, 4, 2.50, 2.45, 2.60, 2.40), Row(1, 16, 2.49, 2.44, 2.58, 2.40),
                                Row(2, 4, 1.30, 1.25, 1.40, 2.42), Row(2, 16, 1.29, 1.24, 1.38, 2.42)};
  auto v = JudgeScaling(rows);
  CHECK(v.scaling == Scaling::kWorkersHelp);
  REQUIRE(v.one_worker != nullptr);
  CHECK(v.one_worker->concurrency == 16);
  CHECK(v.more_workers->concurrency == 16);
  CHECK(ScalingLine(v).find("IO-bound") == std::string::npos);
  CHECK(ScalingLine(v).rfind("scaling: more workers help: 2 workers at concurrency 16 took 1.290 s "
                             "(1.240-1.380) against 2.490 s (2.440-2.580) for 1 worker at "
                             "concurrency 16 (one worker was busy 96% of one core)", 0) == 0);
  // On a machine whose other cores are busy the extra worker gains nothing:
  // still not IO-bound, one worker was busy 96% of one core.
  rows[2] = Row(2, 4, 2.48, 2.30, 2.70, 2.42);
  rows[3] = Row(2, 16, 2.47, 2.30, 2.70, 2.42);
  v = JudgeScaling(rows);
  CHECK(v.scaling == Scaling::kCpuNoGain);
  CHECK(ScalingLine(v).find("IO-bound") == std::string::npos);
  CHECK(ScalingLine(v).find("CPU-heavy (one worker was busy 96% of one core)") !=
        std::string::npos);
}

TEST_CASE("IO-bound when extra workers do not cut the wall time and one worker mostly waits") {
  std::vector<BenchRow> rows = {Row(1, 16, 0.50, 0.48, 0.55, 0.05), Row(2, 16, 0.49, 0.47, 0.56, 0.05)};
  auto v = JudgeScaling(rows);
  CHECK(v.scaling == Scaling::kIoBound);
  CHECK(ScalingLine(v) ==
        "scaling: the job is IO-bound: 2 workers at concurrency 16 took 0.490 s (0.470-0.560), "
        "not faster beyond the noise than 0.500 s (0.480-0.550) for 1 worker at concurrency 16, "
        "and one worker was busy 10% of one core; raise concurrency, not workers");
  // The best row being a one-worker row is no evidence: with no row of more
  // workers, nothing is claimed.
  rows.pop_back();
  v = JudgeScaling(rows);
  CHECK(v.scaling == Scaling::kUnknown);
  CHECK(ScalingLine(v).find("IO-bound") == std::string::npos);
}

TEST_CASE("on a loaded machine a CPU-heavy job is judged against the CPU it could get") {
  // Measured by forage tune with --cpu-burn 50ms on 48 pages, 2 cores at a
  // load average of 11: one worker got 2.5 s of CPU in 7.3 s, and a spinning
  // thread got 36% of a core; two workers gained nothing beyond the noise.
  std::vector<BenchRow> rows = {Row(1, 4, 7.313, 7.022, 7.717, 2.50, 0.36),
                                Row(1, 16, 7.281, 7.028, 8.002, 2.50, 0.36),
                                Row(2, 4, 6.562, 6.445, 7.829, 2.49, 0.36),
                                Row(2, 16, 6.618, 6.538, 9.653, 2.49, 0.36)};
  auto v = JudgeScaling(rows);
  CHECK(v.scaling == Scaling::kCpuNoGain);
  CHECK(v.busy_of_available == doctest::Approx(2.50 / 7.281 / 0.36));
  CHECK(ScalingLine(v) ==
        "scaling: the job is CPU-heavy (one worker was busy 34% of one core (95% of the 36% a "
        "spinning thread got on this loaded machine)), yet 2 workers at concurrency 4 took 6.562 s "
        "(6.445-7.829), not faster beyond the noise than 7.281 s (7.028-8.002) for 1 worker at "
        "concurrency 16: the other cores were busy or too few");
  // The recommendation stays the cheapest: 1 worker, concurrency 4.
  CHECK(Recommend(rows) == 0);
  // An IO-bound job on the same loaded machine: busy 10% of the 30% it could get.
  std::vector<BenchRow> io = {Row(1, 16, 1.0, 0.95, 1.05, 0.10, 0.30),
                              Row(2, 16, 0.99, 0.9, 1.1, 0.10, 0.30)};
  CHECK(JudgeScaling(io).scaling == Scaling::kIoBound);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::cmd
