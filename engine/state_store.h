#pragma once
// StateStore: which pages of a job are stored, kept beside a file output
// (PATH.state, SQLite) so an interrupted or crashed run can be resumed.
//
// The state moves in step with the output: the sink makes its bytes durable
// (flush, fdatasync) and only then records, in one transaction, the pages
// those bytes hold, the output's length and a hash of its bytes. A resumed
// run first checks that the output still holds exactly those bytes (Read
// touches nothing), then truncates it to that length and fetches only the
// pages not recorded. Master-only.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

struct sqlite3;

namespace forage::engine {

struct PageMark {
  uint64_t page = 0;  // index in the plan
  bool ok = false;    // stored with its records, or failed for good
};

// What the state says about its job and its output.
struct StateMeta {
  std::string fingerprint;  // the job (pages, rules, order)
  std::string output;       // the output's absolute path
  bool append = false;      // the run adds to a file that existed before it
  uint64_t base = 0;        // bytes before the first record (header, or the appended-to file)
  uint64_t bytes = 0;       // bytes the last checkpoint made durable
  uint64_t hash_from = 0;   // the hash covers bytes [hash_from, bytes)
  std::string hash;         // SHA-256 (hex) of those bytes
};

struct StateSnapshot {
  StateMeta meta;
  std::vector<PageMark> pages;
};

class StateStore {
 public:
  // Creates a new state; an existing file is an error (kInvalidArgument)
  // unless `overwrite`.
  static Result<std::unique_ptr<StateStore>> Create(const std::string& path,
                                                    const StateMeta& meta, bool overwrite);
  // Reads a state without changing it (read-only): kInvalidArgument if it is
  // missing or is not a state.
  static Result<StateSnapshot> Read(const std::string& path);
  // Opens an existing state for further checkpoints (after Read checked it).
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path,
                                                  const StateMeta& meta);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  const StateMeta& meta() const { return meta_; }

  // Records `pages` as stored and the output as `output_bytes` long with
  // SHA-256 `hash` of bytes [hash_from, output_bytes), in one transaction.
  Status Save(const std::vector<PageMark>& pages, uint64_t output_bytes, const std::string& hash);
  // The job is complete: the state goes.
  Status Remove();

 private:
  StateStore(std::string path, sqlite3* db, StateMeta meta);
  Status Exec(const std::string& sql);
  Status SetMeta(const char* key, const std::string& value);

  std::string path_;
  sqlite3* db_;
  StateMeta meta_;
};

// True if a state file exists at `path`.
bool StateExists(const std::string& path);

}  // namespace forage::engine
