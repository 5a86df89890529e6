#include "engine/store.h"

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sqlite3.h>

namespace forage::engine {
namespace {

std::string Csv(std::string_view v) {
  std::string out;
  AppendCsvField(v, &out);
  return out;
}

std::string Json(std::string_view v) {
  std::string out;
  parser::AppendJsonString(v, &out);
  return out;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const PageTask kPage{7, "http://h/7", 0};

SinkOptions Options(std::string path, std::vector<std::string> fields,
                    std::string table = "records", ResumeMode mode = ResumeMode::kForce) {
  SinkOptions o;
  o.path = std::move(path);
  o.field_names = std::move(fields);
  o.table = std::move(table);
  o.fingerprint = "test";
  o.mode = mode;
  return o;
}

TEST_SUITE("engine.store") {

TEST_CASE("CSV quoting follows RFC 4180") {
  CHECK(Csv("plain") == "plain");
  CHECK(Csv("") == "");
  CHECK(Csv("a,b") == "\"a,b\"");
  CHECK(Csv("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(Csv("two\nlines") == "\"two\nlines\"");
  CHECK(Csv("cr\r") == "\"cr\r\"");
  CHECK(Csv("£63.00 ’") == "£63.00 ’");  // UTF-8 passes through
}

TEST_CASE("JSON strings escape quotes, backslashes and control characters") {
  CHECK(Json("a\"b\\c") == R"("a\"b\\c")");
  CHECK(Json("tab\there\n") == R"("tab\there\n")");
  CHECK(Json(std::string("\x01", 1)) == R"("\u0001")");
  CHECK(Json("£") == "\"£\"");
}

TEST_CASE("file sinks write PATH.part and publish PATH on Finish") {
  auto dir = std::filesystem::temp_directory_path() / "forage_store_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string csv = (dir / "out.csv").string();
  auto sink = OpenSink(Options(csv, {"id", "name"}));
  REQUIRE(sink.has_value());
  REQUIRE((*sink)->Write(parser::Record{{std::string("1"), std::string("a,b")}}, kPage));
  REQUIRE((*sink)->Write(parser::Record{{std::nullopt, std::string("c")}}, kPage));
  CHECK(std::filesystem::exists(csv + ".part"));
  CHECK_FALSE(std::filesystem::exists(csv));
  REQUIRE((*sink)->Finish(true));
  CHECK_FALSE(std::filesystem::exists(csv + ".part"));
  CHECK(Slurp(csv) == "id,name\r\n1,\"a,b\"\r\n,c\r\n");

  std::string jsonl = (dir / "out.jsonl").string();
  auto js = OpenSink(Options(jsonl, {"id", "name"}));
  REQUIRE(js.has_value());
  REQUIRE((*js)->Write(parser::Record{{std::nullopt, std::string("q\"")}}, kPage));
  REQUIRE((*js)->Finish(true));
  CHECK(Slurp(jsonl) == "{\"id\":null,\"name\":\"q\\\"\"}\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("the SQLite sink: a table named after the job, a column per field, page url and number") {
  auto dir = std::filesystem::temp_directory_path() / "forage_sqlite_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string db_path = (dir / "out.sqlite").string();
  auto sink = OpenSink(Options(db_path, {"id", "na\"me"}, "shop"));
  REQUIRE(sink.has_value());
  for (int i = 0; i < 12000; ++i) {
    REQUIRE((*sink)->Write(parser::Record{{std::to_string(i), std::nullopt}}, kPage));
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  // Until the job completes its rows are under another name, uncommitted.
  CHECK(sqlite3_exec(db, "SELECT 1 FROM shop", nullptr, nullptr, nullptr) != SQLITE_OK);
  REQUIRE((*sink)->Finish(true));
  CHECK_FALSE(std::filesystem::exists(db_path + ".part"));

  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT count(*), min(CAST(id AS INTEGER)), max(page_number), "
                             "count(\"na\"\"me\"), min(page_url) FROM shop",
                             -1, &q, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  CHECK(sqlite3_column_int(q, 0) == 12000);
  CHECK(sqlite3_column_int(q, 1) == 0);
  CHECK(sqlite3_column_int(q, 2) == 7);
  CHECK(sqlite3_column_int(q, 3) == 0);  // every name is NULL
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, 4))) == "http://h/7");
  sqlite3_finalize(q);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a file sink resumes from its last checkpoint: later bytes are cut, pages recalled") {
  auto dir = std::filesystem::temp_directory_path() / "forage_resume_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string csv = (dir / "out.csv").string();
  {
    auto sink = OpenSink(Options(csv, {"v"}, "r", ResumeMode::kFresh));
    REQUIRE(sink.has_value());
    REQUIRE((*sink)->Write(parser::Record{{std::string("a")}}, kPage));
    REQUIRE((*sink)->Checkpoint({{0, true}, {1, false}}));
  }
  // The run dies after writing bytes its state never recorded.
  std::ofstream(csv + ".part", std::ios::app) << "half a page\r\n";
  {
    auto again = OpenSink(Options(csv, {"v"}, "r", ResumeMode::kFresh));
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().message.find("add --resume to continue it") != std::string::npos);
  }
  std::vector<PageMark> resumed;
  auto sink = OpenSink(Options(csv, {"v"}, "r", ResumeMode::kResume), &resumed);
  REQUIRE(sink.has_value());
  REQUIRE(resumed.size() == 2);
  CHECK(resumed[0].page == 0);
  CHECK(resumed[0].ok);
  CHECK_FALSE(resumed[1].ok);
  REQUIRE((*sink)->Write(parser::Record{{std::string("b")}}, kPage));
  REQUIRE((*sink)->Finish(true));
  CHECK(Slurp(csv) == "v\r\na\r\nb\r\n");
  CHECK_FALSE(std::filesystem::exists(csv + ".state"));

  auto other = Options(csv, {"v"}, "r", ResumeMode::kFresh);
  other.fingerprint = "another job";
  // The finished output is not replaced unless asked.
  REQUIRE_FALSE(OpenSink(other).has_value());
  other.overwrite = true;
  REQUIRE(OpenSink(other).has_value());
  std::filesystem::remove_all(dir);
}

long Count(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  long n = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW) {
    n = sqlite3_column_int64(q, 0);
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  return n;
}

TEST_CASE("the SQLite sink commits rows only with their page marks, Finish(false) rolls back") {
  auto dir = std::filesystem::temp_directory_path() / "forage_sqlite_once_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string db = (dir / "out.sqlite").string();
  {
    auto sink = OpenSink(Options(db, {"v"}, "r", ResumeMode::kFresh));
    REQUIRE(sink.has_value());
    for (int i = 0; i < 3; ++i) REQUIRE((*sink)->Write(parser::Record{{std::string("a")}}, kPage));
    REQUIRE((*sink)->Checkpoint({{0, true}}));
    // 6,000 rows of a page not yet recorded: more than any batch size.
    for (int i = 0; i < 6000; ++i) {
      REQUIRE((*sink)->Write(parser::Record{{std::string("b")}}, kPage));
    }
    CHECK(Count(db, "SELECT count(*) FROM _forage_part_r") == 3);
    REQUIRE((*sink)->Finish(false));
  }
  CHECK(Count(db, "SELECT count(*) FROM _forage_part_r") == 3);
  std::vector<PageMark> resumed;
  auto sink = OpenSink(Options(db, {"v"}, "r", ResumeMode::kResume), &resumed);
  REQUIRE(sink.has_value());
  REQUIRE(resumed.size() == 1);
  CHECK(resumed[0].page == 0);
  REQUIRE((*sink)->Write(parser::Record{{std::string("c")}}, kPage));
  REQUIRE((*sink)->Checkpoint({{1, true}}));
  REQUIRE((*sink)->Finish(true));
  CHECK(Count(db, "SELECT count(*) FROM r") == 4);
  CHECK(Count(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%forage%'") == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a file sink's write error keeps PATH.part and its state, --resume cuts back to the "
          "checkpoint") {
  auto dir = std::filesystem::temp_directory_path() / "forage_write_error_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string csv = (dir / "out.csv").string();
  {
    auto sink = OpenSink(Options(csv, {"v"}, "r", ResumeMode::kFresh));
    REQUIRE(sink.has_value());
    REQUIRE((*sink)->Write(parser::Record{{std::string("a")}}, kPage));
    REQUIRE((*sink)->Checkpoint({{0, true}}));
    REQUIRE((*sink)->Write(parser::Record{{std::string(5000, 'b')}}, kPage));
    // A file-size limit just past what is written: the next write fails (EFBIG).
    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto old_handler = signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 1000;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto st = (*sink)->Checkpoint({{1, true}});
    REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, old_handler);
    REQUIRE_FALSE(st.has_value());
    CHECK(st.error().code == ErrorCode::kIo);
    CHECK(st.error().message.find("out.csv.part': File too large (EFBIG)") != std::string::npos);
    CHECK_FALSE((*sink)->Finish(false).has_value());  // still the write error
  }
  CHECK_FALSE(std::filesystem::exists(csv));
  CHECK(std::filesystem::file_size(csv + ".part") == 1000);
  std::vector<PageMark> resumed;
  auto sink = OpenSink(Options(csv, {"v"}, "r", ResumeMode::kResume), &resumed);
  REQUIRE(sink.has_value());
  CHECK(resumed.size() == 1);
  CHECK(std::filesystem::file_size(csv + ".part") == 6);  // "v\r\na\r\n"
  REQUIRE((*sink)->Write(parser::Record{{std::string("c")}}, kPage));
  REQUIRE((*sink)->Finish(true));
  CHECK(Slurp(csv) == "v\r\na\r\nc\r\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("unknown extensions and unwritable places are refused") {
  CHECK(OpenSink(Options("out.xlsx", {"a"})).error().message.find("unknown format") != std::string::npos);
  auto bad = OpenSink(Options("/nonexistent-dir/out.csv", {"a"}));
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("the format: --format first, else the extension in any case, a device is JSONL") {
  CHECK(*SinkFormatFor("OUT.CSV") == SinkFormat::kCsv);
  CHECK(*SinkFormatFor("a.Json") == SinkFormat::kJson);
  CHECK(*SinkFormatFor("a.JSONL") == SinkFormat::kJsonl);
  CHECK(*SinkFormatFor("a.DB") == SinkFormat::kSqlite);
  CHECK(*SinkFormatFor("-") == SinkFormat::kJsonl);
  CHECK(*SinkFormatFor("-", "csv") == SinkFormat::kCsv);
  CHECK(*SinkFormatFor("a.csv", "json") == SinkFormat::kJson);
  CHECK(*SinkFormatFor("/dev/null") == SinkFormat::kJsonl);
  CHECK(SinkFormatFor("a.csv", "xml").error().message ==
        "--format 'xml': expected csv, jsonl, json or sqlite");
  CHECK(SinkFormatFor("a.txt").error().message ==
        "output 'a.txt': unknown format (use a .csv, .jsonl, .json or .sqlite path, - for "
        "stdout, or --format csv|jsonl|json|sqlite)");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine

namespace forage::engine {
namespace {

TEST_CASE("a state left with a hot journal (killed inside a transaction) reads as its last commit") {
  // The torture found it: a kill -9 while the state was mid-transaction left
  // STATE-journal beside it, and --resume said the state was "not the state
  // of a forage job" (a read-only connection cannot roll a hot journal back).
  const std::string path = std::filesystem::temp_directory_path() / "forage-hot-journal.state";
  for (const char* suffix : {"", "-journal"}) std::filesystem::remove(path + suffix);
  {
    StateMeta meta{"fp", "/x/out.csv", false, 3, 3, 3, "h0"};
    auto state = StateStore::Create(path, meta, /*overwrite=*/false);
    REQUIRE(state.has_value());
    REQUIRE((*state)->Save({PageMark{0, true}, PageMark{1, false}}, 10, "h1").has_value());
  }
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // A writer that dies before COMMIT, after its pages spilled to the file.
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) _exit(2);
    sqlite3_exec(db,
                 "PRAGMA cache_size = 1; BEGIN; DELETE FROM pages; CREATE TABLE junk(b);"
                 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                 "INSERT INTO junk SELECT randomblob(1000) FROM n;",
                 nullptr, nullptr, nullptr);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(std::filesystem::exists(path + "-journal"));

  auto snap = StateStore::Read(path);
  REQUIRE(snap.has_value());
  CHECK(snap->meta.fingerprint == "fp");
  CHECK(snap->meta.bytes == 10);
  CHECK(snap->meta.hash == "h1");
  REQUIRE(snap->pages.size() == 2);
  CHECK(snap->pages[0].ok);
  CHECK_FALSE(snap->pages[1].ok);
}

}  // namespace
}  // namespace forage::engine
