#pragma once
// RootRecords: the per-root bookkeeping that --follow (FollowTree) and
// --next (Discovery) share (--crawl writes each page on its own). Every page
// belongs to a root (a page of the plan); a root is complete once it and
// every page found below it are finished, and then its records go out
// together, in page order (the order the pages were found), as the root's
// records. Master-only.

#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "parser/extract.h"

namespace forage::engine {

class RootRecords {
 public:
  struct Completed {
    uint64_t root = 0;
    bool ok = false;  // the root page itself succeeded
    std::vector<parser::Record> records;
  };

  // A page was found below `root`: the root waits for it.
  void Found(uint64_t root) { ++open_below_[root]; }

  // Files `records` of `page` (of `root`), after what the page filed before.
  void File(uint64_t root, uint64_t page, std::vector<parser::Record> records) {
    auto& out = bucket_[root][page];
    out.insert(out.end(), std::make_move_iterator(records.begin()),
               std::make_move_iterator(records.end()));
  }

  // `page` (of `root`) is finished for good; the root's records when that
  // completes it.
  std::optional<Completed> Finished(uint64_t root, uint64_t page, bool ok) {
    if (page == root) {
      root_finished_ok_[root] = ok;
    } else {
      --open_below_[root];
    }
    auto done = root_finished_ok_.find(root);
    if (done == root_finished_ok_.end() || open_below_[root] != 0) return std::nullopt;
    Completed c;
    c.root = root;
    c.ok = done->second;
    for (auto& [p, records] : bucket_[root]) {
      c.records.insert(c.records.end(), std::make_move_iterator(records.begin()),
                       std::make_move_iterator(records.end()));
    }
    bucket_.erase(root);
    open_below_.erase(root);
    root_finished_ok_.erase(done);
    return c;
  }

 private:
  std::unordered_map<uint64_t, uint64_t> open_below_;   // root -> pages found, not finished
  std::unordered_map<uint64_t, bool> root_finished_ok_;  // root -> finished, and how
  std::unordered_map<uint64_t, std::map<uint64_t, std::vector<parser::Record>>> bucket_;
};

}  // namespace forage::engine
