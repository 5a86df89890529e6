#include "cmd/cluster_cmd.h"

#include <cstdio>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cmd/duration.h"
#include "cmd/exit_status.h"
#include "engine/node_name.h"
#include "engine/redis_client.h"
#include "engine/redis_node.h"
#include "engine/redis_status.h"

namespace forage::cmd {
namespace {

int Usage(const std::string& command, const std::string& message) {
  fmt::print(stderr, "forage: error: {}\nforage: see 'forage {} --help' and docs/distributed.md\n",
             message, command);
  return kExitUsage;
}

int Fail(const Error& e) {
  fmt::print(stderr, "forage: error: {}\n", e.message);
  return e.code == ErrorCode::kInvalidArgument ? kExitUsage : kExitRuntime;
}

}  // namespace

bool IsClusterCommand(int argc, const char* const* argv) {
  if (argc < 2) return false;
  const std::string_view c = argv[1];
  return c == "worker" || c == "status";
}

int RunClusterCommand(int argc, const char* const* argv) {
  const std::string command = argv[1];
  CLI::App app{command == "worker"
                   ? "forage worker: a node of distributed jobs; takes their pages from Redis"
                   : "forage status: the distributed jobs in Redis"};
  std::string redis, workers = "auto", exit_when_idle, job, node_name;
  bool quiet = false;
  // --queue: PRODUCT.md's name for it (`forage worker --queue redis://...`).
  app.add_option("--redis,--queue", redis, "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]")->required();
  if (command == "worker") {
    app.add_option("-w,--workers", workers, "worker processes: N or auto (cores)");
    app.add_option("--exit-when-idle", exit_when_idle,
                   "exit after this long without a running job (e.g. 5s); default: never");
    app.add_option("--node-name", node_name,
                   "its name in Redis (owned while it runs; a restart under the same name "
                   "re-reads its pending pages first); default: HOSTNAME-N, the lowest free N");
    app.add_flag("-q,--quiet", quiet, "nothing on stderr but errors");
  } else {
    app.add_option("job", job, "only this job");
  }
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    return Usage(command, e.what());
  }
  if (command == "status") {
    auto out = engine::ClusterStatus(redis, job);
    if (!out) return Fail(out.error());
    std::fputs(out->c_str(), stdout);
    return kExitOk;
  }
  if (auto st = engine::ParseRedisUrl(redis); !st) return Usage(command, st.error().message);
  engine::NodeOptions o;
  o.redis_url = redis;
  if (!node_name.empty() || app.count("--node-name") > 0) {
    if (auto st = engine::CheckNodeName(node_name); !st) return Usage(command, st.error().message);
    o.name = node_name;
  }
  o.quiet = quiet;
  if (workers != "auto") {
    try {
      size_t end = 0;
      o.workers = std::stoi(workers, &end);
      if (end != workers.size() || o.workers < 1 || o.workers > 1024) throw std::out_of_range("");
    } catch (...) {
      return Usage(command,
                   fmt::format("--workers '{}': expected a number of processes (1-1024) or auto",
                               workers));
    }
  }
  if (!exit_when_idle.empty()) {
    auto d = ParseDuration(exit_when_idle);
    if (!d) return Usage(command, fmt::format("--exit-when-idle: {}", d.error().message));
    o.exit_when_idle_s = *d;
  }
  auto r = engine::RunNode(o);
  if (!r) return Fail(r.error());
  return r->interrupted ? kExitInterrupted : kExitOk;
}

}  // namespace forage::cmd
