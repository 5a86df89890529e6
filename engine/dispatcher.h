#pragma once
// Dispatcher: the master's book of every page's state, and the one place that
// decides which page may be fetched, by which worker, and when.
//
// Because every fetch of the job is leased here, the job's limits hold for the
// whole job, however many workers there are: --concurrency (pages being
// fetched), --per-host (pages being fetched per origin), --rate and --delay
// (leases per origin over time), and the ordered-merge window (no page is
// leased further than `window` pages past the first page not yet written).
// A page to be tried again waits, out of the queue, until its time comes. A worker is also leased nothing while `max_backlog` of its
// fetched pages wait for its CPU, so a busy worker does not hoard pages.
//
// Single-threaded (the master's loop). Worker slots are numbered 0..N-1 and
// keep their number when the process in them is replaced.

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "engine/config.h"
#include "engine/plan.h"

namespace forage::engine {

enum class PageState : uint8_t { kPending, kFetching, kProcessing, kDone, kFailed };

struct DispatchLimits {
  int concurrency = 100;
  int per_host = 0;  // 0 = no per-host limit
  double rate_per_host = 0;  // leases per second per host; 0 = no rate limit
  double delay_s = 0;        // gap between leases to one host, x U(0.5, 1.5); 0 = none
  uint64_t window = 0;  // 0 = unbounded
  int max_backlog = 8;
};

class Dispatcher {
 public:
  Dispatcher(const Plan& plan, DispatchLimits limits, Chunking chunking, int slots);

  // Registers a follow-up page (already appended to the plan) found on a
  // page of root `root`: it is leased right after the pages of its root, and
  // the merge window counts it as part of that root. Returns its index.
  uint64_t AddPage(uint64_t root);
  uint64_t root_of(uint64_t page) const { return root_[page]; }

  // A slot's worker may receive leases (it said hello) or not (dead, stopping).
  void SetAvailable(int slot, bool available);

  // Leases as many pages as the limits allow at `now_s` (seconds on any
  // monotonic clock): (slot, page ids) pairs. `cursor` is the first page
  // index not yet written (ordered merge).
  std::vector<std::pair<int, std::vector<uint64_t>>> Assign(uint64_t cursor, double now_s = 0);

  // When Assign may lease something it could not lease now (a retry's time,
  // a host's next rate slot); nullopt when only an event can change that.
  std::optional<double> NextWake() const;

  // The page was handled by an earlier run (--resume): it is never leased.
  void MarkFinished(uint64_t page, bool ok);

  // The page failed and is to be tried again, not before `not_before_s`.
  void Retry(uint64_t page, double not_before_s);

  // The page's transfer finished: its fetch slot is free.
  void OnFetched(uint64_t page);
  // The page is finished for good (records stored, or failed).
  void OnFinished(uint64_t page, bool ok);

  struct Lost {
    std::vector<uint64_t> requeued;  // back to pending
    std::optional<uint64_t> failed;  // killed a worker twice: failed for good
  };
  // The worker in `slot` died. The page it was processing (the oldest fetched,
  // unfinished one: processing is FIFO) is blamed; the rest go back to pending.
  Lost OnWorkerLost(int slot);

  PageState state(uint64_t page) const { return state_[page]; }
  int leased_to(uint64_t page) const { return owner_[page]; }
  bool all_finished() const { return finished_ == state_.size(); }
  size_t fetching() const { return static_cast<size_t>(fetching_); }
  size_t outstanding(int slot) const { return slots_[slot].fetching + slots_[slot].processing.size(); }

 private:
  struct Slot {
    bool available = false;
    int fetching = 0;
    std::deque<uint64_t> processing;  // fetched, unfinished, in arrival order
  };

  // Pending pages are ordered by (root, page): a follow-up waits right behind
  // its root, before the next root.
  using QueueKey = std::pair<uint64_t, uint64_t>;
  QueueKey KeyOf(uint64_t page) const { return {root_[page], page}; }
  std::set<QueueKey>& QueueFor(uint64_t page);
  int PickSlot(int queue_owner) const;
  bool HostFull(uint64_t page) const;
  void Release(uint64_t page);  // the page's fetch slot and processing entry

  const Plan& plan_;
  DispatchLimits limits_;
  Chunking chunking_;
  std::vector<PageState> state_;
  std::vector<int> owner_;             // slot a page is leased to, -1 if none
  std::vector<uint8_t> crashes_;       // times a page was blamed for a worker death
  std::vector<int> chunk_of_;          // static chunking: the slot owning each page
  std::vector<std::set<QueueKey>> pending_;  // one queue (dynamic) or one per slot (static)
  std::vector<uint64_t> root_;               // the plan page each page descends from
  std::vector<Slot> slots_;
  std::vector<int> host_fetching_;
  std::vector<double> host_next_s_;           // --rate/--delay: next lease allowed
  std::set<std::pair<double, uint64_t>> waiting_;  // (not before, page): retries
  std::optional<double> blocked_until_;       // a host's next slot that held a page back
  std::mt19937_64 rng_{std::random_device{}()};
  int fetching_ = 0;
  size_t finished_ = 0;
};

}  // namespace forage::engine
