// The hang watchdog on a loaded machine: a worker that is runnable but gets
// no CPU (it waits on a run queue behind other processes) is starved, not
// hung, and is not killed (engine/watchdog.h).

#include <sched.h>
#include <sys/resource.h>

#include <cstdio>
#include <memory>
#include <optional>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

// The run-queue wait Linux has counted for the main thread of `pid`
// (/proc/PID/task/PID/schedstat, field 2), in seconds; nullopt if unknown.
std::optional<double> RunQueueWaitS(pid_t pid) {
  std::string text = ReadFile("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                              "/schedstat");
  unsigned long long on_cpu = 0, wait = 0;
  if (std::sscanf(text.c_str(), "%llu %llu", &on_cpu, &wait) != 2) return std::nullopt;
  return static_cast<double>(wait) * 1e-9;
}

// The last CPU this test may run on: the one its hogs and the starved
// worker share.
int StarvedCpu(const cpu_set_t& allowed) {
  int cpu = 0;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cpu = c;
  }
  return cpu;
}

int Restarts(const nlohmann::json& rep) {
  int restarts = 0;
  for (auto& w : rep["per_worker"]) restarts += w["restarts"].get<int>();
  return restarts;
}

TEST_SUITE("e2e.starved") {

TEST_CASE("a worker starved of CPU while it burns pages is not killed as hung") {
  // Linux only; the run-queue wait is what the watchdog discounts.
  if (!RunQueueWaitS(getpid())) {
    MESSAGE("no /proc/PID/schedstat (a kernel without CONFIG_SCHED_INFO): nothing to test");
    return;
  }
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  const int cpu = StarvedCpu(allowed);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);

  Fixture fx;
  std::string dir = TempDir("starved");
  // 4 pages of 150 ms of CPU each: 20 loop turns (a heartbeat) are 100 ms of CPU.
  auto argv = SeedJob(fx, "1-4");
  argv.insert(argv.end(), {"--workers", "1", "--cpu-burn", "150ms", "--hang-timeout", "3s",
                           "-o", dir + "/out.csv", "--report", dir + "/report.json"});
  Background forage(argv);
  // The worker holds a page and burns it once the fixture served one (its
  // robots.txt is the first request).
  REQUIRE(WaitUntil([&] { return fx.Stat("requests") >= 2 || ProcessExited(forage.pid()); }));
  auto workers = WorkerPids(forage.pid());
  REQUIRE(workers.size() == 1);
  const pid_t worker = workers[0];

  bool starved = false;  // the worker waited that long for a CPU, and was not killed
  {
    // Starve it: nice 19 on one CPU beside 8 busy loops at the test's own
    // nice (CFS weights 15 against 8 x 1024 at nice 0, 8 x 110 at nice 10:
    // well under 2% of the CPU, so its 100 ms of CPU between heartbeats
    // take over 5 s). The master keeps its CPUs and priority.
    REQUIRE(sched_setaffinity(worker, sizeof one, &one) == 0);
    REQUIRE(setpriority(PRIO_PROCESS, static_cast<id_t>(worker), 19) == 0);
    std::vector<std::unique_ptr<Background>> hogs;
    for (int i = 0; i < 8; ++i) {
      hogs.push_back(std::make_unique<Background>(
          std::vector<std::string>{"/bin/sh", "-c", "while :; do :; done"}));
      REQUIRE(sched_setaffinity(hogs.back()->pid(), sizeof one, &one) == 0);
    }
    // Until the worker has waited for a CPU longer than --hang-timeout
    // (plus a watchdog tick and a half), or the watchdog killed it.
    const double start = RunQueueWaitS(worker).value_or(0);
    CHECK(WaitUntil(
        [&] {
          auto w = RunQueueWaitS(worker);
          starved = w && *w - start >= 4.5;
          return starved || ProcessExited(worker);
        },
        120));
  }  // the hogs are killed here
  sched_setaffinity(worker, sizeof allowed, &allowed);
  setpriority(PRIO_PROCESS, static_cast<id_t>(worker), 0);  // as root only; else it stays 19

  auto r = forage.Wait(300);
  INFO(r.err);
  CHECK(starved);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("killed as hung") == std::string::npos);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/report.json"));
  CHECK(rep["pages_ok"] == 4);
  CHECK(rep["pages_failed"] == 0);
  CHECK(Restarts(rep) == 0);
  auto golden = ParseCsv(GoldenShopCsv(fx));
  golden.resize(1 + 4 * 16);  // the header and pages 1-4
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == golden);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
