#pragma once
// The Redis keys and Lua scripts of a distributed job (docs/distributed.md).
// Every key of job J carries the hash tag {J}, so a Redis Cluster keeps a
// job on one slot.

#include <sys/time.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/redis_client.h"

namespace forage::engine::redis_keys {

// The clock of the times a job's processes write to Redis (started_at,
// alive_at, updated_at): seconds since the epoch, comparable across machines.
inline double WallNow() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return static_cast<double>(tv.tv_sec) + tv.tv_usec * 1e-6;
}

// A count Redis holds as a string (a stream field, a hash value); 0 if it
// is not one.
inline uint64_t ToU64(std::string_view s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// The set of job ids a node may serve.
inline const std::string kJobs = "forage:jobs";
// The consumer group of the nodes on a job's `pages` stream.
inline const std::string kNodesGroup = "nodes";

// meta (hash): spec, run, state (running | done | stopped), collector,
// figures the collector updates at each checkpoint.
inline std::string Meta(const std::string& job) { return "forage:{" + job + "}:meta"; }
// alive (string, expires): the run id, set every second by the collector
// with a 10 s expiry; a job without it has lost its collector (nodes leave it).
inline std::string Alive(const std::string& job) { return "forage:{" + job + "}:alive"; }
inline constexpr const char* kAliveMs = "10000";
// pages (stream): one entry per lease: p (page id), u (URL), r (rules).
inline std::string Pages(const std::string& job) { return "forage:{" + job + "}:pages"; }
// results (stream): k (done | lost), m (the page's worker frames), n (node).
inline std::string Results(const std::string& job) { return "forage:{" + job + "}:results"; }
// dead (stream): pages lost --max-deliveries times: p, u, reason.
inline std::string Dead(const std::string& job) { return "forage:{" + job + "}:dead"; }
// nodes (hash): NODE:pages, NODE:items (counted by the result script),
// NODE:info (JSON the node writes every second: host, pid, cpu, alive_at).
inline std::string Nodes(const std::string& job) { return "forage:{" + job + "}:nodes"; }

// A node's name (docs/distributed.md, engine/node_name.h): the owner's
// token, set NX with this lease, renewed every second by the node.
inline std::string NodeName(const std::string& name) { return "forage:node:" + name; }
inline constexpr long long kNodeLeaseMs = 10000;

// Renews a node's name. KEYS: its key. ARGV: token, lease ms. 1: still (or
// again, after an outage that let it expire) the caller's; 0: another's.
inline const RedisScript kRenewNameScript{R"lua(
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
)lua", 1};

// Takes a node's name over from a dead owner, only if it is still that
// owner's. KEYS: its key. ARGV: the dead owner's token, the new one, lease ms.
inline const RedisScript kTakeNameScript{R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
)lua", 1};

// Gives a node's name back, only if it is still the caller's.
// KEYS: its key. ARGV: token.
inline const RedisScript kReleaseNameScript{R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
)lua", 1};

// A node's results for a batch of leases, in one atomic step: each entry
// leaves the pending list (XACK) only together with its result; an entry
// already acknowledged (reclaimed by the collector, or answered before)
// adds nothing, so a page's result is stored at most once per lease. The
// frames of the pages done go in one `results` entry (they are
// self-delimiting, each page's ending with its PageDone), a lost page's in
// an entry of its own (kind `lost`). Returns how many were acknowledged.
// KEYS: pages, results, nodes. ARGV: group, node, then per lease: entry id,
// kind (done | lost), frames, items.
inline const RedisScript kResultScript{R"lua(
local done, acked, pages, items = {}, {}, 0, 0
for i = 3, #ARGV, 4 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    acked[#acked + 1] = ARGV[i]
    if ARGV[i + 1] == 'done' then
      done[#done + 1] = ARGV[i + 2]
      pages = pages + 1
      items = items + tonumber(ARGV[i + 3])
    else
      redis.call('XADD', KEYS[2], '*', 'k', ARGV[i + 1], 'm', ARGV[i + 2], 'n', ARGV[2])
    end
  end
end
if #acked > 0 then redis.call('XDEL', KEYS[1], unpack(acked)) end
if pages > 0 then
  redis.call('XADD', KEYS[2], '*', 'k', 'done', 'm', table.concat(done), 'n', ARGV[2])
  redis.call('HINCRBY', KEYS[3], ARGV[2] .. ':pages', pages)
  redis.call('HINCRBY', KEYS[3], ARGV[2] .. ':items', items)
end
return #acked
)lua", 3};

// The collector takes back leases whose node stopped renewing them: each
// entry still pending is acknowledged and deleted; the (id, page id) pairs
// it took are returned (a node that answers later finds its entry gone, so
// its result adds nothing).
// KEYS: pages. ARGV: group, entry ids...
inline const RedisScript kReclaimScript{R"lua(
local taken = {}
for i = 2, #ARGV do
  local e = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    local page = ''
    if e[1] then
      local f = e[1][2]
      for j = 1, #f, 2 do if f[j] == 'p' then page = f[j + 1] end end
    end
    taken[#taken + 1] = ARGV[i]
    taken[#taken + 1] = page
  end
end
return taken
)lua", 1};

}  // namespace forage::engine::redis_keys
