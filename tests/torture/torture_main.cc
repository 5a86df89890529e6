// forage_torture: the crash torture (docs/output.md, "Crash torture").
// Each iteration runs a job against the real forage-fixture with the real
// forage binary, kills it at random moments (kill -9 of the master's process
// group or of one worker, SIGINT, or a file-size limit), resumes it until it
// completes, and compares the output with a clean run of the same job.
//
//   forage_torture [--iterations N] [--seed S] [--only I] [--pages N]
//                  [--delay MS] [--kill-delay MS] [--sink csv|jsonl|sqlite]
//                  [--job list|follow|dense|crawl] [--keep] [--verbose] [--dry-run]
//                  [--child-ignores-sigxfsz]
//
// Prints one line per iteration, then the figures. Exit 0 if every
// iteration passed, 1 if any failed, 2 if the torture itself could not run.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "tests/test_support.h"
#include "tests/torture/job_process.h"
#include "tests/torture/runner.h"

namespace forage::torture {
namespace {

void PrintCounts(const char* title, const std::map<std::string, int>& counts) {
  std::string line;
  for (const auto& [k, n] : counts) line += fmt::format("  {} {}", k, n);
  fmt::print("{:<17}{}\n", title, line.empty() ? "  none" : line);
}

void PrintFigures(const Tally& t, uint64_t seed, double wall_s) {
  fmt::print("\n== crash torture: seed {}, {:.0f} s\n", seed, wall_s);
  fmt::print("iterations        {} ({} passed, {} failed)\n", t.iterations, t.passed,
             t.iterations - t.passed);
  fmt::print("stages            {} ({} of them --resume)\n", t.stages, t.resumes);
  PrintCounts("faults landed", t.faults_landed);
  PrintCounts("faults missed", t.faults_missed);
  PrintCounts("iterations/sink", t.iterations_by_sink);
  PrintCounts("failed/sink", t.failed_by_sink);
  fmt::print("mismatches        {} (final output differs from the clean run)\n", t.mismatches);
  if (t.failures.empty()) {
    fmt::print("failures by kind  none\n");
    return;
  }
  fmt::print("failures by kind (iterations):\n");
  for (const auto& [kind, n] : t.failures) fmt::print("  {:4}  {}\n", n, kind);
}

int Main(int argc, char** argv) {
  CLI::App app{"forage crash torture"};
  int iterations = 30;
  uint64_t seed = 0;
  int only = -1;
  Options options;
  app.add_option("--iterations", iterations, "iterations to run")->check(CLI::PositiveNumber);
  auto* seed_opt = app.add_option("--seed", seed, "seed of the plans (default: random, printed)");
  app.add_option("--only", only, "run only iteration I of the seed (to replay a failure)");
  app.add_option("--pages", options.pages, "list pages of a list job (follow and dense jobs: pages/16)")
      ->check(CLI::Range(16, 100000));
  app.add_option("--delay", options.fixture_delay_ms, "fixture delay per request, ms");
  app.add_option("--kill-delay", options.max_kill_delay_ms,
                 "a fault lands up to this many ms after its request count");
  std::map<std::string, Sink> sinks = {
      {"csv", Sink::kCsv}, {"jsonl", Sink::kJsonl}, {"sqlite", Sink::kSqlite}};
  std::map<std::string, JobKind> jobs = {
      {"list", JobKind::kList}, {"follow", JobKind::kFollow}, {"dense", JobKind::kDense},
      {"crawl", JobKind::kCrawl}};
  Sink sink = Sink::kCsv;
  JobKind job = JobKind::kList;
  auto* sink_opt = app.add_option("--sink", sink, "force this sink in every plan")
                       ->transform(CLI::CheckedTransformer(sinks));
  auto* job_opt = app.add_option("--job", job, "force this job in every plan")
                      ->transform(CLI::CheckedTransformer(jobs));
  bool dry_run = false;
  app.add_flag("--dry-run", dry_run, "print the plans, run nothing");
  app.add_flag("--child-ignores-sigxfsz", options.child_ignores_sigxfsz,
               "diagnostic: start runs with SIGXFSZ ignored");
  app.add_flag("--keep", options.keep, "keep the directories of passed iterations");
  app.add_flag("--verbose", options.verbose, "print every stage");
  CLI11_PARSE(app, argc, argv);
  if (sink_opt->count() > 0) options.only_sink = sink;
  if (job_opt->count() > 0) options.only_job = job;
  if (seed_opt->count() == 0) seed = std::random_device{}() ^ static_cast<uint64_t>(getpid());

  if (!BecomeSubreaper()) {
    fmt::print(stderr, "forage_torture: prctl(PR_SET_CHILD_SUBREAPER) failed\n");
    return 2;
  }
  const std::string work_dir = testing::TempDir("torture");
  testing::KeepTempDir(work_dir);  // removed below when every iteration passed
  const int first = only >= 0 ? only : 0;
  const int count = only >= 0 ? 1 : iterations;
  fmt::print("crash torture: seed {} iterations {} pages {} fixture delay {}ms (x2 spread)\n",
             seed, count, options.pages, options.fixture_delay_ms);
  fmt::print("replay one iteration: {} --seed {} --only I\n", argv[0], seed);
  fmt::print("work directory: {}\n", work_dir);
  std::fflush(stdout);

  const auto start = std::chrono::steady_clock::now();
  Runner runner(options, work_dir);
  if (dry_run) {
    for (int i = first; i < first + count; ++i) {
      fmt::print("iter {:4}: {}\n", i, runner.PlanOf(seed, i).Describe());
    }
    std::filesystem::remove_all(work_dir);
    return 0;
  }
  for (int i = first; i < first + count; ++i) runner.RunIteration(seed, i);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PrintFigures(runner.tally(), seed, wall_s);
  const bool all_passed = runner.tally().passed == runner.tally().iterations;
  if (all_passed && !options.keep) std::filesystem::remove_all(work_dir);
  return all_passed ? 0 : 1;
}

}  // namespace
}  // namespace forage::torture

int main(int argc, char** argv) {
  try {
    return forage::torture::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forage_torture: %s\n", e.what());
    return 2;
  }
}
