#include "engine/worker_pool.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "engine/schedstat.h"
#include "engine/supervisor.h"
#include "worker/cpu_clock.h"

namespace forage::engine {
namespace {

using worker::UvHandle;

constexpr uint64_t kWatchdogIntervalMs = 1000;

}  // namespace

WorkerPool::WorkerPool(uv_loop_t* loop, const Config& config,
                       const worker::WorkerConfig& worker_config, int slots)
    : loop_(loop),
      config_(config),
      worker_config_(worker_config),
      procs_(static_cast<size_t>(slots)),
      watchdog_(slots, config.hang_timeout_s, kWatchdogIntervalMs / 1000.0) {}

WorkerPool::~WorkerPool() {
  for (auto& p : procs_) {
    p.channel.reset();
    p.in_process.reset();
  }
  CloseHandles();
}

void WorkerPool::Bind(WorkerEvents* router, std::function<void()> on_shutdown) {
  router_ = router;
  on_shutdown_ = std::move(on_shutdown);
}

Status WorkerPool::InitHandles() {
  auto timer = [&](UvHandle<uv_timer_t>* out) -> Status {
    auto t = UvHandle<uv_timer_t>::Create([&](uv_timer_t* h) { return uv_timer_init(loop_, h); });
    if (!t) return t.error();
    *out = std::move(*t);
    out->get()->data = this;
    return OkStatus();
  };
  if (auto st = timer(&wake_timer_); !st) return st;
  if (auto st = timer(&deferred_timer_); !st) return st;
  if (config_.workers > 0) {
    if (auto st = timer(&watchdog_timer_); !st) return st;
    uv_timer_start(watchdog_timer_.get(), OnUvWatchdogTimer, kWatchdogIntervalMs,
                   kWatchdogIntervalMs);
    uv_unref(watchdog_timer_.handle());
    auto c = UvHandle<uv_check_t>::Create([&](uv_check_t* h) { return uv_check_init(loop_, h); });
    if (!c) return c.error();
    watchdog_check_ = std::move(*c);
    watchdog_check_.get()->data = this;
    uv_check_start(watchdog_check_.get(), OnUvWatchdogCheck);
    uv_unref(watchdog_check_.handle());
  }
  return OkStatus();
}

double WorkerPool::Now() { return static_cast<double>(uv_hrtime()) * 1e-9; }

void WorkerPool::Send(int slot, const worker::Message& msg) {
  Proc& p = procs_[static_cast<size_t>(slot)];
  if (p.channel) p.channel->Send(msg);
}

Result<int64_t> WorkerPool::Start(int slot) {
  Proc& p = procs_[static_cast<size_t>(slot)];
  p.killed_as_hung = false;
  watchdog_.Started(slot, Now());
  if (config_.workers == 0) {
    auto pair = ChannelPair();
    if (!pair) return pair.error();
    auto w = worker::Worker::Create(loop_, worker_config_, std::move(pair->second), [](int) {});
    if (!w) return w.error();
    p.in_process = std::move(*w);
    p.pid = getpid();
    if (auto st = AttachChannel(slot, std::move(pair->first)); !st) return st.error();
    return static_cast<int64_t>(p.pid);
  }
  auto forked = ForkWorker(worker_config_);
  if (!forked) return forked.error();
  p.pid = forked->pid;
  pid_slots_[forked->pid] = slot;
  if (auto st = AttachChannel(slot, std::move(forked->channel)); !st) return st.error();
  return static_cast<int64_t>(p.pid);
}

Status WorkerPool::AttachChannel(int slot, UniqueFd fd) {
  auto ch = worker::Channel::Open(
      loop_, std::move(fd),
      [this, slot](worker::Message&& m) {
        watchdog_.Heard(slot, Now());
        router_->OnMessage(slot, std::move(m));
      },
      [this, slot](const Error* e) { HandleChannelClosed(slot, e); });
  if (!ch) return ch.error();
  procs_[static_cast<size_t>(slot)].channel = std::move(*ch);
  return OkStatus();
}

void WorkerPool::HandleChannelClosed(int slot, const Error* error) {
  Proc& p = procs_[static_cast<size_t>(slot)];
  if (error != nullptr && !router_->stopping(slot)) {
    fmt::print(stderr, "forage: worker {} (pid {}): {}\n", slot, p.pid, error->message);
  }
  router_->OnChannelClosed(slot);  // no lease may go to it from now on
  closed_slots_.push_back(slot);
  if (deferred_timer_) uv_timer_start(deferred_timer_.get(), OnUvDeferred, 0, 0);
}

void WorkerPool::ProcessClosedSlots() {
  std::vector<int> closed;
  closed.swap(closed_slots_);
  for (int slot : closed) {
    Proc& p = procs_[static_cast<size_t>(slot)];
    p.channel.reset();
    p.in_process.reset();
    const bool hung = std::exchange(p.killed_as_hung, false);
    router_->OnWorkerGone(slot, hung);
  }
  ReapChildren();
  router_->MaybeStop();
}

void WorkerPool::ReapChildren() {
  for (;;) {
    Reaped r = ReapOne();
    if (r.pid < 0) break;
    auto it = pid_slots_.find(r.pid);
    if (it == pid_slots_.end()) continue;
    int slot = it->second;
    pid_slots_.erase(it);
    router_->OnReaped(slot, worker::TimevalSeconds(r.usage.ru_utime),
                      worker::TimevalSeconds(r.usage.ru_stime), DescribeExit(r.status));
  }
}

void WorkerPool::KillAll(bool in_process_too) {
  for (auto& p : procs_) {
    if (p.channel && p.pid > 0 && p.pid != getpid()) kill(p.pid, SIGKILL);
  }
  if (in_process_too && config_.workers == 0) {
    for (auto& p : procs_) p.in_process.reset();
  }
}

void WorkerPool::WakeAt(double at) {
  if (!wake_timer_) return;
  auto ms = static_cast<uint64_t>(std::ceil(std::max(0.0, at - Now()) * 1000));
  uv_timer_start(wake_timer_.get(), OnUvWake, ms, 0);
}

bool WorkerPool::AllGone() const {
  bool open = std::any_of(procs_.begin(), procs_.end(), [](const Proc& p) { return p.channel != nullptr && !p.channel->closed(); });
  return !open && pid_slots_.empty() && closed_slots_.empty();
}

void WorkerPool::Shutdown() {
  CloseHandles();
  if (on_shutdown_) on_shutdown_();
}

void WorkerPool::HandleWatchdogCheck() {
  if (!watchdog_due_) return;
  watchdog_due_ = false;
  const double now = Now();
  auto holds_pages = [this](int s) {
    const Proc& p = procs_[static_cast<size_t>(s)];
    return p.channel != nullptr && !p.channel->closed() && !router_->stopping(s) &&
           router_->outstanding(s) > 0;
  };
  // The worker's main thread runs its loop and sends its heartbeat: its
  // run-queue wait is what the watchdog does not count.
  auto sched = [this](int s) -> std::optional<SchedStat> {
    const Proc& p = procs_[static_cast<size_t>(s)];
    if (p.channel == nullptr || p.pid <= 0 || p.pid == getpid()) return std::nullopt;
    return ReadSchedStat(p.pid);
  };
  for (const Watchdog::Hung& h : watchdog_.Tick(now, holds_pages, sched)) {
    Proc& p = procs_[static_cast<size_t>(h.slot)];
    // A worker with pages in its care that sent nothing, not even its
    // once-a-second heartbeat, is stuck (in Gumbo or elsewhere): it is
    // killed, and its death is handled like a crash.
    fmt::print(stderr,
               "forage: worker {} (pid {}) sent nothing for {:.1f} s (not counting {:.1f} s it "
               "waited for a CPU): killed as hung\n",
               h.slot, p.pid, h.silent_s, h.waited_s);
    p.killed_as_hung = true;
    kill(p.pid, SIGKILL);
  }
}

void WorkerPool::CloseHandles() {
  watchdog_timer_.Close();
  watchdog_check_.Close();
  wake_timer_.Close();
  deferred_timer_.Close();
}

// --- C entry points

void WorkerPool::OnUvWake(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<WorkerPool*>(h->data)->router_->Pump();
}

void WorkerPool::OnUvDeferred(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<WorkerPool*>(h->data)->ProcessClosedSlots();
}

void WorkerPool::OnUvWatchdogTimer(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<WorkerPool*>(h->data)->watchdog_due_ = true;
}

void WorkerPool::OnUvWatchdogCheck(uv_check_t* h) noexcept {
  if (h->data != nullptr) static_cast<WorkerPool*>(h->data)->HandleWatchdogCheck();
}

}  // namespace forage::engine
