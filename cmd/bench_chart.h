#pragma once
// The SVG chart of `forage bench --svg` and `forage tune --svg`: per setting,
// a bar of the median wall time with a min-max whisker and a bar of the CPU
// time (user + sys); the value axis in seconds, the settings along the other;
// the recommended setting outlined and named in the legend; a caption with
// the job, the usable cores and the date. Plain SVG 1.1 (rsvg-convert renders
// it in the tests).

#include <string>
#include <vector>

#include "cmd/bench_row.h"

namespace forage::cmd {

struct ChartContext {
  std::string title;     // "forage tune"
  std::string job;       // the URL template, start URL or job file
  int cores = 1;         // the usable cores of the machine measured
  std::string date;      // "2026-11-27 12:34 UTC"
  int recommended = -1;  // index into rows of the setting to mark; -1: none
};

std::string BenchSvg(const std::vector<BenchRow>& rows, const ChartContext& context);

// The chart's width and height in pixels for this many rows (what a
// renderer at 96 dpi produces).
int ChartWidth(size_t rows);
inline constexpr int kChartHeight = 440;

}  // namespace forage::cmd
