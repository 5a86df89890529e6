#include "tests/redis_server.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include <stdexcept>

namespace forage::testing {
namespace {

// `name` found on PATH (the harness spawns without a shell).
std::string Which(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  throw std::runtime_error(name + " not found on PATH (scripts/install-deps.sh installs it)");
}

}  // namespace

RedisServer::RedisServer(const std::string& name) : dir_(TempDir("redis_" + name)) {
  port_ = ClosedPort();
  Start();
}

RedisServer::~RedisServer() { proc_.reset(); }

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

std::string RedisServer::Cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {Which("redis-cli"), "-h", "127.0.0.1", "-p", std::to_string(port_),
                                   "--raw"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out = RunProcess(argv, {}, 10).out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void RedisServer::Start() {
  proc_ = std::make_unique<Background>(std::vector<std::string>{
      Which("redis-server"), "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_,
      "--appendonly", "yes", "--save", "", "--daemonize", "no", "--logfile", dir_ + "/redis.log"});
  if (!WaitUntil([&] { return Cli({"PING"}) == "PONG"; }, 20)) {
    throw std::runtime_error("redis-server did not answer PING on port " + std::to_string(port_));
  }
}

void RedisServer::Stop() {
  if (!proc_) return;
  proc_->Signal(SIGTERM);  // redis-server's clean shutdown: the AOF is flushed
  proc_->Wait(20);
  proc_.reset();
}

}  // namespace forage::testing
