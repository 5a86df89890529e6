// The hybrid engine's promises: exactly once through crashes and
// interruptions, limits that hold for the whole job, page order.

#include <signal.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

std::vector<std::vector<std::string>> GoldenRows(const Fixture& fx) {
  return ParseCsv(GoldenShopCsv(fx));
}

std::vector<std::string> WithOutput(std::vector<std::string> argv, const std::string& out) {
  argv.insert(argv.end(), {"-o", out});
  return argv;
}

nlohmann::json Report(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

TEST_SUITE("e2e.engine") {

TEST_CASE("kill -9 of a worker mid-job: the 755 rows exactly once, in order, and the restart "
          "reported") {
  // 4 at a time, 100 ms each: the job takes over a second, time enough to
  // kill a worker while it holds pages.
  Fixture fx({"--delay", "100", "--max-inflight", "4"});
  std::string dir = TempDir("kill_worker");
  auto argv = WithOutput(SeedJob(fx), dir + "/out.csv");
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "4", "--report",
                           dir + "/report.json", "--quiet"});
  Background forage(argv);
  std::vector<pid_t> workers;
  REQUIRE(WaitUntil([&] {
    workers = ChildPids(forage.pid());
    return workers.size() == 2 && fx.Stat("requests") >= 10;
  }));
  REQUIRE(kill(workers[0], SIGKILL) == 0);
  auto r = forage.Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 48);
  CHECK(rep["items"] == 755);
  int restarts = 0;
  for (auto& w : rep["per_worker"]) restarts += w["restarts"].get<int>();
  CHECK(restarts == 1);
  // The killed worker's unfinished pages were fetched again.
  CHECK(fx.Stat("requests") > 48);
}

TEST_CASE("a page that crashes its worker twice is failed; every other row is stored") {
  Fixture fx;
  std::string dir = TempDir("crash_page");
  auto argv = WithOutput(SeedJob(fx), dir + "/out.csv");
  argv.insert(argv.end(), {"--workers", "2", "--report", dir + "/report.json", "--quiet"});
  auto r = RunProcess(argv, {{"FORAGE_TEST_CRASH_URL", "/shop/page/7/"}});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto golden = GoldenRows(fx);
  // Page 7 holds rows 97..112 (1-based, after the header).
  std::vector<std::vector<std::string>> expected(golden.begin(), golden.begin() + 1 + 96);
  expected.insert(expected.end(), golden.begin() + 1 + 112, golden.end());
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == expected);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 47);
  CHECK(rep["pages_failed"] == 1);
  REQUIRE(rep["failures"].size() == 1);
  CHECK(rep["failures"][0]["url"] == fx.url() + "shop/page/7/");
  CHECK(rep["failures"][0]["reason"] == "worker crashed while processing");
  int restarts = 0;
  for (auto& w : rep["per_worker"]) restarts += w["restarts"].get<int>();
  CHECK(restarts == 2);
}

TEST_CASE("when every page crashes its worker the run still ends, each page failed") {
  Fixture fx;
  std::string dir = TempDir("crash_all");
  auto argv = WithOutput(SeedJob(fx, "1-3"), dir + "/out.csv");
  argv.insert(argv.end(), {"--workers", "2", "--report", dir + "/report.json", "--quiet"});
  auto r = RunProcess(argv, {{"FORAGE_TEST_CRASH_URL", "/shop/page/"}});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 0);
  CHECK(rep["pages_failed"] == 3);
  for (auto& f : rep["failures"]) CHECK(f["reason"] == "worker crashed while processing");
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")).size() == 1);  // the header alone
}

TEST_CASE("a page that hangs its worker is killed by the watchdog, twice, then failed") {
  Fixture fx;
  std::string dir = TempDir("hang_page");
  auto argv = WithOutput(SeedJob(fx, "1-8"), dir + "/out.csv");
  argv.insert(argv.end(), {"--workers", "2", "--hang-timeout", "300ms",
                           "--report", dir + "/report.json"});
  auto r = RunProcess(argv, {{"FORAGE_TEST_HANG_URL", "/shop/page/3/"}});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("killed as hung") != std::string::npos);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 7);
  REQUIRE(rep["failures"].size() == 1);
  CHECK(rep["failures"][0]["url"] == fx.url() + "shop/page/3/");
  CHECK(rep["failures"][0]["reason"] == "worker hung while processing");
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")).size() == 1 + 7 * 16);
}

TEST_CASE("--per-host 3 over 2 workers: the site never sees more than 3 at once") {
  Fixture fx({"--delay", "50"});
  std::string dir = TempDir("per_host");
  auto argv = WithOutput(SeedJob(fx), dir + "/out.csv");
  argv.insert(argv.end(), {"--workers", "2", "--per-host", "3", "--quiet"});
  auto r = RunProcess(argv);
  REQUIRE(r.exit_code == 0);
  CHECK(fx.Stat("peak_inflight") == 3);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")).size() == 756);

  SUBCASE("--concurrency holds the same way") {
    auto argv2 = WithOutput(SeedJob(fx), dir + "/out2.csv");
    argv2.insert(argv2.end(), {"--workers", "4", "--concurrency", "5", "--quiet"});
    fx.Get("/__reset");
    REQUIRE(RunProcess(argv2).exit_code == 0);
    CHECK(fx.Stat("peak_inflight") == 5);
  }
}

TEST_CASE("SIGINT: exit 130, a valid CSV holding the first pages in order") {
  Fixture fx({"--delay", "100", "--max-inflight", "2"});
  std::string dir = TempDir("sigint");
  auto argv = WithOutput(SeedJob(fx), dir + "/out.csv");
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "2", "--report",
                           dir + "/report.json"});
  Background forage(argv);
  REQUIRE(WaitUntil([&] { return fx.Stat("requests") >= 6; }));
  forage.Signal(SIGINT);
  auto r = forage.Wait();
  INFO(r.err);
  CHECK(r.exit_code == 130);
  CHECK(r.err.find("interrupted") != std::string::npos);
  auto rows = ParseCsv(ReadFile(dir + "/out.csv"));
  auto golden = GoldenRows(fx);
  REQUIRE(rows.size() > 1);
  REQUIRE(rows.size() < golden.size());
  // Exactly the records of pages 1..k: a prefix of the whole shop.
  CHECK(std::equal(rows.begin(), rows.end(), golden.begin()));
  CHECK((rows.size() - 1) % 16 == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["interrupted"] == true);
  CHECK(rep["items"].get<size_t>() == rows.size() - 1);
  CHECK(rep["pages_ok"].get<size_t>() == (rows.size() - 1) / 16);
}

TEST_CASE("a second SIGINT kills the workers: exit 130, the CSV still valid") {
  Fixture fx({"--delay", "300", "--max-inflight", "2"});
  std::string dir = TempDir("sigint_twice");
  auto argv = WithOutput(SeedJob(fx), dir + "/out.csv");
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "2"});
  Background forage(argv);
  REQUIRE(WaitUntil([&] { return fx.Stat("requests") >= 3; }));
  forage.Signal(SIGINT);
  forage.ReadErrUntil("interrupted");
  forage.Signal(SIGINT);
  auto r = forage.Wait();
  INFO(r.err);
  CHECK(r.exit_code == 130);
  auto rows = ParseCsv(ReadFile(dir + "/out.csv"));
  auto golden = GoldenRows(fx);
  REQUIRE(rows.size() >= 1);
  CHECK(rows.size() < golden.size());
  CHECK(std::equal(rows.begin(), rows.end(), golden.begin()));
}

TEST_CASE("workers exit when their master is killed") {
  Fixture fx({"--delay", "200", "--max-inflight", "2"});
  std::string dir = TempDir("master_killed");
  auto argv = WithOutput(SeedJob(fx), dir + "/out.csv");
  argv.insert(argv.end(), {"--workers", "3", "--concurrency", "2", "--quiet"});
  Background forage(argv);
  std::vector<pid_t> workers;
  REQUIRE(WaitUntil([&] {
    workers = ChildPids(forage.pid());
    return workers.size() == 3 && fx.Stat("requests") >= 2;
  }));
  forage.Signal(SIGKILL);
  forage.Wait();
  for (pid_t w : workers) {
    CAPTURE(w);
    CHECK(WaitUntil([&] { return ProcessExited(w); }, 10));
  }
}

TEST_CASE("static and dynamic chunking, page and arrival order: the same records") {
  Fixture fx;
  std::string dir = TempDir("modes");
  auto golden = GoldenRows(fx);
  for (const char* chunking : {"static", "dynamic"}) {
    for (const char* order : {"page", "arrival"}) {
      CAPTURE(chunking);
      CAPTURE(order);
      auto argv = WithOutput(SeedJob(fx), dir + "/out.csv");
      argv.insert(argv.end(), {"--workers", "3", "--chunking", chunking, "--order", order,
                               "--concurrency", "7", "--quiet",
                               "--overwrite"});  // each run replaces the last one's file
      REQUIRE(RunProcess(argv).exit_code == 0);
      auto rows = ParseCsv(ReadFile(dir + "/out.csv"));
      if (std::string(order) == "page") {
        CHECK(rows == golden);
      } else {
        std::sort(rows.begin() + 1, rows.end());
        auto sorted = golden;
        std::sort(sorted.begin() + 1, sorted.end());
        CHECK(rows == sorted);
      }
    }
  }
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
