#include "engine/state_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace forage::engine {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE pages (page INTEGER PRIMARY KEY, ok INTEGER NOT NULL);";

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

// Reads every meta key; false if the database holds no state.
bool ReadMeta(sqlite3* db, StateMeta* m) {
  Stmt q;
  if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &q.s, nullptr) != SQLITE_OK) {
    return false;
  }
  bool any = false;
  while (sqlite3_step(q.s) == SQLITE_ROW) {
    std::string key = reinterpret_cast<const char*>(sqlite3_column_text(q.s, 0));
    std::string value = reinterpret_cast<const char*>(sqlite3_column_text(q.s, 1));
    auto number = [&value] { return std::strtoull(value.c_str(), nullptr, 10); };
    if (key == "fingerprint") m->fingerprint = value, any = true;
    if (key == "output") m->output = value;
    if (key == "append") m->append = value == "1";
    if (key == "base") m->base = number();
    if (key == "bytes") m->bytes = number();
    if (key == "hash_from") m->hash_from = number();
    if (key == "hash") m->hash = value;
  }
  return any;
}

Result<sqlite3*> OpenDb(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Err(ErrorCode::kInvalidArgument, "open state '{}': {}", path, why);
  }
  sqlite3_busy_timeout(db, 10000);
  return db;
}

Status RemoveFile(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Err(ErrorCode::kIo, "remove '{}': {}", path, std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace

bool StateExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

StateStore::StateStore(std::string path, sqlite3* db, StateMeta meta)
    : path_(std::move(path)), db_(db), meta_(std::move(meta)) {}

StateStore::~StateStore() {
  if (db_ != nullptr) sqlite3_close(db_);
}

Status StateStore::Exec(const std::string& sql) {
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Err(ErrorCode::kIo, "state '{}': {}", path_, sqlite3_errmsg(db_));
  }
  return OkStatus();
}

Status StateStore::SetMeta(const char* key, const std::string& value) {
  Stmt q;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO meta VALUES (?, ?)", -1, &q.s, nullptr) !=
      SQLITE_OK) {
    return Err(ErrorCode::kIo, "state '{}': {}", path_, sqlite3_errmsg(db_));
  }
  sqlite3_bind_text(q.s, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(q.s, 2, value.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(q.s) != SQLITE_DONE) {
    return Err(ErrorCode::kIo, "state '{}': {}", path_, sqlite3_errmsg(db_));
  }
  return OkStatus();
}

Result<std::unique_ptr<StateStore>> StateStore::Create(const std::string& path,
                                                       const StateMeta& meta, bool overwrite) {
  if (StateExists(path)) {
    if (!overwrite) {
      return Err(ErrorCode::kInvalidArgument,
                 "state '{}' exists: an earlier run of this job did not finish; add --resume to "
                 "continue it, or --force to start over",
                 path);
    }
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
      if (auto st = RemoveFile(path + suffix); !st) return st.error();
    }
  }
  auto db = OpenDb(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return db.error();
  std::unique_ptr<StateStore> s(new StateStore(path, *db, meta));
  if (auto st = s->Exec("PRAGMA synchronous=FULL; BEGIN;" + std::string(kSchema)); !st) {
    return st.error();
  }
  for (auto [key, value] : {std::pair<const char*, std::string>{"fingerprint", meta.fingerprint},
                            {"output", meta.output},
                            {"append", meta.append ? "1" : "0"},
                            {"base", std::to_string(meta.base)},
                            {"bytes", std::to_string(meta.bytes)},
                            {"hash_from", std::to_string(meta.hash_from)},
                            {"hash", meta.hash}}) {
    if (auto st = s->SetMeta(key, value); !st) return st.error();
  }
  if (auto st = s->Exec("COMMIT"); !st) return st.error();
  return s;
}

Result<StateSnapshot> StateStore::Read(const std::string& path) {
  if (!StateExists(path)) {
    return Err(ErrorCode::kInvalidArgument, "--resume: no state '{}' to resume from", path);
  }
  // Read-write (never created): a run killed inside a state transaction
  // leaves a hot journal, which only a writable connection rolls back; a
  // read-only one cannot read the state at all. The rollback restores the
  // last committed state; nothing else is written here.
  auto db = OpenDb(path, SQLITE_OPEN_READWRITE);
  if (!db) return db.error();
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> owned(*db, sqlite3_close);
  StateSnapshot snap;
  if (!ReadMeta(*db, &snap.meta)) {
    return Err(ErrorCode::kInvalidArgument, "'{}' is not the state of a forage job", path);
  }
  Stmt q;
  if (sqlite3_prepare_v2(*db, "SELECT page, ok FROM pages ORDER BY page", -1, &q.s, nullptr) !=
      SQLITE_OK) {
    return Err(ErrorCode::kInvalidArgument, "state '{}': {}", path, sqlite3_errmsg(*db));
  }
  while (sqlite3_step(q.s) == SQLITE_ROW) {
    snap.pages.push_back(PageMark{static_cast<uint64_t>(sqlite3_column_int64(q.s, 0)),
                                  sqlite3_column_int(q.s, 1) != 0});
  }
  return snap;
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path,
                                                     const StateMeta& meta) {
  auto db = OpenDb(path, SQLITE_OPEN_READWRITE);
  if (!db) return db.error();
  std::unique_ptr<StateStore> s(new StateStore(path, *db, meta));
  if (auto st = s->Exec("PRAGMA synchronous=FULL"); !st) return st.error();
  return s;
}

Status StateStore::Save(const std::vector<PageMark>& pages, uint64_t output_bytes,
                        const std::string& hash) {
  if (auto st = Exec("BEGIN"); !st) return st;
  Stmt ins;
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO pages VALUES (?, ?)", -1, &ins.s, nullptr) !=
      SQLITE_OK) {
    (void)Exec("ROLLBACK");
    return Err(ErrorCode::kIo, "state '{}': {}", path_, sqlite3_errmsg(db_));
  }
  for (const PageMark& m : pages) {
    sqlite3_bind_int64(ins.s, 1, static_cast<sqlite3_int64>(m.page));
    sqlite3_bind_int(ins.s, 2, m.ok ? 1 : 0);
    int rc = sqlite3_step(ins.s);
    sqlite3_reset(ins.s);
    if (rc != SQLITE_DONE) {
      auto err = Err(ErrorCode::kIo, "state '{}': {}", path_, sqlite3_errmsg(db_));
      (void)Exec("ROLLBACK");
      return err;
    }
  }
  for (auto [key, value] : {std::pair<const char*, std::string>{"bytes", std::to_string(output_bytes)},
                            {"hash", hash}}) {
    if (auto st = SetMeta(key, value); !st) {
      (void)Exec("ROLLBACK");
      return st;
    }
  }
  if (auto st = Exec("COMMIT"); !st) {
    (void)Exec("ROLLBACK");
    return st;
  }
  meta_.bytes = output_bytes;
  meta_.hash = hash;
  return OkStatus();
}

Status StateStore::Remove() {
  if (sqlite3_close(db_) != SQLITE_OK) {
    return Err(ErrorCode::kIo, "close state '{}': {}", path_, sqlite3_errmsg(db_));
  }
  db_ = nullptr;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    if (auto st = RemoveFile(path_ + suffix); !st) return st;
  }
  return OkStatus();
}

}  // namespace forage::engine
