// Feedback a user can trust (issue 13): empty results are alarms, output
// formats beyond the extension, a report that names what it did, and errors
// that say what to type instead.

#include <signal.h>
#include <sys/stat.h>

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

nlohmann::json Report(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

std::vector<std::string> With(std::vector<std::string> argv, const std::vector<std::string>& more) {
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

// The shop's pages 1-2: 32 products, 16 a page.
std::vector<std::string> TwoPages(const Fixture& fx) { return SeedJob(fx, "1-2"); }

// The line of `text` that starts with `prefix` (empty if none).
std::string LineStarting(const std::string& text, const std::string& prefix) {
  size_t at = text.rfind("\n" + prefix) != std::string::npos ? text.rfind("\n" + prefix) + 1
              : text.rfind(prefix, 0) == 0                   ? 0
                                                             : std::string::npos;
  if (at == std::string::npos) return "";
  return text.substr(at, text.find('\n', at) - at);
}

}  // namespace

TEST_SUITE("e2e.feedback") {

TEST_CASE("an --items that matches nothing: exit 1, a line naming --items, pages_without_items "
          "and fill rates in --report, --allow-empty accepts it") {
  Fixture fx;
  std::string dir = TempDir("fb_empty");
  std::vector<std::string> job = {ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/",
                                  "--pages", "1-2", "--items", ".prodcut", "--field", "name=h2"};
  auto r = RunProcess(With(job, {"-o", dir + "/o.csv", "--report", dir + "/r.json"}));
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("forage: error: no item extracted: --items '.prodcut' matched nothing on the 2 "
                   "pages fetched; try it with 'forage select PAGE.html SELECTOR', or add "
                   "--allow-empty if an empty result is expected\n") != std::string::npos);
  auto rep = Report(dir + "/r.json");
  CHECK(rep["pages_ok"] == 2);
  CHECK(rep["items"] == 0);
  CHECK(rep["pages_without_items"] == 2);
  CHECK(rep["fields"] == nlohmann::json::parse(R"({"name": {"filled": 0, "empty": 0}})"));

  auto ok = RunProcess(With(job, {"-o", dir + "/o2.csv", "--allow-empty", "--quiet"}));
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.empty());
}

TEST_CASE("per-field fill rates, and a field empty in every record is a warning naming it and its "
          "selector") {
  Fixture fx;
  std::string dir = TempDir("fb_fill");
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages",
                       "1-2", "--items", ".product", "--field", "name=h2", "--field",
                       "sale=.onsale", "-o", dir + "/o.jsonl", "--report", dir + "/r.json"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("forage: warning: field 'sale' is empty in all 32 records (selector "
                   "'.onsale')\n") != std::string::npos);
  CHECK(r.err.find("field 'name'") == std::string::npos);
  CHECK(LineStarting(r.err, "  filled") == "  filled   name 32/32   sale 0/32");
  auto rep = Report(dir + "/r.json");
  CHECK(rep["fields"] == nlohmann::json::parse(
                             R"({"name": {"filled": 32, "empty": 0},
                                 "sale": {"filled": 0, "empty": 32}})"));
  CHECK(rep["pages_without_items"] == 0);
}

TEST_CASE("--format csv with -o - writes the CSV to stdout, byte for byte the file's") {
  Fixture fx;
  std::string dir = TempDir("fb_stdout_csv");
  auto file = RunProcess(With(TwoPages(fx), {"-o", dir + "/o.csv", "--quiet"}));
  REQUIRE(file.exit_code == 0);
  auto out = RunProcess(With(TwoPages(fx), {"-o", "-", "--format", "csv", "--quiet"}));
  CHECK(out.exit_code == 0);
  CHECK(out.out == ReadFile(dir + "/o.csv"));
  CHECK(out.out.rfind("id,name,price,url\r\n", 0) == 0);
  CHECK(ParseCsv(out.out).size() == 33);
}

TEST_CASE("an upper-case extension picks the format: OUT.CSV is CSV") {
  Fixture fx;
  std::string dir = TempDir("fb_upper");
  auto r = RunProcess(With(TwoPages(fx), {"-o", dir + "/OUT.CSV", "--quiet"}));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  auto lower = RunProcess(With(TwoPages(fx), {"-o", dir + "/out.csv", "--quiet"}));
  CHECK(ReadFile(dir + "/OUT.CSV") == ReadFile(dir + "/out.csv"));
}

TEST_CASE(".json is one JSON array holding the JSONL records, --format json overrides .txt") {
  Fixture fx;
  std::string dir = TempDir("fb_json");
  auto r = RunProcess(With(TwoPages(fx), {"-o", dir + "/o.json", "--quiet"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = RunProcess(With(TwoPages(fx), {"-o", "-", "--quiet"}));
  const std::string text = ReadFile(dir + "/o.json");
  CHECK(text.rfind("[\n{", 0) == 0);
  CHECK(text.ends_with("}\n]\n"));
  auto array = nlohmann::json::parse(text);
  REQUIRE(array.is_array());
  REQUIRE(array.size() == 32);
  size_t i = 0;
  for (size_t at = 0; at < lines.out.size(); ++i) {
    size_t end = lines.out.find('\n', at);
    CHECK(array[i] == nlohmann::json::parse(lines.out.substr(at, end - at)));
    at = end + 1;
  }
  CHECK(i == 32);
  auto forced = RunProcess(With(TwoPages(fx), {"-o", dir + "/o.txt", "--format", "json", "--quiet"}));
  CHECK(forced.exit_code == 0);
  CHECK(ReadFile(dir + "/o.txt") == text);
  // No item at all is still an array.
  auto none = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages",
                          "1", "--items", ".none", "--field", "name=h2", "-o",
                          dir + "/none.json", "--allow-empty", "--quiet"});
  CHECK(none.exit_code == 0);
  CHECK(ReadFile(dir + "/none.json") == "[\n]\n");
}

TEST_CASE("-o /dev/null: records go nowhere, /dev/null is written in place, still a character "
          "device") {
  Fixture fx;
  auto r = RunProcess(With(TwoPages(fx), {"-o", "/dev/null", "--report", TempDir("fb_null") + "/r.json"}));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  struct stat st {};
  REQUIRE(::stat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK_FALSE(FileExists("/dev/null.part"));
  CHECK_FALSE(FileExists("/dev/null.state"));
  // --format csv to the device, too.
  auto csv = RunProcess(With(TwoPages(fx), {"-o", "/dev/null", "--format", "csv", "--quiet"}));
  CHECK(csv.exit_code == 0);
  REQUIRE(::stat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  // SQLite needs a database file: refused before the run, the device untouched.
  auto sqlite = RunProcess(With(TwoPages(fx), {"-o", "/dev/null", "--format", "sqlite"}));
  CHECK(sqlite.exit_code == 2);
  CHECK(sqlite.err.rfind("forage: error: output '/dev/null': SQLite needs a regular file (a "
                         "database), not stdout or a device\n", 0) == 0);
  // The two runs above (2 pages and robots.txt each), none for this one.
  CHECK(fx.Stat("requests") == 6);
  REQUIRE(::stat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  // An unknown extension on a regular file is still refused, naming --format.
  auto bad = RunProcess(With(TwoPages(fx), {"-o", TempDir("fb_null") + "/out.txt"}));
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("or --format csv|jsonl|json|sqlite)") != std::string::npos);
}

TEST_CASE("--with-source adds page_url and page_number to CSV, JSONL and JSON") {
  Fixture fx;
  std::string dir = TempDir("fb_source");
  const std::string page2 = fx.url() + "shop/page/2/";
  auto csv = RunProcess(With(TwoPages(fx), {"-o", dir + "/o.csv", "--with-source", "--quiet"}));
  REQUIRE(csv.exit_code == 0);
  auto rows = ParseCsv(ReadFile(dir + "/o.csv"));
  REQUIRE(rows.size() == 33);
  CHECK(rows[0] == std::vector<std::string>{"id", "name", "price", "url", "page_url",
                                            "page_number"});
  CHECK(rows[32][4] == page2);
  CHECK(rows[32][5] == "2");
  auto jsonl = RunProcess(With(TwoPages(fx), {"-o", "-", "--with-source", "--quiet"}));
  REQUIRE(jsonl.exit_code == 0);
  auto first = nlohmann::json::parse(jsonl.out.substr(0, jsonl.out.find('\n')));
  CHECK(first["page_url"] == fx.url() + "shop/page/1/");
  CHECK(first["page_number"] == 1);
  CHECK(first.size() == 6);
  auto json = RunProcess(With(TwoPages(fx), {"-o", dir + "/o.json", "--with-source", "--quiet"}));
  REQUIRE(json.exit_code == 0);
  auto array = nlohmann::json::parse(ReadFile(dir + "/o.json"));
  CHECK(array[31]["page_url"] == page2);
  CHECK(array[31]["page_number"] == 2);
}

TEST_CASE("SQLite columns follow the field options: REAL for float (102.0 stays a float), "
          "INTEGER for int, TEXT otherwise") {
  Fixture fx;
  std::string dir = TempDir("fb_sqlite_types");
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages",
                       "1", "--items", ".product", "--field",
                       "id=.add_to_cart_button::attr(data-product_id) | int", "--field",
                       "price=.price | re:([0-9.]+) | float", "--field", "name=h2", "-o",
                       dir + "/o.sqlite", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2((dir + "/o.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
          SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT typeof(id), id, typeof(price), price, typeof(name) FROM o "
                             "ORDER BY rowid LIMIT 1",
                             -1, &q, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  auto text = [&](int col) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, col))); };
  CHECK(text(0) == "integer");
  CHECK(sqlite3_column_int64(q, 1) == 759);
  CHECK(text(2) == "real");
  CHECK(sqlite3_column_double(q, 3) == 102.0);
  CHECK(text(4) == "text");
  sqlite3_finalize(q);
  REQUIRE(sqlite3_prepare_v2(db, "SELECT type FROM pragma_table_info('o') ORDER BY cid", -1, &q,
                             nullptr) == SQLITE_OK);
  std::vector<std::string> types;
  while (sqlite3_step(q) == SQLITE_ROW) types.push_back(text(0));
  CHECK(types == std::vector<std::string>{"INTEGER", "REAL", "TEXT", "TEXT", "INTEGER"});
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST_CASE("the report names the output, gives sizes a person reads, and mentions --report only "
          "when one is written") {
  Fixture fx;
  std::string dir = TempDir("fb_report");
  auto r = RunProcess(With(TwoPages(fx), {"-o", dir + "/o.csv"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(LineStarting(r.err, "  output") == "  output " + dir + "/o.csv (csv)");
  const std::string requests = LineStarting(r.err, "  requests");
  // Two pages and the site's robots.txt.
  CHECK(requests.rfind("  requests 3   retries 0   duplicates 0   dropped 0   ", 0) == 0);
  CHECK(requests.ends_with(" kB received"));  // two shop pages: tens of kB, not "0.0 MB"
  CHECK(r.err.find("--report") == std::string::npos);
  CHECK(r.err.find("report ") == std::string::npos);
  auto with = RunProcess(With(TwoPages(fx), {"-o", dir + "/o2.csv", "--report", dir + "/r.json"}));
  CHECK(LineStarting(with.err, "  output") ==
        "  output " + dir + "/o2.csv (csv)   report " + dir + "/r.json");
}

TEST_CASE("after SIGINT the report prints the exact --resume command, the resumed run counts the "
          "earlier pages apart") {
  // From the 7th page on held until /__release: SIGINT lands half-way.
  Fixture fx({"--delay", "100", "--max-inflight", "2", "--hold-after", "6"});
  std::string dir = TempDir("fb_resume_hint");
  std::vector<std::string> argv = SeedJob(fx);
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "2", "-o", dir + "/out.csv"});
  Background forage(argv);
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  forage.Signal(SIGINT);
  forage.ReadErrUntil("interrupted");  // taken: the pages in flight go on
  fx.Get("__release");
  auto r = forage.Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 130);
  std::string expected = "forage";
  for (size_t i = 1; i < argv.size(); ++i) {
    const bool plain = argv[i].find_first_not_of(
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-") ==
                       std::string::npos;
    expected += " " + (plain ? argv[i] : "'" + argv[i] + "'");
  }
  expected += " --resume";
  CHECK(r.err.find("forage: interrupted; to continue where it stopped, run:\n  " + expected +
                   "\n") != std::string::npos);

  // Run exactly that command.
  std::vector<std::string> again = argv;
  again.insert(again.end(), {"--resume", "--report", dir + "/r.json"});
  auto second = RunProcess(again);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  auto rep = Report(dir + "/r.json");
  const long earlier = rep["pages_resumed"].get<long>();
  const long now = rep["pages_ok"].get<long>();
  REQUIRE(earlier > 0);
  CHECK(earlier + now == 48);
  CHECK(LineStarting(second.err, "forage: 48 of 48") ==
        fmt::format("forage: 48 of 48 pages ok ({} this run, {} from earlier runs), 0 failed, {} "
                    "items this run",
                    now, earlier, rep["items"].get<long>()));
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == ParseCsv(GoldenShopCsv(fx)));
}

TEST_CASE(".json after SIGINT is a closed array, and --resume reopens it: the whole shop once, in "
          "order") {
  // From the 7th page on held until /__release: SIGINT lands half-way.
  Fixture fx({"--delay", "100", "--max-inflight", "2", "--hold-after", "6"});
  std::string dir = TempDir("fb_json_resume");
  std::vector<std::string> argv = SeedJob(fx);
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "2", "-o", dir + "/out.json"});
  Background forage(argv);
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  forage.Signal(SIGINT);
  forage.ReadErrUntil("interrupted");  // taken: the pages in flight go on
  fx.Get("__release");
  REQUIRE(forage.Wait().exit_code == 130);
  auto partial = nlohmann::json::parse(ReadFile(dir + "/out.json"));
  REQUIRE(partial.is_array());
  CHECK(partial.size() < 755);
  CHECK(partial.size() % 16 == 0);
  argv.push_back("--resume");
  auto second = RunProcess(argv);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  auto whole = RunProcess(With(SeedJob(fx), {"-o", dir + "/fresh.json", "--quiet"}));
  REQUIRE(whole.exit_code == 0);
  CHECK(ReadFile(dir + "/out.json") == ReadFile(dir + "/fresh.json"));
  CHECK(nlohmann::json::parse(ReadFile(dir + "/out.json")).size() == 755);
}

TEST_CASE(".json with --overwrite and the site down keeps the old output (an empty array is not "
          "a result)") {
  std::string dir = TempDir("fb_json_keep");
  WriteFile(dir + "/o.json", "[\n{\"name\":\"old\"}\n]\n");
  auto r = RunProcess({ForageBin(), "run", "--url",
                       "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/{page}", "--pages",
                       "1-2", "--items", ".product", "--field", "name=h2", "--retries", "0", "-o",
                       dir + "/o.json", "--overwrite", "--quiet", "--ignore-robots"});
  // The pages failed (with robots.txt obeyed, its being unreachable would
  // block them instead: exit 0, and the output kept all the same).
  CHECK(r.exit_code == 1);
  CHECK(ReadFile(dir + "/o.json") == "[\n{\"name\":\"old\"}\n]\n");
  CHECK_FALSE(FileExists(dir + "/o.json.part"));
  CHECK_FALSE(FileExists(dir + "/o.json.state"));
}

TEST_CASE("a misspelt subcommand gets a suggestion and the pointer to help and docs") {
  auto r = RunProcess({ForageBin(), "slect", "page.html", "x y"});
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "forage: error: unknown command 'slect' (did you mean select?)\n"
        "forage: see 'forage --help' and docs/cli.md\n");
  auto job = RunProcess({ForageBin(), "shop.toml"});
  CHECK(job.exit_code == 2);
  CHECK(job.err ==
        "forage: error: unknown command 'shop.toml' (did you mean forage run shop.toml?)\n"
        "forage: see 'forage --help' and docs/cli.md\n");
  auto flag = RunProcess({ForageBin(), "run", "--itmes", ".x"});
  CHECK(flag.exit_code == 2);
  CHECK(flag.err ==
        "forage: error: unknown flag '--itmes' (did you mean --items?)\n"
        "forage: see 'forage run --help' and docs/cli.md\n");
  auto format = RunProcess({ForageBin(), "run", "--url", "http://127.0.0.1:1/{page}", "--pages",
                            "1", "--items", ".x", "--field", "a=b", "-o", "out.csv", "--format",
                            "xml"});
  CHECK(format.exit_code == 2);
  CHECK(format.err ==
        "forage: error: --format 'xml': expected csv, jsonl, json or sqlite\n"
        "forage: see 'forage run --help' and docs/output.md\n");
}

TEST_CASE("job-file errors: a did-you-mean for keys, the expected form for an unquoted string, "
          "the pointer to the subcommand's help and docs/jobfile.md") {
  std::string dir = TempDir("fb_jobfile");
  const std::string dash = dir + "/dash.toml";
  WriteFile(dash, "url = \"http://127.0.0.1:1/{page}\"\nper-host = 4\n");
  auto r = RunProcess({ForageBin(), "run", dash});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "forage: error: job file '" + dash +
                     "' line 2: unknown key 'per-host' (did you mean per_host?)\n"
                     "forage: see 'forage run --help' and docs/jobfile.md\n");
  const std::string pages = dir + "/pages.toml";
  WriteFile(pages, "url = \"http://127.0.0.1:1/{page}\"\npages = 1-48\n");
  auto p = RunProcess({ForageBin(), "run", pages});
  CHECK(p.exit_code == 2);
  CHECK(p.err == "forage: error: job file '" + pages +
                     "' line 2: pages must be a string, e.g. pages = \"1-48\" (TOML needs the "
                     "quotes)\n"
                     "forage: see 'forage run --help' and docs/jobfile.md\n");
  const std::string type = dir + "/type.toml";
  WriteFile(type, "concurrency = \"four\"\n");
  auto t = RunProcess({ForageBin(), "run", type});
  CHECK(t.err == "forage: error: job file '" + type +
                     "' line 1: concurrency must be a whole number, e.g. concurrency = 8\n"
                     "forage: see 'forage run --help' and docs/jobfile.md\n");
}

TEST_CASE("CPU % means the same in forage bench as in the run report: of all the usable cores") {
  Fixture fx;
  std::string dir = TempDir("fb_cpu");
  const std::string job = dir + "/job.toml";
  WriteFile(job, "url = \"" + fx.url() + "shop/page/{page}/\"\npages = \"1-2\"\n"
                 "items = \".product\"\n[fields]\nname = \"h2\"\n");
  auto run = RunProcess({ForageBin(), "run", job, "-o", dir + "/o.csv"});
  REQUIRE(run.exit_code == 0);
  const std::string wall = LineStarting(run.err, "  wall");
  const size_t of = wall.find("% of ");
  REQUIRE(of != std::string::npos);
  const int cores = std::stoi(wall.substr(of + 5));
  auto bench = RunProcess({ForageBin(), "bench", job, "--workers-list", "1", "--repeat", "1",
                           "--json", dir + "/b.json"});
  INFO(bench.err);
  REQUIRE(bench.exit_code == 0);
  CHECK(bench.out.find(fmt::format("| CPU % of {} cores |", cores)) != std::string::npos);
  auto rows = nlohmann::json::parse(ReadFile(dir + "/b.json"))["rows"];
  const std::string line = LineStarting(bench.out, "| sequential |");
  // The seventh cell: user+sys over wall, over the cores.
  std::vector<std::string> cells;
  for (size_t at = 1; at < line.size();) {
    size_t bar = line.find('|', at);
    if (bar == std::string::npos) break;
    cells.push_back(line.substr(at + 1, bar - at - 2));
    at = bar + 1;
  }
  REQUIRE(cells.size() == 11);
  const auto& row = rows[0];
  const double pct = 100 * (row["user_s"].get<double>() + row["sys_s"].get<double>()) /
                     row["wall_s"].get<double>() / cores;
  CHECK(cells[6] == fmt::format("{:.0f}", pct));
}

}  // TEST_SUITE

}  // namespace forage::testing
