#pragma once
// StateStore: which pages of a job are stored, kept beside a file output
// (PATH.state, SQLite) so an interrupted or crashed run can be resumed.
//
// The state moves in step with the output: the sink makes its bytes durable
// (flush, fdatasync) and only then records, in one transaction, the pages
// those bytes hold and the output's length. A resumed run truncates the
// output to that length and fetches only the pages not recorded. Master-only.

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

class StateStore {
 public:
  // Creates a new state for the job `fingerprint`; an existing file is an
  // error (kInvalidArgument) unless `overwrite`.
  static Result<std::unique_ptr<StateStore>> Create(const std::string& path,
                                                    const std::string& fingerprint,
                                                    bool overwrite);
  // Opens the state of an unfinished run; it must belong to `fingerprint`.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path,
                                                  const std::string& fingerprint);
  ~StateStore();

  uint64_t output_bytes() const { return output_bytes_; }
  const std::vector<PageMark>& pages() const { return pages_; }

  // Records `pages` as stored and the output as `output_bytes` long.
  Status Save(const std::vector<PageMark>& pages, uint64_t output_bytes);
  // The job is complete: the state goes.
  Status Remove();

 private:
  StateStore(std::string path, sqlite3* db);
  Status Exec(const std::string& sql);

  std::string path_;
  sqlite3* db_;
  uint64_t output_bytes_ = 0;
  std::vector<PageMark> pages_;
};

// True if a state file exists at `path`.
bool StateExists(const std::string& path);

}  // namespace forage::engine
