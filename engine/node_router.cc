#include "engine/node_router.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "engine/summary.h"

namespace forage::engine {
namespace {

// A worker with this many fetched pages waiting for its CPU is leased
// nothing more (as the Dispatcher's max_backlog).
constexpr size_t kMaxBacklog = 8;
// Worker deaths in a row without one page finished: the node gives up
// respawning (a worker that cannot start) and drains.
constexpr int kMaxDeathsWithoutProgress = 10;

// Adds the counters the node reports of `from` to `to` (not the times, the
// pages or the proxies).
void AddCounters(const worker::StatsMsg& from, worker::StatsMsg* to) {
  to->requests += from.requests;
  to->body_bytes += from.body_bytes;
  AddTransport(from, to);
  to->cache_hits += from.cache_hits;
  to->cache_revalidated += from.cache_revalidated;
  to->cache_misses += from.cache_misses;
}

}  // namespace

NodeRouter::NodeRouter(WorkerPort* port, int slots, int concurrency, Callbacks callbacks)
    : port_(port),
      concurrency_(std::max(1, concurrency)),
      cb_(std::move(callbacks)),
      slots_(static_cast<size_t>(std::max(1, slots))) {}

Status NodeRouter::Start() {
  for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
    auto pid = port_->Start(i);
    if (!pid) return pid.error();
    slots_[i].alive = true;
  }
  return OkStatus();
}

void NodeRouter::StartSlot(int index) {
  Slot& s = slots_[index];
  s.stopping = s.retiring = s.available = false;
  auto pid = port_->Start(index);
  if (!pid) {
    fmt::print(stderr, "forage: node: cannot start a worker: {}\n", pid.error().message);
    Drain();
    return;
  }
  s.alive = true;
}

void NodeRouter::Add(std::string entry, uint64_t page, std::string url, uint8_t rules) {
  const uint64_t local = next_local_++;
  pages_.emplace(local, Page{std::move(entry), page, std::move(url), rules, -1, {}, {}});
  queue_.push_back(local);
}

size_t NodeRouter::room() const {
  if (draining_) return 0;
  const auto cap = static_cast<size_t>(concurrency_);
  return pages_.size() >= cap ? 0 : cap - pages_.size();
}

std::vector<std::string> NodeRouter::held_entries() const {
  std::vector<std::string> out;
  out.reserve(pages_.size());
  for (const auto& [local, p] : pages_) out.push_back(p.entry);
  return out;
}

void NodeRouter::ForgetAll() {
  pages_.clear();
  queue_.clear();
  for (Slot& s : slots_) {
    s.leased.clear();
    s.processing.clear();
  }
}

NodeRouter::Page* NodeRouter::Find(int slot, uint64_t local) {
  auto it = pages_.find(local);
  if (it == pages_.end() || it->second.slot != slot) return nullptr;
  return &it->second;
}

void NodeRouter::OnMessage(int index, worker::Message&& msg) {
  Slot& slot = slots_[index];
  if (std::holds_alternative<worker::HelloMsg>(msg)) {
    // Draining or not: a drain takes no new leases from Redis (room() is 0)
    // but finishes the pages the node holds, and some may be in the queue,
    // sent to no worker yet (the drain began while this worker was
    // starting, or its predecessor died holding them).
    slot.available = !slot.stopping && !slot.retiring;
    Pump();
    MaybeStop();
  } else if (auto* m = std::get_if<worker::FetchedMsg>(&msg)) {
    if (Find(index, m->page_id) != nullptr) slot.processing.push_back(m->page_id);
  } else if (auto* m = std::get_if<worker::PageRecordsMsg>(&msg)) {
    if (Page* p = Find(index, m->page_id)) p->records.push_back(std::move(m->records));
  } else if (auto* m = std::get_if<worker::PageLinksMsg>(&msg)) {
    if (Page* p = Find(index, m->page_id)) p->links = std::move(m->links);
  } else if (auto* m = std::get_if<worker::PageDoneMsg>(&msg)) {
    Finish(index, m->page_id, *m);
  } else if (auto* m = std::get_if<worker::StatsMsg>(&msg)) {
    slot.stats = *m;
  } else if (std::holds_alternative<worker::RetireMsg>(msg)) {
    if (!slot.stopping && !slot.retiring) {
      slot.retiring = true;
      slot.available = false;
      StopIdleSlots();
    }
  }
}

void NodeRouter::Unlease(Slot& s, uint64_t local) {
  s.leased.erase(std::remove(s.leased.begin(), s.leased.end(), local), s.leased.end());
  s.processing.erase(std::remove(s.processing.begin(), s.processing.end(), local),
                     s.processing.end());
}

void NodeRouter::Finish(int index, uint64_t local, const worker::PageDoneMsg& done) {
  Page* p = Find(index, local);
  if (p == nullptr) return;
  deaths_without_progress_ = 0;
  std::string frames;
  for (auto& records : p->records) {
    worker::EncodeFrame(worker::PageRecordsMsg{p->page, std::move(records)}, &frames);
  }
  if (!p->links.empty()) {
    worker::EncodeFrame(worker::PageLinksMsg{p->page, std::move(p->links)}, &frames);
  }
  worker::PageDoneMsg d = done;
  d.page_id = p->page;
  worker::EncodeFrame(d, &frames);
  if (done.ok) {
    ++pages_done_;
    items_ += done.items;
  }
  std::string entry = std::move(p->entry);
  const uint64_t page = p->page;
  Unlease(slots_[index], local);
  pages_.erase(local);
  cb_.done(entry, page, std::move(frames), done.ok ? done.items : 0);
  StopIdleSlots();
  Pump();
  MaybeStop();
}

void NodeRouter::Pump() {
  if (stopped_) return;
  std::vector<std::vector<worker::LeaseItem>> batches(slots_.size());
  while (!queue_.empty()) {
    int best = -1;
    for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
      const Slot& s = slots_[i];
      if (!s.alive || !s.available || s.processing.size() >= kMaxBacklog) continue;
      if (best < 0 || s.leased.size() < slots_[best].leased.size()) best = i;
    }
    if (best < 0) break;
    const uint64_t local = queue_.front();
    queue_.pop_front();
    auto it = pages_.find(local);
    if (it == pages_.end()) continue;
    it->second.slot = best;
    slots_[best].leased.push_back(local);
    batches[best].push_back(worker::LeaseItem{local, it->second.url, it->second.rules});
  }
  for (size_t i = 0; i < batches.size(); ++i) {
    if (!batches[i].empty()) port_->Send(static_cast<int>(i), worker::LeaseMsg{std::move(batches[i])});
  }
}

void NodeRouter::OnChannelClosed(int index) {
  slots_[index].alive = false;
  slots_[index].available = false;
}

void NodeRouter::OnWorkerGone(int index, bool hung) {
  Slot& s = slots_[index];
  s.alive = false;
  s.available = false;
  // Its last snapshot; a crash before any said at least one request per
  // page it held.
  s.stats.requests = std::max<uint64_t>(s.stats.requests, s.stopping ? 0 : s.leased.size());
  AddCounters(s.stats, &s.done);
  s.stats = worker::StatsMsg{};
  if (!s.stopping || !s.leased.empty()) {
    // Died holding pages: the one it was processing is lost (the
    // collector counts the delivery); the rest go to the other workers.
    if (!s.processing.empty()) {
      const uint64_t blamed = s.processing.front();
      auto it = pages_.find(blamed);
      if (it != pages_.end()) {
        worker::PageDoneMsg d;
        d.page_id = it->second.page;
        d.reason = hung ? "worker hung while processing" : "worker crashed while processing";
        std::string frames;
        worker::EncodeFrame(d, &frames);
        std::string entry = std::move(it->second.entry);
        const uint64_t page = it->second.page;
        pages_.erase(it);
        Unlease(s, blamed);
        cb_.lost(entry, page, std::move(frames));
      }
    }
    for (auto it = s.leased.rbegin(); it != s.leased.rend(); ++it) {
      auto p = pages_.find(*it);
      if (p == pages_.end()) continue;
      p->second.slot = -1;
      p->second.records.clear();
      p->second.links.clear();
      queue_.push_front(*it);
    }
    s.leased.clear();
    s.processing.clear();
  }
  const bool replace = !stopped_ && (!draining_ || !pages_.empty()) &&
                       (!s.stopping || s.retiring);
  if (replace) {
    if (!s.retiring && ++deaths_without_progress_ >= kMaxDeathsWithoutProgress) {
      fmt::print(stderr, "forage: node: workers died {} times in a row without finishing a page\n",
                 deaths_without_progress_);
      Abort();
    } else {
      if (!s.retiring) ++restarts_;
      StartSlot(index);
    }
  }
  Pump();
  MaybeStop();
}

void NodeRouter::OnReaped(int index, double user_s, double sys_s, std::string /*exit*/) {
  slots_[index].user_s += user_s;
  slots_[index].sys_s += sys_s;
}

void NodeRouter::StopIdleSlots() {
  for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
    Slot& s = slots_[i];
    if (!s.alive || s.stopping || !s.leased.empty()) continue;
    if (s.retiring || (draining_ && pages_.empty())) {
      s.stopping = true;
      s.available = false;
      port_->Send(i, worker::StopMsg{});
    }
  }
}

void NodeRouter::Drain() {
  draining_ = true;
  StopIdleSlots();
  MaybeStop();
}

void NodeRouter::Abort() {
  draining_ = true;
  ForgetAll();
  port_->KillAll(false);
  for (Slot& s : slots_) s.stopping = true;
  MaybeStop();
}

void NodeRouter::MaybeStop() {
  if (stopped_ || !draining_) return;
  StopIdleSlots();
  const bool any_alive =
      std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.alive; });
  if (!any_alive && port_->AllGone()) {
    stopped_ = true;
    port_->Shutdown();
    if (cb_.stopped) cb_.stopped();
  }
}

worker::StatsMsg NodeRouter::counters() const {
  worker::StatsMsg n;
  for (const Slot& s : slots_) {
    AddCounters(s.done, &n);
    AddCounters(s.stats, &n);
  }
  return n;
}

double NodeRouter::user_s() const {
  double t = 0;
  for (const Slot& s : slots_) t += s.user_s + s.stats.user_s;
  return t;
}

double NodeRouter::sys_s() const {
  double t = 0;
  for (const Slot& s : slots_) t += s.sys_s + s.stats.sys_s;
  return t;
}

}  // namespace forage::engine
