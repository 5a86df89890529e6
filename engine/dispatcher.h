#pragma once
// Dispatcher: decides which page may be fetched, by which worker, and when.
// The pages' states live in the PageBook; the Dispatcher keeps the queues.
//
// Because every fetch of the job is leased here, the job's limits hold for the
// whole job, however many workers there are: --concurrency (pages being
// fetched), --per-host (pages being fetched per origin), --rate and --delay
// (leases per origin over time), and the ordered-merge window (no page is
// leased further than `window` roots past the first root not yet written).
// A page to be tried again waits, out of the queue, until its time comes. A
// worker is also leased nothing while `max_backlog` of its fetched pages wait
// for its CPU, so a busy worker does not hoard pages.
//
// Cost: pending pages are queued per host (one queue per chunk with static
// chunking), ordered by (root, page), so a follow-up waits right behind its
// root. Only hosts that may take a page now (not full, not paced) are in the
// `ready` set, keyed by their first page: a lease is O(log n) whatever the
// order, chunking and limits, and never scans pages it cannot lease.
//
// Single-threaded (the master's loop). Worker slots are numbered 0..N-1 and
// keep their number when the process in them is replaced.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/config.h"
#include "engine/page_book.h"
#include "engine/plan.h"

namespace forage::engine {

struct DispatchLimits {
  int concurrency = 100;
  int per_host = 0;  // 0 = no per-host limit
  // --throttle auto: each host's cap starts here and is moved by SetHostCap
  // (engine/throttle); 0 = every host's cap is per_host.
  int initial_host_cap = 0;
  double rate_per_host = 0;  // leases per second per host; 0 = no rate limit
  double delay_s = 0;        // gap between leases to one host, x U(0.5, 1.5); 0 = none
  uint64_t window = 0;  // 0 = unbounded
  int max_backlog = 8;
};

// A seam for tests: called at every lease that sends a request (not at the
// gate's blocked pages), with the page's URL, the master's clock at the
// lease (`now_s`, the time the limits were applied at), the earliest time
// the next lease to that host may come (`host_next_s`; <= now_s when the
// host is not paced) and the pages being fetched from that host, this one
// included. The shipped `forage` never installs one; the test-only
// `forage-testhooks` binary does (FORAGE_TEST_LEASE_LOG), so the e2e tests
// check --rate, --delay, Crawl-delay and --per-host on the master's side,
// where they are promises, not on arrivals at a site, which scheduling
// delays.
struct LeaseEvent {
  std::string_view url;
  double now_s = 0;
  double host_next_s = 0;
  int host_fetching = 0;
};
using LeaseHook = std::function<void(const LeaseEvent&)>;
void InstallLeaseHookForTesting(LeaseHook hook);

// The gate's answer about a page: fetch it; skip it (robots.txt disallows
// it, or is unavailable: counted as blocked, not a failure); or fail it
// unfetched. `reason` goes to the report. kWait: no answer yet (the
// origin's robots.txt is being fetched): the page's host is held, nothing
// of it is leased, until UnholdHosts(); the page is asked again then.
struct GateVerdict {
  enum class Kind { kFetch, kBlock, kFail, kWait };
  Kind kind = Kind::kFetch;
  std::string reason;
};
// Asked once per page, just before its first lease (robots.txt,
// engine/robots_gate). It may set `*host_gap_s` to the least gap between
// leases to the page's host (Crawl-delay); it is left negative otherwise.
using PageGate = std::function<GateVerdict(uint64_t page, double* host_gap_s)>;
// Whether a page will be answered without a request to its site (served
// from --cache in mode "always"): such a lease takes no --rate/--delay/
// Crawl-delay slot of its host.
using NoRequest = std::function<bool(uint64_t page)>;

class Dispatcher {
 public:
  // `plan` and `book` must outlive the Dispatcher; every page of the book
  // that is pending is queued.
  Dispatcher(const Plan& plan, PageBook& book, DispatchLimits limits, Chunking chunking,
             int slots);

  // Queues a page the book gained (a follow-up, already in the plan): it is
  // leased right after the pages of its root.
  void Enqueue(uint64_t page);

  // A slot's worker may receive leases (it said hello) or not (dead, stopping).
  void SetAvailable(int slot, bool available);
  bool available(int slot) const { return slots_[slot].available; }

  // Leases as many pages as the limits allow at `now_s` (seconds on any
  // monotonic clock): (slot, page ids) pairs. `cursor` is the first root
  // not yet written (ordered merge).
  std::vector<std::pair<int, std::vector<uint64_t>>> Assign(uint64_t cursor, double now_s = 0);

  // When Assign may lease something it could not lease now (a retry's time,
  // a host's next rate slot); nullopt when only an event can change that.
  std::optional<double> NextWake() const;

  // Pages are asked of `gate` before their first lease; blocked ones are
  // taken by TakeBlocked() (still leased: the caller settles them).
  void SetGate(PageGate gate) { gate_ = std::move(gate); }
  // Pages `no_request` answers true for are leased without pacing their
  // host (first attempts only: a retry follows a real request).
  void SetNoRequest(NoRequest no_request) { no_request_ = std::move(no_request); }
  struct Blocked {
    uint64_t page;
    GateVerdict verdict;
  };
  std::vector<Blocked> TakeBlocked() { return std::exchange(blocked_, {}); }
  // The gate has news (a robots.txt answered): every host it held may go
  // again; those still waiting are held again at their next question.
  void UnholdHosts();
  size_t held_hosts() const { return held_.size(); }
  // `host`'s cap on pages being fetched (--throttle auto), in place of
  // per_host; 0 = none. Pages already leased above a lowered cap finish.
  void SetHostCap(uint32_t host, int cap);
  int host_fetching(uint32_t host) const {
    return host < host_fetching_.size() ? host_fetching_[host] : 0;
  }
  // No lease to `host` before `until_s` (a 429/503 Retry-After pauses the host).
  void PauseHost(uint32_t host, double until_s);

  // The page was handled by an earlier run (--resume): it is never leased.
  void MarkFinished(uint64_t page, bool ok);

  // The one path back to the queue (retries and lost workers): the page's
  // lease is released, the book forgets what it sent, and it is leased again
  // from `not_before_s` on (now, if nullopt).
  void Requeue(uint64_t page, std::optional<double> not_before_s);
  // A retry: Requeue of a leased page, not before `not_before_s`.
  void Retry(uint64_t page, double not_before_s) { Requeue(page, not_before_s); }

  // The page's transfer finished: its fetch slot is free.
  void OnFetched(uint64_t page);
  // The page is finished for good (records stored, or failed).
  void OnFinished(uint64_t page, bool ok);

  struct Lost {
    std::vector<uint64_t> requeued;  // back to pending
    std::optional<uint64_t> failed;  // killed a worker twice: to be failed for good
  };
  // The worker in `slot` died. The page it was processing (the oldest fetched,
  // unfinished one: processing is FIFO) is blamed; the rest are requeued.
  // A page blamed twice is returned as `failed`, still leased: the caller
  // settles it (OnFinished) once it has recorded the failure.
  Lost OnWorkerLost(int slot);

  PageState state(uint64_t page) const { return book_.state(page); }
  int leased_to(uint64_t page) const { return book_.owner(page); }
  uint64_t root_of(uint64_t page) const { return book_.root(page); }
  bool all_finished() const { return book_.all_settled(); }
  size_t fetching() const { return static_cast<size_t>(fetching_); }
  size_t outstanding(int slot) const { return slots_[slot].leased.size(); }

 private:
  struct Slot {
    bool available = false;
    std::unordered_set<uint64_t> leased;  // fetching or processing
    std::deque<uint64_t> processing;       // fetched, unfinished, in arrival order
  };
  using QueueKey = std::pair<uint64_t, uint64_t>;  // (root, page)
  // One host's pending pages in one queue: the plan's own pages in plan
  // order (settled ones skipped lazily), and the rest (requeued pages,
  // follow-ups) in a set.
  struct HostQueue {
    std::deque<uint64_t> initial;
    std::set<QueueKey> extra;
    bool listed = false;  // in the queue's ready set, under `listed_key`
    QueueKey listed_key{};
  };
  struct Queue {
    std::unordered_map<uint32_t, HostQueue> hosts;
    std::set<std::pair<QueueKey, uint32_t>> ready;  // (first page, host) of hosts that may go
  };

  QueueKey KeyOf(uint64_t page) const { return {book_.root(page), page}; }
  Queue& QueueOf(uint64_t page);
  void Push(uint64_t page);
  std::optional<QueueKey> Front(HostQueue& hq);
  bool HostMayGo(uint32_t host) const;
  void Refresh(Queue& q, uint32_t host);
  void RefreshHost(uint32_t host);
  void GrowHosts();
  int PickSlot(int only) const;
  void Lease(int slot, uint64_t page, double now_s);
  // Lease, or, for a page the gate blocks, a lease that goes to `blocked_`.
  bool LeaseOrBlock(int slot, uint64_t page, double now_s);
  // Tells the test hook (InstallLeaseHookForTesting) of a lease that fetches.
  void Announce(uint64_t page, double now_s) const;
  void Release(uint64_t page);  // the page's fetch slot and processing entry

  const Plan& plan_;
  PageBook& book_;
  DispatchLimits limits_;
  Chunking chunking_;
  bool paced_ = false;
  std::vector<Queue> queues_;   // one (dynamic) or one per slot (static)
  uint64_t chunk_base_ = 0, chunk_extra_ = 0;  // static: chunk sizes (numpy.array_split)
  std::vector<Slot> slots_;
  std::vector<int> host_fetching_;
  std::vector<int> host_cap_;                 // per_host, or the throttle's (0 = none)
  std::vector<double> host_next_s_;           // --rate/--delay: next lease allowed
  std::vector<double> host_gap_s_;            // the host's own least gap (Crawl-delay)
  std::vector<uint8_t> host_paced_;           // in paced_hosts_, so not ready
  std::vector<uint8_t> host_held_;            // the gate said kWait: not ready
  std::vector<uint32_t> held_;                // the hosts held
  std::set<std::pair<double, uint32_t>> paced_hosts_;  // (next lease allowed, host)
  std::set<std::pair<double, uint64_t>> waiting_;     // (not before, page): retries
  std::mt19937_64 rng_{std::random_device{}()};
  int fetching_ = 0;
  PageGate gate_;
  NoRequest no_request_;
  std::vector<Blocked> blocked_;
};

}  // namespace forage::engine
