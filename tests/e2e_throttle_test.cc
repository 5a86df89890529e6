// --throttle auto against forage-fixture --limit-concurrency: counts from the
// fixture's side (requests, 503s, peak concurrency) and the report's side
// (where the host settled). Counts only: speed is measured in
// bench/scenarios/throttle.sh.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

nlohmann::json Stats(const Fixture& fx) { return nlohmann::json::parse(fx.Get("/__stats")); }

// forage over listing pages `pages` of the fixture's shop, 2 workers.
ProcessResult RunShop(const Fixture& fx, const std::string& dir, const std::string& pages,
                      std::vector<std::string> extra) {
  std::vector<std::string> argv = {ForageBin(),  "run",      "--url",
                                   fx.url() + "shop/page/{page}/", "--pages", pages,
                                   "--items",    ".product", "--field",
                                   "name=h2",    "--workers", "2",
                                   "-o",         dir + "/out.csv", "--overwrite",
                                   "--report",   dir + "/report.json", "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProcess(argv);
}

TEST_SUITE("e2e.throttle") {

TEST_CASE("throttle auto per-host 16 against a site that 503s above 4: every page once, "
          "settled at most 4, under 5% 503s") {
  std::string dir = TempDir("throttle_limit4");
  // 400 listing pages: the canonical 48 (16, 16, ..., 3 products), then 16 each.
  // 50 ms a page: the site refuses a fifth request only when five overlap
  // there, so the service time must outlast the lag between a loaded
  // worker's sends (20 ms did not: the throttle settled at 5 unrefused).
  Fixture fx({"--pages", "400", "--delay", "50", "--limit-concurrency", "4"});
  auto r = RunShop(fx, dir, "1-400",
                   {"--throttle", "auto", "--per-host", "16", "--concurrency", "32",
                    "--max-retry-wait", "100ms"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/report.json"));
  CHECK(rep["pages_ok"] == 400);
  CHECK(rep["pages_failed"] == 0);
  // Every record once: 47 full pages of 16 and page 48's 3, then 352 x 16.
  auto rows = ParseCsv(ReadFile(dir + "/out.csv"));
  CHECK(rows.size() == 1 + 47 * 16 + 3 + 352 * 16);

  const std::string host = "http://" + fx.host();
  REQUIRE(rep["throttle"].contains(host));
  auto t = rep["throttle"][host];
  MESSAGE("throttle: ", t.dump(), " retries ", rep["retries"], " peak_offered ",
          Stats(fx)["peak_offered"]);
  CHECK(t["settled"].get<int>() <= 4);
  CHECK(t["settled"].get<int>() >= 1);
  CHECK(t["ceiling"] == 16);
  CHECK(t["max"].get<int>() <= 16);
  auto stats = Stats(fx);
  // The fixture saw what the master let out: never more than the highest
  // cap the throttle reached.
  CHECK(stats["peak_offered"].get<int>() <= t["max"].get<int>());
  // Each 503 the fixture sent is a response the throttle counted, and a
  // retry the master made (every page ended stored).
  const long limited = stats["limited"].get<long>();
  CHECK(t["responses_503"] == limited);
  CHECK(rep["retries"] == limited);
  // Requests: the 400 pages, their retries, robots.txt.
  CHECK(stats["requests"] == 400 + limited + 1);
  CHECK(t["responses"] == 400 + limited);
  CHECK(limited * 20 < 400 + limited);  // under 5% of the requests were 503s
}

TEST_CASE("without the throttle, per-host 16 against the same site gets many 503s") {
  std::string dir = TempDir("throttle_off16");
  // --gather 5: the first 4 are held until a fifth comes (and is refused):
  // the overload is certain, not a matter of how fast the worker sends.
  Fixture fx({"--pages", "100", "--delay", "20", "--limit-concurrency", "4", "--gather", "5"});
  auto r = RunShop(fx, dir, "1-100",
                   {"--per-host", "16", "--concurrency", "32", "--max-retry-wait", "100ms",
                    "--retries", "50"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/report.json"));
  CHECK(rep["pages_ok"] == 100);
  CHECK(rep["throttle"].empty());
  auto stats = Stats(fx);
  CHECK(stats["peak_offered"].get<int>() > 4);
  CHECK(stats["limited"].get<long>() > 0);
  CHECK(rep["retries"] == stats["limited"]);
}

TEST_CASE("throttle auto without a site limit grows to per-host") {
  std::string dir = TempDir("throttle_free");
  // 100 ms a page: the latency band (2 x best + 10 ms) leaves room for a
  // loaded machine's jitter. 2 -> 6 takes about 2 + 3 + 4 + 5 responses.
  Fixture fx({"--pages", "60", "--delay", "100"});
  auto r = RunShop(fx, dir, "1-60", {"--throttle", "auto", "--per-host", "6"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/report.json"));
  auto t = rep["throttle"]["http://" + fx.host()];
  CHECK(t["max"] == 6);
  CHECK(t["min"] == 2);  // it starts low
  CHECK(t["responses_503"] == 0);
  CHECK(Stats(fx)["peak_inflight"].get<int>() <= 6);
}

TEST_CASE("throttle takes off or auto, in a job file too") {
  std::string dir = TempDir("throttle_flag");
  Fixture fx;
  auto bad = RunShop(fx, dir, "1", {"--throttle", "fast"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--throttle 'fast': expected off or auto") != std::string::npos);
  WriteFile(dir + "/job.toml", "throttle = \"auto\"\nper_host = 3\n");
  auto ok = RunProcess({ForageBin(), "run", dir + "/job.toml", "--url",
                        fx.url() + "shop/page/{page}/", "--pages", "1-3", "--items", ".product",
                        "--field", "name=h2", "-o", dir + "/out.csv", "--report",
                        dir + "/report.json", "--quiet"});
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/report.json"));
  CHECK(rep["throttle"]["http://" + fx.host()]["ceiling"] == 3);
  CHECK(rep["throttle"]["http://" + fx.host()]["responses"] == 3);
}

}  // TEST_SUITE

// forage tune sweeps --concurrency: the default --per-host 8 must not cap the
// sweep silently on a one-host job, while a per_host the user gave holds.
TEST_SUITE("e2e.tune_per_host") {

std::string TuneJob(const Fixture& fx, const std::string& dir, const std::string& extra) {
  std::string job = dir + "/job.toml";
  WriteFile(job, "url = \"" + fx.url() + "shop/page/{page}/\"\n"
                 "pages = \"1-40\"\n"
                 "items = \".product\"\n"
                 "concurrency = 64\n" + extra +
                 "[fields]\n"
                 "name = \"h2\"\n");
  return job;
}

TEST_CASE("tune raises per-host with the concurrency it tries unless per_host is given") {
  std::string dir = TempDir("tune_per_host");
  // 200 ms a page: the 40 pages of the concurrency-64 run overlap.
  Fixture fx({"--delay", "200"});
  // forage-testhooks: the lease log (FORAGE_TEST_LEASE_LOG).
  auto r = RunProcess({ForageTestHooksBin(), "tune", TuneJob(fx, dir, ""), "--max-workers", "1",
                       "--sample", "40"},
                      {{"FORAGE_TEST_LEASE_LOG", dir + "/leases.log"}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Runs at 4, 16 and 64 in flight: the last one leased all 40 pages to the
  // host at once. Counted where the limit is applied, the master's leases:
  // how many overlap at the site also depends on the scheduling.
  auto leases = ReadLeaseLog(dir + "/leases.log");
  int most = 0;
  for (const auto& l : leases) most = std::max(most, l.host_fetching);
  CHECK(most == 40);

  SUBCASE("per_host given in the job") {
    Fixture fx2({"--delay", "200"});
    std::string dir2 = TempDir("tune_per_host_given");
    auto r2 = RunProcess({ForageTestHooksBin(), "tune", TuneJob(fx2, dir2, "per_host = 4\n"),
                          "--max-workers", "1", "--sample", "40"},
                         {{"FORAGE_TEST_LEASE_LOG", dir2 + "/leases.log"}});
    INFO(r2.err);
    REQUIRE(r2.exit_code == 0);
    auto leases2 = ReadLeaseLog(dir2 + "/leases.log");
    REQUIRE(!leases2.empty());
    int most2 = 0;
    for (const auto& l : leases2) most2 = std::max(most2, l.host_fetching);
    CHECK(most2 == 4);
    CHECK(fx2.Stat("peak_inflight") <= 4);  // and the site never saw more
  }
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
