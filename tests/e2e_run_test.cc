// forage run against the fixture: the seed's 755 products, failures as data.

#include <doctest/doctest.h>

#include <sstream>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

TEST_SUITE("e2e.run") {

TEST_CASE("the seed's shop: exactly the 755 products, in page order, as CSV") {
  Fixture fx;
  std::string dir = TempDir("shop_csv");
  for (const char* workers : {"1", "0", "2", "4"}) {
    CAPTURE(workers);
    std::string out = dir + "/products_" + workers + ".csv";
    std::string report = dir + "/report_" + workers + ".json";
    auto argv = SeedJob(fx, "1-48");
    argv.insert(argv.end(), {"--workers", workers, "-o", out, "--report", report, "--quiet"});
    auto r = RunProcess(argv);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::string csv = ReadFile(out);
    CHECK(csv == GoldenShopCsv(fx));
    auto rows = ParseCsv(csv);
    REQUIRE(rows.size() == 756);
    CHECK(rows[1] == std::vector<std::string>{"759", "Kromupod", "£102.00",
                                               "http://" + fx.host() + "/shop/Kromupod/"});
    CHECK_FALSE(FileExists(out + ".part"));

    auto rep = nlohmann::json::parse(ReadFile(report));
    CHECK(rep["pages_ok"] == 48);
    CHECK(rep["pages_failed"] == 0);
    CHECK(rep["items"] == 755);
    CHECK(rep["requests"] == 1 + 48);  // robots.txt, the pages
    CHECK(rep["failures"].empty());
    int expected_workers = std::string(workers) == "0" ? 1 : std::stoi(workers);
    CHECK(rep["per_worker"].size() == static_cast<size_t>(expected_workers));
    uint64_t pages = 0;
    for (auto& w : rep["per_worker"]) pages += w["pages"].get<uint64_t>();
    CHECK(pages == 48);
    CHECK(rep["user_s"].get<double>() > 0);
  }
  CHECK(fx.Stat("requests") == 4 * (1 + 48));
}

TEST_CASE("JSONL on stdout carries the same records") {
  Fixture fx;
  auto argv = SeedJob(fx, "48");
  argv.insert(argv.end(), {"-o", "-", "--quiet", "--workers", "1"});
  auto r = RunProcess(argv);
  REQUIRE(r.exit_code == 0);
  std::vector<nlohmann::json> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  REQUIRE(lines.size() == 3);  // the last page holds 3 products
  auto rows = ParseCsv(GoldenShopCsv(fx));
  std::istringstream raw(r.out);
  for (size_t i = 0; i < 3; ++i) {
    const auto& g = rows[753 + i];
    std::string line;
    std::getline(raw, line);
    CHECK(line == R"({"id":")" + g[0] + R"(","name":")" + g[1] + R"(","price":")" + g[2] +
                      R"(","url":")" + g[3] + R"("})");
  }
}

TEST_CASE("SQLite output: 755 rows in a table named after the job, in page order") {
  Fixture fx;
  std::string dir = TempDir("sqlite");
  std::string db_path = dir + "/shop.sqlite";
  auto argv = SeedJob(fx);
  argv.insert(argv.end(), {"--workers", "2", "--quiet", "-o", db_path});
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT id, name, price, url, page_number FROM shop ORDER BY rowid",
                             -1, &q, nullptr) == SQLITE_OK);
  std::vector<std::vector<std::string>> rows = {{"id", "name", "price", "url"}};
  int last_page = 0;
  bool pages_in_order = true;
  while (sqlite3_step(q) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < 4; ++c) row.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, c)));
    rows.push_back(std::move(row));
    int page = sqlite3_column_int(q, 4);
    pages_in_order &= page >= last_page;
    last_page = page;
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  CHECK(rows.size() == 756);
  CHECK(rows == ParseCsv(GoldenShopCsv(fx)));
  CHECK(pages_in_order);
  CHECK(last_page == 48);
}

TEST_CASE("--key id drops records seen before and counts them") {
  Fixture fx;
  std::string dir = TempDir("dedup");
  std::string urls = dir + "/urls.txt";
  // Page 1 twice (the second time under another URL): its 16 products repeat.
  WriteFile(urls, fx.url() + "shop/page/1/\n" + fx.url() + "shop/page/2/\n" + fx.url() +
                      "shop/page/1/?again=1\n");
  auto r = RunProcess({ForageBin(), "run", "--urls", urls, "--items", ".product", "--field",
                       "id=.add_to_cart_button::attr(data-product_id)", "--field", "name=h2",
                       "--key", "id", "-o", dir + "/out.csv", "--report", dir + "/report.json",
                       "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rows = ParseCsv(ReadFile(dir + "/out.csv"));
  CHECK(rows.size() == 1 + 32);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/report.json"));
  CHECK(rep["items"] == 32);
  CHECK(rep["duplicates"] == 16);
  auto bad = RunProcess({ForageBin(), "run", "--urls", urls, "--items", ".product", "--field",
                         "name=h2", "--key", "sku", "-o", dir + "/x.csv"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--key 'sku' is not one of the fields") != std::string::npos);
  CHECK_FALSE(FileExists(dir + "/x.csv.part"));
  CHECK_FALSE(FileExists(dir + "/x.csv.state"));
}

TEST_CASE("a job file and the same flags give byte-identical CSV") {
  Fixture fx;
  std::string dir = TempDir("job_file");
  std::string job = dir + "/shop.toml";
  WriteFile(job, "# the seed's shop\n"
                 "url = \"" + fx.url() + "shop/page/{page}/\"\n"
                 "pages = \"1-48\"\n"
                 "items = \".product\"\n"
                 "workers = 2\n"
                 "quiet = true\n"
                 "output = \"" + dir + "/from_file.csv\"\n"
                 "\n[fields]\n"
                 "id = \".add_to_cart_button::attr(data-product_id)\"\n"
                 "name = \"h2\"\n"
                 "price = \".price\"\n"
                 "url = \".woocommerce-loop-product__link::attr(href)\"\n");
  auto r = RunProcess({ForageBin(), "run", job});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto argv = SeedJob(fx);
  argv.insert(argv.end(), {"--workers", "2", "--quiet", "-o", dir + "/from_flags.csv"});
  REQUIRE(RunProcess(argv).exit_code == 0);
  CHECK(ReadFile(dir + "/from_file.csv") == ReadFile(dir + "/from_flags.csv"));
  CHECK(ReadFile(dir + "/from_file.csv") == GoldenShopCsv(fx));

  SUBCASE("a flag overrides the file") {
    auto r2 = RunProcess({ForageBin(), "run", job, "--pages", "48", "-o", dir + "/p48.csv"});
    REQUIRE(r2.exit_code == 0);
    CHECK(ParseCsv(ReadFile(dir + "/p48.csv")).size() == 1 + 3);
  }
  SUBCASE("an unknown key: exit 2, the key and its line, nothing created") {
    WriteFile(job, "url = \"" + fx.url() + "shop/page/{page}/\"\npages = \"1-2\"\n"
                   "items = \".product\"\noutput = \"" + dir + "/bad.csv\"\n"
                   "concurency = 4\n[fields]\nname = \"h2\"\n");
    auto r3 = RunProcess({ForageBin(), "run", job});
    CHECK(r3.exit_code == 2);
    CHECK(r3.err.find("line 5: unknown key 'concurency'") != std::string::npos);
    CHECK_FALSE(FileExists(dir + "/bad.csv"));
    CHECK_FALSE(FileExists(dir + "/bad.csv.part"));
  }
}

TEST_CASE("a 404 page and a refused connection are failed pages, the rest is written") {
  Fixture fx;  // 48 pages: 49 and 50 answer 404
  std::string dir = TempDir("failures");
  std::string out = dir + "/products.csv";
  std::string report = dir + "/report.json";
  auto argv = SeedJob(fx, "47-50");
  argv.insert(argv.end(), {"-o", out, "--report", report, "--workers", "1"});
  auto r = RunProcess(argv);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("failed " + fx.url() + "shop/page/49/: HTTP 404") != std::string::npos);
  auto rows = ParseCsv(ReadFile(out));
  CHECK(rows.size() == 1 + 16 + 3);
  auto rep = nlohmann::json::parse(ReadFile(report));
  CHECK(rep["pages_ok"] == 2);
  CHECK(rep["pages_failed"] == 2);
  REQUIRE(rep["failures"].size() == 2);
  CHECK(rep["failures"][0]["url"] == fx.url() + "shop/page/49/");
  CHECK(rep["failures"][0]["reason"] == "HTTP 404");
  CHECK(rep["failures"][1]["url"] == fx.url() + "shop/page/50/");

  SUBCASE("refused connection") {
    std::string urls = dir + "/urls.txt";
    std::string refused = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/shop/page/1/";
    WriteFile(urls, fx.url() + "shop/page/1/\n" + refused + "\n" + fx.url() + "shop/page/2/\n");
    std::vector<std::string> a = {ForageBin(), "run", "--urls", urls, "--items", ".product",
                                  "--field", "name=h2", "-o", out, "--report", report,
                                  "--workers", "2", "--overwrite",
                                  // the page's own attempts, not its robots.txt's
                                  "--ignore-robots"};
    auto r2 = RunProcess(a);
    CHECK(r2.exit_code == 1);
    auto rep2 = nlohmann::json::parse(ReadFile(report));
    CHECK(rep2["pages_ok"] == 2);
    REQUIRE(rep2["failures"].size() == 1);
    CHECK(rep2["failures"][0]["url"] == refused);
    // A refused connection is retried (3 more attempts by default), then failed.
    std::string reason = rep2["failures"][0]["reason"];
    CHECK(reason.find("onnect") != std::string::npos);
    CHECK(reason.find("(4 attempts)") != std::string::npos);
    CHECK(rep2["retries"] == 3);
    CHECK(ParseCsv(ReadFile(out)).size() == 1 + 32);
  }
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
