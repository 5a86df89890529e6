#include "engine/router.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace forage::engine {
namespace {

// Worker deaths in a row, with not one page finished in between, after which
// the run gives up: a worker that cannot even start would be respawned forever.
constexpr int kMaxDeathsWithoutProgress = 10;

}  // namespace

ThrottleParams ThrottleFor(const Config& c) {
  ThrottleParams p;
  p.ceiling = std::max(1, c.per_host > 0 ? c.per_host : c.concurrency);
  p.start = std::min(p.start, p.ceiling);
  return p;
}

DispatchLimits LimitsFor(const Config& c) {
  DispatchLimits l;
  l.concurrency = c.concurrency;
  l.per_host = c.per_host;
  if (c.throttle_auto) l.initial_host_cap = ThrottleFor(c).start;
  l.rate_per_host = c.rate_per_host;
  l.delay_s = c.delay_s;
  // Pages may finish this far ahead of the first unwritten one; records of
  // at most this many pages wait in memory for their turn.
  l.window = c.order == Order::kPage
                 ? std::max<uint64_t>(1024, 4 * static_cast<uint64_t>(c.concurrency))
                 : 0;
  return l;
}

Router::Router(const Config& config, Plan& plan, Recorder* recorder, WorkerPort* port,
               Summary* summary, size_t follow_column)
    : config_(config),
      plan_(plan),
      recorder_(recorder),
      port_(port),
      summary_(summary),
      book_(plan.size()),
      dispatcher_(plan, book_, LimitsFor(config), config.chunking, std::max(1, config.workers)),
      merger_(config.order, plan.size(),
              [this](uint64_t page, bool ok, std::vector<parser::Record>&& records) -> Status {
                auto st = recorder_->Store(page, plan_.page(page), ok, records);
                summary_->items = recorder_->items();
                summary_->duplicates = recorder_->duplicates();
                return st;
              }),
      slots_(static_cast<size_t>(std::max(1, config.workers))) {
  if (!config.follow.empty()) follow_.emplace(&plan_, &book_, config.depth, follow_column);
  if (config.crawl || !config.next.empty()) {
    discovery_ = std::make_unique<Discovery>(&plan_, &book_, config);
  }
  if (config.throttle_auto) throttle_.emplace(ThrottleFor(config));
  for (size_t i = 0; i < slots_.size(); ++i) slots_[i].summary.slot = static_cast<int>(i);
}

Status Router::Resume(const std::vector<PageMark>& resumed, const std::vector<FoundPage>& found) {
  // The crawl's pages come back under the indexes the marks refer to.
  std::vector<uint64_t> restored;
  for (const FoundPage& f : found) {
    auto origin = UrlOrigin(f.url);
    if (!discovery_ || !origin || f.id != plan_.size() || f.root >= f.id) {
      return Err(ErrorCode::kInvalidArgument,
                 "--resume: the crawl journal is out of step with the job at page {} ({}); add "
                 "--force to start over",
                 f.id, f.url);
    }
    plan_.Add(PageTask{f.number, f.url, plan_.InternHost(*origin)});
    book_.Add(f.root, f.depth, {});
    discovery_->Restore(f.url);
    restored.push_back(f.id);
  }
  if (!found.empty()) merger_.Grow(plan_.size());
  for (const PageMark& m : resumed) {
    if (m.page >= book_.size() || book_.settled(m.page)) continue;
    dispatcher_.MarkFinished(m.page, m.ok);
    if (auto st = merger_.Preresolve(m.page); !st) return st;
    ++summary_->pages_resumed;
    if (!m.ok) {
      ++summary_->pages_failed;
      ++summary_->pages_resumed_failed;
      summary_->failures.push_back(PageFailure{plan_.url(m.page), "failed in an earlier run"});
    }
  }
  for (uint64_t p : restored) {  // the frontier: found, not stored
    if (!book_.settled(p)) dispatcher_.Enqueue(p);
  }
  return OkStatus();
}

Status Router::Start() {
  hellos_awaited_ = static_cast<int>(slots_.size());
  for (int i = 0; i < slots(); ++i) {
    if (auto st = StartSlot(i); !st) return st;
  }
  return OkStatus();
}

Status Router::StartSlot(int index) {
  auto pid = port_->Start(index);
  if (!pid) return pid.error();
  Slot& slot = slots_[index];
  slot.alive = true;
  slot.stopping = false;
  slot.retiring = false;
  slot.summary.pid = *pid;
  return OkStatus();
}

void Router::OnMessage(int index, worker::Message&& msg) {
  Slot& slot = slots_[index];
  if (std::holds_alternative<worker::HelloMsg>(msg)) {
    dispatcher_.SetAvailable(index, !stopping_ && !slot.stopping);
    if (!slot.said_hello) {
      slot.said_hello = true;
      --hellos_awaited_;
    }
    Pump();
  } else if (auto* m = std::get_if<worker::FetchedMsg>(&msg)) {
    if (m->page_id < book_.size() && book_.owner(m->page_id) == index) {
      if (book_.state(m->page_id) == PageState::kFetching) {
        Observe(m->page_id, m->http_status, m->fetch_s, false);
      }
      dispatcher_.OnFetched(m->page_id);
      Pump();
    }
  } else if (auto* m = std::get_if<worker::PageRecordsMsg>(&msg)) {
    if (m->page_id < book_.size() && book_.owner(m->page_id) == index) {
      book_.Hold(m->page_id, std::move(m->records));
    }
  } else if (auto* m = std::get_if<worker::PageLinksMsg>(&msg)) {
    if (m->page_id < book_.size() && book_.owner(m->page_id) == index) {
      book_.HoldLinks(m->page_id, std::move(m->links));
    }
  } else if (auto* m = std::get_if<worker::PageDoneMsg>(&msg)) {
    HandlePageDone(index, *m);
  } else if (auto* m = std::get_if<worker::StatsMsg>(&msg)) {
    slot.stats = *m;
  } else if (std::holds_alternative<worker::RetireMsg>(msg)) {
    HandleRetire(index);
  }
}

// Adds the snapshot of a slot's finished process to the slot's totals.
void Router::FoldStats(Slot& slot) {
  const worker::StatsMsg& m = slot.stats;
  slot.requests += m.requests;
  slot.body_bytes += m.body_bytes;
  AddTransport(m, &slot.transport);
  slot.cache_hits += m.cache_hits;
  slot.cache_revalidated += m.cache_revalidated;
  slot.cache_misses += m.cache_misses;
  if (slot.proxies.size() < m.proxies.size()) slot.proxies.resize(m.proxies.size());
  for (size_t i = 0; i < m.proxies.size(); ++i) {
    slot.proxies[i].requests += m.proxies[i].requests;
    slot.proxies[i].failures += m.proxies[i].failures;
    slot.proxies[i].benched += m.proxies[i].benched;
  }
  slot.summary.busy_s += m.busy_s;
  slot.summary.max_loop_lag_s = std::max(slot.summary.max_loop_lag_s, m.max_loop_lag_s);
  if (config_.workers == 0) {  // one process: its own clock is the worker's
    slot.summary.user_s = m.user_s;
    slot.summary.sys_s = m.sys_s;
  }
  slot.stats = worker::StatsMsg{};
  slot.leased_items = 0;
}

void Router::HandlePageDone(int index, const worker::PageDoneMsg& done) {
  const uint64_t page = done.page_id;
  if (page >= book_.size() || book_.owner(page) != index) return;
  Slot& slot = slots_[index];
  deaths_without_progress_ = 0;
  // A failed transfer's PageDone is its only word (no Fetched came first).
  if (!done.ok && book_.state(page) == PageState::kFetching) {
    Observe(page, done.http_status, done.fetch_s, done.retryable);
  }
  if (!done.ok && done.retryable && book_.attempts(page) < config_.retries) {
    int attempt = book_.CountAttempt(page);
    ++summary_->retries;
    const double at = port_->Now() + RetryDelay(attempt, done.retry_after_s);
    // A Retry-After pauses the whole host, not only this page.
    if (done.retry_after_s >= 0) dispatcher_.PauseHost(plan_.host_id(page), at);
    dispatcher_.Retry(page, at);
  } else {
    if (done.ok) {
      ++summary_->pages_ok;
      ++slot.summary.pages;
      slot.summary.items += done.items;
      summary_->dropped += done.dropped;
      if (done.items == 0) ++summary_->pages_without_items;
    } else if (book_.attempts(page) > 0) {
      FailPage(page, fmt::format("{} ({} attempts)", done.reason, book_.attempts(page) + 1));
    } else {
      FailPage(page, done.reason);
    }
    Settle(page, done.ok);
  }
  // Every path that settles (or requeues) a page may be the last thing an
  // interrupted run was waiting for.
  MaybeRetire(index);
  Pump();
  MaybeStop();
}

// Seconds before attempt `attempt` + 1 of a page: the server's Retry-After
// when it sent one, else exponential backoff with jitter (half fixed, half
// random, so retries of many pages spread out); both capped.
double Router::RetryDelay(int attempt, double retry_after_s) {
  const double cap = config_.max_retry_wait_s;
  if (retry_after_s >= 0) return std::min(retry_after_s, cap);
  double backoff = std::min(cap, config_.backoff_base_s * std::ldexp(1.0, attempt - 1));
  return backoff / 2 + std::uniform_real_distribution<>(0, backoff / 2)(rng_);
}

void Router::Observe(uint64_t page, int status, double fetch_s, bool retryable) {
  if (!throttle_) return;
  const uint32_t host = plan_.host_id(page);
  int cap = 0;
  if (status > 0) {
    cap = throttle_->OnResponse(host, status, fetch_s);
  } else if (retryable) {
    cap = throttle_->OnTransportFailure(host);
  } else {
    return;
  }
  dispatcher_.SetHostCap(host, cap);
}

// The worker's memory passed its limit: it is leased nothing more, and
// stopped once it holds no page; its slot then gets a fresh process.
void Router::HandleRetire(int index) {
  Slot& slot = slots_[index];
  if (stopping_ || slot.stopping || slot.retiring) return;
  slot.retiring = true;
  dispatcher_.SetAvailable(index, false);
  MaybeRetire(index);
}

void Router::MaybeRetire(int index) {
  Slot& slot = slots_[index];
  if (!slot.retiring || slot.stopping || !slot.alive || dispatcher_.outstanding(index) > 0) return;
  slot.stopping = true;
  port_->Send(index, worker::StopMsg{});
}

void Router::FailPage(uint64_t page, std::string reason) {
  ++summary_->pages_failed;
  summary_->failures.push_back(PageFailure{plan_.url(page), std::move(reason)});
}

// The page is finished for good: its records may go out (the merger holds
// them until their turn). With --follow, a list page registers its
// follow-ups, and a root's records go out once everything below it is done.
void Router::Settle(uint64_t page, bool ok) {
  if (!follow_ && !discovery_) {
    std::vector<parser::Record> records = book_.TakeHeld(page);
    dispatcher_.OnFinished(page, ok);
    auto st = ok ? merger_.Commit(page, std::move(records)) : merger_.Skip(page);
    if (!st) Abort(st.error());
    return;
  }
  std::vector<uint64_t> added;
  std::vector<FollowTree::Completed> completed;
  if (follow_) {
    follow_->Finish(page, ok, &added, &completed);
  } else {
    discovery_->Finish(page, ok, &added, &completed);
    // --crawl: every page found is resolved on its own, in the order found.
    if (discovery_->per_page()) merger_.Grow(plan_.size());
    for (uint64_t p = 0; journal_ != nullptr && p < added.size(); ++p) {
      const uint64_t id = added[p];
      journal_->Add(
          FoundPage{id, book_.root(id), book_.depth(id), plan_.page_number(id), plan_.url(id)});
    }
  }
  dispatcher_.OnFinished(page, ok);
  for (uint64_t p : added) dispatcher_.Enqueue(p);
  for (auto& c : completed) {
    auto st = c.ok ? merger_.Commit(c.root, std::move(c.records)) : merger_.Skip(c.root);
    if (!st) Abort(st.error());
  }
}

void Router::OnChannelClosed(int index) {
  Slot& slot = slots_[index];
  slot.alive = false;
  dispatcher_.SetAvailable(index, false);  // a dead slot gets no leases
}

void Router::OnWorkerGone(int index, bool hung) {
  Slot& slot = slots_[index];
  slot.alive = false;
  dispatcher_.SetAvailable(index, false);
  if (!slot.stopping) {
    // It died without its final Stats, maybe before its first heartbeat:
    // every page leased to it was a request the site saw (its bytes after
    // its last snapshot are lost with it).
    slot.stats.requests = std::max(slot.stats.requests, slot.leased_items);
  }
  FoldStats(slot);
  if (!slot.stopping) {
    HandleWorkerLost(index, hung);
  } else if (slot.retiring && !stopping_ && interrupts_ == 0 && !error_ &&
             !book_.all_settled()) {
    // Retired, not crashed: nothing was outstanding, nothing is blamed.
    ++slot.summary.restarts;
    ++slot.summary.retired;
    if (auto st = StartSlot(index); !st) Abort(st.error());
  }
  MaybeStop();
}

// A worker died with pages leased to it: they go back to pending (what they
// sent is forgotten), except the one it was processing when it died twice.
void Router::HandleWorkerLost(int index, bool hung) {
  Slot& slot = slots_[index];
  Dispatcher::Lost lost = dispatcher_.OnWorkerLost(index);
  if (lost.failed) deaths_without_progress_ = 0;  // the job moved on
  if (++deaths_without_progress_ >= kMaxDeathsWithoutProgress) {
    Abort(Err(ErrorCode::kInternal,
              "workers died {} times in a row without finishing a page (last: worker {}, pid {})",
              deaths_without_progress_, index, slot.summary.pid));
    return;
  }
  if (lost.failed) {
    FailPage(*lost.failed,
             hung ? "worker hung while processing" : "worker crashed while processing");
    Settle(*lost.failed, false);
  }
  if (stopping_ || interrupts_ > 0 || error_ || book_.all_settled()) return;
  ++slot.summary.restarts;
  if (auto st = StartSlot(index); !st) {
    Abort(st.error());
    return;
  }
  Pump();
}

bool Router::OnPageLost(int index, uint64_t page, const std::string& why) {
  if (page >= book_.size() || book_.owner(page) != index) return false;
  deaths_without_progress_ = 0;  // a node's loss, not a local worker's
  const int deliveries = book_.CountCrash(page);
  ++summary_->deliveries_lost;
  bool dead = deliveries >= std::max(1, config_.max_deliveries);
  if (dead) {
    ++summary_->pages_dead;
    FailPage(page, fmt::format("poison: {} ({} deliveries)", why, deliveries));
    Settle(page, false);
  } else {
    dispatcher_.Requeue(page, std::nullopt);
  }
  Pump();
  MaybeStop();
  return dead;
}

void Router::OnPageReturned(int index, uint64_t page) {
  if (page >= book_.size() || book_.owner(page) != index) return;
  dispatcher_.Requeue(page, std::nullopt);
  Pump();
  MaybeStop();
}

void Router::OnReaped(int index, double user_s, double sys_s, std::string exit) {
  WorkerSummary& w = slots_[index].summary;
  w.user_s += user_s;
  w.sys_s += sys_s;
  w.exit = std::move(exit);
}

void Router::Pump() {
  if (stopping_ || interrupts_ > 0 || error_ || hellos_awaited_ > 0) return;
  const double now = port_->Now();
  for (bool again = true; again;) {
    for (auto& [index, pages] : dispatcher_.Assign(merger_.cursor(), now)) {
      worker::LeaseMsg lease;
      lease.items.reserve(pages.size());
      for (uint64_t p : pages) {
        lease.items.push_back(
            worker::LeaseItem{p, plan_.url(p), follow_ ? follow_->RulesFor(p) : uint8_t{0}});
      }
      slots_[index].leased_items += lease.items.size();
      port_->Send(index, lease);
    }
    std::vector<Dispatcher::Blocked> blocked = dispatcher_.TakeBlocked();  // robots.txt
    again = !blocked.empty();
    for (auto& [p, verdict] : blocked) {
      if (verdict.kind == GateVerdict::Kind::kFail) {
        FailPage(p, std::move(verdict.reason));
        Settle(p, false);
        continue;
      }
      ++summary_->pages_blocked;
      summary_->blocked.push_back(PageFailure{plan_.url(p), std::move(verdict.reason)});
      Settle(p, true);
    }
    if (again) MaybeStop();
    if (stopping_ || error_) return;
  }
  // Retries and paced hosts become leasable with time, not with an event.
  if (std::optional<double> wake = dispatcher_.NextWake()) port_->WakeAt(*wake);
}

bool Router::Idle() const {
  for (int s = 0; s < slots(); ++s) {
    if (dispatcher_.outstanding(s) > 0) return false;
  }
  return true;
}

int Router::busy_slots() const {
  int busy = 0;
  for (int s = 0; s < slots(); ++s) busy += dispatcher_.outstanding(s) > 0 ? 1 : 0;
  return busy;
}

void Router::MaybeStop() {
  if (!stopping_) {
    bool done = book_.all_settled() || error_ || (interrupts_ > 0 && Idle());
    if (!done) return;
    StopWorkers();
  }
  bool any_alive = std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.alive; });
  if (!any_alive && port_->AllGone() && !shut_down_) {
    shut_down_ = true;
    port_->Shutdown();
  }
}

void Router::StopWorkers() {
  stopping_ = true;
  for (int i = 0; i < slots(); ++i) {
    Slot& s = slots_[i];
    dispatcher_.SetAvailable(i, false);
    if (!s.alive || s.stopping) continue;
    s.stopping = true;
    port_->Send(i, worker::StopMsg{});
  }
}

void Router::Abort(Error error) {
  if (!error_) error_ = std::move(error);
  port_->KillAll(false);
  for (Slot& s : slots_) s.stopping = true;
  StopWorkers();
  MaybeStop();
}

void Router::OnInterrupt() {
  ++interrupts_;
  if (interrupts_ == 1) {
    // Drain: lease nothing more, let what is in flight finish, then stop.
    MaybeStop();
    return;
  }
  port_->KillAll(true);
  for (Slot& s : slots_) s.stopping = true;
  StopWorkers();
  MaybeStop();
}

void Router::Checkpoint() {
  if (error_) return;
  // The pages found first: a mark the sink records next may refer to them.
  if (journal_) {
    if (auto st = journal_->Sync(); !st) {
      Abort(st.error());
      return;
    }
  }
  if (auto st = recorder_->Checkpoint(); !st) Abort(st.error());
}

void Router::Finish() {
  summary_->interrupted = interrupts_ > 0;
  summary_->pages_total = plan_.size();  // follow-ups included
  summary_->items = recorder_->items();
  summary_->duplicates = recorder_->duplicates();
  summary_->fields.resize(std::max(summary_->fields.size(), recorder_->filled().size()));
  for (size_t i = 0; i < recorder_->filled().size(); ++i) {
    summary_->fields[i].filled = recorder_->filled()[i];
  }
  for (uint32_t h = 0; throttle_ && h < plan_.hosts().size(); ++h) {
    if (!throttle_->seen(h)) continue;
    ThrottleHostReport r = throttle_->Report(h);
    summary_->throttle.push_back(ThrottleSummary{plan_.hosts()[h], r.settled, r.min, r.max,
                                                 throttle_->params().ceiling, r.responses,
                                                 r.responses_503, r.responses_429, r.timeouts,
                                                 r.decreases});
  }
  for (Slot& s : slots_) {
    FoldStats(s);
    summary_->requests += s.requests;
    summary_->body_bytes += s.body_bytes;
    AddTransport(s.transport, &summary_->transport);
    summary_->cache_hits += s.cache_hits;
    summary_->cache_revalidated += s.cache_revalidated;
    summary_->cache_misses += s.cache_misses;
    if (summary_->proxies.size() < s.proxies.size()) summary_->proxies.resize(s.proxies.size());
    for (size_t i = 0; i < s.proxies.size(); ++i) {
      summary_->proxies[i].requests += s.proxies[i].requests;
      summary_->proxies[i].failures += s.proxies[i].failures;
      summary_->proxies[i].benched += s.proxies[i].benched;
    }
    summary_->per_worker.push_back(s.summary);
  }
}

}  // namespace forage::engine
