#pragma once
// Master: the loop of the master process, and the wiring of its roles:
//   WorkerPool  supervising: worker slots, forks, restarts, reaping, watchdog
//   Router      routing: messages in, leases out, retries, losses, stopping
//               (with the PageBook, Dispatcher, FollowTree and Merger)
//   Recorder    recording: dedup, the sink, checkpoints
//   progress    the progress line, and the Summary the report prints
// The Master itself owns the libuv loop, the signals and the periodic timers.
// Single-threaded.

#include <memory>
#include <optional>
#include <vector>

#include "base/result.h"
#include "engine/config.h"
#include "engine/plan.h"
#include "engine/recorder.h"
#include "engine/redis_collector.h"
#include "engine/router.h"
#include "engine/state_store.h"
#include "engine/store.h"
#include "engine/summary.h"
#include "engine/worker_pool.h"
#include "worker/uv_handle.h"
#include "worker/worker.h"

namespace forage::engine {

// Something else the master's loop drives: the robots.txt fetches
// (engine/master_fetch). Attached before the loop runs; detached when the
// run is over, dropping what it has in flight.
class LoopClient {
 public:
  virtual ~LoopClient() = default;
  virtual Status Attach(uv_loop_t* loop) = 0;
  virtual void Detach() = 0;
};

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
  // Asked before each page's first lease (robots.txt); set before Run.
  void SetGate(PageGate gate) { gate_ = std::move(gate); }
  // Pages served without a request (--cache-mode always): no pacing slot.
  void SetNoRequest(NoRequest no_request) { no_request_ = std::move(no_request); }
  // The gate's fetches, on this loop; set before Run, must outlive Run.
  void SetLoopClient(LoopClient* client) { loop_client_ = client; }
  // The gate has news (a robots.txt answered): held pages may be leased.
  void OnGateNews() {
    if (router_) router_->OnGateNews();
  }
  // --crawl to a file: where found pages are journaled, and (--resume) the
  // pages an earlier run found.
  void SetCrawlJournal(CrawlJournal* journal, std::vector<FoundPage> found) {
    journal_ = journal;
    found_ = std::move(found);
  }
  // A distributed job (config.redis_url): the Master is its collector, and
  // its one worker slot is the cluster (engine/redis_collector). Before Run.
  void SetCluster(ClusterJob job) { cluster_ = std::move(job); }

 private:
  void HandleSignal(int signum);
  void HandleProgressTick();
  void CloseLoopHandles();
  Status StartSignals();

  static void OnUvSignal(uv_signal_t* h, int signum) noexcept;
  static void OnUvProgress(uv_timer_t* h) noexcept;
  static void OnUvCheckpoint(uv_timer_t* h) noexcept;

  worker::UvLoop loop_;  // first: destroyed last
  const Config& config_;
  Plan& plan_;
  const worker::WorkerConfig& worker_config_;
  Sink* sink_;
  std::vector<size_t> key_columns_;
  size_t follow_column_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<MasterPort> pool_;  // WorkerPool, or the cluster's RedisCollectorPort
  std::unique_ptr<Router> router_;
  Summary* summary_ = nullptr;
  std::vector<worker::UvHandle<uv_signal_t>> signals_;
  worker::UvHandle<uv_timer_t> progress_timer_;
  worker::UvHandle<uv_timer_t> checkpoint_timer_;
  double start_s_ = 0;
  bool progress_line_ = false;
  PageGate gate_;
  NoRequest no_request_;
  LoopClient* loop_client_ = nullptr;
  bool loop_client_attached_ = false;
  CrawlJournal* journal_ = nullptr;
  std::vector<FoundPage> found_;
  std::optional<ClusterJob> cluster_;
};

}  // namespace forage::engine
