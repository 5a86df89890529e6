#pragma once
// A node's name: its consumer in every job's `nodes` group, so the leases it
// holds are pending under that name. A node owns its name through a liveness
// key in Redis (forage:node:NAME, redis_keys::NodeName) that holds its token
// and expires unless renewed (the node renews it every second): two live
// nodes never share a name, and a node restarted under the name of a dead
// one re-reads that one's pending leases first (docs/distributed.md).
//
// A name whose owner died is free when its key expires, or at once when the
// owner was a process of this machine (same host name, boot and pid
// namespace) that is gone: no such pid, a zombie, or a pid reused by a
// process that started at another time.

#include <string>
#include <string_view>

#include "base/result.h"
#include "engine/redis_client.h"

namespace forage::engine {

// A name is 1-64 of [A-Za-z0-9._-], not the collector's own consumer
// (kInvalidArgument otherwise).
Status CheckNodeName(std::string_view name);

// This process as an owner: JSON {host, pid, start, boot, pidns}.
std::string NodeToken();
// True when `token`'s owner is a process of this machine that is gone.
bool OwnerGone(std::string_view token);

struct NameClaim {
  std::string name;      // empty: not claimed (see in_use / wait)
  std::string previous;  // the dead owner's token it took the name over from, if any
  std::string in_use;    // the name asked for belongs to a live node: why
  long long wait_ms = -1;  // the name asked for is held by a node of another machine:
                           // the key's time to live (free when it expires unless renewed)
};

// Claims `requested`, or with an empty one the first free HOSTNAME-N (N
// from 1). `take_over`: a default name of a dead owner counts as free (a
// node that serves one run only, the collector's own, leaves those to
// nodes that serve every job). Errors are the connection's (kNetwork).
Result<NameClaim> ClaimNodeName(RedisClient& redis, const std::string& requested,
                                const std::string& token, bool take_over = true);
// Renews the lease on `name`; false: the name is someone else's now.
Result<bool> RenewNodeName(RedisClient& redis, const std::string& name, const std::string& token);
// Gives the name back at once (only if it is still ours).
void ReleaseNodeName(RedisClient& redis, const std::string& name, const std::string& token);

}  // namespace forage::engine
