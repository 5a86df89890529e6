#pragma once
// RedisServer: Debian's redis-server for one test, on a free loopback port,
// in its own temp directory, with the append-only file on (so a stop and a
// restart keep the data) and no RDB snapshots. Stopped (SIGKILL) and reaped
// on destruction, also when the test fails. No mock Redis.

#include <memory>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace forage::testing {

// Who may connect: with a password and no user, the default user's
// (requirepass); with a user, that ACL user (all keys and commands) and the
// default user off.
struct RedisAuth {
  std::string user;
  std::string password;
};

class RedisServer {
 public:
  explicit RedisServer(const std::string& name, RedisAuth auth = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const;  // redis://127.0.0.1:PORT (no user or password)
  // redis-cli's --raw output of one command (trailing newline removed).
  std::string Cli(const std::vector<std::string>& args) const;
  // A clean stop (SHUTDOWN: the AOF is complete), and a start again on the
  // same port and directory.
  void Stop();
  void Start();
  bool running() const { return proc_ != nullptr; }
  pid_t pid() const { return proc_ ? proc_->pid() : -1; }

 private:
  std::string dir_;
  RedisAuth auth_;
  int port_ = 0;
  std::unique_ptr<Background> proc_;
};

}  // namespace forage::testing
