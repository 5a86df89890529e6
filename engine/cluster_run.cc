#include "engine/cluster_run.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/job_spec.h"
#include "engine/redis_client.h"
#include "engine/redis_keys.h"
#include "engine/redis_node.h"
#include "engine/supervisor.h"

namespace forage::engine {
namespace {

// The collector's node sees the job's end within a tick; this is a safety
// net for a Redis that went away for good at the very end.
constexpr double kNodeExitWaitS = 30;
// How long the collector waits for the nodes' last figures, and how old a
// node's heartbeat is when it is taken for dead (it posts every second).
constexpr double kNodeFinalWaitS = 5;
constexpr double kNodeSilentS = 3;

}  // namespace

Result<ClusterJob> PrepareClusterJob(const Config& config, const std::string& job_name) {
  auto address = ParseRedisUrl(config.redis_url);
  if (!address) return address.error();
  if (config.lease_timeout_s <= 0) {
    return Err(ErrorCode::kInvalidArgument, "--lease-timeout must be above 0");
  }
  if (config.max_deliveries < 1) {
    return Err(ErrorCode::kInvalidArgument, "--max-deliveries {} must be 1 or more",
               config.max_deliveries);
  }
  if (job_name.find_first_of("{}") != std::string::npos) {
    return Err(ErrorCode::kInvalidArgument, "job name '{}': braces are not allowed with --redis",
               job_name);
  }
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  ClusterJob job;
  job.job = job_name;
  job.run = fmt::format("{}-{}-{:x}", host, getpid(), uv_hrtime());
  job.spec = EncodeJobSpec(config);
  return job;
}

Result<pid_t> StartEmbeddedNode(const Config& config, const ClusterJob& job) {
  if (config.workers == 0) return pid_t{-1};
  fflush(stdout);
  fflush(stderr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Err(ErrorCode::kInternal, "fork: {}", strerror(errno));
  if (pid > 0) return pid;
  // The collector's own node goes with it (a collector killed with -9
  // leaves no node serving a run nobody collects); SIGTERM drains it.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  prctl(PR_SET_NAME, kNodeProcessName);
  if (getppid() != parent) _exit(0);
  NodeOptions o;
  o.redis_url = config.redis_url;
  o.workers = config.workers;
  o.job = job.job;
  o.run = job.run;
  o.quiet = true;
  auto r = RunNode(o);
  if (!r) fmt::print(stderr, "forage: node: {}\n", r.error().message);
  _exit(r ? 0 : 3);
}

void FinishCluster(const Config& config, const ClusterJob& job, pid_t node, bool kill_node,
                   Summary* summary) {
  summary->distributed = true;
  if (node > 0) {
    if (kill_node) kill(node, SIGKILL);
    const double deadline = static_cast<double>(uv_hrtime()) * 1e-9 + kNodeExitWaitS;
    for (;;) {
      int status = 0;
      pid_t r = waitpid(node, &status, WNOHANG);
      if (r == node || (r < 0 && errno != EINTR)) break;
      if (static_cast<double>(uv_hrtime()) * 1e-9 > deadline) {
        kill(node, SIGKILL);
        waitpid(node, &status, 0);
        break;
      }
      usleep(10'000);
    }
  }
  auto address = ParseRedisUrl(config.redis_url);
  if (!address) return;
  RedisClient redis(*address, kRedisTimeoutS);
  // The nodes post their last figures once their workers have stopped,
  // after they saw the job done: wait for those of every node alive, a
  // little (a node that died posts none; its last heartbeat is old).
  auto nodes = ReadNodeSummaries(redis, job.job);
  const double give_up = kill_node ? 0 : redis_keys::WallNow() + kNodeFinalWaitS;
  while (nodes && redis_keys::WallNow() < give_up) {
    bool waiting = false;
    for (const NodeSummary& n : *nodes) {
      waiting = waiting || (n.final_run != job.run && redis_keys::WallNow() - n.alive_at < kNodeSilentS);
    }
    if (!waiting) break;
    usleep(20'000);  // polling Redis for the nodes' last post, bounded above
    nodes = ReadNodeSummaries(redis, job.job);
  }
  if (!nodes) return;
  summary->nodes = std::move(*nodes);
  for (const NodeSummary& n : summary->nodes) {
    summary->requests += n.requests;
    summary->redis_round_trips += n.round_trips;
    summary->body_bytes += n.body_bytes;
    AddTransport(n, &summary->transport);
    summary->cache_hits += n.cache_hits;
    summary->cache_revalidated += n.cache_revalidated;
    summary->cache_misses += n.cache_misses;
  }
  if (auto r = redis.Command({"HGET", redis_keys::Meta(job.job), "round_trips"}); r) {  // the collector's
    summary->redis_round_trips += static_cast<uint64_t>(r->integer());
  }
}

}  // namespace forage::engine
