#pragma once
// The engine's only entry point: run one job to the end.

#include "base/result.h"
#include "engine/config.h"
#include "engine/summary.h"

namespace forage::engine {

// Validates the job (plan, rules, output) before any work, then fetches,
// extracts and stores it with config.workers processes. Bad input is an
// error of code kInvalidArgument with nothing written; a page that fails is
// data in the Summary, not an error.
Result<Summary> Run(const Config& config);

// CPUs this process may run on (its affinity mask): what --workers auto uses.
int UsableCores();

}  // namespace forage::engine
