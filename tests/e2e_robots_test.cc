// robots.txt (RFC 9309) obeyed by default, and the polite defaults: what the
// fixture sees (its request log) and what the report says.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

nlohmann::json Report(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

nlohmann::json Paths(const Fixture& fx) {
  return nlohmann::json::parse(fx.Get("/__stats"))["paths"];
}

long Count(const Fixture& fx, const std::string& path) {
  auto paths = Paths(fx);
  return paths.contains(path) ? paths[path].get<long>() : 0;
}

// forage over `paths` of the fixture (names of the shop's products); the
// report goes to dir/report.json.
ProcessResult RunPaths(const Fixture& fx, const std::string& dir,
                       const std::vector<std::string>& paths, std::vector<std::string> extra = {}) {
  std::string list;
  for (const auto& p : paths) list += fx.url() + p + "\n";
  WriteFile(dir + "/urls.txt", list);
  std::vector<std::string> argv = {ForageBin(), "run", "--urls", dir + "/urls.txt", "--items",
                                   ".product", "--field", "name=h2", "-o", dir + "/out.csv",
                                   "--overwrite", "--report", dir + "/report.json", "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProcess(argv);
}

std::vector<std::string> BlockedUrls(const nlohmann::json& rep) {
  std::vector<std::string> out;
  for (auto& b : rep["blocked"]) {
    CHECK(b["reason"] == "blocked by robots.txt");
    out.push_back(b["url"].get<std::string>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_SUITE("e2e.robots") {

TEST_CASE("the forage group alone, longest match, * and $: blocked pages are not fetched, "
          "counted, listed, exit 0") {
  std::string dir = TempDir("robots_groups");
  Fixture fx({"--serve", "/robots.txt=file:" + dir + "/robots.txt"});
  WriteFile(dir + "/robots.txt",
            "User-agent: *\n"
            "Disallow: /\n"
            "\n"
            "User-agent: Forage\n"
            "Disallow: /shop/page/\n"
            "Allow: /shop/page/1/$\n"
            "Allow: /shop/page/*2/\n"
            "Disallow: /*?pad=\n");
  auto r = RunPaths(fx, dir,
                    {"shop/page/1/", "shop/page/2/", "shop/page/3/", "shop/page/12/",
                     "shop/page/1/?x=1", "shop/", "shop/?pad=1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 4);
  CHECK(rep["pages_failed"] == 0);
  CHECK(rep["pages_blocked"] == 3);
  CHECK(BlockedUrls(rep) == std::vector<std::string>{fx.url() + "shop/?pad=1",
                                                     fx.url() + "shop/page/1/?x=1",
                                                     fx.url() + "shop/page/3/"});
  nlohmann::json expected = {{"/robots.txt", 1},   {"/shop/", 1}, {"/shop/page/1/", 1},
                             {"/shop/page/12/", 1}, {"/shop/page/2/", 1}};
  CHECK(Paths(fx) == expected);
  CHECK(rep["robots"][0]["outcome"] == "rules");
  CHECK(rep["robots"][0]["status"] == 200);
}

TEST_CASE("robots.txt is fetched once per origin, with 2 workers and 32 in flight") {
  std::string dir = TempDir("robots_once");
  // --gather 9: no page is answered before 9 were open at once, so the
  // peak below is the limits' doing, not the scheduling's.
  Fixture fx({"--delay", "20", "--gather", "9", "--serve",
              "/robots.txt=file:" + dir + "/robots.txt"});
  WriteFile(dir + "/robots.txt", "User-agent: *\nDisallow: /shop/page/4*/\n");
  auto argv = SeedJob(fx);
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "32", "--per-host", "0", "-o",
                           dir + "/out.csv", "--report", dir + "/report.json", "--quiet"});
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Count(fx, "/robots.txt") == 1);
  auto rep = Report(dir + "/report.json");
  // 4, 40..48 are disallowed: 10 pages.
  CHECK(rep["pages_blocked"] == 10);
  CHECK(rep["pages_ok"] == 38);
  CHECK(Count(fx, "/shop/page/4/") == 0);
  CHECK(Count(fx, "/shop/page/41/") == 0);
  CHECK(Count(fx, "/shop/page/39/") == 1);
  CHECK(fx.Stat("requests") == 1 + 38);
  CHECK(fx.Stat("peak_inflight") > 8);  // the limits given, not the defaults
}

TEST_CASE("no robots.txt (404): everything allowed, asked once") {
  Fixture fx;
  std::string dir = TempDir("robots_404");
  auto argv = SeedJob(fx, "1-6");
  argv.insert(argv.end(), {"--workers", "2", "-o", dir + "/out.csv", "--report",
                           dir + "/report.json", "--quiet"});
  REQUIRE(RunProcess(argv).exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 6);
  CHECK(rep["pages_blocked"] == 0);
  CHECK(rep["robots"][0]["status"] == 404);
  CHECK(rep["robots"][0]["outcome"] == "allow all (404)");
  CHECK(Count(fx, "/robots.txt") == 1);
  CHECK(fx.Stat("requests") == 7);
}

TEST_CASE("robots.txt answering 500: retried with the run's backoff, then the origin is "
          "disallowed - its pages blocked with that reason, nothing else fetched, exit 0 - "
          "--ignore-robots fetches all without asking") {
  Fixture fx({"--serve", "/robots.txt=status:500"});
  std::string dir = TempDir("robots_500");
  auto argv = SeedJob(fx, "1-6");
  argv.insert(argv.end(), {"--workers", "2", "-o", dir + "/out.csv", "--report",
                           dir + "/report.json", "--quiet", "--retries", "2",
                           "--max-retry-wait", "50ms"});
  auto r = RunProcess(argv);
  INFO(r.err);
  // RFC 9309 2.3.1.4: 5xx means complete disallow; the pages are blocked,
  // as a Disallow: / would block them, not failures.
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_blocked"] == 6);
  CHECK(rep["pages_ok"] == 0);
  CHECK(rep["pages_failed"] == 0);
  CHECK(rep["failures"].empty());
  REQUIRE(rep["blocked"].size() == 6);
  for (auto& b : rep["blocked"]) {
    CHECK(b["reason"] == "blocked: robots.txt unreachable (HTTP 500)");
  }
  CHECK(rep["robots"][0]["outcome"] == "disallow all (500)");
  // The first request and --retries 2 more, then nothing else.
  CHECK(rep["robots"][0]["requests"] == 3);
  CHECK(Count(fx, "/robots.txt") == 3);
  CHECK(fx.Stat("requests") == 3);
  // Exit 0 hides it: a warning says so, even with --quiet.
  CHECK(r.err == "forage: warning: " + fx.url() +
                     "robots.txt could not be read (disallow all (500), 3 requests): its 6 "
                     "pages were blocked, not fetched (RFC 9309)\n");

  SUBCASE("--ignore-robots") {
    fx.Get("/__reset");
    argv.insert(argv.end(), {"--ignore-robots", "--overwrite"});
    REQUIRE(RunProcess(argv).exit_code == 0);
    auto rep2 = Report(dir + "/report.json");
    CHECK(rep2["pages_ok"] == 6);
    CHECK(rep2["pages_blocked"] == 0);
    CHECK(rep2["robots"].empty());
    CHECK(Count(fx, "/robots.txt") == 0);
    CHECK(fx.Stat("requests") == 6);
  }
}

// No answer at all (refused, no route, a certificate that does not verify):
// the pages are not fetched, as the RFC asks, but they are failures (exit 1),
// not blocks: a site that is down must not pass for a run that went well.
TEST_CASE("robots.txt unreachable: every page of the origin fails unfetched, exit 1") {
  std::string dir = TempDir("robots_unreachable");
  WriteFile(dir + "/urls.txt",
            "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/shop/page/1/\n");
  auto r = RunProcess({ForageBin(), "run", "--urls", dir + "/urls.txt", "--items", ".product",
                       "--field", "name=h2", "-o", dir + "/out.csv", "--report",
                       dir + "/report.json", "--quiet", "--retries", "1", "--max-retry-wait",
                       "50ms"});
  INFO(r.err);
  REQUIRE(r.exit_code == 1);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_failed"] == 1);
  CHECK(rep["pages_blocked"] == 0);
  const std::string reason = rep["failures"][0]["reason"].get<std::string>();
  CHECK(reason.starts_with("robots.txt unreachable ("));
  CHECK(reason.ends_with("): not fetched"));
  CHECK(rep["robots"][0]["status"] == 0);

  CHECK(rep["robots"][0]["outcome"].get<std::string>().starts_with("disallow all (unreachable"));
}

TEST_CASE("robots.txt redirects are followed (up to 5) - more than 5 means allow all") {
  std::string dir = TempDir("robots_redirect");
  Fixture fx({"--serve", "/robots.txt=redirect:/moved/robots.txt", "--serve",
              "/moved/robots.txt=file:" + dir + "/robots.txt"});
  WriteFile(dir + "/robots.txt", "User-agent: *\nDisallow: /shop/page/2/\n");
  auto r = RunPaths(fx, dir, {"shop/page/1/", "shop/page/2/"});
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_blocked"] == 1);
  CHECK(BlockedUrls(rep) == std::vector<std::string>{fx.url() + "shop/page/2/"});
  CHECK(Count(fx, "/moved/robots.txt") == 1);

  SUBCASE("six hops") {
    Fixture fx6({"--serve", "/robots.txt=redirect:/redirect/5?to=/moved/robots.txt", "--serve",
                 "/moved/robots.txt=file:" + dir + "/robots.txt"});
    auto r6 = RunPaths(fx6, dir, {"shop/page/1/", "shop/page/2/"});
    REQUIRE(r6.exit_code == 0);
    auto rep6 = Report(dir + "/report.json");
    CHECK(rep6["pages_blocked"] == 0);
    CHECK(rep6["pages_ok"] == 2);
    CHECK(rep6["robots"][0]["outcome"] == "allow all (more than 5 redirects)");
    CHECK(Count(fx6, "/moved/robots.txt") == 0);
  }
}

TEST_CASE("a 10 MB robots.txt: only the first 500 KiB is read") {
  std::string dir = TempDir("robots_huge");
  Fixture fx({"--serve", "/robots.txt=file:" + dir + "/robots.txt"});
  std::string body = "User-agent: *\nDisallow: /shop/page/1/\n";
  std::string comment = "# " + std::string(1000, 'x') + "\n";
  while (body.size() < 10u << 20) body += comment;
  body += "Disallow: /shop/page/2/\n";
  WriteFile(dir + "/robots.txt", body);
  auto r = RunPaths(fx, dir, {"shop/page/1/", "shop/page/2/"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(BlockedUrls(rep) == std::vector<std::string>{fx.url() + "shop/page/1/"});
  CHECK(rep["pages_ok"] == 1);
  CHECK(rep["robots"][0]["bytes_read"] == 500 * 1024);
  CHECK(rep["robots"][0]["truncated"] == true);
}

TEST_CASE("Crawl-delay becomes the gap between the master's leases to the host") {
  std::string dir = TempDir("robots_delay");
  Fixture fx({"--serve", "/robots.txt=file:" + dir + "/robots.txt"});
  WriteFile(dir + "/robots.txt", "User-agent: *\nCrawl-delay: 0.3\n");
  auto argv = SeedJob(fx, "1-4");
  argv[0] = ForageTestHooksBin();  // the lease log (FORAGE_TEST_LEASE_LOG)
  argv.insert(argv.end(), {"--workers", "2", "-o", dir + "/out.csv", "--report",
                           dir + "/report.json", "--quiet"});
  auto r = RunProcess(argv, {{"FORAGE_TEST_LEASE_LOG", dir + "/leases.log"}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 4);
  CHECK(rep["robots"][0]["crawl_delay_s"] == 0.3);
  CHECK(fx.Stat("requests") == 1 + 4);  // robots.txt, then the 4 pages
  // Checked on the master's clock, where the spacing is made: arrivals at
  // the site also carry the workers' scheduling (a loaded machine bunches
  // them), so no bound on them holds for sure.
  auto leases = ReadLeaseLog(dir + "/leases.log");
  REQUIRE(leases.size() == 4);
  for (size_t i = 0; i < leases.size(); ++i) {
    CAPTURE(i);
    CHECK(leases[i].host_next_s - leases[i].now_s == doctest::Approx(0.3).epsilon(1e-6));
    if (i > 0) CHECK(leases[i].now_s >= leases[i - 1].host_next_s);
  }

  SUBCASE("--rate given: Crawl-delay is not used") {
    auto argv2 = argv;
    argv2.insert(argv2.end(), {"--rate", "1000", "--overwrite"});
    auto r2 = RunProcess(argv2, {{"FORAGE_TEST_LEASE_LOG", dir + "/leases2.log"}});
    REQUIRE(r2.exit_code == 0);
    auto l2 = ReadLeaseLog(dir + "/leases2.log");
    REQUIRE(l2.size() == 4);
    // 1 ms apart (1/rate), not 300 ms.
    for (const auto& l : l2) CHECK(l.host_next_s - l.now_s == doctest::Approx(0.001).epsilon(1e-6));
  }
}

TEST_CASE("polite defaults: 2 workers, no limits given: at most 8 in flight to the host") {
  // --gather 8: the peak is the one forage allows, not the scheduling's.
  Fixture fx({"--delay", "50", "--gather", "8"});
  std::string dir = TempDir("robots_defaults");
  auto argv = SeedJob(fx);
  argv.insert(argv.end(), {"--workers", "2", "-o", dir + "/out.csv", "--quiet"});
  REQUIRE(RunProcess(argv).exit_code == 0);
  CHECK(fx.Stat("peak_inflight") == 8);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")).size() == 756);
}

TEST_CASE("--contact is appended to the User-Agent") {
  Fixture fx;
  std::string dir = TempDir("robots_contact");
  WriteFile(dir + "/urls.txt", fx.url() + "echo\n");
  auto r = RunProcess({ForageBin(), "run", "--urls", dir + "/urls.txt", "--items", "body",
                       "--field", "ua=li[data-name=user-agent]", "--contact",
                       "ops@example.org", "-o", "-", "--quiet"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == R"x({"ua":"forage/0.1 (+ops@example.org)"})x"
                 "\n");
}

TEST_CASE("a 503 with Retry-After pauses the whole host, not only the page that got it") {
  Fixture fx;
  std::string dir = TempDir("robots_pause");
  // One at a time: without the pause, page 2 would follow page 1's 503 at once.
  auto r = RunPaths(fx, dir,
                    {"shop/page/1/?fail_first=1&retry_after=1", "shop/page/2/", "shop/page/3/"},
                    {"--workers", "1", "--concurrency", "1", "--ignore-robots"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 3);
  CHECK(rep["retries"] == 1);
  auto times = nlohmann::json::parse(fx.Get("/__stats"))["times"].get<std::vector<double>>();
  REQUIRE(times.size() == 4);
  CHECK(times[1] - times[0] >= 950);  // nothing to the host before the Retry-After
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
