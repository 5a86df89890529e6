#pragma once
// The decisions `forage tune` (and the mark on `forage bench`'s chart) makes
// from measured settings: which setting to recommend, and whether extra
// workers help. Pure functions of the medians and spreads, so they are
// tested on tables of figures (tune_rule_test.cc).
//
// The rule, in full (docs/cli.md "forage tune" says the same):
// - A setting A is faster than B beyond the noise when A's median wall time
//   is lower than B's by more than both spreads (max - min) together AND by
//   more than 5% of B's median. Differences inside the noise, or under 5%,
//   do not count.
// - Cost: fewer workers is cheaper; at equal workers, lower concurrency.
// - Recommended: the cheapest setting that the fastest one (lowest median)
//   does not beat beyond the noise.
// - Extra workers help when the fastest multi-worker setting beats the
//   fastest one-worker setting beyond the noise. When they do not, the job is
//   IO-bound if one worker was busy processing pages under half of the CPU it
//   could get: busy / wall / core_share < 50%, where core_share is the share
//   of one core a spinning thread got on the machine at the time (1 when
//   idle). Otherwise it is CPU-heavy and the other cores could not help
//   (busy with other work, or too few).

#include <cstddef>
#include <string>
#include <vector>

#include "cmd/bench_row.h"

namespace forage::cmd {

inline constexpr double kMinGain = 0.05;    // a gain under 5% is never worth a costlier setting
inline constexpr double kBusyCpuBound = 0.5;  // one worker busier than this is CPU-heavy

// `fast` has a lower median than `slow` beyond the noise (rule above).
bool FasterBeyondNoise(const BenchRow& fast, const BenchRow& slow);

// true when a costs less than b (fewer workers, then lower concurrency).
bool Cheaper(const BenchRow& a, const BenchRow& b);

// Index of the fastest row (lowest median wall; the cheaper one on a tie).
// rows must not be empty.
size_t Fastest(const std::vector<BenchRow>& rows);

// Index of the recommended row (rule above). rows must not be empty.
size_t Recommend(const std::vector<BenchRow>& rows);

enum class Scaling {
  kUnknown,       // only one worker count was measured
  kWorkersHelp,   // more workers cut the wall time beyond the noise
  kIoBound,       // they did not, and one worker was mostly waiting
  kCpuNoGain,     // they did not, though one worker was busy: no spare cores
};

struct ScalingVerdict {
  Scaling scaling = Scaling::kUnknown;
  const BenchRow* one_worker = nullptr;    // the fastest one-worker row
  const BenchRow* more_workers = nullptr;  // the fastest row with more workers
  double one_worker_busy = 0;              // its busy share of one core (0..1)
  double core_share = 1;                   // what a spinning thread got meanwhile
  double busy_of_available = 0;            // one_worker_busy / core_share
};

ScalingVerdict JudgeScaling(const std::vector<BenchRow>& rows);

// One line for the tune report: "the job is IO-bound: ..." and so on.
std::string ScalingLine(const ScalingVerdict& v);

}  // namespace forage::cmd
