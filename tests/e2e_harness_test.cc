// The test harness itself (tests/test_support): whatever way a test process
// ends, the fixture and forage processes it started do not outlive it, and
// TempDir never hands two tests the same directory.

#include <signal.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

std::string SelfExe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf);
  REQUIRE(n > 0);
  return std::string(buf, static_cast<size_t>(n));
}

TEST_SUITE("e2e.harness") {

// Run only as the child of the test below (FORAGE_HARNESS_CHILD says how it
// ends); a no-op otherwise.
TEST_CASE("harness child: a fixture and a forage run, their pids, then the end it is told") {
  const char* how_env = std::getenv("FORAGE_HARNESS_CHILD");
  if (how_env == nullptr) return;
  const std::string how = how_env;
  Fixture fx({"--delay", "5000"});  // 5 s a page: the run outlasts the test
  auto argv = SeedJob(fx);
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "1", "-o", "-", "--quiet"});
  Background run(argv);
  REQUIRE(WaitUntil([&] { return WorkerPids(run.pid()).size() == 2; }, 30));  // its workers
  std::ostringstream pids;
  pids << "pids:" << fx.pid() << ' ' << run.pid();
  for (pid_t w : WorkerPids(run.pid())) pids << ' ' << w;
  std::string line = pids.str() + "\n";
  REQUIRE(write(STDOUT_FILENO, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  if (how == "abort") std::abort();
  if (how == "segv") raise(SIGSEGV);
  if (how == "exit") std::exit(3);
  if (how == "_exit") _exit(3);  // as a sanitizer ends a process: no atexit
  if (how == "throw") throw std::runtime_error("thrown out of the test");
  REQUIRE(how == "a failed REQUIRE");
}

TEST_CASE("harness: a test that aborts, crashes, throws, fails or exits leaves no process behind") {
  struct Case {
    std::string how;
    int exit_code;
  };
  for (const Case& c : std::vector<Case>{{"abort", 128 + SIGABRT},
                                         {"segv", 128 + SIGSEGV},
                                         {"throw", 1},
                                         {"require", 1},
                                         {"exit", 3},
                                         {"_exit", 3}}) {
    CAPTURE(c.how);
    auto r = RunProcess({SelfExe(), "--test-case=harness child*"},
                        {{"FORAGE_HARNESS_CHILD", c.how}}, 60);
    CHECK(r.exit_code == c.exit_code);
    REQUIRE(r.out.rfind("pids:", 0) == 0);
    std::istringstream in(r.out.substr(5, r.out.find('\n') - 5));
    std::vector<pid_t> pids;
    for (pid_t p; in >> p;) pids.push_back(p);
    REQUIRE(pids.size() == 4);  // the fixture, forage and its 2 workers
    for (pid_t p : pids) {
      CAPTURE(p);
      // Killed by the time the child is gone, or (after _exit) moments later
      // by the kernel: a bounded wait as a safety net, not a timing test.
      bool gone = WaitUntil([p] { return ProcessExited(p); }, 10);
      CHECK(gone);
      if (!gone) kill(p, SIGKILL);  // not to leave it running for the next test
    }
  }
}

TEST_CASE("harness: TempDir gives a fresh directory per call and per process") {
  std::string a = TempDir("same_name");
  std::string b = TempDir("same_name");
  CHECK(a != b);
  CHECK(std::filesystem::is_directory(a));
  CHECK(std::filesystem::is_directory(b));
  CHECK(std::filesystem::is_empty(a));
  const std::string tag = "/same_name-" + std::to_string(getpid()) + "-";
  CHECK(a.find(tag) != std::string::npos);
  CHECK(b.find(tag) != std::string::npos);
  WriteFile(a + "/x", "x");
  CHECK(std::filesystem::is_empty(b));
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
