#pragma once
// A node of distributed jobs (forage worker --redis URL): it finds a running
// job in Redis, forks its workers for the job's spec, reads leases from the
// job's `pages` stream through the nodes' consumer group, and writes each
// finished page's result with its acknowledgement in one Lua script
// (engine/redis_keys.h). docs/distributed.md has the whole design.

#include <string>

#include "base/result.h"

namespace forage::engine {

struct NodeOptions {
  std::string redis_url;
  int workers = -1;               // -1: one per usable core
  double exit_when_idle_s = -1;   // exit after this long without a running job; -1: never
  std::string job;                // serve only this job...
  std::string run;                // ...and only this run of it; exit when it ends
  std::string name;               // its consumer name (engine/node_name.h); empty: HOSTNAME-N
  bool quiet = false;
};

struct NodeOutcome {
  bool interrupted = false;  // SIGINT/SIGTERM
  uint64_t pages = 0;
  uint64_t items = 0;
};

// Runs the node until SIGINT/SIGTERM (the first drains: it finishes and
// acknowledges what it holds; the second kills its workers, whose pages are
// then reclaimed), until --exit-when-idle, or until the end of `run`.
Result<NodeOutcome> RunNode(const NodeOptions& options);

}  // namespace forage::engine
