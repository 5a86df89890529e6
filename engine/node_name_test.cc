// engine/node_name: names a node may take, and when a name's owner is known
// dead (the takeover against Redis is in tests/e2e_cluster_test.cc).

#include "engine/node_name.h"

#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace forage::engine {
namespace {

// `token` with one field changed.
std::string With(const std::string& token, const std::string& key, const nlohmann::json& value) {
  auto t = nlohmann::json::parse(token);
  t[key] = value;
  return t.dump();
}

}  // namespace

TEST_SUITE("engine.node_name") {

TEST_CASE("node names: 1-64 letters, digits, dot, underscore, dash") {
  CHECK(CheckNodeName("web1-2"));
  CHECK(CheckNodeName("a.b_c-D9"));
  CHECK(CheckNodeName(std::string(64, 'x')));
  CHECK(!CheckNodeName(""));
  CHECK(!CheckNodeName(std::string(65, 'x')));
  for (const char* bad : {"a b", "a:b", "a{b}", "é"}) {
    CAPTURE(bad);
    auto st = CheckNodeName(bad);
    REQUIRE(!st);
    CHECK(st.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("a name's owner is gone only when it was a process of this machine that is gone") {
  CHECK(!OwnerGone(NodeToken()));  // this very process
  // A child that exited: a zombie first, then no such pid.
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(0);
  const std::string token = With(NodeToken(), "pid", static_cast<int64_t>(child));
  siginfo_t info{};
  REQUIRE(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) == 0);
  CHECK(OwnerGone(token));  // a zombie: exited, not yet reaped
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(OwnerGone(token));  // no such pid
  // Our own pid, another start time: the pid was reused by a new process.
  CHECK(OwnerGone(With(NodeToken(), "start", "1")));
  // Another machine, boot or pid namespace: its pids mean nothing here.
  CHECK(!OwnerGone(With(token, "host", "elsewhere")));
  CHECK(!OwnerGone(With(token, "boot", "another-boot")));
  CHECK(!OwnerGone(With(token, "pidns", "pid:[1]")));
  CHECK(!OwnerGone("not json"));
  CHECK(!OwnerGone(R"({"host":"x"})"));
}

}  // TEST_SUITE

}  // namespace forage::engine
