#include "engine/sqlite_sink.h"

#include <sqlite3.h>

#include <cstdio>
#include <utility>

#include "engine/store.h"

namespace forage::engine {
namespace {

// Rows per transaction: large enough that commits cost nothing per row,
// small enough that a crash loses little.
constexpr int kRowsPerTransaction = 5000;

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

class SqliteSink : public Sink {
 public:
  SqliteSink(std::string path, std::string part, Db db)
      : path_(std::move(path)), part_(std::move(part)), db_(std::move(db)) {}

  ~SqliteSink() override {
    insert_.reset();
    db_.reset();
  }

  Status Prepare(const std::vector<std::string>& fields, const std::string& table) {
    std::string create = "CREATE TABLE " + SqlIdentifier(table) + " (";
    std::string insert = "INSERT INTO " + SqlIdentifier(table) + " VALUES (";
    for (const auto& f : fields) {
      create += SqlIdentifier(f) + " TEXT, ";
      insert += "?, ";
    }
    create += "page_url TEXT NOT NULL, page_number INTEGER NOT NULL)";
    insert += "?, ?)";
    if (auto st = Exec("PRAGMA journal_mode=WAL"); !st) return st;
    if (auto st = Exec("PRAGMA synchronous=NORMAL"); !st) return st;
    if (auto st = Exec(create); !st) return st;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), insert.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      return Failed("prepare insert");
    }
    insert_.reset(raw);
    fields_ = static_cast<int>(fields.size());
    return Exec("BEGIN");
  }

  Status Write(const parser::Record& r, const PageTask& page) override {
    sqlite3_stmt* s = insert_.get();
    for (int i = 0; i < fields_; ++i) {
      const auto& v = static_cast<size_t>(i) < r.values.size() ? r.values[i] : std::nullopt;
      if (v) {
        sqlite3_bind_text(s, i + 1, v->data(), static_cast<int>(v->size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_null(s, i + 1);
      }
    }
    sqlite3_bind_text(s, fields_ + 1, page.url.data(), static_cast<int>(page.url.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, fields_ + 2, static_cast<sqlite3_int64>(page.page_number));
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return Failed("insert a row");
    if (++rows_in_transaction_ >= kRowsPerTransaction) {
      rows_in_transaction_ = 0;
      if (auto st = Exec("COMMIT"); !st) return st;
      return Exec("BEGIN");
    }
    return OkStatus();
  }

  Status Checkpoint(const std::vector<PageMark>&) override {
    rows_in_transaction_ = 0;
    if (auto st = Exec("COMMIT"); !st) return st;
    return Exec("BEGIN");
  }

  Status Finish(bool) override {
    if (auto st = Exec("COMMIT"); !st) return st;
    insert_.reset();
    // Closing the last connection checkpoints the WAL into the database
    // file and removes PATH.part-wal, so the rename moves everything.
    if (sqlite3_close(db_.release()) != SQLITE_OK) {
      return Err(ErrorCode::kIo, "close output '{}'", part_);
    }
    if (std::rename(part_.c_str(), path_.c_str()) != 0) {
      return Err(ErrorCode::kIo, "rename '{}' to '{}'", part_, path_);
    }
    return OkStatus();
  }

 private:
  Status Exec(const std::string& sql) {
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return Failed(sql);
    }
    return OkStatus();
  }
  Error Failed(const std::string& what) {
    return Err(ErrorCode::kIo, "sqlite '{}': {}: {}", part_, what, sqlite3_errmsg(db_.get()));
  }

  std::string path_;
  std::string part_;
  Db db_;
  Stmt insert_;
  int fields_ = 0;
  int rows_in_transaction_ = 0;
};

}  // namespace

std::string SqlIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Result<std::unique_ptr<Sink>> OpenSqliteSink(const std::string& path,
                                             const std::vector<std::string>& field_names,
                                             const std::string& table) {
  std::string part = path + ".part";
  // A stale PATH.part (and its journal) from a run that died is ours to replace.
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((part + suffix).c_str());
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(part.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return Err(ErrorCode::kInvalidArgument, "open output '{}': {}", part,
               raw != nullptr ? sqlite3_errmsg(raw) : "out of memory");
  }
  auto sink = std::make_unique<SqliteSink>(path, part, std::move(db));
  if (auto st = sink->Prepare(field_names, table); !st) return st.error();
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace forage::engine
