#pragma once
// RedisCollectorPort: the collector of a distributed job (forage run
// --redis). To the Router it is one worker slot, the whole cluster: a lease
// becomes an entry of the job's `pages` stream (nodes read them through
// their consumer group), and each entry of the `results` stream, written by
// a node in one atomic step with its XACK, comes back as the same worker
// messages (PageRecords, PageLinks, PageDone). So the job's plan, limits,
// retries, robots.txt, --follow/--crawl discovery, ordered merge, dedup,
// checkpoints and --resume are the local engine's, unchanged.
//
// It also reaps: a lease pending longer than --lease-timeout (its node died
// or stopped renewing) is taken back and given to the Router as a lost
// delivery; a node whose worker crashed on a page reports it lost the same
// way. Redis going away is waited out: what could not be sent is kept and
// sent again after a reconnect. Loop-bound, single-threaded.

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/config.h"
#include "engine/plan.h"
#include "engine/redis_client.h"
#include "engine/router.h"
#include "engine/summary.h"
#include "worker/uv_handle.h"

namespace forage::engine {

// What the collector submits: the job's id (its Redis keys), this run's id
// (nodes tell runs of one job apart) and the spec (engine/job_spec).
struct ClusterJob {
  std::string job;
  std::string run;
  std::string spec;
};

class RedisCollectorPort : public MasterPort {
 public:
  RedisCollectorPort(uv_loop_t* loop, const Config& config, const Plan& plan, ClusterJob job);
  ~RedisCollectorPort() override;
  RedisCollectorPort(const RedisCollectorPort&) = delete;
  RedisCollectorPort& operator=(const RedisCollectorPort&) = delete;

  // The Router, for lost deliveries, and the run's figures (for the job's
  // state in Redis); before InitHandles.
  void SetRouter(Router* router, const Summary* summary) {
    router_ = router;
    summary_ = summary;
  }

  // --- MasterPort
  void Bind(WorkerEvents* events, std::function<void()> on_shutdown) override;
  Status InitHandles() override;  // connects and submits the job
  void ReapChildren() override {}
  double Now() override;
  void Send(int slot, const worker::Message& msg) override;
  Result<int64_t> Start(int slot) override;
  void KillAll(bool in_process_too) override;
  void WakeAt(double at) override;
  bool AllGone() const override;
  void Shutdown() override;

  uint64_t round_trips() const { return redis_.round_trips(); }

 private:
  void Tick();
  bool Flush();  // the outbox; false while Redis is unreachable
  bool ReadResults();
  bool Reap();
  bool Withdraw();
  void UpdateMeta(bool final_state);
  void HandleResult(const std::string& kind, const std::string& frames, const std::string& node);
  void Unreachable(const Error& e);
  void ScheduleTick(uint64_t ms);
  void CloseHandles();

  static void OnUvTick(uv_timer_t* h) noexcept;
  static void OnUvWake(uv_timer_t* h) noexcept;

  uv_loop_t* loop_;
  const Config& config_;
  const Plan& plan_;
  ClusterJob job_;
  std::string pages_key_, results_key_, dead_key_, meta_key_, nodes_key_;
  RedisClient redis_;
  WorkerEvents* events_ = nullptr;
  Router* router_ = nullptr;
  const Summary* summary_ = nullptr;
  std::function<void()> on_shutdown_;
  worker::UvHandle<uv_timer_t> tick_timer_;
  worker::UvHandle<uv_timer_t> wake_timer_;
  std::deque<std::vector<std::string>> outbox_;  // commands not yet sent, in order
  std::string last_result_ = "0-0";
  std::vector<std::string> read_ids_;  // results read, deleted with the next read
  bool hello_sent_ = false;
  bool last_read_found_ = true;  // the last read of results brought some
  bool in_timer_ = false;        // inside one of its timer callbacks
  bool stop_sent_ = false;      // the Router stopped the cluster slot
  bool closed_ = false;         // the slot's "channel" was closed for the Router
  bool final_written_ = false;  // the job's final state is in Redis
  bool unreachable_ = false;
  double unreachable_since_ = 0;
  double next_reap_ = 0;
  double next_meta_ = 0;
  uint64_t idle_ms_ = 1;
};

// The report's rows of a distributed job's nodes, as they last reported.
Result<std::vector<NodeSummary>> ReadNodeSummaries(RedisClient& redis, const std::string& job);

}  // namespace forage::engine
