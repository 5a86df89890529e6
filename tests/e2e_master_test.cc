// The master's promises under stress: stopping always ends, the report
// is written whatever happens to stdout, a killed worker's work is counted.

#include <signal.h>

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

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
