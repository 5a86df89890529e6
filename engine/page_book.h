#pragma once
// PageBook: the one owner of every page's state in the master.
//
//            Lease              Fetched               Settle(ok)
//   pending -------> fetching ---------> processing -----------> done
//      ^  ^             |                    |       Settle(!ok)
//      |  +-- Requeue --+--------------------+  ---------------> failed
//      |       (a retry: waiting, until its time; worker lost: pending)
//   waiting
//
// A page's entry holds its state, the worker slot it is leased to, its
// failed attempts and the worker deaths it was blamed for, its root and
// depth (--follow), and what its worker sent so far (records held until the
// page is settled). Requeue is the one way back: it forgets what the page
// sent and releases its lease, for a retry and a lost worker alike; resume
// settles pages before anything is leased. Nothing else keeps per-page state
// about pages in flight, so no two copies can disagree.
//
// The book records; the Dispatcher decides (who gets which page, when).
// Single-threaded (the master's loop).

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "parser/extract.h"

namespace forage::engine {

enum class PageState : uint8_t { kPending, kWaiting, kFetching, kProcessing, kDone, kFailed };

class PageBook {
 public:
  // The plan's pages, each its own root.
  explicit PageBook(uint64_t pages);

  // A follow-up found below `root`, `depth` levels down, carrying the fields
  // of the item that linked to it. Returns its id (the next plan index).
  uint64_t Add(uint64_t root, uint16_t depth, std::vector<parser::FieldValue> carried);

  uint64_t size() const { return entries_.size(); }
  PageState state(uint64_t p) const { return entries_[p].state; }
  // The slot the page is leased to (fetching or processing), else -1.
  int owner(uint64_t p) const { return entries_[p].owner; }
  uint64_t root(uint64_t p) const { return entries_[p].root; }
  uint16_t depth(uint64_t p) const { return entries_[p].depth; }
  uint16_t attempts(uint64_t p) const { return entries_[p].attempts; }
  uint8_t crashes(uint64_t p) const { return entries_[p].crashes; }
  const std::vector<parser::FieldValue>& carried(uint64_t p) const;
  bool settled(uint64_t p) const {
    return entries_[p].state == PageState::kDone || entries_[p].state == PageState::kFailed;
  }
  bool all_settled() const { return settled_ == entries_.size(); }
  uint64_t settled_count() const { return settled_; }
  // Pages holding records not yet settled (for tests and the bench).
  size_t holding() const { return held_.size(); }

  // pending -> fetching, leased to `slot`.
  void Lease(uint64_t p, int slot);
  // fetching -> processing: the transfer is over, the worker parses it.
  void MarkFetched(uint64_t p);
  // Records the leased page's worker sent (in order; a page may send many
  // frames). Ignored unless the page is leased.
  void Hold(uint64_t p, std::vector<parser::Record>&& records);
  // What the page sent, taken out of the book (at its settling).
  std::vector<parser::Record> TakeHeld(uint64_t p);

  // The links the leased page's worker found (--next / --crawl). Ignored
  // unless the page is leased; forgotten like its records on a requeue.
  void HoldLinks(uint64_t p, std::vector<std::string>&& links);
  std::vector<std::string> TakeLinks(uint64_t p);

  // One more failed attempt / worker death blamed; returns the new count.
  uint16_t CountAttempt(uint64_t p) { return ++entries_[p].attempts; }
  uint8_t CountCrash(uint64_t p) { return ++entries_[p].crashes; }

  // The one way back to the queue: what the page sent is forgotten and its
  // lease released; it waits (`waiting`: a retry's time) or is pending.
  void Requeue(uint64_t p, bool waiting);
  // The page is finished for good (stored, failed, or stored by an earlier
  // run); whatever it still held is dropped. Settling twice does nothing.
  void Settle(uint64_t p, bool ok);

 private:
  struct Entry {
    uint64_t root = 0;
    uint16_t attempts = 0;
    uint16_t depth = 0;
    int16_t owner = -1;
    PageState state = PageState::kPending;
    uint8_t crashes = 0;
  };
  void Forget(uint64_t p) {
    held_.erase(p);
    links_.erase(p);
  }

  std::vector<Entry> entries_;  // 16 bytes a page
  std::unordered_map<uint64_t, std::vector<parser::Record>> held_;  // pages in flight only
  std::unordered_map<uint64_t, std::vector<parser::FieldValue>> carried_;  // follow-ups only
  std::unordered_map<uint64_t, std::vector<std::string>> links_;  // pages in flight only
  uint64_t settled_ = 0;
};

}  // namespace forage::engine
