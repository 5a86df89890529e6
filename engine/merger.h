#pragma once
// Merger: turns pages finishing in any order into one stream of records.
// Every page is handed to `emit` exactly once, in output order, when it is
// resolved: with its records (ok) or with none (failed), so the caller can
// both store the records and note the page as stored.
//
// A page's records are held by the PageBook until the page is settled, so
// a page whose worker died half-way never writes anything. With Order::kPage a
// committed page waits until every earlier page is resolved, then its records
// go out; the dispatcher's window bounds how many pages can wait. With
// Order::kArrival pages go out as they commit. Single-threaded.

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "base/result.h"
#include "engine/config.h"
#include "parser/extract.h"

namespace forage::engine {

class Merger {
 public:
  using EmitFn =
      std::function<Status(uint64_t page, bool ok, std::vector<parser::Record>&& records)>;

  Merger(Order order, uint64_t pages, EmitFn emit);

  // The page succeeded: its records may be written.
  Status Commit(uint64_t page, std::vector<parser::Record>&& records);
  // The page failed for good: nothing of it is written.
  Status Skip(uint64_t page);
  // The page was stored by an earlier run (--resume): resolved, not emitted.
  Status Preresolve(uint64_t page);

  // The plan grew to `pages` (--crawl: pages found as the job goes, each
  // resolved on its own).
  void Grow(uint64_t pages) {
    if (pages > resolved_.size()) resolved_.resize(pages, 0);
  }

  // The first page not yet resolved (every earlier one was written or skipped).
  uint64_t cursor() const { return cursor_; }
  size_t held_pages() const { return ready_.size(); }

 private:
  Status Resolve(uint64_t page, bool ok, std::vector<parser::Record>* records);
  Status Advance();

  Order order_;
  EmitFn emit_;
  std::vector<uint8_t> resolved_;
  // Resolved pages waiting for their turn (page order): ok flag and records.
  std::map<uint64_t, std::pair<bool, std::vector<parser::Record>>> ready_;
  uint64_t cursor_ = 0;
};

}  // namespace forage::engine
