#include "tests/redis_server.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

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

RedisServer::RedisServer(const std::string& name, RedisAuth auth)
    : dir_(TempDir("redis_" + name)), auth_(std::move(auth)) {
  port_ = ClosedPort();
  Start();
}

RedisServer::~RedisServer() { proc_.reset(); }

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

std::string RedisServer::Cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {Which("redis-cli"), "-h", "127.0.0.1", "-p", std::to_string(port_),
                                   "--raw"};
  if (!auth_.password.empty()) {
    if (!auth_.user.empty()) argv.insert(argv.end(), {"--user", auth_.user});
    argv.insert(argv.end(), {"--pass", auth_.password, "--no-auth-warning"});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out = RunProcess(argv, {}, 10).out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void RedisServer::Start() {
  std::vector<std::string> argv = {
      Which("redis-server"), "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_,
      "--appendonly", "yes", "--save", "", "--daemonize", "no", "--logfile", dir_ + "/redis.log"};
  if (!auth_.password.empty() && auth_.user.empty()) {
    argv.insert(argv.end(), {"--requirepass", auth_.password});
  } else if (!auth_.password.empty()) {
    // redis-server joins the words after an option up to the next --option.
    argv.insert(argv.end(), {"--user", auth_.user, "on", ">" + auth_.password, "~*", "&*", "+@all",
                             "--user", "default", "off"});
  }
  proc_ = std::make_unique<Background>(argv);
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
