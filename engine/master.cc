#include "engine/master.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "engine/progress.h"

namespace forage::engine {
namespace {

using worker::UvHandle;

constexpr uint64_t kProgressIntervalMs = 250;
constexpr uint64_t kProgressLogIntervalMs = 10'000;
// How often stored pages are made durable and recorded for --resume. A crash
// loses at most this much work, and costs one fdatasync per interval.
constexpr uint64_t kCheckpointIntervalMs = 1000;

double NowSeconds() { return static_cast<double>(uv_hrtime()) * 1e-9; }

}  // namespace

Master::Master(const Config& config, Plan& plan, const worker::WorkerConfig& worker_config,
               Sink* sink, std::vector<size_t> key_columns, size_t follow_column)
    : config_(config),
      plan_(plan),
      worker_config_(worker_config),
      sink_(sink),
      key_columns_(std::move(key_columns)),
      follow_column_(follow_column) {}

Master::~Master() {
  pool_.reset();  // channels and workers before the loop
  CloseLoopHandles();
}

Status Master::Run(const std::vector<PageMark>& resumed, Summary* summary) {
  summary_ = summary;
  start_s_ = NowSeconds();
  if (!loop_.ok()) return Err(ErrorCode::kInternal, "uv_loop_init() failed");
  const int slots = std::max(1, config_.workers);
  recorder_ = std::make_unique<Recorder>(sink_, key_columns_);
  RedisCollectorPort* collector = nullptr;
  if (cluster_) {
    auto port = std::make_unique<RedisCollectorPort>(loop_.get(), config_, plan_, *cluster_);
    collector = port.get();
    pool_ = std::move(port);
  } else {
    pool_ = std::make_unique<WorkerPool>(loop_.get(), config_, worker_config_, slots);
  }
  router_ = std::make_unique<Router>(config_, plan_, recorder_.get(), pool_.get(), summary_,
                                     follow_column_);
  if (collector != nullptr) collector->SetRouter(router_.get(), summary_);
  if (gate_) router_->SetGate(gate_);
  if (no_request_) router_->SetNoRequest(no_request_);
  pool_->Bind(router_.get(), [this] { CloseLoopHandles(); });
  router_->SetJournal(journal_);
  if (auto st = router_->Resume(resumed, found_); !st) return st;
  signal(SIGPIPE, SIG_IGN);  // a dead worker shows up as EPIPE on its channel

  // Fork first, build later: the workers start before the master's handles.
  if (auto st = router_->Start(); !st) return st;
  if (auto st = pool_->InitHandles(); !st) return st;
  if (auto st = StartSignals(); !st) return st;
  if (loop_client_ != nullptr) {
    if (auto st = loop_client_->Attach(loop_.get()); !st) return st;
    loop_client_attached_ = true;
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

  router_->MaybeStop();  // a resumed run with nothing left
  uv_run(loop_.get(), UV_RUN_DEFAULT);
  if (!router_->error()) router_->Checkpoint();

  if (progress_line_) fmt::print(stderr, "\r\033[K");
  router_->Finish();
  if (router_->error()) return *router_->error();
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

void Master::HandleSignal(int signum) {
  if (signum == SIGCHLD) {
    pool_->ReapChildren();
    router_->MaybeStop();
    return;
  }
  if (router_->interrupts() == 0 && !config_.quiet) {
    fmt::print(stderr, "\nforage: interrupted; finishing pages in flight (again to abort)\n");
  }
  router_->OnInterrupt();
}

void Master::HandleProgressTick() {
  std::string line = FormatProgress(*summary_, plan_.size(), NowSeconds() - start_s_,
                                    router_->busy_slots(), router_->slots());
  if (progress_line_) {
    fmt::print(stderr, "\r\033[K{}", line);
  } else {
    fmt::print(stderr, "{}\n", line);
  }
}

void Master::CloseLoopHandles() {
  if (loop_client_attached_) {
    loop_client_attached_ = false;
    loop_client_->Detach();
  }
  checkpoint_timer_.Close();
  if (!signals_.empty()) {
    // Closing the handles gives SIGINT/SIGTERM back their default action,
    // which would kill the process while the sink still publishes the
    // output. Held pending instead; engine::Run takes them over.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  }
  signals_.clear();
  progress_timer_.Close();
}

// --- C entry points

void Master::OnUvSignal(uv_signal_t* h, int signum) noexcept {
  if (h->data != nullptr) static_cast<Master*>(h->data)->HandleSignal(signum);
}

void Master::OnUvProgress(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<Master*>(h->data)->HandleProgressTick();
}

void Master::OnUvCheckpoint(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<Master*>(h->data)->router_->Checkpoint();
}

}  // namespace forage::engine
