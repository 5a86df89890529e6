#pragma once
// A job's compiled rules and its workers' configuration, as engine::Run
// builds them; a node of a distributed job (engine/redis_node) builds the
// same from the job's spec.

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/config.h"
#include "parser/extract.h"
#include "worker/worker.h"

namespace forage::engine {

// The job's compiled rules, and what the output's columns are.
struct JobRules {
  parser::Rules list;                   // the job's items and fields (+ the link column)
  std::optional<parser::Rules> detail;  // --follow: the detail pages'
  std::optional<parser::Rules> links;   // --next / --crawl: a page's links
  std::vector<std::string> names;       // output columns
  std::vector<parser::ValueFormat> formats;
};

// Bad rules are kInvalidArgument, naming the flag.
Result<JobRules> CompileJobRules(const Config& config);

// The workers' configuration (the rules are pointed to, not copied).
worker::WorkerConfig MakeWorkerConfig(const Config& config, const parser::Rules* rules);

}  // namespace forage::engine
