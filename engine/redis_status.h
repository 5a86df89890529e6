#pragma once
// forage status --redis URL [JOB]: per job, its pages pending / in flight /
// done / failed / dead, its nodes alive, and its lag; read from Redis only.

#include <string>

#include "base/result.h"

namespace forage::engine {

// The status text (one block per job; only `job` if given). An unknown job
// is kInvalidArgument; Redis unreachable is kNetwork.
Result<std::string> ClusterStatus(const std::string& redis_url, const std::string& job);

}  // namespace forage::engine
