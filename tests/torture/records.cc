#include "tests/torture/records.h"

#include <unistd.h>

#include <sqlite3.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "tests/test_support.h"

namespace forage::torture {
namespace {

constexpr char kSep = '\x1f';
constexpr const char* kNull = "\x01";

std::string Join(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += kSep;
    out += fields[i];
  }
  return out;
}

void ReadCsv(Records* r) {
  auto rows = testing::ParseCsv(r->bytes);
  if (rows.empty()) return;
  r->header = rows[0];
  for (size_t i = 1; i < rows.size(); ++i) r->rows.push_back(Join(rows[i]));
}

void ReadJsonl(Records* r) {
  size_t start = 0;
  while (start < r->bytes.size()) {
    size_t nl = r->bytes.find('\n', start);
    if (nl == std::string::npos) {
      r->rows.push_back(r->bytes.substr(start));  // a cut last line is a row too
      break;
    }
    r->rows.push_back(r->bytes.substr(start, nl - start));
    start = nl + 1;
  }
}

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};

}  // namespace

bool SqliteHasTable(const std::string& path, const std::string& table) {
  if (access(path.c_str(), F_OK) != 0) return false;
  // Not immutable: after a kill -9 the last commits may be only in the -wal
  // file, which a plain open reads (and an immutable one would not).
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, DbCloser> db(raw);
  if (rc != SQLITE_OK) return false;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db.get(), "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                         -1, &q, nullptr) != SQLITE_OK) {
    return false;
  }
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt(q);
  sqlite3_bind_text(q, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  return sqlite3_step(q) == SQLITE_ROW;
}

namespace {

void ReadSqlite(const std::string& path, const std::string& table, Records* r) {
  // immutable=1: read the one file as a copied database would be read, and
  // leave no -wal or -shm beside it.
  std::string uri = "file:" + path + "?immutable=1";
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  std::unique_ptr<sqlite3, DbCloser> db(raw);
  if (rc != SQLITE_OK) {
    r->readable = false;
    r->error = fmt::format("sqlite open: {}", raw ? sqlite3_errmsg(raw) : "out of memory");
    return;
  }
  std::string sql = "SELECT * FROM \"" + table + "\" ORDER BY rowid";
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &q, nullptr) != SQLITE_OK) {
    r->readable = false;
    r->error = fmt::format("sqlite: {}", sqlite3_errmsg(db.get()));
    return;
  }
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt(q);
  int columns = sqlite3_column_count(q);
  for (int c = 0; c < columns; ++c) r->header.emplace_back(sqlite3_column_name(q, c));
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < columns; ++c) {
      const auto* text = sqlite3_column_text(q, c);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : kNull);
    }
    r->rows.push_back(Join(row));
  }
  if (rc != SQLITE_DONE) {
    r->readable = false;
    r->error = fmt::format("sqlite read: {}", sqlite3_errmsg(db.get()));
  }
  r->has_state_tables = sqlite3_exec(db.get(), "SELECT 1 FROM _forage_pages LIMIT 1", nullptr,
                                     nullptr, nullptr) == SQLITE_OK;
}

std::map<std::string, long> Counts(const std::vector<std::string>& rows) {
  std::map<std::string, long> out;
  for (const auto& r : rows) ++out[r];
  return out;
}

}  // namespace

const char* SinkName(Sink s) {
  switch (s) {
    case Sink::kCsv: return "csv";
    case Sink::kJsonl: return "jsonl";
    case Sink::kSqlite: return "sqlite";
  }
  return "?";
}

const char* SinkExtension(Sink s) {
  switch (s) {
    case Sink::kCsv: return ".csv";
    case Sink::kJsonl: return ".jsonl";
    case Sink::kSqlite: return ".sqlite";
  }
  return "";
}

Records ReadRecords(const std::string& path, Sink sink, const std::string& table) {
  Records r;
  if (!testing::FileExists(path)) {
    r.error = "no file";
    return r;
  }
  r.readable = true;
  if (sink == Sink::kSqlite) {
    ReadSqlite(path, table, &r);
    return r;
  }
  r.bytes = testing::ReadFile(path);
  if (sink == Sink::kCsv) {
    ReadCsv(&r);
  } else {
    ReadJsonl(&r);
  }
  return r;
}

Diff Compare(const Records& clean, const Records& got, bool ordered) {
  Diff d;
  d.want = clean.rows.size();
  d.got = got.rows.size();
  d.header_differs = clean.header != got.header;
  auto want = Counts(clean.rows);
  for (const auto& [row, n] : Counts(got.rows)) {
    auto it = want.find(row);
    long expected = it == want.end() ? 0 : it->second;
    if (expected == 0) {
      d.foreign += static_cast<size_t>(n);
    } else if (n > expected) {
      d.duplicates += static_cast<size_t>(n - expected);
    }
    if (it != want.end()) it->second -= std::min(n, expected);
  }
  for (const auto& [row, n] : want) d.missing += static_cast<size_t>(n);
  if (ordered) {
    size_t common = std::min(clean.rows.size(), got.rows.size());
    for (size_t i = 0; i < common && d.first_difference < 0; ++i) {
      if (clean.rows[i] != got.rows[i]) d.first_difference = static_cast<long>(i);
    }
    if (d.first_difference < 0 && clean.rows.size() != got.rows.size()) {
      d.first_difference = static_cast<long>(common);
    }
    d.bytes_differ = clean.bytes != got.bytes;
  }
  return d;
}

std::string Diff::Describe() const {
  std::string s = fmt::format("{} records, want {}", got, want);
  if (duplicates > 0) s += fmt::format("; {} duplicate", duplicates);
  if (missing > 0) s += fmt::format("; {} missing", missing);
  if (foreign > 0) s += fmt::format("; {} not in the clean run", foreign);
  if (header_differs) s += "; header differs";
  if (first_difference >= 0) s += fmt::format("; order differs from record {}", first_difference);
  if (bytes_differ && duplicates == 0 && missing == 0 && foreign == 0 && first_difference < 0) {
    s += "; same records but the bytes differ";
  }
  return s;
}

std::string CheckPart(const Records& clean, const Records& got, bool ordered) {
  if (!got.rows.empty() && clean.header != got.header) return "header differs";
  if (got.rows.size() > clean.rows.size()) {
    return fmt::format("{} records, more than the clean run's {}", got.rows.size(),
                       clean.rows.size());
  }
  if (ordered) {
    for (size_t i = 0; i < got.rows.size(); ++i) {
      if (got.rows[i] != clean.rows[i]) {
        return fmt::format("not a prefix of the clean output: record {} differs", i);
      }
    }
    return "";
  }
  Diff d = Compare(clean, got, false);
  if (d.duplicates > 0 || d.foreign > 0) return d.Describe();
  return "";
}

}  // namespace forage::torture
