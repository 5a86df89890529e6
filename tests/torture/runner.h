#pragma once
// The crash torture's iterations: run a job, inflict its plan's faults at
// random moments, --resume until it completes, and compare the result with a
// clean run of the same job. Counts everything it does and every failure.
//
// Single-threaded. Owns one forage-fixture for all iterations and the clean
// outputs (one clean run per job shape, made on first use).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/test_support.h"
#include "tests/torture/job_process.h"
#include "tests/torture/plan.h"
#include "tests/torture/records.h"

namespace forage::torture {

struct Options {
  int pages = 320;           // list pages of a list job; follow and dense jobs take pages/16
  int fixture_delay_ms = 3;  // per request, spread over [0, 2 x delay]
  int max_kill_delay_ms = 30;
  double stage_timeout_s = 120;
  bool keep = false;         // keep the directories of passed iterations too
  bool verbose = false;      // one line per stage
  // Diagnostic only: start runs with SIGXFSZ ignored, to see what forage
  // does with EFBIG before it ignores the signal itself.
  bool child_ignores_sigxfsz = false;
  std::optional<Sink> only_sink;   // force every plan's sink
  std::optional<JobKind> only_job;  // force every plan's job
};

struct Tally {
  int iterations = 0;
  int passed = 0;
  int stages = 0;
  int resumes = 0;
  int mismatches = 0;  // iterations whose final output differs from the clean run
  std::map<std::string, int> faults_landed;  // by FaultName
  std::map<std::string, int> faults_missed;  // the run ended before the moment came
  std::map<std::string, int> iterations_by_sink;
  std::map<std::string, int> failed_by_sink;
  std::map<std::string, int> failures;  // by kind: "disk-full: exit 153 (want 3)"
};

class Runner {
 public:
  Runner(const Options& options, const std::string& work_dir);
  // Runs iteration `index` of seed `seed`; prints its outcome; true if it passed.
  bool RunIteration(uint64_t seed, int index);
  // The plan of iteration `index`, with the forced sink and job applied.
  Plan PlanOf(uint64_t seed, int index) const;
  const Tally& tally() const { return tally_; }
  const std::string& fixture_url() const { return fixture_.url(); }

 private:
  struct Clean {
    Records records;
    long requests = 0;
    long bytes = 0;
  };
  struct Iteration;
  // One run of forage within an iteration: the first, or a --resume.
  struct Stage {
    int index = 0;
    bool resume = false;
    bool disk_full = false;
    bool worker_killed = false;
    std::optional<Fault> ending;  // the fault that ended it, if one landed
    int code = -1;                // exit code, 128 + N for signal N, -1: no exit
    int sig = 0;                  // the signal that ended it, 0 if it exited
    std::string label;            // "run", "resume after kill-master"
    std::string summary;          // what happened, for the iteration's printout
    std::string err;              // its stderr
  };

  const Clean& CleanRun(const JobShape& shape);
  std::vector<std::string> JobArgv(const JobShape& shape, int workers, int concurrency,
                                   const std::string& out) const;
  bool RunStages(Iteration& it);
  void RunStage(Iteration& it, int index);
  void InflictFaults(Iteration& it, Stage& st, JobProcess& proc);
  void JudgeStage(Iteration& it, const Stage& st);
  void CheckLeftovers(Iteration& it, const Stage& st, bool as_wanted);
  bool WaitForMoment(JobProcess& proc, long requests, int delay_ms);
  void CheckFinal(Iteration& it);
  void Fail(Iteration& it, const std::string& kind, const std::string& detail = "");

  Options options_;
  std::string work_dir_;
  testing::Fixture fixture_;
  std::map<JobShape, std::unique_ptr<Clean>> clean_;
  Tally tally_;
};

}  // namespace forage::torture
