#include "engine/master.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "engine/supervisor.h"
#include "worker/cpu_clock.h"

namespace forage::engine {
namespace {

using worker::UvHandle;

constexpr uint64_t kProgressIntervalMs = 250;
constexpr uint64_t kProgressLogIntervalMs = 10'000;
constexpr uint64_t kWatchdogIntervalMs = 1000;
// How often stored pages are made durable and recorded for --resume. A crash
// loses at most this much work, and costs one fdatasync per interval.
constexpr uint64_t kCheckpointIntervalMs = 1000;
// Worker deaths in a row, with not one page finished in between, after which
// the run gives up: a worker that cannot even start would be respawned forever.
constexpr int kMaxDeathsWithoutProgress = 10;

DispatchLimits LimitsFor(const Config& c) {
  DispatchLimits l;
  l.concurrency = c.concurrency;
  l.per_host = c.per_host;
  l.rate_per_host = c.rate_per_host;
  l.delay_s = c.delay_s;
  // Pages may finish this far ahead of the first unwritten one; records of
  // at most this many pages wait in memory for their turn.
  l.window = c.order == Order::kPage
                 ? std::max<uint64_t>(1024, 4 * static_cast<uint64_t>(c.concurrency))
                 : 0;
  return l;
}

double NowSeconds() { return static_cast<double>(uv_hrtime()) * 1e-9; }

}  // namespace

Master::Master(const Config& config, Plan& plan, const worker::WorkerConfig& worker_config,
               Sink* sink, std::vector<size_t> key_columns, size_t follow_column)
    : config_(config),
      plan_(plan),
      worker_config_(worker_config),
      sink_(sink),
      dispatcher_(plan, LimitsFor(config), config.chunking, std::max(1, config.workers)),
      merger_(config.order, plan.pages.size(),
              [this](uint64_t page, bool ok, std::vector<parser::Record>&& records) -> Status {
                return Store(page, ok, records);
              }),
      attempts_(plan.pages.size(), 0),
      key_columns_(std::move(key_columns)) {
  if (!config.follow.empty()) follow_.emplace(&plan_, &dispatcher_, config.depth, follow_column);
}

Master::~Master() {
  for (auto& s : slots_) {
    s->channel.reset();
    s->in_process.reset();
  }
  CloseLoopHandles();
}

Status Master::Run(const std::vector<PageMark>& resumed, Summary* summary) {
  summary_ = summary;
  start_s_ = NowSeconds();
  if (!loop_.ok()) return Err(ErrorCode::kInternal, "uv_loop_init() failed");
  for (const PageMark& m : resumed) {
    if (m.page >= plan_.pages.size()) continue;
    dispatcher_.MarkFinished(m.page, m.ok);
    if (auto st = merger_.Preresolve(m.page); !st) return st;
    ++summary_->pages_resumed;
    if (!m.ok) FailPageOfEarlierRun(m.page);
  }
  signal(SIGPIPE, SIG_IGN);  // a dead worker shows up as EPIPE on its channel

  const int n = std::max(1, config_.workers);
  for (int i = 0; i < n; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->index = i;
    slot->summary.slot = i;
    slots_.push_back(std::move(slot));
  }
  hellos_awaited_ = n;
  // Fork first, build later: the workers start before the master's handles.
  for (auto& slot : slots_) {
    if (auto st = StartSlot(*slot); !st) return st;
  }
  if (auto st = StartSignals(); !st) return st;
  auto wake = UvHandle<uv_timer_t>::Create(
      [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  if (!wake) return wake.error();
  wake_timer_ = std::move(*wake);
  wake_timer_.get()->data = this;
  auto deferred = UvHandle<uv_timer_t>::Create(
      [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  if (!deferred) return deferred.error();
  deferred_timer_ = std::move(*deferred);
  deferred_timer_.get()->data = this;

  if (config_.workers > 0) {
    auto w = UvHandle<uv_timer_t>::Create(
        [&](uv_timer_t* h) { return uv_timer_init(loop_.get(), h); });
    if (!w) return w.error();
    watchdog_timer_ = std::move(*w);
    watchdog_timer_.get()->data = this;
    uv_timer_start(watchdog_timer_.get(), OnUvWatchdog, kWatchdogIntervalMs, kWatchdogIntervalMs);
    uv_unref(watchdog_timer_.handle());
  }

  auto cp = UvHandle<uv_timer_t>::Create(
      [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  if (!cp) return cp.error();
  checkpoint_timer_ = std::move(*cp);
  checkpoint_timer_.get()->data = this;
  uv_timer_start(checkpoint_timer_.get(), OnUvCheckpoint, kCheckpointIntervalMs,
                 kCheckpointIntervalMs);
  uv_unref(checkpoint_timer_.handle());

  // A live line on a terminal; a plain line every 10 s into a log.
  progress_line_ = !config_.quiet && isatty(STDERR_FILENO);
  if (!config_.quiet) {
    auto t = UvHandle<uv_timer_t>::Create(
        [&](uv_timer_t* h) { return uv_timer_init(loop_.get(), h); });
    if (!t) return t.error();
    progress_timer_ = std::move(*t);
    progress_timer_.get()->data = this;
    uint64_t every = progress_line_ ? kProgressIntervalMs : kProgressLogIntervalMs;
    uv_timer_start(progress_timer_.get(), OnUvProgress, every, every);
    uv_unref(progress_timer_.handle());
  }

  if (dispatcher_.all_finished()) MaybeStop();  // a resumed run with nothing left
  uv_run(loop_.get(), UV_RUN_DEFAULT);
  if (!error_) Checkpoint();

  if (progress_line_) fmt::print(stderr, "\r\033[K");
  summary_->interrupted = interrupts_ > 0;
  summary_->pages_total = plan_.pages.size();  // follow-ups included
  for (auto& s : slots_) {
    FoldStats(*s);
    summary_->requests += s->requests;
    summary_->body_bytes += s->body_bytes;
    summary_->per_worker.push_back(s->summary);
  }
  if (error_) return *error_;
  return OkStatus();
}

Status Master::StartSlot(Slot& slot) {
  slot.stopping = false;
  slot.last_heard_s = NowSeconds();
  if (config_.workers == 0) {
    auto pair = ChannelPair();
    if (!pair) return pair.error();
    auto w = worker::Worker::Create(loop_.get(), worker_config_, std::move(pair->second),
                                    [](int) {});
    if (!w) return w.error();
    slot.in_process = std::move(*w);
    slot.pid = getpid();
    slot.summary.pid = slot.pid;
    return AttachChannel(slot, std::move(pair->first));
  }
  auto forked = ForkWorker(worker_config_);
  if (!forked) return forked.error();
  slot.pid = forked->pid;
  slot.summary.pid = forked->pid;
  pid_slots_[forked->pid] = slot.index;
  return AttachChannel(slot, std::move(forked->channel));
}

Status Master::AttachChannel(Slot& slot, UniqueFd fd) {
  Slot* s = &slot;
  auto ch = worker::Channel::Open(
      loop_.get(), std::move(fd), [this, s](worker::Message&& m) { HandleMessage(*s, std::move(m)); },
      [this, s](const Error* e) { HandleChannelClosed(*s, e); });
  if (!ch) return ch.error();
  slot.channel = std::move(*ch);
  slot.alive = true;
  return OkStatus();
}

Status Master::StartSignals() {
  for (int signum : {SIGINT, SIGTERM, SIGCHLD}) {
    auto h = UvHandle<uv_signal_t>::Create(
        [&](uv_signal_t* s) { return uv_signal_init(loop_.get(), s); });
    if (!h) return h.error();
    h->get()->data = this;
    if (int rc = uv_signal_start(h->get(), OnUvSignal, signum); rc < 0) {
      return Err(ErrorCode::kInternal, "uv_signal_start({}) failed: {}", signum, uv_strerror(rc));
    }
    signals_.push_back(std::move(*h));
  }
  return OkStatus();
}

void Master::HandleMessage(Slot& slot, worker::Message&& msg) {
  slot.last_heard_s = NowSeconds();
  if (std::holds_alternative<worker::HelloMsg>(msg)) {
    dispatcher_.SetAvailable(slot.index, !stopping_);
    if (!slot.said_hello) {
      slot.said_hello = true;
      --hellos_awaited_;
    }
    Pump();
  } else if (auto* m = std::get_if<worker::FetchedMsg>(&msg)) {
    if (m->page_id < plan_.pages.size() && dispatcher_.leased_to(m->page_id) == slot.index) {
      dispatcher_.OnFetched(m->page_id);
      Pump();
    }
  } else if (auto* m = std::get_if<worker::PageRecordsMsg>(&msg)) {
    if (m->page_id < plan_.pages.size() && dispatcher_.leased_to(m->page_id) == slot.index) {
      if (follow_) {
        follow_->Hold(m->page_id, std::move(m->records));
      } else {
        merger_.Add(m->page_id, std::move(m->records));
      }
    }
  } else if (auto* m = std::get_if<worker::PageDoneMsg>(&msg)) {
    HandlePageDone(slot, *m);
  } else if (auto* m = std::get_if<worker::StatsMsg>(&msg)) {
    slot.stats = *m;
  }
}

// Adds the snapshot of a slot's finished process to the slot's totals.
void Master::FoldStats(Slot& slot) {
  const worker::StatsMsg& m = slot.stats;
  slot.requests += m.requests;
  slot.body_bytes += m.body_bytes;
  slot.summary.busy_s += m.busy_s;
  slot.summary.max_loop_lag_s = std::max(slot.summary.max_loop_lag_s, m.max_loop_lag_s);
  if (config_.workers == 0) {  // one process: its own clock is the worker's
    slot.summary.user_s = m.user_s;
    slot.summary.sys_s = m.sys_s;
  }
  slot.stats = worker::StatsMsg{};
}

void Master::HandlePageDone(Slot& slot, const worker::PageDoneMsg& done) {
  const uint64_t page = done.page_id;
  if (page >= plan_.pages.size() || dispatcher_.leased_to(page) != slot.index) return;
  deaths_without_progress_ = 0;
  if (!done.ok && done.retryable && attempts_[page] < config_.retries) {
    ++attempts_[page];
    ++summary_->retries;
    merger_.Discard(page);
    if (follow_) follow_->Drop(page);
    dispatcher_.Retry(page, NowSeconds() + RetryDelay(attempts_[page], done.retry_after_s));
    Pump();
    return;
  }
  dispatcher_.OnFinished(page, done.ok);
  if (done.ok) {
    ++summary_->pages_ok;
    ++slot.summary.pages;
    slot.summary.items += done.items;
    summary_->dropped += done.dropped;
  } else if (attempts_[page] > 0) {
    FailPage(page, fmt::format("{} ({} attempts)", done.reason, attempts_[page] + 1));
  } else {
    FailPage(page, done.reason);
  }
  Settle(page, done.ok);
  Pump();
  MaybeStop();
}

// Seconds before attempt `attempt` + 1 of a page: the server's Retry-After
// when it sent one, else exponential backoff with jitter (half fixed, half
// random, so retries of many pages spread out); both capped.
double Master::RetryDelay(int attempt, double retry_after_s) {
  const double cap = config_.max_retry_wait_s;
  if (retry_after_s >= 0) return std::min(retry_after_s, cap);
  double backoff = std::min(cap, config_.backoff_base_s * std::ldexp(1.0, attempt - 1));
  return backoff / 2 + std::uniform_real_distribution<>(0, backoff / 2)(rng_);
}

Status Master::Store(uint64_t page, bool ok, const std::vector<parser::Record>& records) {
  for (const auto& r : records) {
    if (!key_columns_.empty() && !seen_keys_.insert(RecordKey(r)).second) {
      ++summary_->duplicates;
      continue;
    }
    if (auto st = sink_->Write(r, plan_.pages[page]); !st) return st;
    ++summary_->items;
  }
  unsaved_.push_back(PageMark{page, ok});
  return OkStatus();
}

// The values of the --key fields, each length-prefixed so that ("ab", "c")
// and ("a", "bc") differ; a missing value differs from an empty one.
std::string Master::RecordKey(const parser::Record& r) const {
  std::string key;
  for (size_t col : key_columns_) {
    const auto& v = col < r.values.size() ? r.values[col] : std::nullopt;
    if (!v) {
      key += '-';
      continue;
    }
    key += std::to_string(v->size());
    key += ':';
    key += *v;
  }
  return key;
}

void Master::Checkpoint() {
  if (error_) return;
  if (auto st = sink_->Checkpoint(unsaved_); !st) {
    Abort(st.error());
    return;
  }
  unsaved_.clear();
}

void Master::FailPageOfEarlierRun(uint64_t page) {
  ++summary_->pages_failed;
  summary_->failures.push_back(PageFailure{plan_.pages[page].url, "failed in an earlier run"});
}

void Master::FailPage(uint64_t page, std::string reason) {
  ++summary_->pages_failed;
  summary_->failures.push_back(PageFailure{plan_.pages[page].url, std::move(reason)});
}

// The page is finished for good: its records may go out (the merger holds
// them until their turn). With --follow, a list page registers its
// follow-ups, and a root's records go out once everything below it is done.
void Master::Settle(uint64_t page, bool ok) {
  if (!follow_) {
    auto st = ok ? merger_.Commit(page) : merger_.Skip(page);
    if (!st) Abort(st.error());
    return;
  }
  std::vector<FollowTree::Completed> completed;
  follow_->Finish(page, ok, &completed);
  attempts_.resize(plan_.pages.size(), 0);
  for (auto& c : completed) {
    merger_.Add(c.root, std::move(c.records));
    auto st = c.ok ? merger_.Commit(c.root) : merger_.Skip(c.root);
    if (!st) Abort(st.error());
  }
}

void Master::HandleChannelClosed(Slot& slot, const Error* error) {
  slot.alive = false;
  if (error != nullptr && !slot.stopping) {
    fmt::print(stderr, "forage: worker {} (pid {}): {}\n", slot.index, slot.pid, error->message);
  }
  closed_slots_.push_back(slot.index);
  uv_timer_start(deferred_timer_.get(), OnUvDeferred, 0, 0);
}

void Master::ProcessClosedSlots() {
  std::vector<int> closed;
  closed.swap(closed_slots_);
  for (int index : closed) {
    Slot& slot = *slots_[index];
    FoldStats(slot);
    slot.channel.reset();
    slot.in_process.reset();
    if (!slot.stopping) HandleWorkerLost(slot);
  }
  ReapChildren();
  MaybeStop();
}

// A worker died with pages leased to it: they go back to pending (what they
// sent is forgotten), except the one it was processing when it died twice.
void Master::HandleWorkerLost(Slot& slot) {
  Dispatcher::Lost lost = dispatcher_.OnWorkerLost(slot.index);
  if (lost.failed) deaths_without_progress_ = 0;  // the job moved on
  if (++deaths_without_progress_ >= kMaxDeathsWithoutProgress) {
    Abort(Err(ErrorCode::kInternal,
              "workers died {} times in a row without finishing a page (last: worker {}, pid {})",
              deaths_without_progress_, slot.index, slot.pid));
    return;
  }
  for (uint64_t p : lost.requeued) merger_.Discard(p);
  if (lost.failed) {
    FailPage(*lost.failed, slot.killed_as_hung ? "worker hung while processing"
                                               : "worker crashed while processing");
    Settle(*lost.failed, false);
  }
  slot.killed_as_hung = false;
  if (stopping_ || interrupts_ > 0 || error_ || dispatcher_.all_finished()) return;
  ++slot.summary.restarts;
  if (auto st = StartSlot(slot); !st) {
    Abort(st.error());
    return;
  }
  Pump();
}

void Master::Pump() {
  if (stopping_ || interrupts_ > 0 || error_ || hellos_awaited_ > 0) return;
  const double now = NowSeconds();
  for (auto& [index, pages] : dispatcher_.Assign(merger_.cursor(), now)) {
    worker::LeaseMsg lease;
    lease.items.reserve(pages.size());
    for (uint64_t p : pages) {
      lease.items.push_back(
          worker::LeaseItem{p, plan_.pages[p].url, follow_ ? follow_->RulesFor(p) : uint8_t{0}});
    }
    slots_[index]->channel->Send(lease);
  }
  // Retries and paced hosts become leasable with time, not with an event.
  if (std::optional<double> wake = dispatcher_.NextWake()) {
    auto ms = static_cast<uint64_t>(std::ceil(std::max(0.0, *wake - now) * 1000));
    uv_timer_start(wake_timer_.get(), OnUvWake, ms, 0);
  }
}

bool Master::Idle() const {
  for (const auto& s : slots_) {
    if (dispatcher_.outstanding(s->index) > 0) return false;
  }
  return true;
}

void Master::MaybeStop() {
  if (!stopping_) {
    bool done = dispatcher_.all_finished() || error_ || (interrupts_ > 0 && Idle());
    if (!done) return;
    StopWorkers();
  }
  bool any_alive = std::any_of(slots_.begin(), slots_.end(), [](auto& s) { return s->alive; });
  if (!any_alive && pid_slots_.empty() && closed_slots_.empty()) CloseLoopHandles();
}

void Master::StopWorkers() {
  stopping_ = true;
  for (auto& s : slots_) {
    dispatcher_.SetAvailable(s->index, false);
    if (!s->alive) continue;
    s->stopping = true;
    s->channel->Send(worker::StopMsg{});
  }
}

void Master::Abort(Error error) {
  if (!error_) error_ = std::move(error);
  for (auto& s : slots_) {
    if (s->alive && s->pid != getpid()) kill(s->pid, SIGKILL);
    s->stopping = true;
  }
  StopWorkers();
}

void Master::ReapChildren() {
  for (;;) {
    Reaped r = ReapOne();
    if (r.pid < 0) break;
    auto it = pid_slots_.find(r.pid);
    if (it == pid_slots_.end()) continue;
    WorkerSummary& w = slots_[it->second]->summary;
    w.user_s += worker::TimevalSeconds(r.usage.ru_utime);
    w.sys_s += worker::TimevalSeconds(r.usage.ru_stime);
    w.exit = DescribeExit(r.status);
    pid_slots_.erase(it);
  }
}

void Master::HandleSignal(int signum) {
  if (signum == SIGCHLD) {
    ReapChildren();
    MaybeStop();
    return;
  }
  ++interrupts_;
  if (interrupts_ == 1) {
    // Drain: lease nothing more, let what is in flight finish, then stop.
    if (!config_.quiet) {
      fmt::print(stderr, "\nforage: interrupted; finishing pages in flight (again to abort)\n");
    }
    MaybeStop();
    return;
  }
  for (auto& s : slots_) {
    if (s->alive && s->pid != getpid()) kill(s->pid, SIGKILL);
    s->stopping = true;
  }
  if (config_.workers == 0) {
    for (auto& s : slots_) s->in_process.reset();
  }
  StopWorkers();
  MaybeStop();
}

void Master::HandleProgressTick() {
  const double elapsed = NowSeconds() - start_s_;
  const uint64_t done = summary_->pages_ok + summary_->pages_failed + summary_->pages_resumed;
  const uint64_t total = plan_.pages.size();
  const double rate = elapsed > 0 ? static_cast<double>(summary_->pages_ok + summary_->pages_failed) / elapsed : 0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  int busy = 0;
  for (const auto& s : slots_) busy += dispatcher_.outstanding(s->index) > 0 ? 1 : 0;
  std::string line = fmt::format(
      "forage: {}/{} pages  {} items  {:.1f} pages/s  {} retries  {} failed  eta {:.0f} s  "
      "{}/{} workers busy",
      done, total, summary_->items, rate, summary_->retries, summary_->pages_failed, eta, busy,
      slots_.size());
  if (progress_line_) {
    fmt::print(stderr, "\r\033[K{}", line);
  } else {
    fmt::print(stderr, "{}\n", line);
  }
}

void Master::HandleWatchdog() {
  const double now = NowSeconds();
  for (auto& s : slots_) {
    if (!s->alive || s->stopping || dispatcher_.outstanding(s->index) == 0) continue;
    // A worker with pages in its care that sent nothing, not even its
    // once-a-second heartbeat, is stuck (in Gumbo or elsewhere): it is
    // killed, and its death is handled like a crash.
    if (now - s->last_heard_s < config_.hang_timeout_s) continue;
    fmt::print(stderr, "forage: worker {} (pid {}) sent nothing for {:.1f} s: killed as hung\n",
               s->index, s->pid, now - s->last_heard_s);
    s->killed_as_hung = true;
    kill(s->pid, SIGKILL);
    s->last_heard_s = now;  // once; its EOF follows
  }
}

void Master::CloseLoopHandles() {
  checkpoint_timer_.Close();
  watchdog_timer_.Close();
  wake_timer_.Close();
  signals_.clear();
  progress_timer_.Close();
  deferred_timer_.Close();
}

// --- C entry points

void Master::OnUvSignal(uv_signal_t* h, int signum) noexcept {
  if (h->data != nullptr) static_cast<Master*>(h->data)->HandleSignal(signum);
}

void Master::OnUvProgress(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<Master*>(h->data)->HandleProgressTick();
}

void Master::OnUvCheckpoint(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<Master*>(h->data)->Checkpoint();
}

void Master::OnUvWake(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<Master*>(h->data)->Pump();
}

void Master::OnUvWatchdog(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<Master*>(h->data)->HandleWatchdog();
}

void Master::OnUvDeferred(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<Master*>(h->data)->ProcessClosedSlots();
}

}  // namespace forage::engine
