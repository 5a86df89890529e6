#include "engine/sqlite_sink.h"

#include <sqlite3.h>

#include <unistd.h>

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

constexpr const char* kStateSchema =
    "CREATE TABLE _forage_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE _forage_pages (page INTEGER PRIMARY KEY, ok INTEGER NOT NULL);";

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// The fingerprint of the unfinished run whose state `db` holds; empty if it
// holds none (a finished job's output).
std::string StateFingerprint(sqlite3* db) {
  std::string out;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT value FROM _forage_meta WHERE key = 'fingerprint'", -1, &q,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
  }
  sqlite3_finalize(q);
  return out;
}

Result<Db> OpenDb(const std::string& file, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return Err(ErrorCode::kInvalidArgument, "open output '{}': {}", file,
               raw != nullptr ? sqlite3_errmsg(raw) : "out of memory");
  }
  return db;
}

// Whether `file` is a database holding an unfinished run's state.
bool HoldsState(const std::string& file) {
  if (!Exists(file)) return false;
  auto db = OpenDb(file, SQLITE_OPEN_READONLY);
  return db && !StateFingerprint(db->get()).empty();
}


class SqliteSink : public Sink {
 public:
  SqliteSink(std::string path, std::string part, Db db)
      : path_(std::move(path)), part_(std::move(part)), db_(std::move(db)) {}

  ~SqliteSink() override {
    insert_.reset();
    mark_.reset();
    db_.reset();
  }

  // `fresh`: create the tables; otherwise they exist (--resume).
  Status Prepare(const std::vector<std::string>& fields,
                 const std::vector<parser::ValueFormat>& formats, const std::string& table,
                 const std::string& fingerprint, bool fresh) {
    std::string create = "CREATE TABLE " + SqlIdentifier(table) + " (";
    std::string insert = "INSERT INTO " + SqlIdentifier(table) + " VALUES (";
    for (size_t i = 0; i < fields.size(); ++i) {
      // NUMERIC affinity stores number text ("1234.5") as a number.
      bool number = i < formats.size() && formats[i] == parser::ValueFormat::kNumber;
      create += SqlIdentifier(fields[i]) + (number ? " NUMERIC, " : " TEXT, ");
      insert += "?, ";
    }
    create += "page_url TEXT NOT NULL, page_number INTEGER NOT NULL)";
    insert += "?, ?)";
    if (auto st = Exec("PRAGMA journal_mode=WAL"); !st) return st;
    if (auto st = Exec("PRAGMA synchronous=FULL"); !st) return st;
    if (fresh) {
      if (auto st = Exec(create); !st) return st;
      if (auto st = Exec(std::string(kStateSchema)); !st) return st;
      if (auto st = Exec("INSERT INTO _forage_meta VALUES ('fingerprint', '" + fingerprint + "')");
          !st) {
        return st;
      }
    }
    sqlite3_stmt* mark = nullptr;
    if (sqlite3_prepare_v2(db_.get(), "INSERT OR REPLACE INTO _forage_pages VALUES (?, ?)", -1,
                           &mark, nullptr) != SQLITE_OK) {
      return Failed("prepare page marks");
    }
    mark_.reset(mark);
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

  // The page marks go in the same transaction as the rows they describe.
  Status Checkpoint(const std::vector<PageMark>& pages) override {
    for (const PageMark& m : pages) {
      sqlite3_bind_int64(mark_.get(), 1, static_cast<sqlite3_int64>(m.page));
      sqlite3_bind_int(mark_.get(), 2, m.ok ? 1 : 0);
      int rc = sqlite3_step(mark_.get());
      sqlite3_reset(mark_.get());
      if (rc != SQLITE_DONE) return Failed("record a page");
    }
    rows_in_transaction_ = 0;
    if (auto st = Exec("COMMIT"); !st) return st;
    return Exec("BEGIN");
  }

  Status Finish(bool complete) override {
    if (auto st = Exec("COMMIT"); !st) return st;
    mark_.reset();
    if (complete) {
      if (auto st = Exec("DROP TABLE _forage_pages; DROP TABLE _forage_meta"); !st) return st;
    }
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
  Stmt mark_;
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

Result<std::unique_ptr<Sink>> OpenSqliteSink(const SinkOptions& o,
                                             std::vector<PageMark>* resumed) {
  const std::string part = o.path + ".part";
  const bool unfinished = HoldsState(part) || HoldsState(o.path);
  if (o.mode == ResumeMode::kFresh && unfinished) {
    return Err(ErrorCode::kInvalidArgument,
               "'{}' holds an unfinished run of a job; add --resume to continue it, or --force "
               "to start over",
               Exists(part) ? part : o.path);
  }
  if (o.mode == ResumeMode::kResume) {
    if (!unfinished) {
      return Err(ErrorCode::kInvalidArgument, "--resume: no unfinished run in '{}' to resume",
                 o.path);
    }
    // An interrupted run published what it had; take it back.
    if (!Exists(part)) std::rename(o.path.c_str(), part.c_str());
  } else {
    // A fresh or forced run: a stale PATH.part (and its journal) is ours to replace.
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::remove((part + suffix).c_str());
    }
  }
  auto db = OpenDb(part, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return db.error();
  if (o.mode == ResumeMode::kResume) {
    if (StateFingerprint(db->get()) != o.fingerprint) {
      return Err(ErrorCode::kInvalidArgument,
                 "'{}' holds a run of a different job (other pages, fields or output); use "
                 "--force to start over",
                 part);
    }
    // Rows of pages after the last checkpoint were never committed: SQLite
    // rolled them back. What the page marks say is exactly what is stored.
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db->get(), "SELECT page, ok FROM _forage_pages ORDER BY page", -1, &q,
                       nullptr);
    while (sqlite3_step(q) == SQLITE_ROW) {
      if (resumed != nullptr) {
        resumed->push_back(PageMark{static_cast<uint64_t>(sqlite3_column_int64(q, 0)),
                                    sqlite3_column_int(q, 1) != 0});
      }
    }
    sqlite3_finalize(q);
  }
  auto sink = std::make_unique<SqliteSink>(o.path, part, std::move(*db));
  if (auto st = sink->Prepare(o.field_names, o.formats, o.table, o.fingerprint,
                              o.mode != ResumeMode::kResume);
      !st) {
    return st.error();
  }
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace forage::engine
