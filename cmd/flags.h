#pragma once
// argv -> what to do. Every check that needs no network happens here or in
// engine::Run's validation, before any work starts.

#include <string>

#include "base/result.h"
#include "cmd/bench.h"
#include "engine/config.h"

namespace forage::cmd {

enum class Action { kRun, kDemo, kBench, kTune, kSelect, kExtract, kExit };

struct Invocation {
  Action action = Action::kExit;
  engine::Config config;  // kRun, kDemo, kBench, kTune (the job)
  BenchOptions bench;     // kBench
  TuneOptions tune;       // kTune
  std::vector<std::string> files;  // kSelect (one), kExtract
  std::string selector, attr;      // kSelect
  std::string base_url;            // kExtract
  int exit_code = 0;      // kExit: --help, --version
  std::string text;       // kExit: what to print on stdout
};

// Parses the command line. Usage errors are kInvalidArgument with one line
// that names the problem ("unknown flag '--itmes' (did you mean --items?)").
Result<Invocation> ParseArgs(int argc, const char* const* argv);

// Where a usage error sends the user: the subcommand's --help and the doc
// page that explains it ("'forage run --help' and docs/jobfile.md").
std::string HelpPointer(int argc, const char* const* argv, const std::string& message);

// The closest known flag to `typo`, or empty when none is close.
std::string SuggestFlag(const std::string& typo);

}  // namespace forage::cmd
