#include "engine/schedstat.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace forage::engine {
namespace {

uint64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

struct Dir {
  std::string path;
  Dir() {
    std::string t = (std::filesystem::temp_directory_path() / "forage_schedstat_XXXXXX").string();
    REQUIRE(mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~Dir() { std::filesystem::remove_all(path); }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path + "/" + name) << text;
  }
};

TEST_SUITE("engine.schedstat") {

TEST_CASE("this process's main thread: its counters never go back, and it is runnable") {
  // The test runs on the main thread, whose counters ReadSchedStat reads.
  auto before = ReadSchedStat(getpid());
  REQUIRE(before.has_value());
  // Run until the kernel has counted more CPU time for this thread (it
  // adds it at each scheduler tick): a bounded spin, not a timing check.
  std::optional<SchedStat> after;
  const uint64_t give_up = ThreadCpuNs() + 5'000'000'000ull;
  do {
    after = ReadSchedStat(getpid());
    REQUIRE(after.has_value());
  } while (after->on_cpu_ns == before->on_cpu_ns && ThreadCpuNs() < give_up);
  CHECK(after->on_cpu_ns > before->on_cpu_ns);
  CHECK(after->on_cpu_ns <= ThreadCpuNs());  // what it counted so far, never more
  CHECK(after->run_wait_ns >= before->run_wait_ns);
  CHECK(after->timeslices >= before->timeslices);
  CHECK(after->timeslices >= 1);
  CHECK(after->runnable);  // it is running: state R
}

TEST_CASE("the files are read as the kernel writes them, a ) in the command name included") {
  Dir d;
  d.Write("schedstat", "123456789 987654321 42\n");
  d.Write("stat", "77 (a) b (c) R 1 77 77 0 -1 4194560\n");
  auto s = ReadSchedStatIn(d.path);
  REQUIRE(s.has_value());
  CHECK(s->on_cpu_ns == 123456789u);
  CHECK(s->run_wait_ns == 987654321u);
  CHECK(s->timeslices == 42u);
  CHECK(s->runnable);
  d.Write("stat", "77 (sleepy) S 1 77 77 0 -1 4194560\n");
  CHECK_FALSE(ReadSchedStatIn(d.path)->runnable);
  d.Write("stat", "77 (stopped) T 1 77 77 0 -1 4194560\n");
  CHECK_FALSE(ReadSchedStatIn(d.path)->runnable);
}

TEST_CASE("missing or malformed files give nothing: the watchdog falls back to wall time") {
  Dir d;
  CHECK_FALSE(ReadSchedStatIn(d.path).has_value());  // neither file
  d.Write("stat", "77 (x) R 1\n");
  CHECK_FALSE(ReadSchedStatIn(d.path).has_value());  // no schedstat (no CONFIG_SCHED_INFO)
  d.Write("schedstat", "12 34\n");
  CHECK_FALSE(ReadSchedStatIn(d.path).has_value());  // two fields of three
  d.Write("schedstat", "1 2 3\n");
  d.Write("stat", "77 x R 1\n");
  CHECK_FALSE(ReadSchedStatIn(d.path).has_value());  // no command name
  CHECK_FALSE(ReadSchedStatIn(d.path + "/nonexistent").has_value());
}

TEST_CASE("a process that is gone gives nothing") {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK_FALSE(ReadSchedStat(child).has_value());
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
