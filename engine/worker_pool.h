#pragma once
// WorkerPool: the master's supervising role. Owns the worker slots'
// processes and channels: forks a process into a slot (or runs the worker
// in-process with --workers 0), forwards what the channels bring to the
// Router, hands a closed channel to the Router outside the channel's own
// callbacks, reaps children, and kills workers the Watchdog finds hung.
//
// It is the Router's WorkerPort for a local run. Loop-bound, single-threaded.
// Workers are forked before the master builds its handles (see
// supervisor.h for why replacements forked later are safe).

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/config.h"
#include "engine/router.h"
#include "engine/watchdog.h"
#include "worker/channel.h"
#include "worker/uv_handle.h"
#include "worker/worker.h"

namespace forage::engine {

class WorkerPool : public MasterPort {
 public:
  WorkerPool(uv_loop_t* loop, const Config& config, const worker::WorkerConfig& worker_config,
             int slots);
  ~WorkerPool() override;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Where events go, and what to call when the run is over.
  void Bind(WorkerEvents* router, std::function<void()> on_shutdown) override;
  // The pool's timers and the watchdog; after the first forks.
  Status InitHandles() override;
  // Reaps every exited child (SIGCHLD).
  void ReapChildren() override;

  // --- WorkerPort
  double Now() override;
  void Send(int slot, const worker::Message& msg) override;
  Result<int64_t> Start(int slot) override;
  void KillAll(bool in_process_too) override;
  void WakeAt(double at) override;
  bool AllGone() const override;
  void Shutdown() override;

 private:
  struct Proc {
    pid_t pid = -1;
    std::unique_ptr<worker::Channel> channel;
    std::unique_ptr<worker::Worker> in_process;  // --workers 0
    bool killed_as_hung = false;
  };

  Status AttachChannel(int slot, UniqueFd fd);
  void HandleChannelClosed(int slot, const Error* error);
  void ProcessClosedSlots();
  void HandleWatchdogCheck();
  void CloseHandles();

  static void OnUvWake(uv_timer_t* h) noexcept;
  static void OnUvDeferred(uv_timer_t* h) noexcept;
  static void OnUvWatchdogTimer(uv_timer_t* h) noexcept;
  static void OnUvWatchdogCheck(uv_check_t* h) noexcept;

  uv_loop_t* loop_;
  const Config& config_;
  const worker::WorkerConfig& worker_config_;
  WorkerEvents* router_ = nullptr;
  std::function<void()> on_shutdown_;
  std::vector<Proc> procs_;
  std::unordered_map<pid_t, int> pid_slots_;  // every forked pid not yet reaped
  // Channel closes are handled from this timer, outside the channel's own
  // callbacks (which may run deep inside a Send).
  worker::UvHandle<uv_timer_t> deferred_timer_;
  std::vector<int> closed_slots_;
  worker::UvHandle<uv_timer_t> wake_timer_;  // retries and --rate/--delay pacing
  // The watchdog's timer only marks a tick due; the check handle (after
  // the loop's poll phase, so heartbeats waiting in the sockets were read)
  // judges.
  worker::UvHandle<uv_timer_t> watchdog_timer_;
  worker::UvHandle<uv_check_t> watchdog_check_;
  bool watchdog_due_ = false;
  Watchdog watchdog_;
};

}  // namespace forage::engine
