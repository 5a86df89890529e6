#include "engine/sqlite_sink.h"

#include <sqlite3.h>
#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "engine/store.h"

namespace forage::engine {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// `text` as an SQL string literal ('it''s').
std::string SqlString(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// The job's tables inside the database, as SQL identifiers.
struct Tables {
  std::string name;   // the job's table, unquoted (T)
  std::string table;  // T: the finished rows
  std::string part;   // _forage_part_T: the rows while the job runs (not with --append)
  std::string pages;  // _forage_pages_T: the state, which pages are stored
  std::string meta;   // _forage_meta_T: the state, the job's fingerprint and counts
};

Tables TablesFor(const std::string& t) {
  return Tables{t, SqlIdentifier(t), SqlIdentifier("_forage_part_" + t),
                SqlIdentifier("_forage_pages_" + t), SqlIdentifier("_forage_meta_" + t)};
}

Result<Db> OpenDb(const std::string& file, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return Err(ErrorCode::kInvalidArgument, "open output '{}': {}", file,
               raw != nullptr ? sqlite3_errmsg(raw) : "out of memory");
  }
  // A reader of the database (sqlite3 in another terminal) may hold a lock a moment.
  sqlite3_busy_timeout(raw, 10000);
  return db;
}

// The rows `sql` yields, each column as text (NULL as empty).
Result<std::vector<std::vector<std::string>>> Query(sqlite3* db, const std::string& sql,
                                                    const std::string& file) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return Err(ErrorCode::kInvalidArgument, "'{}': {}", file, sqlite3_errmsg(db));
  }
  Stmt q(raw);
  std::vector<std::vector<std::string>> rows;
  int rc;
  while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < sqlite3_column_count(q.get()); ++c) {
      auto* t = sqlite3_column_text(q.get(), c);
      row.emplace_back(t != nullptr ? reinterpret_cast<const char*>(t) : "");
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    return Err(ErrorCode::kInvalidArgument, "'{}': {}", file, sqlite3_errmsg(db));
  }
  return rows;
}

// Whether the table `name` (unquoted) exists; an error if `db` is not a database.
Result<bool> HasTable(sqlite3* db, const std::string& name, const std::string& file) {
  auto rows =
      Query(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = " + SqlString(name),
            file);
  if (!rows) {
    return Err(ErrorCode::kInvalidArgument, "output {}; it is not a SQLite database this job "
               "can write into", rows.error().message);
  }
  return !rows->empty();
}

// The state's meta values of an unfinished run.
struct Meta {
  std::string fingerprint;
  bool append = false;
  uint64_t rows = 0;        // rows the last checkpoint committed
  int64_t base_rowid = 0;   // --append: the table's last rowid before the run
};

Result<Meta> ReadMeta(sqlite3* db, const Tables& t, const std::string& file) {
  auto rows = Query(db, "SELECT key, value FROM " + t.meta, file);
  if (!rows) return rows.error();
  Meta m;
  for (const auto& r : *rows) {
    if (r[0] == "fingerprint") m.fingerprint = r[1];
    if (r[0] == "append") m.append = r[1] == "1";
    if (r[0] == "rows") m.rows = std::strtoull(r[1].c_str(), nullptr, 10);
    if (r[0] == "base_rowid") m.base_rowid = std::strtoll(r[1].c_str(), nullptr, 10);
  }
  return m;
}

// A kJson value bound with its own type: INTEGER (booleans 1/0), REAL,
// TEXT (strings unquoted; arrays and objects as JSON), NULL.
void BindJson(sqlite3_stmt* s, int column, const std::string& value) {
  parser::JsonCell cell = parser::ParseJsonCell(value);
  switch (cell.type) {
    case parser::JsonCell::Type::kNull:
      sqlite3_bind_null(s, column);
      return;
    case parser::JsonCell::Type::kBool:
    case parser::JsonCell::Type::kInt:
      sqlite3_bind_int64(s, column, static_cast<sqlite3_int64>(cell.integer));
      return;
    case parser::JsonCell::Type::kFloat:
      sqlite3_bind_double(s, column, cell.number);
      return;
    case parser::JsonCell::Type::kString:
    case parser::JsonCell::Type::kStructured:
      sqlite3_bind_text(s, column, cell.text.data(), static_cast<int>(cell.text.size()),
                        SQLITE_TRANSIENT);
      return;
  }
}

class SqliteSink : public Sink {
 public:
  void set_formats(std::vector<parser::ValueFormat> formats) { formats_ = std::move(formats); }

  SqliteSink(std::string path, Tables tables, Db db, bool append, uint64_t rows)
      : path_(std::move(path)),
        t_(std::move(tables)),
        db_(std::move(db)),
        append_(append),
        rows_(rows),
        committed_rows_(rows) {}

  ~SqliteSink() override {
    insert_.reset();
    mark_.reset();
    db_.reset();  // an open transaction is rolled back
  }

  Status Prepare(size_t fields) {
    std::string insert = "INSERT INTO " + (append_ ? t_.table : t_.part) + " VALUES (";
    for (size_t i = 0; i < fields; ++i) insert += "?, ";
    insert += "?, ?)";
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), insert.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      return Failed("prepare insert");
    }
    insert_.reset(raw);
    if (sqlite3_prepare_v2(db_.get(), ("INSERT OR REPLACE INTO " + t_.pages + " VALUES (?, ?)").c_str(),
                           -1, &raw, nullptr) != SQLITE_OK) {
      return Failed("prepare page marks");
    }
    mark_.reset(raw);
    fields_ = static_cast<int>(fields);
    return Exec("BEGIN");
  }

  Status Write(const parser::Record& r, const PageTask& page) override {
    if (broken_) return Failed("write after an error");
    sqlite3_stmt* s = insert_.get();
    for (int i = 0; i < fields_; ++i) {
      const auto& v = static_cast<size_t>(i) < r.values.size() ? r.values[i] : std::nullopt;
      if (v && static_cast<size_t>(i) < formats_.size() &&
          formats_[i] == parser::ValueFormat::kJson) {
        BindJson(s, i + 1, *v);  // JSON values keep their types
      } else if (v) {
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
    if (rc != SQLITE_DONE) return Broke("insert a row");
    ++rows_;
    return OkStatus();
  }

  // The only commit while the job runs: the rows since the last checkpoint
  // and the marks of the pages they came from, together.
  Status Checkpoint(const std::vector<PageMark>& pages) override {
    if (broken_) return Failed("checkpoint after an error");
    for (const PageMark& m : pages) {
      sqlite3_bind_int64(mark_.get(), 1, static_cast<sqlite3_int64>(m.page));
      sqlite3_bind_int(mark_.get(), 2, m.ok ? 1 : 0);
      int rc = sqlite3_step(mark_.get());
      sqlite3_reset(mark_.get());
      if (rc != SQLITE_DONE) return Broke("record a page");
    }
    if (auto st = Exec("UPDATE " + t_.meta + " SET value = '" + std::to_string(rows_) +
                       "' WHERE key = 'rows'");
        !st) {
      broken_ = true;
      return st;
    }
    if (auto st = Exec("COMMIT"); !st) {
      broken_ = true;
      return st;
    }
    committed_rows_ = rows_;
    return Exec("BEGIN");
  }

  Status Finish(bool complete) override {
    insert_.reset();
    mark_.reset();
    if (broken_ || !complete) {
      // Rows after the last checkpoint go: their pages are not marked, and
      // a resumed run fetches them again.
      (void)sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      if (broken_) {
        (void)Close();
        return Err(ErrorCode::kIo, "output '{}' failed earlier; its rows since the last "
                   "checkpoint were rolled back", path_);
      }
      return Close();
    }
    std::string sql;
    if (!append_) {
      // --overwrite and not one row stored (the site was down?): the old table stays.
      auto had = HasTable(db_.get(), t_.name, path_);
      if (!had) return had.error();
      if (rows_ == 0 && *had) {
        sql += "DROP TABLE " + t_.part + ";";
      } else {
        // legacy_alter_table: a view over the old table must not stop the rename.
        sql += "PRAGMA legacy_alter_table = ON; DROP TABLE IF EXISTS " + t_.table + "; ALTER TABLE " +
               t_.part + " RENAME TO " + t_.table + ";";
      }
    }
    sql += "DROP TABLE " + t_.pages + "; DROP TABLE " + t_.meta + "; COMMIT;";
    if (auto st = Exec(sql); !st) {
      (void)sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      (void)Close();
      return st;
    }
    return Close();
  }

 private:
  Status Close() {
    sqlite3* db = db_.release();
    if (sqlite3_close(db) != SQLITE_OK) {
      Error e = Err(ErrorCode::kIo, "close output '{}': {}", path_, sqlite3_errmsg(db));
      sqlite3_close_v2(db);
      return e;
    }
    return OkStatus();
  }
  Status Exec(const std::string& sql) {
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return Failed(sql);
    }
    return OkStatus();
  }
  // With the errno of the system call that failed, if one did (disk full).
  // SQLite's unix VFS does not record it for every write
  // (sqlite3_system_errno() stays 0), so errno as the failing call left it.
  Error Failed(const std::string& what) {
    const int saved = errno;
    std::string why = sqlite3_errmsg(db_.get());
    const int code = sqlite3_errcode(db_.get());
    int e = sqlite3_system_errno(db_.get());
    if (e == 0 && (code == SQLITE_IOERR || code == SQLITE_FULL)) e = saved;
    if (e != 0 && (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN)) {
      const char* name = strerrorname_np(e);
      why += fmt::format(": {} ({})", std::strerror(e), name != nullptr ? name : "?");
    }
    return Err(ErrorCode::kIo, "sqlite '{}': {}: {}", path_, what, why);
  }
  Error Broke(const std::string& what) {
    broken_ = true;
    return Failed(what);
  }

  std::string path_;
  Tables t_;
  Db db_;
  Stmt insert_;
  Stmt mark_;
  bool append_;
  int fields_ = 0;
  uint64_t rows_;            // rows of this job in the database, committed or not
  uint64_t committed_rows_;  // of those, committed
  bool broken_ = false;      // a statement failed: no more writes, no publishing
  std::vector<parser::ValueFormat> formats_;  // kJson values are bound by their type
};

// The column type of field `i`: none for a JSON value, INTEGER for `| int`,
// REAL for `| float` (so 102.0 stays a float), TEXT otherwise; without
// types, NUMERIC for a number (its text stored as a number).
const char* ColumnType(const SinkOptions& o, size_t i) {
  // A JSON field's column has no type: each value keeps the one it is bound
  // with (INTEGER, REAL, TEXT or NULL).
  if (i < o.formats.size() && o.formats[i] == parser::ValueFormat::kJson) return "";
  if (i < o.types.size()) {
    switch (o.types[i]) {
      case parser::FieldType::kInt: return "INTEGER";
      case parser::FieldType::kFloat: return "REAL";
      case parser::FieldType::kString: return "TEXT";
    }
  }
  bool number = i < o.formats.size() && o.formats[i] == parser::ValueFormat::kNumber;
  return number ? "NUMERIC" : "TEXT";
}

std::string CreateTable(const std::string& name, const SinkOptions& o) {
  std::string create = "CREATE TABLE " + name + " (";
  for (size_t i = 0; i < o.field_names.size(); ++i) {
    const char* type = ColumnType(o, i);
    create += SqlIdentifier(o.field_names[i]) + (*type != '\0' ? std::string(" ") + type : "") + ", ";
  }
  return create + "page_url TEXT NOT NULL, page_number INTEGER NOT NULL);";
}

// --append into an existing table: its columns must be this job's.
Status CheckColumns(sqlite3* db, const Tables& t, const std::vector<std::string>& fields,
                    const std::string& file) {
  auto cols = Query(db, "PRAGMA table_info(" + t.table + ")", file);
  if (!cols) return cols.error();
  std::vector<std::string> want = fields, have;
  want.insert(want.end(), {"page_url", "page_number"});
  for (const auto& c : *cols) have.push_back(c[1]);
  if (have != want) {
    return Err(ErrorCode::kInvalidArgument,
               "--append: table '{}' in '{}' has other columns than this job's fields", t.name,
               file);
  }
  return OkStatus();
}

// The columns page_url and page_number are the sink's own.
Status CheckFieldNames(const std::vector<std::string>& fields) {
  for (const auto& f : fields) {
    if (strcasecmp(f.c_str(), "page_url") == 0 || strcasecmp(f.c_str(), "page_number") == 0) {
      return Err(ErrorCode::kInvalidArgument,
                 "field '{}': a SQLite output has a column of that name already (the page's "
                 "URL and number); give the field another name",
                 f);
    }
  }
  return OkStatus();
}

Status Exec(sqlite3* db, const std::string& sql, const std::string& file) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Err(ErrorCode::kIo, "sqlite '{}': {}", file, sqlite3_errmsg(db));
  }
  return OkStatus();
}

// A new run: the job's tables (the rows', the state's) in one transaction.
// `stale`: the state of an unfinished run --force drops.
Status CreateJob(sqlite3* db, const SinkOptions& o, const Tables& t, const std::optional<Meta>& stale,
                 bool has_table) {
  std::string sql = "BEGIN;";
  if (stale) {
    if (stale->append) {
      sql += "DELETE FROM " + t.table + " WHERE rowid > " + std::to_string(stale->base_rowid) + ";";
    }
    sql += "DROP TABLE IF EXISTS " + t.part + "; DROP TABLE IF EXISTS " + t.pages +
           "; DROP TABLE IF EXISTS " + t.meta + ";";
  }
  if (!o.append) sql += CreateTable(t.part, o);
  if (o.append && !has_table) sql += CreateTable(t.table, o);
  sql += "CREATE TABLE " + t.meta + " (key TEXT PRIMARY KEY, value TEXT NOT NULL);";
  sql += "CREATE TABLE " + t.pages + " (page INTEGER PRIMARY KEY, ok INTEGER NOT NULL);";
  sql += "INSERT INTO " + t.meta + " VALUES ('fingerprint', " + SqlString(o.fingerprint) +
         "), ('append', '" + (o.append ? "1" : "0") + "'), ('rows', '0'), ('base_rowid', " +
         (o.append && has_table ? "(SELECT coalesce(max(rowid), 0) FROM " + t.table + ")" : "0") +
         ");";
  return Exec(db, sql + "COMMIT;", o.path);
}

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
  if (auto st = CheckFieldNames(o.field_names); !st) return st.error();
  const Tables t = TablesFor(o.table);
  const bool exists = Exists(o.path);
  if (o.mode == ResumeMode::kResume && !exists) {
    return Err(ErrorCode::kInvalidArgument,
               "--resume: no unfinished run to resume: '{}' does not exist", o.path);
  }
  // Everything is checked before the first change to the database.
  auto db = OpenDb(o.path, SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE));
  if (!db) return db.error();
  auto has_table = HasTable(db->get(), t.name, o.path);
  if (!has_table) return has_table.error();
  auto has_state = HasTable(db->get(), "_forage_meta_" + t.name, o.path);
  if (!has_state) return has_state.error();
  std::optional<Meta> meta;
  if (*has_state) {
    auto m = ReadMeta(db->get(), t, o.path);
    if (!m) return m.error();
    meta = *m;
  }
  if (o.mode == ResumeMode::kFresh && meta) {
    return Err(ErrorCode::kInvalidArgument,
               "'{}' holds an unfinished run of the job '{}'; add --resume to continue it, or "
               "--force to start over",
               o.path, t.name);
  }
  if (o.mode == ResumeMode::kResume) {
    if (!meta) {
      return Err(ErrorCode::kInvalidArgument,
                 "--resume: '{}' holds no unfinished run of the job '{}' to resume", o.path,
                 t.name);
    }
    if (meta->fingerprint != o.fingerprint) {
      return Err(ErrorCode::kInvalidArgument,
                 "'{}' holds a run of a different job '{}' (other pages, fields or order); "
                 "nothing was changed; use --force to start over",
                 o.path, t.name);
    }
    auto count = Query(db->get(),
                       "SELECT count(*) FROM " + (meta->append ? t.table : t.part) +
                           " WHERE rowid > " + std::to_string(meta->append ? meta->base_rowid : 0),
                       o.path);
    if (!count || count->empty() ||
        std::strtoull((*count)[0][0].c_str(), nullptr, 10) != meta->rows) {
      return Err(ErrorCode::kInvalidArgument,
                 "--resume: the rows of the job '{}' in '{}' are not those its state recorded "
                 "({} rows): the table was changed after the run stopped; nothing was changed; "
                 "use --force to start over",
                 t.name, o.path, meta->rows);
    }
    auto marks = Query(db->get(), "SELECT page, ok FROM " + t.pages + " ORDER BY page", o.path);
    if (!marks) return marks.error();
    if (resumed != nullptr) {
      for (const auto& m : *marks) {
        resumed->push_back(PageMark{std::strtoull(m[0].c_str(), nullptr, 10), m[1] == "1"});
      }
    }
  } else {
    if (*has_table && !o.overwrite && !o.append) {
      return Err(ErrorCode::kInvalidArgument,
                 "output '{}' has a table '{}' already; add --overwrite to replace it, or "
                 "--append to add the rows after its own",
                 o.path, t.name);
    }
    if (o.append && *has_table) {
      if (auto st = CheckColumns(db->get(), t, o.field_names, o.path); !st) return st.error();
    }
  }
  // Checked. A database this run creates gets the WAL journal (readers and
  // the writer do not block each other); one that existed keeps its own.
  if (!exists) {
    if (auto st = Exec(db->get(), "PRAGMA journal_mode=WAL", o.path); !st) return st.error();
  }
  if (auto st = Exec(db->get(), "PRAGMA synchronous=FULL", o.path); !st) return st.error();
  const bool append = o.mode == ResumeMode::kResume ? meta->append : o.append;
  const uint64_t rows = o.mode == ResumeMode::kResume ? meta->rows : 0;
  if (o.mode != ResumeMode::kResume) {
    if (auto st = CreateJob(db->get(), o, t, meta, *has_table); !st) return st.error();
  }
  auto sink = std::make_unique<SqliteSink>(o.path, t, std::move(*db), append, rows);
  sink->set_formats(o.formats);
  if (auto st = sink->Prepare(o.field_names.size()); !st) return st.error();
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace forage::engine
