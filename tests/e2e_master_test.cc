// The master's promises under stress: stopping always ends, the report
// is written whatever happens to stdout, a killed worker's work is counted.

#include <signal.h>

#include <algorithm>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

nlohmann::json Report(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

TEST_SUITE("e2e.master") {

TEST_CASE("issue 10: SIGTERM while a page stalls, its timeout landing after the stop: the run "
          "ends with exit 130") {
  Fixture fx;
  std::string dir = TempDir("stop_after_retry");
  // Page 1 is stored at once; page 2 never answers: its transfer times out
  // after 1 s, a retryable failure that lands after the SIGTERM.
  WriteFile(dir + "/urls.txt",
            fx.url() + "shop/page/1/\n" + fx.url() + "shop/page/2/?fail=stall\n");
  Background forage({ForageBin(), "run", "--urls", dir + "/urls.txt", "--items", ".product",
                     "--field", "name=h2", "-o", dir + "/out.csv", "--report",
                     dir + "/report.json", "--workers", "2", "--timeout", "1s", "--retries", "5",
                     "--max-retry-wait", "100ms"});
  REQUIRE(WaitUntil([&] {
    auto stats = nlohmann::json::parse(fx.Get("/__stats"));
    return stats["faults"].contains("stall") && stats["faults"]["stall"].get<long>() >= 1 &&
           stats["paths"].contains("/shop/page/1/");
  }));
  forage.Signal(SIGTERM);
  // A hang is the failure this test looks for: 60 s is the safety net.
  auto r = forage.Wait(60);
  INFO(r.err);
  CHECK(r.exit_code == 130);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["interrupted"] == true);
  CHECK(rep["pages_ok"] == 1);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")).size() == 1 + 16);
}

TEST_CASE("issue 11: -o - | head -1: forage exits 141 quietly and still writes --report") {
  Fixture fx;
  std::string dir = TempDir("head_report");
  std::string cmd;
  for (const auto& a : SeedJob(fx)) cmd += "'" + a + "' ";
  cmd += "-o - --workers 2 --report '" + dir + "/report.json' 2>'" + dir + "/err.txt'; echo $? >'" +
         dir + "/rc.txt'";
  auto r = RunProcess({"/bin/sh", "-c", "(" + cmd + ") | head -1"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("\"id\"") != std::string::npos);
  // forage's own exit code, not head's.
  CHECK(ReadFile(dir + "/rc.txt") == "141\n");
  CHECK(ReadFile(dir + "/err.txt") == "");
  REQUIRE(FileExists(dir + "/report.json"));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_total"] == 48);
  CHECK(rep["interrupted"] == false);
}

TEST_CASE("issue 11: a worker killed before its first heartbeat: its requests are in the report") {
  Fixture fx;
  std::string dir = TempDir("killed_requests");
  // Static chunks: worker 0 gets pages 1-2 (fast), worker 1 pages 3-4, page
  // 3 slow, so the run outlives the kill.
  WriteFile(dir + "/urls.txt", fx.url() + "shop/page/1/\n" + fx.url() + "shop/page/2/\n" +
                                   fx.url() + "shop/page/3/?fail=slow&slow_ms=3000\n" +
                                   fx.url() + "shop/page/4/\n");
  Background forage({ForageBin(), "run", "--urls", dir + "/urls.txt", "--items", ".product",
                     "--field", "name=h2", "-o", dir + "/out.csv", "--report",
                     dir + "/report.json", "--workers", "2", "--chunking", "static", "--quiet"});
  std::vector<pid_t> workers;
  REQUIRE(WaitUntil([&] {
    workers = WorkerPids(forage.pid());
    auto paths = nlohmann::json::parse(fx.Get("/__stats"))["paths"];
    return workers.size() == 2 && paths.contains("/shop/page/1/") &&
           paths.contains("/shop/page/2/");
  }));
  // Worker 0 has its two transfers going or done, and (well within 1 s of
  // its start) has sent no Stats yet.
  std::sort(workers.begin(), workers.end());
  REQUIRE(kill(workers[0], SIGKILL) == 0);
  auto r = forage.Wait(60);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 4);
  CHECK(rep["requests"].get<long>() == fx.Stat("requests"));
}

TEST_CASE("issue 10: --hang-timeout under 3 heartbeats is refused with exit 2") {
  auto r = RunProcess({ForageBin(), "run", "--url", "http://127.0.0.1:1/{page}", "--pages", "1",
                       "--items", "p", "--field", "n=h2", "--hang-timeout", "2s", "-o", "-"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--hang-timeout '2s': must be at least 3s") != std::string::npos);
  CHECK(r.out.empty());
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
