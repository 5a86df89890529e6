#include "engine/state_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>

namespace forage::engine {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS pages (page INTEGER PRIMARY KEY, ok INTEGER NOT NULL);";

std::string ReadMeta(sqlite3* db, const char* key) {
  std::string out;
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &q, nullptr) ==
      SQLITE_OK) {
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
  }
  sqlite3_finalize(q);
  return out;
}

}  // namespace

bool StateExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

StateStore::StateStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

StateStore::~StateStore() {
  if (db_ != nullptr) sqlite3_close(db_);
}

Status StateStore::Exec(const std::string& sql) {
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Err(ErrorCode::kIo, "state '{}': {}", path_, sqlite3_errmsg(db_));
  }
  return OkStatus();
}

Result<std::unique_ptr<StateStore>> StateStore::Create(const std::string& path,
                                                       const std::string& fingerprint,
                                                       bool overwrite) {
  if (StateExists(path)) {
    if (!overwrite) {
      return Err(ErrorCode::kInvalidArgument,
                 "state '{}' exists: an earlier run of this job did not finish; add --resume to "
                 "continue it, or --force to start over",
                 path);
    }
    for (const char* suffix : {"", "-journal", "-wal"}) std::remove((path + suffix).c_str());
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Err(ErrorCode::kInvalidArgument, "create state '{}': {}", path, why);
  }
  std::unique_ptr<StateStore> s(new StateStore(path, db));
  if (auto st = s->Exec(std::string(kSchema) + "PRAGMA synchronous=FULL;"); !st) return st.error();
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?), ('bytes', '0')",
                     -1, &q, nullptr);
  sqlite3_bind_text(q, 1, fingerprint.c_str(), -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(q);
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) return Err(ErrorCode::kIo, "state '{}': {}", path, sqlite3_errmsg(db));
  return s;
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path,
                                                     const std::string& fingerprint) {
  if (!StateExists(path)) {
    return Err(ErrorCode::kInvalidArgument, "--resume: no state '{}' to resume from", path);
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Err(ErrorCode::kInvalidArgument, "open state '{}': {}", path, why);
  }
  std::unique_ptr<StateStore> s(new StateStore(path, db));
  if (auto st = s->Exec(std::string(kSchema) + "PRAGMA synchronous=FULL;"); !st) return st.error();
  if (ReadMeta(db, "fingerprint") != fingerprint) {
    return Err(ErrorCode::kInvalidArgument,
               "state '{}' belongs to a different job (other pages, fields or output); use "
               "--force to start over",
               path);
  }
  s->output_bytes_ = std::stoull("0" + ReadMeta(db, "bytes"));
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT page, ok FROM pages ORDER BY page", -1, &q, nullptr);
  while (sqlite3_step(q) == SQLITE_ROW) {
    s->pages_.push_back(PageMark{static_cast<uint64_t>(sqlite3_column_int64(q, 0)),
                                 sqlite3_column_int(q, 1) != 0});
  }
  sqlite3_finalize(q);
  return s;
}

Status StateStore::Save(const std::vector<PageMark>& pages, uint64_t output_bytes) {
  if (auto st = Exec("BEGIN"); !st) return st;
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO pages VALUES (?, ?)", -1, &ins, nullptr);
  for (const PageMark& m : pages) {
    sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(m.page));
    sqlite3_bind_int(ins, 2, m.ok ? 1 : 0);
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  if (auto st = Exec("UPDATE meta SET value = '" + std::to_string(output_bytes) +
                     "' WHERE key = 'bytes'");
      !st) {
    return st;
  }
  output_bytes_ = output_bytes;
  return Exec("COMMIT");
}

Status StateStore::Remove() {
  sqlite3_close(db_);
  db_ = nullptr;
  for (const char* suffix : {"", "-journal", "-wal"}) std::remove((path_ + suffix).c_str());
  return OkStatus();
}

}  // namespace forage::engine
