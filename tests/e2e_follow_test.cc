// Two-stage crawls: list pages -> detail pages, detail records carrying the
// fields of the item that linked to them, in the order of their list page.

#include <signal.h>

#include <doctest/doctest.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

std::vector<std::string> FollowJob(const Fixture& fx, const std::string& pages,
                                   const std::string& out) {
  return {ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages", pages,
          "--items", ".product", "--field", "name=h2", "--field", "price=.price",
          "--follow", ".woocommerce-loop-product__link::attr(href)",
          "--detail-field", "title=h1.product_title", "--detail-field", "sku=.sku",
          "-o", out, "--report", out + ".report.json", "--quiet"};
}

// The golden rows of pages 1..n, as (name, price).
std::vector<std::pair<std::string, std::string>> Golden(const Fixture& fx, size_t rows) {
  auto g = ParseCsv(GoldenShopCsv(fx));
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 1; i <= rows; ++i) out.emplace_back(g[i][1], g[i][2]);
  return out;
}

void CheckDetailRows(const Fixture& fx, const std::string& csv, size_t expected_rows) {
  auto rows = ParseCsv(ReadFile(csv));
  REQUIRE(rows.size() == 1 + expected_rows);
  CHECK(rows[0] == std::vector<std::string>{"name", "price", "title", "sku"});
  auto golden = Golden(fx, expected_rows);
  const std::regex sku("[0-9]{4}");
  for (size_t i = 0; i < expected_rows; ++i) {
    CAPTURE(i);
    CHECK(rows[i + 1][0] == golden[i].first);   // carried from the list page, in page order
    CHECK(rows[i + 1][1] == golden[i].second);
    CHECK(rows[i + 1][2] == golden[i].first);   // the detail page's own title
    CHECK(std::regex_match(rows[i + 1][3], sku));
  }
}

TEST_SUITE("e2e.follow") {

TEST_CASE("a two-stage crawl: 3 list pages, 48 detail pages, records in list order") {
  Fixture fx;
  std::string dir = TempDir("follow");
  auto argv = FollowJob(fx, "1-3", dir + "/out.csv");
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "8"});
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CheckDetailRows(fx, dir + "/out.csv", 48);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/out.csv.report.json"));
  CHECK(rep["pages_total"] == 3 + 48);
  CHECK(rep["pages_ok"] == 3 + 48);
  CHECK(rep["items"] == 48);
  CHECK(fx.Stat("requests") == 1 + 3 + 48);  // robots.txt, list, detail pages
  CHECK(fx.Stat("peak_inflight") <= 8);

  SUBCASE("a link seen before is not fetched again") {
    WriteFile(dir + "/urls.txt", fx.url() + "shop/page/1/\n" + fx.url() + "shop/page/1/?again=1\n");
    fx.Get("/__reset");
    auto r2 = RunProcess({ForageBin(), "run", "--urls", dir + "/urls.txt", "--items", ".product",
                          "--field", "name=h2", "--follow",
                          ".woocommerce-loop-product__link::attr(href)", "--detail-field",
                          "sku=.sku", "-o", dir + "/dedup.csv", "--quiet"});
    REQUIRE(r2.exit_code == 0);
    CHECK(ParseCsv(ReadFile(dir + "/dedup.csv")).size() == 1 + 16);
    CHECK(fx.Stat("requests") == 1 + 2 + 16);
  }
}

TEST_CASE("follow-ups dedupe, honour --per-host, and survive a killed worker exactly once") {
  // From the 21st page on held until /__release: the worker dies half-way.
  Fixture fx({"--delay", "30", "--hold-after", "20"});
  std::string dir = TempDir("follow_kill");
  auto argv = FollowJob(fx, "1-4", dir + "/out.csv");
  argv.insert(argv.end(), {"--workers", "2", "--per-host", "3"});
  Background forage(argv);
  std::vector<pid_t> workers;
  REQUIRE(WaitUntil([&] {
    workers = WorkerPids(forage.pid());
    return workers.size() == 2 && fx.Stat("held") > 0;
  }));
  REQUIRE(kill(workers[0], SIGKILL) == 0);
  fx.Get("__release");
  auto r = forage.Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CheckDetailRows(fx, dir + "/out.csv", 64);
  CHECK(fx.Stat("peak_inflight") <= 3);
}

TEST_CASE("--follow without --detail-field, and a bad follow selector, exit 2") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages", "1",
                       "--items", ".product", "--field", "name=h2", "--follow", "a::attr(href)"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--follow needs --detail-field") != std::string::npos);
  auto bad = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages",
                         "1", "--items", ".product", "--field", "name=h2", "--follow", "a[href",
                         "--detail-field", "t=h1"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--follow 'a[href'") != std::string::npos);
  CHECK(fx.Stat("requests") == 0);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
