#pragma once
// One measured setting of `forage bench` / `forage tune`: medians over the
// repeats and the spread of the wall time. Shared by the measuring code, the
// decision rule (tune_rule.h) and the chart (bench_chart.h).

#include <cstdint>
#include <string>

namespace forage::cmd {

struct BenchRow {
  std::string mode;  // sequential, async, hybrid
  int workers = 1;
  int concurrency = 1;
  double wall_s = 0, user_s = 0, sys_s = 0;  // medians
  double wall_min_s = 0, wall_max_s = 0;     // the spread of the wall time
  double busy_s = 0;  // median CPU time the workers spent processing pages, all workers
  // The share of one core a spinning thread got right after each run
  // (median): 1 on an idle machine, less when other work competes. Busy time
  // is judged against it, so a loaded machine does not make a CPU-heavy job
  // look IO-bound.
  double core_share = 1;
  uint64_t pages = 0, items = 0;
  double max_loop_lag_s = 0;
  int runs = 0;
};

}  // namespace forage::cmd
