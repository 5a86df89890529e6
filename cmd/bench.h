#pragma once
// `forage bench` and `forage tune`: run one job in several modes and worker
// counts, measure wall against user and sys time, and report or recommend.
// Every run is a full engine::Run with its records discarded. The job comes
// from the same flags as `forage run` (a job file optional).

#include <string>
#include <vector>

#include "base/result.h"
#include "cmd/bench_row.h"
#include "engine/config.h"
#include "engine/summary.h"

namespace forage::cmd {

struct BenchOptions {
  std::vector<int> workers_list;  // hybrid runs; default: 2, 4, ... up to the cores
  int repeat = 3;
  std::string md_path, json_path, svg_path;
};

struct TuneOptions {
  int max_workers = 0;                // default: the usable cores
  std::vector<int> workers_list;      // default: 1, 2, 4, ... up to max_workers
  std::vector<int> concurrency_list;  // default: 4, 16, 64 and the job's
  int repeat = 3;                     // runs per setting, interleaved
  int sample_pages = 48;              // the first pages of the job
  double budget_s = 120;              // stop sweeping after this much wall time
  bool per_host_given = false;        // else per-host rises with the swept concurrency
  std::string md_path, json_path, svg_path;
};

// Runs the job as sequential, async and hybrid; prints the table on stdout
// and writes the files asked for. Errors: bad job (kInvalidArgument), a run
// that failed, or modes that produced different record counts.
Status RunBench(const engine::Config& job, const BenchOptions& options);

// Sweeps workers x concurrency over a sample of the job, each setting
// `repeat` times, and prints a recommendation (tune_rule.h) with the flags and
// job-file keys to use.
Status RunTune(const engine::Config& job, const TuneOptions& options);

// Rendering, separate so tests can check it. CPU % in the table is (user +
// sys) / wall / usable cores, as in the run report.
std::string BenchTable(const std::vector<BenchRow>& rows);  // text and Markdown alike
std::string BenchJson(const std::vector<BenchRow>& rows);

// What the chart's caption names: the job file and/or its URL and pages.
std::string JobLabel(const engine::Config& job);

}  // namespace forage::cmd
