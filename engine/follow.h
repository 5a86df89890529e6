#pragma once
// FollowTree: two-stage (or deeper) crawls. Pages above the last level are
// list pages: their items carry a link column (--follow); each link becomes a
// follow-up page, extracted with the detail rules at the last level, and each
// detail record is prefixed with the fields of the item that linked to it.
//
// Follow-ups are registered only when their list page is done, so a list
// page whose worker died is fetched again without duplicating a link. Every
// page belongs to a root (a page of the plan); a root is complete when it and
// all pages found below it are finished, and its records then go out, in the
// order the pages were found, as the root's records. The merge window, the
// ordered output and --resume all count roots.
//
// Per-page state (root, depth, carried fields, records held while the page
// is in flight) lives in the PageBook; the tree keeps only what belongs to
// roots. Master-only, single-threaded.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/page_book.h"
#include "engine/plan.h"
#include "engine/root_records.h"
#include "parser/extract.h"

namespace forage::engine {

class FollowTree {
 public:
  // `plan` and `book` grow with the follow-ups; `follow_column` is the index
  // of the link column in the list rules' records; pages at `depth` are
  // detail pages.
  FollowTree(Plan* plan, PageBook* book, int depth, size_t follow_column);

  // 0: the job's (list) rules; 1: the detail rules.
  uint8_t RulesFor(uint64_t page) const { return book_->depth(page) >= depth_limit_ ? 1 : 0; }

  using Completed = RootRecords::Completed;
  // The page is finished for good (call before the book settles it: its
  // records are taken from the book). A list page registers its follow-ups
  // (appended to `added`, to be queued); a detail page files its records
  // under its root. Roots that became complete are appended to `completed`.
  void Finish(uint64_t page, bool ok, std::vector<uint64_t>* added,
              std::vector<Completed>* completed);

 private:
  void AddFollowUps(uint64_t page, uint64_t root, std::vector<parser::Record>& records,
                    std::vector<uint64_t>* added);

  Plan* plan_;
  PageBook* book_;
  int depth_limit_;
  size_t follow_column_;
  RootRecords roots_;  // pages open below each root, and their records
  std::unordered_set<std::string> seen_;                // every URL fetched or to fetch
};

}  // namespace forage::engine
