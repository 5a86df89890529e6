#include "worker/worker.h"

#include <sys/resource.h>
#include <unistd.h>

#include <utility>

#include <fmt/format.h>

#include "worker/cpu_clock.h"
#include "worker/curl_handles.h"
#include "worker/memory.h"

namespace forage::worker {
namespace {
constexpr uint64_t kLagProbeIntervalMs = 50;
// Stats go to the master this often; they double as the worker's heartbeat.
constexpr int kProbesPerHeartbeat = 20;

FaultHook& InstalledFaultHook() {
  static FaultHook hook;
  return hook;
}
}  // namespace

void InstallFaultHookForTesting(FaultHook hook) { InstalledFaultHook() = std::move(hook); }

Worker::Worker(uv_loop_t* loop, const WorkerConfig& config, ExitFn on_exit)
    : loop_(loop), config_(config), on_exit_(std::move(on_exit)) {}

Result<std::unique_ptr<Worker>> Worker::Create(uv_loop_t* loop, const WorkerConfig& config,
                                               UniqueFd channel, ExitFn on_exit) {
  std::unique_ptr<Worker> w(new Worker(loop, config, std::move(on_exit)));
  if (auto st = w->Init(std::move(channel)); !st) return st.error();
  return w;
}

Status Worker::Init(UniqueFd channel) {
  auto fetcher = Fetcher::Create(loop_, config_.fetch,
                                 [this](FetchResult&& r) { HandleFetched(std::move(r)); });
  if (!fetcher) return fetcher.error();
  fetcher_ = std::move(*fetcher);

  auto queue = ParseQueue::Create(loop_, config_.rules, config_.cpu_burn_s, config_.slice_s,
                                  [this](ParsedPage&& p) { HandleParsed(std::move(p)); });
  if (!queue) return queue.error();
  parse_queue_ = std::move(*queue);
  parse_queue_->SetPageCpuLimit(config_.page_cpu_limit_s);
  parse_queue_->SetLinkRules(config_.link_rules);
  if (InstalledFaultHook()) parse_queue_->SetBeforeParse(InstalledFaultHook());

  auto lag = UvHandle<uv_timer_t>::Create([&](uv_timer_t* t) { return uv_timer_init(loop_, t); });
  if (!lag) return lag.error();
  lag_timer_ = std::move(*lag);
  lag_timer_.get()->data = this;
  lag_expected_ns_ = uv_hrtime() + kLagProbeIntervalMs * 1'000'000;
  uv_timer_start(lag_timer_.get(), OnUvLagTimer, kLagProbeIntervalMs, kLagProbeIntervalMs);
  uv_unref(lag_timer_.handle());  // the probe alone never keeps the loop alive

  auto ch = Channel::Open(
      loop_, std::move(channel), [this](Message&& m) { HandleMessage(std::move(m)); },
      [this](const Error* e) { HandleChannelClosed(e); });
  if (!ch) return ch.error();
  channel_ = std::move(*ch);
  channel_->Send(HelloMsg{static_cast<int64_t>(getpid())});
  return OkStatus();
}

Worker::~Worker() { TearDown(); }

void Worker::HandleMessage(Message&& msg) {
  if (auto* lease = std::get_if<LeaseMsg>(&msg)) {
    HandleLease(std::move(*lease));
  } else if (std::holds_alternative<StopMsg>(msg)) {
    stopping_ = true;
    MaybeFinish();
  }
  // Anything else is for the master; a worker ignores it.
}

void Worker::HandleChannelClosed(const Error* error) {
  if (finishing_) return;
  // The master is gone (or sent garbage): nobody will take our results.
  if (error != nullptr) fmt::print(stderr, "forage worker {}: {}\n", getpid(), error->message);
  Finish(1);
}

void Worker::HandleLease(LeaseMsg&& lease) {
  for (auto& item : lease.items) {
    if (item.rules != 0) page_rules_[item.page_id] = item.rules;
    if (auto st = fetcher_->Start(item.page_id, item.url); !st) {
      channel_->Send(FetchedMsg{item.page_id});
      PageDoneMsg done;
      done.page_id = item.page_id;
      done.reason = st.error().message;
      SendPageFailed(std::move(done));
    }
  }
}

void Worker::HandleFetched(FetchResult&& r) {
  body_bytes_ += r.body.size();
  // A failed transfer's PageDone returns its fetch slot itself: were a
  // Fetched sent first, the master would lease the host's next page before
  // it learns of a Retry-After that pauses the host.
  if (!r.transport_ok || r.http_status >= 400) {
    page_rules_.erase(r.id);
    PageDoneMsg done;
    done.page_id = r.id;
    done.http_status = static_cast<int32_t>(r.http_status);
    done.reason = r.transport_ok ? fmt::format("HTTP {}", r.http_status) : std::move(r.error);
    done.retryable = r.retryable;
    done.retry_after_s = r.retry_after_s;
    done.fetch_s = r.first_byte_s;
    SendPageFailed(std::move(done));
  } else {
    // A page served from --cache says nothing of the site: status 0 keeps it
    // out of --throttle auto's latency and refusal counts.
    channel_->Send(r.from_cache ? FetchedMsg{r.id, 0, 0}
                                : FetchedMsg{r.id, static_cast<int32_t>(r.http_status),
                                             r.first_byte_s});
    if (r.cache_entry) {
      r.cache_entry->body = r.body;  // the parser takes the body; the cache keeps a copy
      pending_cache_.emplace(r.id, std::make_pair(std::move(r.cache_key), std::move(*r.cache_entry)));
    }
    const parser::Rules* rules = config_.rules;
    if (auto it = page_rules_.find(r.id); it != page_rules_.end()) {
      if (config_.detail_rules != nullptr) rules = config_.detail_rules;
      page_rules_.erase(it);
    }
    parse_queue_->Push(r.id, std::move(r.body), std::move(r.content_type),
                       std::move(r.effective_url), rules);
  }
  MaybeFinish();
}

void Worker::HandleParsed(ParsedPage&& page) {
  const size_t items = page.records.size();
  // Frames are cut by size as well as count, so no frame nears the
  // receiver's limit; a record that alone would pass it fails its page.
  auto frames = SplitPageRecords(page.page_id, std::move(page.records),
                                 config_.records_per_frame, config_.frame_target_bytes);
  auto cached = pending_cache_.find(page.page_id);
  if (cached != pending_cache_.end()) {
    // Only a page that succeeded is cached: a failure is never served later.
    if (page.failure.empty() && frames) {
      fetcher_->StoreInCache(cached->second.first, cached->second.second);
    }
    pending_cache_.erase(cached);
  }
  if (!page.failure.empty() || !frames) {
    PageDoneMsg done;
    done.page_id = page.page_id;
    done.http_status = 200;
    done.reason = !page.failure.empty() ? std::move(page.failure) : frames.error().message;
    SendPageFailed(std::move(done));  // not retryable: the same page fails the same way
  } else {
    for (const auto& m : *frames) channel_->Send(m);
    if (!page.links.empty()) {
      // One frame: links past kMaxLinkBytes in all are left out.
      PageLinksMsg links{page.page_id, {}};
      size_t bytes = 0;
      for (auto& l : page.links) {
        bytes += l.size() + 4;
        if (bytes > kMaxLinkBytes) break;
        links.links.push_back(std::move(l));
      }
      channel_->Send(links);
    }
    PageDoneMsg done;
    done.page_id = page.page_id;
    done.ok = true;
    done.http_status = 200;
    done.attempts = 1;
    done.items = items;
    done.dropped = page.dropped;
    channel_->Send(done);
    ++pages_;
    items_ += items;
  }
  CheckMemory();
  CheckBackpressure();
  MaybeFinish();
}

// Memory a page left behind (Gumbo leaks on some hostile pages) stays with
// the process: past --worker-max-rss the worker asks to be replaced, once,
// and goes on finishing what it holds until the master sends Stop.
void Worker::CheckMemory() {
  if (config_.max_rss_bytes == 0 || retire_sent_ || finishing_) return;
  uint64_t rss = ResidentBytes();
  if (rss <= config_.max_rss_bytes) return;
  retire_sent_ = true;
  channel_->Send(RetireMsg{rss});
}

void Worker::SendPageFailed(PageDoneMsg done) {
  done.ok = false;
  done.attempts = 1;
  channel_->Send(done);
}

// A slow master (or sink) must not make the worker buffer without bound:
// processing waits while too much is unsent, and the master leases no more
// pages to a worker whose processing backlog is full.
void Worker::CheckBackpressure() {
  if (channel_->queued_bytes() <= config_.max_outbox_bytes) return;
  parse_queue_->Pause();
  channel_->OnDrained([this] {
    if (parse_queue_) parse_queue_->Resume();
  });
}

void Worker::HandleLagProbe() {
  uint64_t now = uv_hrtime();
  if (now > lag_expected_ns_) {
    double lag = static_cast<double>(now - lag_expected_ns_) * 1e-9;
    if (lag > max_lag_s_) max_lag_s_ = lag;
  }
  lag_expected_ns_ = now + kLagProbeIntervalMs * 1'000'000;
  if (++probes_ % kProbesPerHeartbeat == 0 && channel_ && !finishing_) channel_->Send(Stats());
}

StatsMsg Worker::Stats() const {
  StatsMsg s;
  s.pages = pages_;
  s.items = items_;
  s.requests = fetcher_ ? fetcher_->requests() : 0;
  s.body_bytes = body_bytes_;
  s.busy_s = parse_queue_ ? parse_queue_->busy_s() : 0;
  s.max_loop_lag_s = max_lag_s_;
  if (fetcher_) {
    s.cache_hits = fetcher_->cache_hits();
    s.cache_revalidated = fetcher_->cache_revalidated();
    s.cache_misses = fetcher_->cache_misses();
    for (const ProxyStats& p : fetcher_->proxy_stats()) {
      s.proxies.push_back(ProxyCounts{p.requests, p.failures, p.benched});
    }
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  s.user_s = TimevalSeconds(ru.ru_utime);
  s.sys_s = TimevalSeconds(ru.ru_stime);
  if (fetcher_) {
    const ConnectionStats& c = fetcher_->connection_stats();
    s.connections_opened = c.connections_opened;
    s.tls_handshakes = c.tls_handshakes;
    s.http1 = c.http1;
    s.http2 = c.http2;
    s.http3 = c.http3;
  }
  return s;
}

void Worker::MaybeFinish() {
  if (!stopping_ || finishing_) return;
  if (fetcher_->active() > 0 || !parse_queue_->empty()) return;
  finishing_ = true;
  channel_->Send(Stats());
  channel_->OnDrained([this] { Finish(0); });
}

// Called from inside component callbacks, so the components are destroyed
// later, from a timer of our own.
void Worker::Finish(int exit_code) {
  finishing_ = true;
  exit_code_ = exit_code;
  if (teardown_timer_) return;
  auto t = UvHandle<uv_timer_t>::Create([&](uv_timer_t* h) { return uv_timer_init(loop_, h); });
  if (!t) {
    TearDown();
    return;
  }
  teardown_timer_ = std::move(*t);
  teardown_timer_.get()->data = this;
  uv_timer_start(teardown_timer_.get(), OnUvTeardown, 0, 0);
}

void Worker::TearDown() {
  fetcher_.reset();
  parse_queue_.reset();
  channel_.reset();
  lag_timer_.Close();
  teardown_timer_.Close();
  if (on_exit_) std::exchange(on_exit_, nullptr)(exit_code_);
}

// --- C entry points

void Worker::OnUvLagTimer(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<Worker*>(h->data)->HandleLagProbe();
}

void Worker::OnUvTeardown(uv_timer_t* h) noexcept {
  if (h->data != nullptr) static_cast<Worker*>(h->data)->TearDown();
}

NetworkScope::NetworkScope() : ok_(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {}

NetworkScope::~NetworkScope() {
  if (ok_) curl_global_cleanup();
}

int WorkerMain(const WorkerConfig& config, UniqueFd channel) {
  NetworkScope curl;
  if (!curl.ok()) {
    fmt::print(stderr, "forage worker: curl_global_init() failed\n");
    return 3;
  }
  int exit_code = 3;
  UvLoop loop;
  if (!loop.ok()) {
    fmt::print(stderr, "forage worker: uv_loop_init() failed\n");
    return 3;
  }
  auto worker = Worker::Create(loop.get(), config, std::move(channel),
                               [&](int code) { exit_code = code; });
  if (!worker) {
    fmt::print(stderr, "forage worker: {}\n", worker.error().message);
    return 3;
  }
  uv_run(loop.get(), UV_RUN_DEFAULT);
  worker->reset();
  return exit_code;
}

}  // namespace forage::worker
