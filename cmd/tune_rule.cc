#include "cmd/tune_rule.h"

#include <algorithm>

#include <fmt/format.h>

namespace forage::cmd {
namespace {

double Spread(const BenchRow& r) { return std::max(0.0, r.wall_max_s - r.wall_min_s); }

std::string Setting(const BenchRow& r) {
  return fmt::format("{} worker{} at concurrency {}", r.workers, r.workers == 1 ? "" : "s",
                     r.concurrency);
}

std::string Timing(const BenchRow& r) {
  if (r.runs > 1) {
    return fmt::format("{:.3f} s ({:.3f}-{:.3f})", r.wall_s, r.wall_min_s, r.wall_max_s);
  }
  return fmt::format("{:.3f} s", r.wall_s);
}

// The fastest row among those `keep` accepts, or null.
template <typename Keep>
const BenchRow* FastestWhere(const std::vector<BenchRow>& rows, Keep keep) {
  const BenchRow* best = nullptr;
  for (const auto& r : rows) {
    if (!keep(r)) continue;
    if (best == nullptr || r.wall_s < best->wall_s ||
        (r.wall_s == best->wall_s && Cheaper(r, *best))) {
      best = &r;
    }
  }
  return best;
}

// "busy 34% of one core (94% of the 36% a spinning thread got)": the
// second part only when the machine was loaded.
std::string Busy(const ScalingVerdict& v) {
  std::string s = fmt::format("one worker was busy {:.0f}% of one core", 100 * v.one_worker_busy);
  if (v.core_share < 0.95) {
    s += fmt::format(" ({:.0f}% of the {:.0f}% a spinning thread got on this loaded machine)",
                     100 * v.busy_of_available, 100 * v.core_share);
  }
  return s;
}

}  // namespace

bool FasterBeyondNoise(const BenchRow& fast, const BenchRow& slow) {
  const double gain = slow.wall_s - fast.wall_s;
  return gain > Spread(fast) + Spread(slow) && gain > kMinGain * slow.wall_s;
}

bool Cheaper(const BenchRow& a, const BenchRow& b) {
  if (a.workers != b.workers) return a.workers < b.workers;
  return a.concurrency < b.concurrency;
}

size_t Fastest(const std::vector<BenchRow>& rows) {
  return static_cast<size_t>(FastestWhere(rows, [](const BenchRow&) { return true; }) -
                             rows.data());
}

size_t Recommend(const std::vector<BenchRow>& rows) {
  const BenchRow& fastest = rows[Fastest(rows)];
  size_t pick = Fastest(rows);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!FasterBeyondNoise(fastest, rows[i]) && Cheaper(rows[i], rows[pick])) pick = i;
  }
  return pick;
}

ScalingVerdict JudgeScaling(const std::vector<BenchRow>& rows) {
  ScalingVerdict v;
  v.one_worker = FastestWhere(rows, [](const BenchRow& r) { return r.workers == 1; });
  v.more_workers = FastestWhere(rows, [](const BenchRow& r) { return r.workers > 1; });
  if (v.one_worker == nullptr || v.more_workers == nullptr) return v;
  v.one_worker_busy = v.one_worker->wall_s > 0 ? v.one_worker->busy_s / v.one_worker->wall_s : 0;
  v.core_share = std::clamp(v.one_worker->core_share, 0.01, 1.0);
  v.busy_of_available = std::min(1.0, v.one_worker_busy / v.core_share);
  if (FasterBeyondNoise(*v.more_workers, *v.one_worker)) {
    v.scaling = Scaling::kWorkersHelp;
  } else {
    v.scaling = v.busy_of_available < kBusyCpuBound ? Scaling::kIoBound : Scaling::kCpuNoGain;
  }
  return v;
}

std::string ScalingLine(const ScalingVerdict& v) {
  switch (v.scaling) {
    case Scaling::kUnknown:
      return "scaling: only one worker count was measured; give --max-workers 2 or more to see "
             "whether workers help";
    case Scaling::kWorkersHelp:
      return fmt::format("scaling: more workers help: {} took {} against {} for {} ({})",
                         Setting(*v.more_workers), Timing(*v.more_workers), Timing(*v.one_worker),
                         Setting(*v.one_worker), Busy(v));
    case Scaling::kIoBound:
      return fmt::format(
          "scaling: the job is IO-bound: {} took {}, not faster beyond the noise than {} for {}, "
          "and {}; raise concurrency, not workers",
          Setting(*v.more_workers), Timing(*v.more_workers), Timing(*v.one_worker),
          Setting(*v.one_worker), Busy(v));
    case Scaling::kCpuNoGain:
      return fmt::format(
          "scaling: the job is CPU-heavy ({}), yet {} took {}, not faster beyond the noise than {} "
          "for {}: the other cores were busy or too few",
          Busy(v), Setting(*v.more_workers), Timing(*v.more_workers), Timing(*v.one_worker),
          Setting(*v.one_worker));
  }
  return {};
}

}  // namespace forage::cmd
