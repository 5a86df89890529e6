#pragma once
// Recorder: the master's output role. Takes each page's records as the
// merger releases them (exactly once per page, in output order), drops
// records whose --key was seen before, writes the rest to the sink, and at
// each checkpoint makes them durable together with the marks of the pages
// they came from (what --resume reads).
//
// Knows nothing of workers or the loop: a test drives it with a fake sink.
// Single-threaded.

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "engine/plan.h"
#include "engine/state_store.h"
#include "engine/store.h"
#include "parser/extract.h"

namespace forage::engine {

class Recorder {
 public:
  // `sink` must outlive the Recorder. `key_columns`: indexes of the --key
  // fields (empty: no deduplication).
  Recorder(Sink* sink, std::vector<size_t> key_columns);

  // Page `page_id` (`task` says where it came from) is resolved: its
  // records are written (ok) or none (failed), and its mark waits for the
  // next checkpoint.
  Status Store(uint64_t page_id, const PageTask& task, bool ok,
               const std::vector<parser::Record>& records);
  // Makes what was written durable and records the pages stored since the
  // last checkpoint (none: the sink is made durable all the same).
  Status Checkpoint();

  uint64_t items() const { return items_; }
  uint64_t duplicates() const { return duplicates_; }
  size_t unsaved() const { return unsaved_.size(); }
  // Per column: how many stored records had a non-empty value (fill rates).
  const std::vector<uint64_t>& filled() const { return filled_; }

 private:
  std::string RecordKey(const parser::Record& r) const;

  Sink* sink_;
  std::vector<size_t> key_columns_;
  std::unordered_set<std::string> seen_keys_;
  std::vector<PageMark> unsaved_;  // pages stored since the last checkpoint
  std::vector<uint64_t> filled_;
  uint64_t items_ = 0;
  uint64_t duplicates_ = 0;
};

}  // namespace forage::engine
