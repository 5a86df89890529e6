#pragma once
// `forage bench` and `forage tune`: run one job in several modes and worker
// counts, measure wall against user and sys time, and report or recommend.
// Every run is a full engine::Run with its records discarded.

#include <string>
#include <vector>

#include "base/result.h"
#include "engine/config.h"
#include "engine/summary.h"

namespace forage::cmd {

struct BenchOptions {
  std::vector<int> workers_list;  // hybrid runs; default: 2, 4, ... up to the cores
  int repeat = 3;
  double cpu_burn_s = -1;         // overrides the job's --cpu-burn when >= 0
  std::string md_path, json_path, svg_path;
};

struct TuneOptions {
  int max_workers = 0;     // default: the usable cores
  int sample_pages = 48;   // the first pages of the job
  double budget_s = 120;   // stop sweeping after this much wall time
};

// One measured configuration: medians over the repeats, and the spread.
struct BenchRow {
  std::string mode;  // sequential, async, hybrid
  int workers = 1;
  int concurrency = 1;
  double wall_s = 0, user_s = 0, sys_s = 0;
  double wall_min_s = 0, wall_max_s = 0;
  uint64_t pages = 0, items = 0;
  double max_loop_lag_s = 0;
  int runs = 0;
};

// Runs the job as sequential, async and hybrid; prints the table on stdout
// and writes the files asked for. Errors: bad job (kInvalidArgument), a run
// that failed, or modes that produced different record counts.
Status RunBench(const engine::Config& job, const BenchOptions& options);

// Sweeps workers x concurrency over a sample of the job and prints a
// recommendation with the flags and job-file keys to use.
Status RunTune(const engine::Config& job, const TuneOptions& options);

// Rendering, separate so tests can check it.
std::string BenchTable(const std::vector<BenchRow>& rows);     // text and Markdown alike
std::string BenchJson(const std::vector<BenchRow>& rows);
std::string BenchSvg(const std::vector<BenchRow>& rows);

}  // namespace forage::cmd
