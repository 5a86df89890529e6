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

namespace forage::engine {
namespace {

// The collector's node sees the job's end within a tick; this is a safety
// net for a Redis that went away for good at the very end.
constexpr double kNodeExitWaitS = 30;

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
  auto nodes = ReadNodeSummaries(redis, job.job);
  if (!nodes) return;
  summary->nodes = std::move(*nodes);
  for (const NodeSummary& n : summary->nodes) {
    summary->requests += n.requests;
    summary->redis_round_trips += n.round_trips;
    summary->body_bytes += n.body_bytes;
  }
  if (auto r = redis.Command({"HGET", redis_keys::Meta(job.job), "round_trips"}); r) {  // the collector's
    summary->redis_round_trips += static_cast<uint64_t>(r->integer());
  }
}

}  // namespace forage::engine
