// Extraction beyond HTML lists (issue 13), end to end against the fixture's
// JSON API (/api/products), JSON-LD product pages (/ld/N) and sibling-row
// table (/hn): bench/fixture/extraction_pages.h.

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

// Each row of `sql` as "value:type|value:type...", rows joined with '\n'.
std::string QueryTyped(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE_MESSAGE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK,
                  sqlite3_errmsg(db));
  std::string out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (!out.empty()) out += '\n';
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      if (i > 0) out += '|';
      const char* types[] = {"", "int", "real", "text", "blob", "null"};
      int type = sqlite3_column_type(st, i);
      const unsigned char* text = sqlite3_column_text(st, i);
      out += std::string(text != nullptr ? reinterpret_cast<const char*>(text) : "") + ":" +
             types[type];
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

std::vector<std::string> JsonApiJob(const Fixture& fx) {
  return {ForageBin(), "run", "--url", fx.url() + "api/products?page={page}", "--pages", "1-3",
          "--items", "json:$.products[*]",
          "--field", "id=json:$.id",
          "--field", "name=json:$.name",
          "--field", "price=json:$.price",
          "--field", "in_stock=json:$.in_stock",
          "--field", "tags=json:$.tags",
          "--field", "rating=json:$.rating",
          "--field", "tag=json:$.tags[0]",
          "--quiet"};
}

TEST_SUITE("e2e.json") {

TEST_CASE("JSON items: numbers, booleans, null and arrays keep their types in JSON Lines") {
  Fixture fx;
  auto argv = JsonApiJob(fx);
  argv.insert(argv.end(), {"-o", "-"});
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string expected;
  for (int i = 1; i <= 9; ++i) {
    char price[16];
    std::snprintf(price, sizeof price, "%.1f", i * 1.5);
    expected += "{\"id\":" + std::to_string(i) + ",\"name\":\"Product " + std::to_string(i) +
                "\",\"price\":" + price + ",\"in_stock\":" + (i % 2 == 1 ? "true" : "false") +
                ",\"tags\":[\"t" + std::to_string(i) + "\",\"common\"],\"rating\":" +
                (i % 3 == 0 ? std::string("null") : std::to_string(i)) + ",\"tag\":\"t" +
                std::to_string(i) + "\"}\n";
  }
  CHECK(r.out == expected);
}

TEST_CASE("JSON items: SQLite stores INTEGER, REAL, TEXT and NULL by the JSON value's type") {
  Fixture fx;
  std::string dir = TempDir("json-sqlite");
  auto argv = JsonApiJob(fx);
  argv.insert(argv.end(), {"-o", dir + "/out.sqlite"});
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(QueryTyped(dir + "/out.sqlite",
                   "SELECT id, name, price, in_stock, tags, rating, tag FROM out WHERE id <= 3 "
                   "ORDER BY id") ==
        "1:int|Product 1:text|1.5:real|1:int|[\"t1\",\"common\"]:text|1:int|t1:text\n"
        "2:int|Product 2:text|3.0:real|0:int|[\"t2\",\"common\"]:text|2:int|t2:text\n"
        "3:int|Product 3:text|4.5:real|1:int|[\"t3\",\"common\"]:text|:null|t3:text");
}

TEST_CASE("JSON items in CSV: strings unquoted, other values as JSON text") {
  Fixture fx;
  std::string dir = TempDir("json-csv");
  auto argv = JsonApiJob(fx);
  argv[5] = "1";  // --pages 1
  argv.insert(argv.end(), {"-o", dir + "/out.csv"});
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") ==
        "id,name,price,in_stock,tags,rating,tag\r\n"
        "1,Product 1,1.5,true,\"[\"\"t1\"\",\"\"common\"\"]\",1,t1\r\n"
        "2,Product 2,3.0,false,\"[\"\"t2\"\",\"\"common\"\"]\",2,t2\r\n"
        "3,Product 3,4.5,true,\"[\"\"t3\"\",\"\"common\"\"]\",,t3\r\n");
}

TEST_CASE("JSON: filters, `all`, converting options and the next link as a resolved URL") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "api/products?page={page}",
                       "--pages", "1", "--items", "json:$.products[?@.kind == 'music']",
                       "--field", "name=json:$.name", "--field", "tags=json:$.tags[*] | all",
                       "--field", "cents=json:$.price | re:([0-9]+) | int",
                       "--field", "stars=json:$.rating | default:0", "-o", "-", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "{\"name\":\"Product 2\",\"tags\":[\"t2\",\"common\"],\"cents\":3,\"stars\":2}\n");
  // What --next 'json:$.next' takes: the link, resolved against the page's URL.
  auto next = RunProcess({ForageBin(), "run", "--url", fx.url() + "api/products?page={page}",
                          "--pages", "1-3", "--items", "json:$", "--field",
                          "next=json:$.next | url", "-o", "-", "--quiet"});
  INFO(next.err);
  REQUIRE(next.exit_code == 0);
  CHECK(next.out == "{\"next\":\"" + fx.url() + "api/products?page=2\"}\n{\"next\":\"" + fx.url() +
                        "api/products?page=3\"}\n{\"next\":null}\n");
}

TEST_CASE("--follow with a json: link column fetches the linked JSON pages") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "api/products?page={page}",
                       "--pages", "1", "--items", "json:$", "--field", "page=json:$.page",
                       "--follow", "json:$.next", "--detail-items", "json:$.products[0]",
                       "--detail-field", "first=json:$.name", "-o", "-", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "{\"page\":1,\"first\":\"Product 4\"}\n");
}

TEST_CASE("a JSON page is not parsed as HTML, and a page that is not JSON fails alone") {
  Fixture fx;
  // CSS items on a JSON response: no items (Gumbo would have made a body of text).
  auto css = RunProcess({ForageBin(), "run", "--url", fx.url() + "api/products?page={page}",
                         "--pages", "1", "--items", "body", "--field", "t=:scope", "-o", "-",
                         "--quiet"});
  CHECK(css.out == "");
  // JSON items on an HTML page: that page fails, the JSON ones do not.
  std::string dir = TempDir("json-mixed");
  WriteFile(dir + "/urls.txt", fx.url() + "api/products?page=1\n" + fx.url() + "hn\n");
  auto mixed = RunProcess({ForageBin(), "run", "--urls", dir + "/urls.txt", "--items",
                           "json:$.products[0]", "--field", "id=json:$.id", "-o", "-",
                           "--report", dir + "/report.json", "--quiet"});
  CHECK(mixed.exit_code == 1);
  CHECK(mixed.out == "{\"id\":1}\n");
  CHECK(ReadFile(dir + "/report.json").find("invalid JSON: parse error at line 1, column 1") !=
        std::string::npos);
}

TEST_CASE("an invalid JSONPath is a usage error with the position, before any work") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "api/products?page={page}",
                       "--pages", "1", "--items", "json:$.products[", "--field", "id=json:$.id",
                       "-o", "-"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("items: JSONPath '$.products[': expected an index, '*', a quoted name or '?' "
                   "(a filter) at position 11") != std::string::npos);
  CHECK(fx.Stat("requests") == 0);
  auto field = RunProcess({ForageBin(), "run", "--url", fx.url() + "api/products?page={page}",
                           "--pages", "1", "--items", "json:$.products[*]", "--field",
                           "id=json:$..", "-o", "-"});
  CHECK(field.exit_code == 2);
  CHECK(field.err.find("field 'id': JSONPath '$..': expected a member name or '*' at position "
                       "3") != std::string::npos);
  auto mixed = RunProcess({ForageBin(), "run", "--url", fx.url() + "api/products?page={page}",
                           "--pages", "1", "--items", "json:$.products[*]", "--field", "id=.id",
                           "-o", "-"});
  CHECK(mixed.exit_code == 2);
  CHECK(mixed.err.find("field 'id': the items are JSON (--items 'json:...'), so the field must "
                       "be json:PATH too, e.g. json:$.name") != std::string::npos);
}

TEST_CASE("JSON-LD: `| json:PATH` reads a script's text as JSON, past scripts without the path") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "ld/{page}", "--pages", "1-3",
                       "--items", "html",
                       "--field", "sku=script[type=\"application/ld+json\"] | json:$.sku",
                       "--field",
                       "price=script[type=\"application/ld+json\"] | json:$.offers.price",
                       "--field",
                       "currency=script[type=\"application/ld+json\"] | json:$..priceCurrency",
                       "-o", "-", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "{\"sku\":\"SKU-001\",\"price\":10.5,\"currency\":\"EUR\"}\n"
                 "{\"sku\":\"SKU-002\",\"price\":20.5,\"currency\":\"EUR\"}\n"
                 "{\"sku\":\"SKU-003\",\"price\":30.5,\"currency\":\"EUR\"}\n");
}

TEST_CASE("sibling rows: `:scope + tr` reads the row after the item, and only that one") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "hn?{page}", "--pages", "1",
                       "--items", "tr.athing", "--field", "title=.title a",
                       "--field", "score=:scope + tr .score | int",
                       "--field", "user=:scope + tr a.hnuser",
                       "--field", "rank=:scope > td.rank",
                       "--field", "later=:scope ~ tr .score | int",
                       "-o", "-", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "{\"title\":\"Story 1\",\"score\":10,\"user\":\"user1\",\"rank\":\"1.\",\"later\":10}\n"
        "{\"title\":\"Story 2\",\"score\":20,\"user\":\"user2\",\"rank\":\"2.\",\"later\":20}\n"
        "{\"title\":\"Story 3\",\"score\":null,\"user\":null,\"rank\":\"3.\",\"later\":40}\n"
        "{\"title\":\"Story 4\",\"score\":40,\"user\":\"user4\",\"rank\":\"4.\",\"later\":40}\n"
        "{\"title\":\"Story 5\",\"score\":50,\"user\":\"user5\",\"rank\":\"5.\",\"later\":50}\n");
}

TEST_CASE("selector lists with a pseudo-element per alternative, and --attr with a list") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "ld/{page}", "--pages", "1",
                       "--items", "html",
                       "--field",
                       "desc=meta[name=description]::attr(content), "
                       "meta[property='og:description']::attr(content)",
                       "--field", "both=h1::text, meta[name=description]::attr(content) | all",
                       "-o", "-", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // The first in document order (og:description comes first), as parsel.
  CHECK(r.out == "{\"desc\":\"OG 1\",\"both\":[\"Plain 1\",\"Lamp 1\"]}\n");
  auto s = RunProcess({ForageBin(), "select", fx.url() + "ld/2",
                       "meta[name=description], meta[property='og:description']", "--attr",
                       "content"});
  INFO(s.err);
  CHECK(s.exit_code == 0);
  CHECK(s.out == "\"OG 2\"\n\"Plain 2\"\n");
}

TEST_CASE("forage select on a URL (with the run's user agent and headers) and on stdin") {
  Fixture fx;
  auto url = RunProcess({ForageBin(), "select", fx.url() + "hn", ".score | int"});
  INFO(url.err);
  CHECK(url.exit_code == 0);
  CHECK(url.out == "10\n20\n40\n50\n");
  auto echo = RunProcess({ForageBin(), "select", fx.url() + "echo", "body", "--user-agent",
                          "probe/7", "-H", "X-Probe: yes"});
  CHECK(echo.exit_code == 0);
  CHECK(echo.out.find("probe/7") != std::string::npos);
  CHECK(echo.out.find(" yes\"\n") != std::string::npos);  // X-Probe's value
  auto json = RunProcess({ForageBin(), "select", fx.url() + "api/products?page=3",
                          "json:$.products[*].price"});
  CHECK(json.out == "10.5\n12.0\n13.5\n");
  std::string dir = TempDir("select-stdin");
  WriteFile(dir + "/ld.html", fx.Get("ld/3"));
  auto stdin_run = RunProcess({"/bin/sh", "-c",
                               ForageBin() + " select - 'script[type=\"application/ld+json\"] | "
                                             "json:$.sku' < " + dir + "/ld.html"});
  INFO(stdin_run.err);
  CHECK(stdin_run.exit_code == 0);
  CHECK(stdin_run.out == "\"SKU-003\"\n");
  auto missing = RunProcess({ForageBin(), "select", fx.url() + "nothere", "a"});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err == "forage: error: GET " + fx.url() + "nothere: HTTP 404\n");
}

TEST_CASE("forage extract JOB.toml PAGE: the job's rules on a file, a URL and stdin") {
  Fixture fx;
  std::string dir = TempDir("extract-job");
  WriteFile(dir + "/job.toml", "url = \"" + fx.url() +
                                   "hn?{page}\"\npages = \"1\"\nitems = \"tr.athing\"\n"
                                   "[fields]\ntitle = \".title a\"\n"
                                   "score = \":scope + tr .score | int\"\n");
  WriteFile(dir + "/hn.html", fx.Get("hn"));
  auto file = RunProcess({ForageBin(), "extract", dir + "/job.toml", dir + "/hn.html"});
  INFO(file.err);
  CHECK(file.exit_code == 0);
  const std::string expected =
      "{\"title\":\"Story 1\",\"score\":10}\n{\"title\":\"Story 2\",\"score\":20}\n"
      "{\"title\":\"Story 3\",\"score\":null}\n{\"title\":\"Story 4\",\"score\":40}\n"
      "{\"title\":\"Story 5\",\"score\":50}\n";
  CHECK(file.out == expected);
  auto url = RunProcess({ForageBin(), "extract", dir + "/job.toml", fx.url() + "hn"});
  CHECK(url.out == expected);
  auto piped = RunProcess(
      {"/bin/sh", "-c", ForageBin() + " extract " + dir + "/job.toml - < " + dir + "/hn.html"});
  CHECK(piped.out == expected);
  auto none = RunProcess({ForageBin(), "extract", dir + "/job.toml"});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("name the pages to try the job's rules on") != std::string::npos);
  // JSON rules offline too.
  auto json = RunProcess({ForageBin(), "extract", fx.url() + "api/products?page=2", "--items",
                          "json:$.products[*]", "--field", "id=json:$.id"});
  CHECK(json.out == "{\"id\":4}\n{\"id\":5}\n{\"id\":6}\n");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
