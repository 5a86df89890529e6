#pragma once
// Router: the master's decisions. It routes what workers send (records,
// pages done, stats, a request to retire) into the PageBook, the
// FollowTree, the Merger and the Recorder; leases pages through the
// Dispatcher; decides retries, what a lost worker costs, when a slot gets a
// fresh process, and when the run may stop.
//
// It reaches the workers only through a WorkerPort: forking processes and
// channels (WorkerPool) in forage, a fake in tests. That is also the seam a
// distributed mode plugs into: leases go out through the port, results come
// back as the same messages. Single-threaded (the master's loop).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/config.h"
#include "engine/crawl.h"
#include "engine/crawl_journal.h"
#include "engine/dispatcher.h"
#include "engine/follow.h"
#include "engine/merger.h"
#include "engine/page_book.h"
#include "engine/plan.h"
#include "engine/recorder.h"
#include "engine/state_store.h"
#include "engine/summary.h"
#include "engine/throttle.h"
#include "engine/worker_events.h"
#include "worker/protocol.h"

namespace forage::engine {

// What the Router needs of the worker slots and the loop.
class WorkerPort {
 public:
  virtual ~WorkerPort() = default;
  // Seconds on a monotonic clock.
  virtual double Now() = 0;
  virtual void Send(int slot, const worker::Message& msg) = 0;
  // Starts a fresh worker process in `slot` (its previous one is gone);
  // returns its pid. Its Hello comes as a message.
  virtual Result<int64_t> Start(int slot) = 0;
  // Kills every worker process at once (an abort; a second interrupt,
  // which also drops an in-process worker: `in_process_too`).
  virtual void KillAll(bool in_process_too) = 0;
  // Call Router::Pump at `at` (a retry's time, a paced host's next slot).
  virtual void WakeAt(double at) = 0;
  // No worker process is left (every channel closed and handled, every
  // child reaped).
  virtual bool AllGone() const = 0;
  // The run is over: the loop's handles may close.
  virtual void Shutdown() = 0;
};

// A WorkerPort the Master owns: the local WorkerPool, or the collector's
// port to the nodes of a distributed job (engine/redis_collector).
class MasterPort : public WorkerPort {
 public:
  // Where events go, and what to call when the run is over.
  virtual void Bind(WorkerEvents* events, std::function<void()> on_shutdown) = 0;
  // The port's handles; after the first forks.
  virtual Status InitHandles() = 0;
  // Reaps every exited child (SIGCHLD).
  virtual void ReapChildren() = 0;
};

class Router : public WorkerEvents {
 public:
  // `plan`, `recorder`, `port` and `summary` must outlive the Router.
  // `follow_column`: with --follow, the link column of the list rules'
  // records. The plan grows with the follow-ups.
  Router(const Config& config, Plan& plan, Recorder* recorder, WorkerPort* port,
         Summary* summary, size_t follow_column = 0);

  // --crawl with a file output: the pages the crawl finds are journaled
  // there, and made durable at each checkpoint before the output's marks.
  void SetJournal(CrawlJournal* journal) { journal_ = journal; }
  // Pages an earlier run stored (--resume): settled, never leased. `found`:
  // the pages an earlier crawl found (its journal, in plan order); they join
  // the plan under their old indexes, and those not stored are queued.
  Status Resume(const std::vector<PageMark>& resumed, const std::vector<FoundPage>& found = {});
  // Starts every slot's first process; nothing is leased until each said hello.
  Status Start();

  // --- events
  void OnMessage(int slot, worker::Message&& msg) override;
  // The slot's channel closed: it is leased nothing more, at once.
  void OnChannelClosed(int slot) override;
  // The slot's process is gone and its channel released (handled outside
  // the channel's callbacks). `hung`: the watchdog killed it.
  void OnWorkerGone(int slot, bool hung) override;
  // A child of the slot was reaped.
  void OnReaped(int slot, double user_s, double sys_s, std::string exit) override;
  // A distributed job: the page leased to `slot` was lost on a node (its
  // worker crashed on it, or its lease expired). It counts as a delivery;
  // the page is leased again, or, delivered --max-deliveries times, failed
  // as poison (dead). Returns true when it is dead.
  bool OnPageLost(int slot, uint64_t page, const std::string& why);
  // A distributed job: a lease no node took was withdrawn (an interrupted
  // run): the page is pending again, nothing is counted.
  void OnPageReturned(int slot, uint64_t page);
  // SIGINT/SIGTERM: the first drains, the second kills.
  void OnInterrupt();
  void Pump() override;
  // robots.txt (engine/robots_gate): pages the gate blocks are settled
  // without a request, counted in pages_blocked.
  void SetGate(PageGate gate) { dispatcher_.SetGate(std::move(gate)); }
  void SetNoRequest(NoRequest no_request) { dispatcher_.SetNoRequest(std::move(no_request)); }
  // The gate has an answer it had not (a robots.txt arrived): the hosts it
  // held may take leases again.
  void OnGateNews() {
    dispatcher_.UnholdHosts();
    Pump();
  }
  void Checkpoint();
  void MaybeStop() override;
  void Abort(Error error);
  // Folds the slots' figures into the summary (at the end of the run).
  void Finish();

  // --- queries
  size_t outstanding(int slot) const override { return dispatcher_.outstanding(slot); }
  bool stopping(int slot) const override { return slots_[slot].stopping; }
  int busy_slots() const;
  int slots() const { return static_cast<int>(slots_.size()); }
  int interrupts() const { return interrupts_; }
  const std::optional<Error>& error() const { return error_; }
  const PageBook& book() const { return book_; }
  const Dispatcher& dispatcher() const { return dispatcher_; }
  const WorkerSummary& worker_summary(int slot) const { return slots_[slot].summary; }

 private:
  struct Slot {
    bool alive = false;       // its channel is open
    bool stopping = false;    // sent Stop; its EOF is expected
    bool retiring = false;    // asked to be replaced (RetireMsg)
    bool said_hello = false;  // the slot's first process said hello
    WorkerSummary summary;    // totals of the slot's earlier processes, then of all
    worker::StatsMsg stats;   // the latest snapshot of the current process
    uint64_t leased_items = 0;  // pages leased to the current process (each one a request)
    uint64_t requests = 0;    // totals of finished processes (FoldStats)
    uint64_t body_bytes = 0;
    TransportSummary transport;  // totals of finished processes (FoldStats)
    uint64_t cache_hits = 0;
    uint64_t cache_revalidated = 0;
    uint64_t cache_misses = 0;
    std::vector<worker::ProxyCounts> proxies;
  };

  Status StartSlot(int slot);
  void HandlePageDone(int slot, const worker::PageDoneMsg& done);
  void HandleRetire(int slot);
  void MaybeRetire(int slot);
  void HandleWorkerLost(int slot, bool hung);
  void Settle(uint64_t page, bool ok);
  void FailPage(uint64_t page, std::string reason);
  void FoldStats(Slot& slot);
  void StopWorkers();
  bool Idle() const;
  double RetryDelay(int attempt, double retry_after_s);
  // --throttle auto: the outcome of `page`'s transfer moves its host's cap.
  // `status` 0: no response (a transport failure, counted when retryable).
  void Observe(uint64_t page, int status, double fetch_s, bool retryable);

  const Config& config_;
  Plan& plan_;
  Recorder* recorder_;
  WorkerPort* port_;
  Summary* summary_;
  PageBook book_;
  Dispatcher dispatcher_;
  Merger merger_;
  std::optional<FollowTree> follow_;  // --follow
  std::unique_ptr<Discovery> discovery_;  // --next / --crawl
  std::optional<Throttle> throttle_;      // --throttle auto
  CrawlJournal* journal_ = nullptr;        // --crawl to a file
  std::vector<Slot> slots_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::optional<Error> error_;
  int interrupts_ = 0;
  int deaths_without_progress_ = 0;
  // Nothing is leased until every first worker said hello, so the first
  // one up does not take the whole concurrency budget.
  int hellos_awaited_ = 0;
  bool stopping_ = false;
  bool shut_down_ = false;
};

// The Dispatcher's limits for a job.
DispatchLimits LimitsFor(const Config& config);
// --throttle auto's settings for a job: its ceiling is --per-host, or
// --concurrency when there is no per-host cap.
ThrottleParams ThrottleFor(const Config& config);

}  // namespace forage::engine
