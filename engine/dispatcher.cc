#include "engine/dispatcher.h"

#include <algorithm>
#include <limits>
#include <string>

namespace forage::engine {
namespace {
// A page blamed for this many worker deaths is failed instead of retried.
constexpr uint8_t kMaxCrashes = 2;

LeaseHook& InstalledLeaseHook() {
  static LeaseHook hook;
  return hook;
}
}  // namespace

void InstallLeaseHookForTesting(LeaseHook hook) { InstalledLeaseHook() = std::move(hook); }

Dispatcher::Dispatcher(const Plan& plan, PageBook& book, DispatchLimits limits,
                       Chunking chunking, int slots)
    : plan_(plan),
      book_(book),
      limits_(limits),
      chunking_(chunking),
      paced_(limits.rate_per_host > 0 || limits.delay_s > 0),
      queues_(chunking == Chunking::kStatic ? static_cast<size_t>(slots) : 1),
      slots_(static_cast<size_t>(slots)) {
  // Static chunks: contiguous near-equal chunks of the plan, the first
  // n % slots one page longer (numpy.array_split, as the seed did).
  const uint64_t n = book.size();
  chunk_base_ = n / static_cast<uint64_t>(slots);
  chunk_extra_ = n % static_cast<uint64_t>(slots);
  GrowHosts();
  for (uint64_t p = 0; p < n; ++p) {
    if (book_.state(p) != PageState::kPending) continue;
    Queue& q = QueueOf(p);
    q.hosts[plan_.host_id(p)].initial.push_back(p);  // plan order is key order
  }
  for (Queue& q : queues_) {
    for (auto& [host, hq] : q.hosts) Refresh(q, host);
  }
}

void Dispatcher::GrowHosts() {
  // A follow-up may be on a host the plan had not seen.
  const size_t h = plan_.hosts().size();
  host_fetching_.resize(h, 0);
  host_cap_.resize(h, limits_.initial_host_cap > 0 ? limits_.initial_host_cap : limits_.per_host);
  host_next_s_.resize(h, 0);
  host_paced_.resize(h, 0);
  host_gap_s_.resize(h, 0);
  host_held_.resize(h, 0);
}

Dispatcher::Queue& Dispatcher::QueueOf(uint64_t page) {
  if (chunking_ == Chunking::kDynamic) return queues_[0];
  const uint64_t root = book_.root(page);  // a follow-up goes with its root
  const uint64_t big = chunk_extra_ * (chunk_base_ + 1);
  const uint64_t s = root < big ? root / (chunk_base_ + 1)
                                : chunk_extra_ + (root - big) / std::max<uint64_t>(1, chunk_base_);
  return queues_[static_cast<size_t>(std::min<uint64_t>(s, queues_.size() - 1))];
}

void Dispatcher::SetAvailable(int slot, bool available) { slots_[slot].available = available; }

void Dispatcher::Enqueue(uint64_t page) {
  GrowHosts();
  Push(page);
}

// Into its host's queue, as an `extra` page (requeued or found later).
void Dispatcher::Push(uint64_t page) {
  Queue& q = QueueOf(page);
  const uint32_t host = plan_.host_id(page);
  q.hosts[host].extra.insert(KeyOf(page));
  Refresh(q, host);
}

std::optional<Dispatcher::QueueKey> Dispatcher::Front(HostQueue& hq) {
  // Plan pages settled by an earlier run (--resume) are skipped here.
  while (!hq.initial.empty() && book_.state(hq.initial.front()) != PageState::kPending) {
    hq.initial.pop_front();
  }
  std::optional<QueueKey> front;
  if (!hq.initial.empty()) front = KeyOf(hq.initial.front());
  if (!hq.extra.empty() && (!front || *hq.extra.begin() < *front)) front = *hq.extra.begin();
  return front;
}

bool Dispatcher::HostMayGo(uint32_t host) const {
  if (host_cap_[host] > 0 && host_fetching_[host] >= host_cap_[host]) return false;
  return host_paced_[host] == 0 && host_held_[host] == 0;
}

// Puts the host in the queue's ready set under its first page, or takes it
// out (nothing pending, host full or paced).
void Dispatcher::Refresh(Queue& q, uint32_t host) {
  auto it = q.hosts.find(host);
  if (it == q.hosts.end()) return;
  HostQueue& hq = it->second;
  if (hq.listed) {
    q.ready.erase({hq.listed_key, host});
    hq.listed = false;
  }
  if (!HostMayGo(host)) return;
  if (auto front = Front(hq)) {
    q.ready.emplace(*front, host);
    hq.listed = true;
    hq.listed_key = *front;
  }
}

void Dispatcher::RefreshHost(uint32_t host) {
  for (Queue& q : queues_) Refresh(q, host);
}

// The available slot with the least outstanding work whose CPU backlog is not
// full; `only` restricts the choice to one slot (static chunking).
int Dispatcher::PickSlot(int only) const {
  int best = -1;
  size_t best_load = std::numeric_limits<size_t>::max();
  for (int s = 0; s < static_cast<int>(slots_.size()); ++s) {
    if (only >= 0 && s != only) continue;
    const Slot& slot = slots_[s];
    if (!slot.available || static_cast<int>(slot.processing.size()) >= limits_.max_backlog) {
      continue;
    }
    size_t load = slot.leased.size();
    if (load < best_load) {
      best = s;
      best_load = load;
    }
  }
  return best;
}

void Dispatcher::Lease(int slot, uint64_t page, double now_s) {
  Queue& q = QueueOf(page);
  const uint32_t host = plan_.host_id(page);
  HostQueue& hq = q.hosts[host];
  if (!hq.initial.empty() && hq.initial.front() == page) {
    hq.initial.pop_front();
  } else {
    hq.extra.erase(KeyOf(page));
  }
  book_.Lease(page, slot);
  slots_[slot].leased.insert(page);
  ++host_fetching_[host];
  ++fetching_;
  if (paced_ && !(no_request_ && book_.attempts(page) == 0 && no_request_(page))) {
    double gap = limits_.rate_per_host > 0 ? 1.0 / limits_.rate_per_host : host_gap_s_[host];
    if (limits_.delay_s > 0) {
      double jittered = limits_.delay_s * std::uniform_real_distribution<>(0.5, 1.5)(rng_);
      gap = std::max(gap, jittered);
    }
    // Strict spacing: the next lease to this host comes `gap` after this
    // one, so no window of 1/rate seconds ever holds two (no bursts).
    host_next_s_[host] = std::max(host_next_s_[host], now_s) + gap;
    if (host_next_s_[host] > now_s) {
      host_paced_[host] = 1;
      paced_hosts_.emplace(host_next_s_[host], host);
    }
  }
  RefreshHost(host);
}

bool Dispatcher::LeaseOrBlock(int slot, uint64_t page, double now_s) {
  if (!gate_ || book_.attempts(page) > 0) {
    Lease(slot, page, now_s);
    Announce(page, now_s);
    return true;
  }
  double gap = -1;
  GateVerdict verdict = gate_(page, &gap);
  const uint32_t host = plan_.host_id(page);
  if (gap >= 0 && limits_.rate_per_host <= 0 && limits_.delay_s <= 0) {
    host_gap_s_[host] = gap;
    paced_ = paced_ || gap > 0;
  }
  if (verdict.kind == GateVerdict::Kind::kFetch) {
    Lease(slot, page, now_s);
    Announce(page, now_s);
    return true;
  }
  if (verdict.kind == GateVerdict::Kind::kWait) {
    // Not leased: the host leaves the ready set until the gate has news.
    if (host_held_[host] == 0) {
      host_held_[host] = 1;
      held_.push_back(host);
      RefreshHost(host);
    }
    return false;
  }
  // Leased without a request (so it takes no pacing slot): the caller
  // settles it at once.
  const bool paced = paced_;
  paced_ = false;
  Lease(slot, page, now_s);
  paced_ = paced;
  blocked_.push_back(Blocked{page, std::move(verdict)});
  return false;
}

void Dispatcher::UnholdHosts() {
  std::vector<uint32_t> held = std::exchange(held_, {});
  for (uint32_t host : held) {
    host_held_[host] = 0;
    RefreshHost(host);
  }
}

void Dispatcher::Announce(uint64_t page, double now_s) const {
  const LeaseHook& hook = InstalledLeaseHook();
  if (!hook) return;
  const uint32_t host = plan_.host_id(page);
  const std::string url = plan_.url(page);
  hook(LeaseEvent{url, now_s, host_next_s_[host], host_fetching_[host]});
}

void Dispatcher::SetHostCap(uint32_t host, int cap) {
  GrowHosts();
  if (host >= host_cap_.size() || host_cap_[host] == cap) return;
  host_cap_[host] = cap;
  RefreshHost(host);
}

void Dispatcher::PauseHost(uint32_t host, double until_s) {
  GrowHosts();
  if (host >= host_next_s_.size() || until_s <= host_next_s_[host]) return;
  if (host_paced_[host]) paced_hosts_.erase({host_next_s_[host], host});
  host_next_s_[host] = until_s;
  host_paced_[host] = 1;
  paced_hosts_.emplace(until_s, host);
  RefreshHost(host);
}

std::vector<std::pair<int, std::vector<uint64_t>>> Dispatcher::Assign(uint64_t cursor,
                                                                     double now_s) {
  while (!waiting_.empty() && waiting_.begin()->first <= now_s) {
    uint64_t page = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    book_.Requeue(page, false);  // waiting -> pending
    Push(page);
  }
  while (!paced_hosts_.empty() && paced_hosts_.begin()->first <= now_s) {
    uint32_t host = paced_hosts_.begin()->second;
    paced_hosts_.erase(paced_hosts_.begin());
    host_paced_[host] = 0;
    RefreshHost(host);
  }
  // Static chunks are written in page order only at the end of each chunk's
  // predecessor, so the ordered-merge window cannot apply to them.
  const uint64_t limit = (limits_.window == 0 || chunking_ == Chunking::kStatic)
                             ? std::numeric_limits<uint64_t>::max()
                             : cursor + limits_.window;
  std::vector<std::vector<uint64_t>> leased(slots_.size());
  auto next_page = [&](Queue& q) -> std::optional<uint64_t> {
    if (q.ready.empty() || q.ready.begin()->first.first >= limit) return std::nullopt;
    return q.ready.begin()->first.second;
  };
  if (chunking_ == Chunking::kDynamic) {
    while (fetching_ < limits_.concurrency) {
      int slot = PickSlot(-1);
      if (slot < 0) break;
      auto page = next_page(queues_[0]);
      if (!page) break;
      if (LeaseOrBlock(slot, *page, now_s)) leased[static_cast<size_t>(slot)].push_back(*page);
    }
  } else {
    bool progress = true;
    while (progress && fetching_ < limits_.concurrency) {
      progress = false;
      for (int s = 0; s < static_cast<int>(slots_.size()) && fetching_ < limits_.concurrency;
           ++s) {
        if (PickSlot(s) < 0) continue;
        auto page = next_page(queues_[static_cast<size_t>(s)]);
        if (!page) continue;
        if (LeaseOrBlock(s, *page, now_s)) leased[static_cast<size_t>(s)].push_back(*page);
        progress = true;
      }
    }
  }
  std::vector<std::pair<int, std::vector<uint64_t>>> out;
  for (size_t s = 0; s < leased.size(); ++s) {
    if (!leased[s].empty()) out.emplace_back(static_cast<int>(s), std::move(leased[s]));
  }
  return out;
}

void Dispatcher::OnFetched(uint64_t page) {
  if (book_.state(page) != PageState::kFetching) return;
  Slot& slot = slots_[book_.owner(page)];
  const uint32_t host = plan_.host_id(page);
  const bool was_full = !HostMayGo(host);
  --host_fetching_[host];
  --fetching_;
  slot.processing.push_back(page);
  book_.MarkFetched(page);
  if (was_full) RefreshHost(host);
}

void Dispatcher::Release(uint64_t page) {
  if (book_.state(page) == PageState::kFetching) OnFetched(page);  // a failure may skip Fetched
  const int owner = book_.owner(page);
  if (owner < 0) return;
  Slot& slot = slots_[owner];
  slot.leased.erase(page);
  auto& proc = slot.processing;
  for (auto it = proc.begin(); it != proc.end(); ++it) {
    if (*it == page) {
      proc.erase(it);
      break;
    }
  }
}

void Dispatcher::OnFinished(uint64_t page, bool ok) {
  PageState st = book_.state(page);
  if (st != PageState::kFetching && st != PageState::kProcessing) return;
  Release(page);
  book_.Settle(page, ok);
}

void Dispatcher::MarkFinished(uint64_t page, bool ok) {
  PageState st = book_.state(page);
  if (st != PageState::kPending && st != PageState::kWaiting) return;
  book_.Settle(page, ok);
  // A plan page is skipped lazily in its queue; any other one leaves it now.
  Queue& q = QueueOf(page);
  const uint32_t host = plan_.host_id(page);
  if (auto it = q.hosts.find(host); it != q.hosts.end()) {
    it->second.extra.erase(KeyOf(page));
    Refresh(q, host);
  }
}

void Dispatcher::Requeue(uint64_t page, std::optional<double> not_before_s) {
  PageState st = book_.state(page);
  if (st != PageState::kFetching && st != PageState::kProcessing) return;
  Release(page);
  book_.Requeue(page, not_before_s.has_value());
  if (not_before_s) {
    waiting_.emplace(*not_before_s, page);
  } else {
    Push(page);
  }
}

std::optional<double> Dispatcher::NextWake() const {
  std::optional<double> wake;
  if (!paced_hosts_.empty()) wake = paced_hosts_.begin()->first;
  if (!waiting_.empty() && (!wake || waiting_.begin()->first < *wake)) {
    wake = waiting_.begin()->first;
  }
  return wake;
}

Dispatcher::Lost Dispatcher::OnWorkerLost(int slot_index) {
  Lost lost;
  Slot& slot = slots_[slot_index];
  slot.available = false;
  if (!slot.processing.empty()) {
    uint64_t blamed = slot.processing.front();
    if (book_.CountCrash(blamed) >= kMaxCrashes) lost.failed = blamed;
  }
  std::vector<uint64_t> pages(slot.leased.begin(), slot.leased.end());
  std::sort(pages.begin(), pages.end());
  for (uint64_t p : pages) {
    if (lost.failed && *lost.failed == p) continue;
    Requeue(p, std::nullopt);
    lost.requeued.push_back(p);
  }
  return lost;
}

}  // namespace forage::engine
