#pragma once
// engine::Run's part for a distributed job (--redis): the job's id, run id
// and spec; the collector's own node (a child process, unless --workers 0);
// and the nodes' rows of the report once the job is over.

#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "engine/config.h"
#include "engine/redis_collector.h"
#include "engine/summary.h"

namespace forage::engine {

// Checks the URL (kInvalidArgument) and names the run.
Result<ClusterJob> PrepareClusterJob(const Config& config, const std::string& job_name);

// Forks the collector's own node for `job`'s run with config.workers
// workers; -1 when config.workers is 0 (the collector is no node).
Result<pid_t> StartEmbeddedNode(const Config& config, const ClusterJob& job);

// Waits for the collector's node (killed first when `kill_node`), then
// reads the nodes' rows into `summary`.
void FinishCluster(const Config& config, const ClusterJob& job, pid_t node, bool kill_node,
                   Summary* summary);

}  // namespace forage::engine
