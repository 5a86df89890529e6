#pragma once
// Master: the loop of the master process. Hands pages to workers (through the
// Dispatcher), collects their records (through the Merger) into the sink,
// replaces workers that die, and handles SIGINT/SIGTERM/SIGCHLD.
//
// Owns its libuv loop, the worker channels and processes. Single-threaded.
// Workers are forked before the loop exists; replacements are forked from
// inside it (see supervisor.h for why that is safe).

#include <sys/types.h>

#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/config.h"
#include "engine/dispatcher.h"
#include "engine/follow.h"
#include "engine/merger.h"
#include "engine/plan.h"
#include "engine/store.h"
#include "engine/summary.h"
#include "worker/channel.h"
#include "worker/uv_handle.h"
#include "worker/worker.h"

namespace forage::engine {

class Master {
 public:
  // `plan`, `worker_config` (and the rules it points to) and `sink` must
  // outlive the Master.
  // `key_columns`: indexes of the --key fields (empty: no deduplication).
  // `follow_column`: with --follow, the link column of the list rules'
  // records. The plan grows with the follow-ups.
  Master(const Config& config, Plan& plan, const worker::WorkerConfig& worker_config, Sink* sink,
         std::vector<size_t> key_columns = {}, size_t follow_column = 0);
  ~Master();
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  // Runs the job to its end and fills `summary` (all but wall and CPU times).
  // `resumed`: pages an earlier run stored (--resume); they are not fetched.
  // Errors are operation failures (fork, loop, sink); failed pages are data.
  Status Run(const std::vector<PageMark>& resumed, Summary* summary);

 private:
  struct Slot {
    int index = 0;
    pid_t pid = -1;
    std::unique_ptr<worker::Channel> channel;
    std::unique_ptr<worker::Worker> in_process;  // --workers 0
    bool stopping = false;  // sent Stop; its EOF is expected
    bool alive = false;     // channel open
    bool said_hello = false;  // the slot's first process said hello
    WorkerSummary summary;     // totals of the slot's earlier processes, then of all
    worker::StatsMsg stats;    // the latest snapshot of the current process
    double last_heard_s = 0;   // when the current process last sent anything
    bool killed_as_hung = false;
    uint64_t requests = 0;     // totals of finished processes (FoldStats)
    uint64_t body_bytes = 0;
  };

  Status StartSlot(Slot& slot);
  Status AttachChannel(Slot& slot, UniqueFd fd);
  void HandleMessage(Slot& slot, worker::Message&& msg);
  void HandlePageDone(Slot& slot, const worker::PageDoneMsg& done);
  void HandleChannelClosed(Slot& slot, const Error* error);
  void HandleWorkerLost(Slot& slot);
  void ProcessClosedSlots();
  void HandleSignal(int signum);
  void HandleProgressTick();
  void HandleWatchdog();
  Status Store(uint64_t page, bool ok, const std::vector<parser::Record>& records);
  void Checkpoint();
  std::string RecordKey(const parser::Record& r) const;
  void FoldStats(Slot& slot);
  void ReapChildren();
  void Pump();
  void MaybeStop();
  void StopWorkers();
  void Abort(Error error);
  void CloseLoopHandles();
  void FailPage(uint64_t page, std::string reason);
  void Settle(uint64_t page, bool ok);
  void FailPageOfEarlierRun(uint64_t page);
  bool Idle() const;
  Status StartSignals();

  static void OnUvSignal(uv_signal_t* h, int signum) noexcept;
  static void OnUvProgress(uv_timer_t* h) noexcept;
  static void OnUvDeferred(uv_timer_t* h) noexcept;
  static void OnUvWatchdog(uv_timer_t* h) noexcept;
  static void OnUvWake(uv_timer_t* h) noexcept;
  static void OnUvCheckpoint(uv_timer_t* h) noexcept;
  double RetryDelay(int attempt, double retry_after_s);

  worker::UvLoop loop_;  // first: destroyed last
  const Config& config_;
  Plan& plan_;
  const worker::WorkerConfig& worker_config_;
  Sink* sink_;
  Dispatcher dispatcher_;
  Merger merger_;
  std::optional<FollowTree> follow_;  // --follow
  std::vector<uint16_t> attempts_;  // failed attempts so far, per page
  std::mt19937_64 rng_{std::random_device{}()};
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<worker::UvHandle<uv_signal_t>> signals_;
  worker::UvHandle<uv_timer_t> progress_timer_;
  worker::UvHandle<uv_timer_t> watchdog_timer_;
  worker::UvHandle<uv_timer_t> wake_timer_;  // retries and --rate/--delay pacing
  worker::UvHandle<uv_timer_t> checkpoint_timer_;
  std::vector<PageMark> unsaved_;  // pages stored since the last checkpoint
  std::vector<size_t> key_columns_;  // --key: field indexes
  std::unordered_set<std::string> seen_keys_;
  // Channel closes are handled from this timer, outside the channel's own
  // callbacks (which may run deep inside a Send).
  worker::UvHandle<uv_timer_t> deferred_timer_;
  std::vector<int> closed_slots_;
  std::unordered_map<pid_t, int> pid_slots_;  // every forked pid not yet reaped
  double start_s_ = 0;
  Summary* summary_ = nullptr;
  std::optional<Error> error_;
  int interrupts_ = 0;
  int deaths_without_progress_ = 0;
  // Nothing is leased until every first worker said hello, so the first
  // one up does not take the whole concurrency budget.
  int hellos_awaited_ = 0;
  bool stopping_ = false;
  bool progress_line_ = false;
};

}  // namespace forage::engine
