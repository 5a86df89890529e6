// robots.txt fetched by the master without stalling it: a pending
// robots.txt holds only its own origin's pages; the others flow, results are
// stored, SIGINT is answered at once; retries wait on a timer for the
// response's Retry-After. What the sites see comes from the fixtures'
// /__stats; no timing threshold stands in for an order.

#include <doctest/doctest.h>

#include <signal.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

nlohmann::json Stats(const Fixture& fx) { return nlohmann::json::parse(fx.Get("/__stats")); }

long Count(const Fixture& fx, const std::string& path) {
  auto paths = Stats(fx)["paths"];
  return paths.contains(path) ? paths[path].get<long>() : 0;
}

// A robots.txt that does not answer: a redirect to a request the fixture
// holds open (the `stall` fault), the first time only; only --timeout (60 s
// here) would end it. Asked again, it is a page (HTML: no rules).
const char* kStalledRobots = "/robots.txt=redirect:/shop/page/1/?fail=stall&fail_first=1";
const char* kStallTarget = "/shop/page/1/?fail=stall&fail_first=1";

std::vector<std::string> Job(const std::vector<std::string>& urls, const std::string& dir,
                             std::vector<std::string> extra = {}) {
  std::string list;
  for (const auto& u : urls) list += u + "\n";
  WriteFile(dir + "/urls.txt", list);
  std::vector<std::string> argv = {ForageBin(), "run", "--urls", dir + "/urls.txt", "--items",
                                   ".product", "--field", "name=h2", "-o", dir + "/out.csv",
                                   "--report", dir + "/report.json", "--timeout", "60s",
                                   "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

TEST_SUITE("e2e.robots_async") {

TEST_CASE("a robots.txt that does not answer holds only its origin: the other origin's pages are "
          "fetched and stored meanwhile, and SIGINT ends the run at once, resumable") {
  Fixture slow({"--serve", kStalledRobots});
  Fixture fast;
  std::string dir = TempDir("robots_async_two");
  // The slow origin first: its robots.txt is asked before any fast page.
  std::vector<std::string> urls;
  for (int p = 2; p <= 4; ++p) urls.push_back(slow.url() + "shop/page/" + std::to_string(p) + "/");
  for (int p = 1; p <= 6; ++p) urls.push_back(fast.url() + "shop/page/" + std::to_string(p) + "/");
  // In arrival order: the fast pages' records need not wait for the slow ones.
  Background run(Job(urls, dir, {"--workers", "1", "--order", "arrival"}));
  // Safety net only: with the master stalled (before), no fast page is asked
  // for until the 60 s --timeout.
  REQUIRE(WaitUntil([&] { return fast.Stat("requests") == 7; }, 30));  // robots.txt + 6 pages
  // The slow robots.txt is still unanswered, and nothing of its origin was asked for.
  CHECK(Count(slow, "/robots.txt") == 1);
  CHECK(Count(slow, kStallTarget) == 1);
  CHECK(slow.Stat("requests") == 2);
  // The fast pages' records reach the resume state while the robots.txt is pending.
  REQUIRE(WaitUntil([&] { return StatePages(dir + "/out.csv.state") == 6; }, 30));
  CHECK(Count(slow, kStallTarget) == 1);
  CHECK(slow.Stat("requests") == 2);
  run.Signal(SIGINT);
  auto r = run.Wait(30);
  INFO(r.err);
  CHECK(r.exit_code == 130);
  CHECK(StatePages(dir + "/out.csv.state") == 6);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/report.json"));
  CHECK(rep["pages_ok"] == 6);
  CHECK(rep["pages_failed"] == 0);
  CHECK(rep["pages_blocked"] == 0);
  CHECK(slow.Stat("requests") == 2);
}

TEST_CASE("SIGINT while the only origin's robots.txt is pending: exit 130 at once, nothing "
          "fetched, and --resume asks robots.txt again and fetches every page") {
  std::string dir = TempDir("robots_async_sigint");
  Fixture slow({"--serve", kStalledRobots});
  std::vector<std::string> urls;
  for (int p = 1; p <= 3; ++p) urls.push_back(slow.url() + "shop/page/" + std::to_string(p) + "/");
  {
    Background run(Job(urls, dir, {"--workers", "1"}));
    REQUIRE(WaitUntil([&] { return Count(slow, kStallTarget) == 1; }, 30));
    run.Signal(SIGINT);
    // Safety net only: a stalled master (before) answers after the 60 s --timeout.
    auto r = run.Wait(30);
    INFO(r.err);
    REQUIRE(r.exit_code == 130);
    CHECK(slow.Stat("requests") == 2);  // robots.txt and its redirect: no page
    CHECK(FileExists(dir + "/out.csv.state"));
    CHECK(StatePages(dir + "/out.csv.state") == 0);
  }
  // robots.txt answers now (no rules): the resumed run fetches the pages.
  auto r2 = RunProcess(Job(urls, dir, {"--workers", "1", "--resume"}));
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/report.json"));
  CHECK(rep["pages_ok"] == 3);
  CHECK(rep["robots"][0]["outcome"] == "rules");
  CHECK(Count(slow, "/robots.txt") == 2);
  CHECK(Count(slow, kStallTarget) == 2);
  CHECK(slow.Stat("requests") == 2 + 2 + 3);
}

TEST_CASE("a 503 robots.txt with Retry-After: 2 is asked again no earlier than 2 s later, then "
          "its answer holds") {
  // The first request of the redirect's target fails 503 with Retry-After: 2;
  // the second is a page (HTML: no rules, everything allowed).
  Fixture fx({"--serve", "/robots.txt=redirect:/shop/page/1/?fail_first=1&retry_after=2"});
  std::string dir = TempDir("robots_async_retry_after");
  auto r = RunProcess(Job({fx.url() + "shop/page/2/", fx.url() + "shop/page/3/"}, dir,
                          {"--workers", "1", "--retries", "2"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto stats = Stats(fx);
  CHECK(stats["paths"]["/robots.txt"] == 2);
  CHECK(stats["paths"]["/shop/page/1/?fail_first=1&retry_after=2"] == 2);
  auto times = stats["times"].get<std::vector<double>>();
  // robots.txt, its 503, robots.txt again, its answer, the two pages.
  REQUIRE(times.size() == 6);
  // The default backoff would ask again after 0.5 s.
  CHECK(times[2] - times[1] >= 1990);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/report.json"));
  CHECK(rep["pages_ok"] == 2);
  CHECK(rep["robots"][0]["requests"] == 4);
  CHECK(rep["robots"][0]["outcome"] == "rules");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
