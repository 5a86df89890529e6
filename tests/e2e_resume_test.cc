// Jobs that survive: interruption, a killed master, --resume, stdout pipes.

#include <signal.h>

#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

std::vector<std::string> Job(const Fixture& fx, const std::string& out) {
  auto argv = SeedJob(fx);
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "2", "-o", out});
  return argv;
}

TEST_SUITE("e2e.resume") {

TEST_CASE("SIGINT about half-way, then --resume: 755 rows once, in order, only missing pages "
          "fetched") {
  // From the 25th page on held until /__release: SIGINT lands half-way.
  Fixture fx({"--delay", "50", "--max-inflight", "2", "--hold-after", "24"});
  std::string dir = TempDir("resume_sigint");
  std::string out = dir + "/out.csv";
  Background first(Job(fx, out));
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  first.Signal(SIGINT);
  first.ReadErrUntil("interrupted");  // taken: the pages in flight go on
  fx.Get("__release");
  auto r1 = first.Wait();
  INFO(r1.err);
  REQUIRE(r1.exit_code == 130);
  CHECK(FileExists(out + ".state"));
  const size_t rows_before = ParseCsv(ReadFile(out)).size();
  CHECK(rows_before > 1);
  CHECK(rows_before < 756);

  // Without --resume the state is in the way, and nothing is touched.
  auto again = RunProcess(Job(fx, out));
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("add --resume") != std::string::npos);
  CHECK(ParseCsv(ReadFile(out)).size() == rows_before);

  const long requests_before = fx.Stat("requests");
  auto argv = Job(fx, out);
  argv.insert(argv.end(), {"--resume", "--report", dir + "/report.json"});
  auto r2 = RunProcess(argv);
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK(ReadFile(out) == GoldenShopCsv(fx));
  CHECK_FALSE(FileExists(out + ".state"));
  auto rep = nlohmann::json::parse(ReadFile(dir + "/report.json"));
  const long resumed = rep["pages_resumed"].get<long>();
  CHECK(resumed > 0);
  // The resumed run fetched exactly the pages the first did not store.
  CHECK(fx.Stat("requests") - requests_before == 1 + 48 - resumed);  // + robots.txt
  CHECK(rep["pages_ok"].get<long>() == 48 - resumed);
}

TEST_CASE("kill -9 of the master, then --resume: 755 rows once, in order") {
  // From the 31st page on held until /__release: the kill lands mid-job.
  Fixture fx({"--delay", "50", "--max-inflight", "2", "--hold-after", "30"});
  std::string dir = TempDir("resume_kill");
  std::string out = dir + "/out.jsonl";
  Background first(Job(fx, out));
  // Whether or not a checkpoint (one a second) has passed, the resumed
  // output must equal that of a run never interrupted.
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  first.Signal(SIGKILL);
  fx.Get("__release");  // before the Wait: the workers share its stderr
  first.Wait();
  CHECK(FileExists(out + ".part"));
  CHECK(FileExists(out + ".state"));
  auto argv = Job(fx, out);
  argv.push_back("--resume");
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // The same records as a run that was never interrupted.
  std::string full = dir + "/full.jsonl";
  REQUIRE(RunProcess(Job(fx, full)).exit_code == 0);
  CHECK(ReadFile(out) == ReadFile(full));
  size_t lines = 0;
  for (char c : ReadFile(out)) lines += c == '\n';
  CHECK(lines == 755);
}

std::vector<std::vector<std::string>> SqliteRows(const std::string& path) {
  std::vector<std::vector<std::string>> rows = {{"id", "name", "price", "url"}};
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT id, name, price, url FROM out ORDER BY rowid", -1, &q,
                             nullptr) == SQLITE_OK);
  while (sqlite3_step(q) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < 4; ++c) {
      row.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, c)));
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(q);
  // A completed job's database keeps no resume state.
  CHECK(sqlite3_exec(db, "SELECT 1 FROM _forage_pages", nullptr, nullptr, nullptr) != SQLITE_OK);
  sqlite3_close(db);
  return rows;
}

TEST_CASE("SQLite: SIGINT, then kill -9, then --resume: 755 rows once, in order") {
  Fixture fx({"--delay", "50", "--max-inflight", "2"});
  std::string dir = TempDir("resume_sqlite");
  std::string out = dir + "/out.sqlite";
  {
    Background first(Job(fx, out));
    REQUIRE(WaitUntil([&] { return fx.Stat("requests") >= 12; }));
    first.Signal(SIGINT);
    REQUIRE(first.Wait().exit_code == 130);
  }
  auto again = RunProcess(Job(fx, out));
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("add --resume") != std::string::npos);
  {
    auto argv = Job(fx, out);
    argv.push_back("--resume");
    Background second(argv);
    REQUIRE(WaitUntil([&] { return fx.Stat("requests") >= 30; }));
    second.Signal(SIGKILL);
    second.Wait();
  }
  auto argv = Job(fx, out);
  argv.push_back("--resume");
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(SqliteRows(out) == ParseCsv(GoldenShopCsv(fx)));
}

TEST_CASE("--force starts over, --resume with nothing to resume is an error") {
  Fixture fx;
  std::string dir = TempDir("resume_force");
  std::string out = dir + "/out.csv";
  WriteFile(out + ".state", "not a state");
  auto forced = Job(fx, out);
  forced.push_back("--force");
  auto r = RunProcess(forced);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(ReadFile(out) == GoldenShopCsv(fx));
  auto resume = Job(fx, out);
  resume.push_back("--resume");
  auto r2 = RunProcess(resume);
  CHECK(r2.exit_code == 2);
  CHECK(r2.err.find("no state") != std::string::npos);
}

TEST_CASE("JSONL on stdout into a reader that stops early ends quietly") {
  Fixture fx;
  auto argv = SeedJob(fx);
  argv.insert(argv.end(), {"-o", "-", "--workers", "2"});
  std::string cmd;
  for (const auto& a : argv) cmd += "'" + a + "' ";
  auto r = RunProcess({"/bin/sh", "-c", cmd + "| head -n 3"});
  CHECK(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 3);
  CHECK(r.err.find("error") == std::string::npos);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
