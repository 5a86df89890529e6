// Outputs you can trust: exactly once for every sink under kill -9, never
// clobber an existing output, resume that checks before it touches, disk full.

#include <signal.h>
#include <sys/stat.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <functional>

#include <sqlite3.h>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

// The shop's 1,200 pages: 19,187 rows, more than any batch a sink could
// commit on its own.
constexpr const char* kBigPages = "1-1200";
constexpr long kBigRows = 19187;

std::vector<std::string> BigJob(const Fixture& fx, const std::string& out) {
  auto argv = SeedJob(fx, kBigPages);
  // 4 transfers of >= 20 ms (the fixture's --delay): at most 200 pages a second.
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "4", "-o", out});
  return argv;
}

// Background starts every child in its own process group (test_support.h),
// so kill(-pid) reaches the run and its workers and nothing else.
struct Db {
  sqlite3* db = nullptr;
  explicit Db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      db = nullptr;
    } else {
      sqlite3_busy_timeout(db, 5000);
    }
  }
  ~Db() { sqlite3_close(db); }
  // The first column of the first row of `sql`; -1 if it fails.
  long Long(const std::string& sql) const {
    if (db == nullptr) return -1;
    sqlite3_stmt* q = nullptr;
    long out = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      out = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return out;
  }
  std::vector<std::string> Rows(const std::string& sql) const {
    std::vector<std::string> out;
    sqlite3_stmt* q = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) == SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(q); ++c) {
        auto* t = sqlite3_column_text(q, c);
        row += t != nullptr ? reinterpret_cast<const char*>(t) : "<null>";
        row += '\x1f';
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(q);
    return out;
  }
};

// The rows of `sql`, each as its fields.
std::vector<std::vector<std::string>> RowsOf(const Db& db, const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  for (const auto& row : db.Rows(sql)) {
    std::vector<std::string> fields;
    size_t start = 0;
    for (size_t end; (end = row.find('\x1f', start)) != std::string::npos; start = end + 1) {
      fields.push_back(row.substr(start, end - start));
    }
    out.push_back(std::move(fields));
  }
  return out;
}

// The job's table `out` as CSV text, header first (as GoldenShopCsv, parsed).
std::string ShopRows(const Db& db) {
  auto rows = RowsOf(db, "SELECT id, name, price, url FROM out ORDER BY rowid");
  rows.insert(rows.begin(), {"id", "name", "price", "url"});
  std::string out;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) out += (i > 0 ? "," : "") + r[i];
    out += "\n";
  }
  return out;
}

// What an unfinished run of the job `out` has committed to `path`: the rows
// (-1 if none yet), and how many of them belong to pages the committed state
// does not record as stored (rows a resumed run would write again).
struct Committed {
  long rows = -1;
  long orphans = 0;
};
Committed CommittedRows(const std::string& path) {
  Db db(path);
  Committed c;
  c.rows = db.Long("SELECT count(*) FROM _forage_part_out");
  if (c.rows < 0) return c;
  // Plan index = page number - 1 for --pages 1-N.
  c.orphans = db.Long(
      "SELECT count(*) FROM _forage_part_out WHERE page_number - 1 NOT IN "
      "(SELECT page FROM _forage_pages_out)");
  return c;
}

TEST_SUITE("e2e.output") {

// Runs the 1,200-page job into `out` four times, each killed by kill -9 of
// its process group once `progress()` reaches k/8 of `total` (or once
// `kill_now()` holds), with --resume from the second run on. After each kill
// `unfinished()` must hold: the kill landed mid-run.
void KillFourTimes(const Fixture& fx, const std::string& out, const std::function<long()>& progress,
                   long total, const std::function<bool()>& kill_now,
                   const std::function<bool()>& unfinished) {
  for (int k = 1; k <= 4; ++k) {
    CAPTURE(k);
    auto argv = BigJob(fx, out);
    if (k > 1) argv.push_back("--resume");
    const long before = progress();
    Background run(argv);  // leads its own process group
    // Past this run's own first checkpoint (so it is well under way, in its
    // own process group) and past k/8 of the job. At most 200 pages a second
    // (BigJob), a checkpoint covers at most 1/6 of the job, so the last
    // run is still killed mid-run.
    bool mid_run = WaitUntil([&] {
      if (ProcessExited(run.pid())) return true;
      const long now = progress();
      return kill_now() || (now > before && now >= k * total / 8);
    }, 120);
    REQUIRE(mid_run);
    if (ProcessExited(run.pid())) {
      auto early = run.Wait();
      FAIL("the run ended before it could be killed mid-run: exit " << early.exit_code << ", "
                                                                     << early.err);
    }
    REQUIRE(kill(-run.pid(), SIGKILL) == 0);
    CHECK(run.Wait().exit_code == 128 + SIGKILL);
    REQUIRE(unfinished());
  }
  auto argv = BigJob(fx, out);
  argv.push_back("--resume");
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

TEST_CASE("SQLite: 19,187 rows, kill -9 of the process group four times mid-run, --resume "
          "between: every row exactly once, as a clean run") {
  Fixture fx({"--pages", "1200", "--delay", "20"});
  std::string dir = TempDir("output_sqlite_kill");
  std::string clean = dir + "/clean.sqlite";
  auto c = RunProcess(BigJob(fx, clean));
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  std::vector<std::string> want =
      Db(clean).Rows("SELECT id, name, price, url, page_url, page_number FROM clean ORDER BY rowid");
  REQUIRE(want.size() == static_cast<size_t>(kBigRows));

  std::string out = dir + "/out.sqlite";
  long orphans_seen = 0;
  Committed now;
  KillFourTimes(
      fx, out,
      [&] {
        now = CommittedRows(out);
        orphans_seen += now.orphans > 0 ? now.orphans : 0;
        return now.rows;
      },
      kBigRows,
      // The defect this holds against: committed rows of unrecorded pages.
      [&] { return now.orphans > 0; },
      // Killed before the job completed: its rows are still under construction.
      [&] { return CommittedRows(out).rows >= 0; });
  // Committed rows always belonged to committed page marks.
  CHECK(orphans_seen == 0);
  Db db(out);
  CHECK(db.Long("SELECT count(*) FROM out") == kBigRows);
  CHECK(db.Long("SELECT count(*) FROM (SELECT DISTINCT id, name, price, url FROM out)") ==
        kBigRows);
  CHECK(db.Rows("SELECT id, name, price, url, page_url, page_number FROM out ORDER BY rowid") ==
        want);
  // A completed job leaves no state behind.
  CHECK(db.Long("SELECT count(*) FROM sqlite_master WHERE name LIKE '\\_forage%' ESCAPE '\\'") == 0);
}

// CSV and JSONL: the same four kills; progress is the byte count the state
// recorded. The result must equal the clean run's file byte for byte.
void FileSinkKilled(const std::string& ext) {
  Fixture fx({"--pages", "1200", "--delay", "20"});
  std::string dir = TempDir("output_kill" + ext);
  std::string clean = dir + "/clean" + ext;
  auto c = RunProcess(BigJob(fx, clean));
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  const std::string want = ReadFile(clean);
  std::string out = dir + "/out" + ext;
  KillFourTimes(
      fx, out,
      [&] { return Db(out + ".state").Long("SELECT value FROM meta WHERE key = 'bytes'"); },
      static_cast<long>(want.size()), [] { return false; },
      [&] { return FileExists(out + ".state"); });
  const std::string got = ReadFile(out);
  CHECK(std::count(got.begin(), got.end(), '\n') == kBigRows + (ext == ".csv" ? 1 : 0));
  CHECK(got == want);
  CHECK_FALSE(FileExists(out + ".state"));
  CHECK_FALSE(FileExists(out + ".part"));
}

TEST_CASE("CSV: 19,187 records, kill -9 of the process group four times mid-run, --resume "
          "between: byte-identical to a clean run") {
  FileSinkKilled(".csv");
}

TEST_CASE("JSONL: 19,187 records, kill -9 of the process group four times mid-run, --resume "
          "between: byte-identical to a clean run") {
  FileSinkKilled(".jsonl");
}

// The seed's job (48 pages, 755 records) into `out` with 2 workers.
std::vector<std::string> Job(const Fixture& fx, const std::string& out,
                             std::vector<std::string> extra = {}) {
  auto argv = SeedJob(fx);
  argv.insert(argv.end(), {"--workers", "2", "--concurrency", "2", "-o", out});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// A run of the seed's job stopped by SIGINT part-way: `out` holds some of
// the records and `out`.state the pages they came from. Needs a fixture
// that holds pages until /__release (--hold-after 12): the SIGINT lands
// with the job provably unfinished, however the machine schedules it.
void Interrupted(const Fixture& fx, const std::string& out) {
  Background run(Job(fx, out));
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  run.Signal(SIGINT);
  run.ReadErrUntil("interrupted");  // taken: the pages in flight go on
  fx.Get("__release");
  auto r = run.Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 130);
  REQUIRE(FileExists(out));
  REQUIRE(FileExists(out + ".state"));
}

// An existing SQLite database with one table `name` of one row.
void SqliteWithTable(const std::string& path, const std::string& name) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  std::string sql = "CREATE TABLE " + name + " (note TEXT); INSERT INTO " + name +
                    " VALUES ('keep me');";
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

std::string Csv(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) out += (i > 0 ? "," : "") + r[i];
    out += "\n";
  }
  return out;
}

TEST_CASE("resume checks before it touches: another job's state is refused, both untouched") {
  Fixture fx({"--delay", "50", "--max-inflight", "2", "--hold-after", "12"});
  std::string dir = TempDir("output_foreign_state");
  std::string a = dir + "/a.jsonl";
  Interrupted(fx, a);
  const std::string a_bytes = ReadFile(a), state_bytes = ReadFile(a + ".state");
  std::string b = dir + "/b.jsonl";
  auto r = RunProcess(Job(fx, b, {"--resume", "--state", a + ".state"}));
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("is the state of the output '" + a + "'") != std::string::npos);
  CHECK(ReadFile(a) == a_bytes);
  CHECK(ReadFile(a + ".state") == state_bytes);
  CHECK_FALSE(FileExists(b));
  CHECK_FALSE(FileExists(b + ".part"));
  // Another job (one more field) on the same output: refused as well.
  auto other = RunProcess(Job(fx, a, {"--resume", "--field", "title=h3"}));
  CHECK(other.exit_code == 2);
  CHECK(other.err.find("belongs to a different job") != std::string::npos);
  CHECK(ReadFile(a) == a_bytes);
  CHECK(ReadFile(a + ".state") == state_bytes);
  // The other job's own resume still completes it.
  auto own = RunProcess(Job(fx, a, {"--resume"}));
  INFO(own.err);
  CHECK(own.exit_code == 0);
  const std::string done = ReadFile(a);
  CHECK(std::count(done.begin(), done.end(), '\n') == 755);
}

TEST_CASE("resume checks before it touches: a missing output is an error, the state untouched") {
  Fixture fx({"--delay", "50", "--max-inflight", "2", "--hold-after", "12"});
  std::string dir = TempDir("output_missing");
  std::string out = dir + "/out.csv";
  Interrupted(fx, out);
  const std::string state_bytes = ReadFile(out + ".state");
  REQUIRE(std::remove(out.c_str()) == 0);
  const long requests = fx.Stat("requests");
  auto r = RunProcess(Job(fx, out, {"--resume"}));
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("the output is gone") != std::string::npos);
  CHECK(r.err.find("--force") != std::string::npos);
  CHECK_FALSE(FileExists(out));
  CHECK_FALSE(FileExists(out + ".part"));
  CHECK(ReadFile(out + ".state") == state_bytes);
  CHECK(fx.Stat("requests") == requests);
}

TEST_CASE("resume checks before it touches: a shortened or changed output is an error, "
          "nothing modified") {
  Fixture fx({"--delay", "50", "--max-inflight", "2", "--hold-after", "12"});
  std::string dir = TempDir("output_changed");
  std::string out = dir + "/out.jsonl";
  Interrupted(fx, out);
  const std::string full = ReadFile(out), state_bytes = ReadFile(out + ".state");
  REQUIRE(full.size() > 100);
  std::string changed;
  SUBCASE("shortened") { changed = full.substr(0, full.size() / 2); }
  SUBCASE("same length, other bytes") {
    changed = full;
    changed[changed.size() / 2] ^= 1;
  }
  WriteFile(out, changed);
  auto r = RunProcess(Job(fx, out, {"--resume"}));
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("changed after the run stopped") != std::string::npos);
  CHECK(ReadFile(out) == changed);
  CHECK_FALSE(FileExists(out + ".part"));
  CHECK(ReadFile(out + ".state") == state_bytes);
}

TEST_CASE("resume checks before it touches: SQLite rows changed since the stop are an error") {
  Fixture fx({"--delay", "50", "--max-inflight", "2", "--hold-after", "12"});
  std::string dir = TempDir("output_sqlite_changed");
  std::string out = dir + "/out.sqlite";
  {
    Background run(Job(fx, out));
    REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
    run.Signal(SIGINT);
    run.ReadErrUntil("interrupted");  // taken: the pages in flight go on
    fx.Get("__release");
    REQUIRE(run.Wait().exit_code == 130);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(out.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DELETE FROM _forage_part_out WHERE rowid = 1", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  sqlite3_close(db);
  const long rows = Db(out).Long("SELECT count(*) FROM _forage_part_out");
  auto r = RunProcess(Job(fx, out, {"--resume"}));
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("the table was changed after the run stopped") != std::string::npos);
  CHECK(Db(out).Long("SELECT count(*) FROM _forage_part_out") == rows);
}

TEST_CASE("never clobber: a FIFO is written as it is, not an existing output") {
  Fixture fx;
  std::string dir = TempDir("output_fifo");
  std::string fifo = dir + "/out.jsonl";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  Background reader({"/bin/sh", "-c", "cat '" + fifo + "' > '" + dir + "/copy.jsonl'"});
  auto r = RunProcess(Job(fx, fifo));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(reader.Wait().exit_code == 0);
  const std::string copy = ReadFile(dir + "/copy.jsonl");
  CHECK(std::count(copy.begin(), copy.end(), '\n') == 755);
  CHECK_FALSE(FileExists(fifo + ".part"));
  CHECK_FALSE(FileExists(fifo + ".state"));
}

TEST_CASE("never clobber: an existing output under every sink stops the run before any fetch") {
  Fixture fx;
  std::string dir = TempDir("output_exists");
  for (const char* name : {"out.csv", "out.jsonl", "out.sqlite"}) {
    CAPTURE(name);
    std::string out = dir + "/" + name;
    if (std::string(name) == "out.sqlite") {
      SqliteWithTable(out, "out");  // the job's table
    } else {
      WriteFile(out, "an earlier run's records\n");
    }
    const std::string before = ReadFile(out);
    auto r = RunProcess(Job(fx, out));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--overwrite") != std::string::npos);
    CHECK(r.err.find("--append") != std::string::npos);
    CHECK(ReadFile(out) == before);
    CHECK_FALSE(FileExists(out + ".part"));
    CHECK_FALSE(FileExists(out + ".state"));
  }
  auto both = RunProcess(Job(fx, dir + "/new.csv", {"--overwrite", "--append"}));
  CHECK(both.exit_code == 2);
  CHECK(both.err.find("--overwrite and --append exclude each other") != std::string::npos);
  CHECK(fx.Stat("requests") == 0);
}

TEST_CASE("never clobber: --overwrite with the site down keeps the old output") {
  Fixture fx;
  std::string dir = TempDir("output_overwrite_down");
  std::string good = dir + "/out.csv";
  REQUIRE(RunProcess(Job(fx, good)).exit_code == 0);
  const std::string before = ReadFile(good);
  REQUIRE(before == GoldenShopCsv(fx));
  // The same job against a port nothing listens on: every page fails.
  std::string down = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/shop/page/{page}/";
  // --ignore-robots: pages that fail, not an origin blocked by its unreachable robots.txt.
  auto argv = Job(fx, good, {"--overwrite", "--retries", "0", "--ignore-robots"});
  argv[3] = down;  // --url's value
  auto r = RunProcess(argv);
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(ReadFile(good) == before);
  CHECK_FALSE(FileExists(good + ".part"));
  CHECK_FALSE(FileExists(good + ".state"));
  // SQLite: the job's table stays as it was.
  std::string db = dir + "/out.sqlite";
  SqliteWithTable(db, "out");
  auto sq = Job(fx, db, {"--overwrite", "--retries", "0", "--ignore-robots"});
  sq[3] = down;
  auto r2 = RunProcess(sq);
  INFO(r2.err);
  CHECK(r2.exit_code == 1);
  {
    Db d(db);
    CHECK(d.Rows("SELECT note FROM out") == std::vector<std::string>{"keep me\x1f"});
    CHECK(d.Long("SELECT count(*) FROM sqlite_master WHERE name LIKE '%forage%'") == 0);
  }
  // A run that stores records replaces it.
  auto two = SeedJob(fx, "1-2");
  two.insert(two.end(), {"-o", good, "--overwrite", "--workers", "1"});
  REQUIRE(RunProcess(two).exit_code == 0);
  auto golden = ParseCsv(GoldenShopCsv(fx));
  CHECK(ParseCsv(ReadFile(good)) == decltype(golden)(golden.begin(), golden.begin() + 1 + 32));
}

TEST_CASE("never clobber: --force replaces the partial output of the run it drops, not a "
          "finished one") {
  Fixture fx({"--delay", "50", "--max-inflight", "2", "--hold-after", "12"});
  std::string dir = TempDir("output_force");
  std::string out = dir + "/out.csv";
  Interrupted(fx, out);
  auto forced = RunProcess(Job(fx, out, {"--force"}));
  INFO(forced.err);
  REQUIRE(forced.exit_code == 0);
  CHECK(ReadFile(out) == GoldenShopCsv(fx));
  CHECK_FALSE(FileExists(out + ".state"));
  // Now finished: --force has no unfinished run to drop, the file is not its.
  auto again = RunProcess(Job(fx, out, {"--force"}));
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("--overwrite") != std::string::npos);
}

TEST_CASE("--append adds the records after the existing ones, under every sink") {
  Fixture fx;
  std::string dir = TempDir("output_append");
  auto run = [&](const std::string& pages, const std::string& out, bool append) {
    auto argv = SeedJob(fx, pages);
    argv.insert(argv.end(), {"-o", out, "--workers", "2"});
    if (append) argv.push_back("--append");
    auto r = RunProcess(argv);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  };
  for (const char* ext : {".csv", ".jsonl"}) {
    CAPTURE(ext);
    std::string whole = dir + "/whole" + ext, out = dir + "/out" + ext;
    run("1-48", whole, false);
    run("1-20", out, false);
    run("21-48", out, true);
    // One header (CSV), then every record once, in order.
    CHECK(ReadFile(out) == ReadFile(whole));
    CHECK_FALSE(FileExists(out + ".state"));
  }
  std::string db = dir + "/out.sqlite";
  SqliteWithTable(db, "notes");
  run("1-20", db, false);
  run("21-48", db, true);
  Db d(db);
  CHECK(ShopRows(d) ==
        Csv(ParseCsv(GoldenShopCsv(fx))));
  CHECK(d.Long("SELECT count(*) FROM notes") == 1);
  CHECK(d.Long("SELECT count(*) FROM sqlite_master WHERE name LIKE '\\_forage%' ESCAPE '\\'") == 0);
}

TEST_CASE("SQLite: a database holding other tables keeps them, --overwrite replaces the job's "
          "table only") {
  Fixture fx;
  std::string dir = TempDir("output_sqlite_other");
  std::string db = dir + "/out.sqlite";
  SqliteWithTable(db, "notes");
  auto r = RunProcess(Job(fx, db));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto golden = Csv(ParseCsv(GoldenShopCsv(fx)));
  {
    Db d(db);
    CHECK(ShopRows(d) == golden);
    CHECK(d.Rows("SELECT note FROM notes") == std::vector<std::string>{"keep me\x1f"});
  }
  // Again: the job's table exists now.
  CHECK(RunProcess(Job(fx, db)).exit_code == 2);
  auto o = RunProcess(Job(fx, db, {"--overwrite"}));
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  Db d(db);
  CHECK(ShopRows(d) == golden);
  CHECK(d.Rows("SELECT note FROM notes") == std::vector<std::string>{"keep me\x1f"});
}

TEST_CASE("disk full (RLIMIT_FSIZE): exit 3 naming the file and errno, PATH.part kept, --resume "
          "repairs it") {
  Fixture fx({"--delay", "20", "--max-inflight", "2"});
  std::string dir = TempDir("output_fsize");
  std::string out = dir + "/out.csv";
  // The file-size limit stops the CSV (~75 kB) part-way; the state stays small.
  auto argv = Job(fx, out);
  argv.insert(argv.begin(), {"/usr/bin/prlimit", "--fsize=30000:30000"});
  auto r = RunProcess(argv);
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("write output '" + out + ".part': File too large (EFBIG)") !=
        std::string::npos);
  CHECK_FALSE(FileExists(out));
  CHECK(FileExists(out + ".part"));
  CHECK(FileExists(out + ".state"));
  auto resumed = RunProcess(Job(fx, out, {"--resume"}));
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(ReadFile(out) == GoldenShopCsv(fx));
  CHECK_FALSE(FileExists(out + ".part"));
  CHECK_FALSE(FileExists(out + ".state"));
}

TEST_CASE("disk full (RLIMIT_FSIZE), SQLite: exit 3 naming the file and errno, --resume "
          "completes the rows once") {
  Fixture fx({"--delay", "20", "--max-inflight", "2"});
  std::string dir = TempDir("output_fsize_sqlite");
  std::string out = dir + "/out.sqlite";
  auto argv = Job(fx, out);
  argv.insert(argv.begin(), {"/usr/bin/prlimit", "--fsize=40000:40000"});
  auto r = RunProcess(argv);
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("sqlite '" + out + "'") != std::string::npos);
  CHECK(r.err.find("File too large (EFBIG)") != std::string::npos);
  CHECK(Db(out).Long("SELECT count(*) FROM out") == -1);  // not published
  auto resumed = RunProcess(Job(fx, out, {"--resume"}));
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  Db d(out);
  CHECK(ShopRows(d) == Csv(ParseCsv(GoldenShopCsv(fx))));
}

TEST_CASE("SQLite: a field named page_url or page_number is refused before anything is written") {
  Fixture fx;
  std::string dir = TempDir("output_page_url");
  for (const char* field : {"page_url=h2", "Page_Number=.price"}) {
    CAPTURE(field);
    std::string db = dir + "/out.sqlite";
    auto argv = Job(fx, db, {"--field", field});
    auto r = RunProcess(argv);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("a SQLite output has a column of that name") != std::string::npos);
    CHECK_FALSE(FileExists(db));
    CHECK_FALSE(FileExists(db + ".part"));
  }
  CHECK(fx.Stat("requests") == 0);
}

TEST_CASE("forage demo runs twice, its printed command, copied after its site stopped, keeps "
          "products.csv") {
  std::string dir = TempDir("output_demo");
  std::string out = dir + "/products.csv";
  auto demo = [&] {
    auto r = RunProcess({ForageBin(), "demo", "-o", out, "--workers", "2"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(ParseCsv(ReadFile(out)).size() == 756);
    return r.err;
  };
  demo();
  const std::string err = demo();
  const std::string before = ReadFile(out);
  const std::string prefix = "forage demo: forage run ";
  size_t at = err.find(prefix);
  REQUIRE(at != std::string::npos);
  std::string line = err.substr(at + prefix.size(), err.find('\n', at) - at - prefix.size());
  CHECK(line.find("--overwrite") != std::string::npos);
  auto r = RunProcess({"/bin/sh", "-c", "'" + ForageBin() + "' run " + line + " --retries 0 --ignore-robots"});
  INFO(r.err);
  CHECK(r.exit_code == 1);  // every page failed: the demo's site is gone
  CHECK(ReadFile(out) == before);
  CHECK_FALSE(FileExists(out + ".part"));
  CHECK_FALSE(FileExists(out + ".state"));
}

}  // TEST_SUITE

}  // namespace
}  // namespace forage::testing
