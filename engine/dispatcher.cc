#include "engine/dispatcher.h"

#include <cassert>
#include <algorithm>
#include <limits>

namespace forage::engine {
namespace {
// A page blamed for this many worker deaths is failed instead of retried.
constexpr uint8_t kMaxCrashes = 2;
}  // namespace

Dispatcher::Dispatcher(const Plan& plan, DispatchLimits limits, Chunking chunking, int slots)
    : plan_(plan),
      limits_(limits),
      chunking_(chunking),
      state_(plan.pages.size(), PageState::kPending),
      owner_(plan.pages.size(), -1),
      crashes_(plan.pages.size(), 0),
      slots_(static_cast<size_t>(slots)),
      host_fetching_(plan.hosts.size(), 0),
      host_next_s_(plan.hosts.size(), 0) {
  const uint64_t n = plan.pages.size();
  root_.resize(n);
  for (uint64_t p = 0; p < n; ++p) root_[p] = p;
  if (chunking == Chunking::kStatic) {
    // Contiguous near-equal chunks, the first n % slots one page longer
    // (numpy.array_split, as the seed did).
    pending_.resize(static_cast<size_t>(slots));
    chunk_of_.resize(n);
    uint64_t base = n / static_cast<uint64_t>(slots);
    uint64_t extra = n % static_cast<uint64_t>(slots);
    uint64_t page = 0;
    for (int s = 0; s < slots; ++s) {
      uint64_t len = base + (static_cast<uint64_t>(s) < extra ? 1 : 0);
      for (uint64_t i = 0; i < len; ++i, ++page) {
        chunk_of_[page] = s;
        pending_[static_cast<size_t>(s)].insert(QueueKey{page, page});
      }
    }
  } else {
    pending_.resize(1);
    for (uint64_t p = 0; p < n; ++p) pending_[0].insert(pending_[0].end(), QueueKey{p, p});
  }
}

void Dispatcher::SetAvailable(int slot, bool available) { slots_[slot].available = available; }

uint64_t Dispatcher::AddPage(uint64_t root) {
  const uint64_t page = state_.size();
  state_.push_back(PageState::kPending);
  owner_.push_back(-1);
  crashes_.push_back(0);
  root_.push_back(root);
  if (chunking_ == Chunking::kStatic) chunk_of_.push_back(chunk_of_[root]);
  // A follow-up may be on a host the plan had not seen.
  host_fetching_.resize(plan_.hosts.size(), 0);
  host_next_s_.resize(plan_.hosts.size(), 0);
  QueueFor(page).insert(KeyOf(page));
  return page;
}

std::set<Dispatcher::QueueKey>& Dispatcher::QueueFor(uint64_t page) {
  return chunking_ == Chunking::kStatic ? pending_[static_cast<size_t>(chunk_of_[page])]
                                        : pending_[0];
}

bool Dispatcher::HostFull(uint64_t page) const {
  return limits_.per_host > 0 && host_fetching_[plan_.pages[page].host_id] >= limits_.per_host;
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
    size_t load = outstanding(s);
    if (load < best_load) {
      best = s;
      best_load = load;
    }
  }
  return best;
}

std::vector<std::pair<int, std::vector<uint64_t>>> Dispatcher::Assign(uint64_t cursor,
                                                                     double now_s) {
  std::vector<std::vector<uint64_t>> leased(slots_.size());
  while (!waiting_.empty() && waiting_.begin()->first <= now_s) {
    uint64_t page = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    QueueFor(page).insert(KeyOf(page));
  }
  const bool paced = limits_.rate_per_host > 0 || limits_.delay_s > 0;
  blocked_until_.reset();
  // Static chunks are written in page order only at the end of each chunk's
  // predecessor, so the ordered-merge window cannot apply to them.
  const uint64_t limit = (limits_.window == 0 || chunking_ == Chunking::kStatic)
                             ? std::numeric_limits<uint64_t>::max()
                             : cursor + limits_.window;
  auto first_eligible = [&](std::set<QueueKey>& queue) -> std::optional<uint64_t> {
    for (const auto& [root, p] : queue) {
      if (root >= limit) break;
      if (HostFull(p)) continue;
      if (paced) {
        double next = host_next_s_[plan_.pages[p].host_id];
        if (next > now_s) {
          if (!blocked_until_ || next < *blocked_until_) blocked_until_ = next;
          continue;
        }
      }
      return p;
    }
    return std::nullopt;
  };
  auto lease = [&](int slot, uint64_t page) {
    QueueFor(page).erase(KeyOf(page));
    state_[page] = PageState::kFetching;
    owner_[page] = slot;
    ++slots_[slot].fetching;
    const uint32_t host = plan_.pages[page].host_id;
    ++host_fetching_[host];
    ++fetching_;
    leased[static_cast<size_t>(slot)].push_back(page);
    if (paced) {
      double gap = limits_.rate_per_host > 0 ? 1.0 / limits_.rate_per_host : 0;
      if (limits_.delay_s > 0) {
        double jittered = limits_.delay_s * std::uniform_real_distribution<>(0.5, 1.5)(rng_);
        gap = std::max(gap, jittered);
      }
      // Strict spacing: the next lease to this host comes `gap` after this
      // one, so no window of 1/rate seconds ever holds two (no bursts).
      host_next_s_[host] = std::max(host_next_s_[host], now_s) + gap;
    }
  };

  bool progress = true;
  while (progress && fetching_ < limits_.concurrency) {
    progress = false;
    if (chunking_ == Chunking::kDynamic) {
      int slot = PickSlot(-1);
      if (slot < 0) break;
      auto page = first_eligible(pending_[0]);
      if (!page) break;
      lease(slot, *page);
      progress = true;
      continue;
    }
    for (int s = 0; s < static_cast<int>(slots_.size()) && fetching_ < limits_.concurrency; ++s) {
      if (PickSlot(s) < 0) continue;
      auto page = first_eligible(pending_[static_cast<size_t>(s)]);
      if (!page) continue;
      lease(s, *page);
      progress = true;
    }
  }

  std::vector<std::pair<int, std::vector<uint64_t>>> out;
  for (size_t s = 0; s < leased.size(); ++s) {
    if (!leased[s].empty()) out.emplace_back(static_cast<int>(s), std::move(leased[s]));
  }
  return out;
}

void Dispatcher::OnFetched(uint64_t page) {
  if (state_[page] != PageState::kFetching) return;
  Slot& slot = slots_[owner_[page]];
  --slot.fetching;
  --host_fetching_[plan_.pages[page].host_id];
  --fetching_;
  slot.processing.push_back(page);
  state_[page] = PageState::kProcessing;
}

void Dispatcher::Release(uint64_t page) {
  if (state_[page] == PageState::kFetching) OnFetched(page);  // a failure may skip Fetched
  auto& proc = slots_[owner_[page]].processing;
  for (auto it = proc.begin(); it != proc.end(); ++it) {
    if (*it == page) {
      proc.erase(it);
      break;
    }
  }
  owner_[page] = -1;
}

void Dispatcher::OnFinished(uint64_t page, bool ok) {
  PageState st = state_[page];
  if (st == PageState::kDone || st == PageState::kFailed || st == PageState::kPending) return;
  Release(page);
  state_[page] = ok ? PageState::kDone : PageState::kFailed;
  ++finished_;
}

void Dispatcher::MarkFinished(uint64_t page, bool ok) {
  if (state_[page] != PageState::kPending) return;
  QueueFor(page).erase(KeyOf(page));
  state_[page] = ok ? PageState::kDone : PageState::kFailed;
  ++finished_;
}

void Dispatcher::Retry(uint64_t page, double not_before_s) {
  PageState st = state_[page];
  if (st != PageState::kFetching && st != PageState::kProcessing) return;
  Release(page);
  state_[page] = PageState::kPending;
  waiting_.emplace(not_before_s, page);
}

std::optional<double> Dispatcher::NextWake() const {
  std::optional<double> wake = blocked_until_;
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
    if (++crashes_[blamed] >= kMaxCrashes) lost.failed = blamed;
  }
  for (uint64_t p = 0; p < state_.size(); ++p) {
    if (owner_[p] != slot_index) continue;
    if (state_[p] == PageState::kFetching) {
      --host_fetching_[plan_.pages[p].host_id];
      --fetching_;
    }
    owner_[p] = -1;
    if (lost.failed && *lost.failed == p) {
      state_[p] = PageState::kFailed;
      ++finished_;
      continue;
    }
    state_[p] = PageState::kPending;
    QueueFor(p).insert(KeyOf(p));
    lost.requeued.push_back(p);
  }
  slot.fetching = 0;
  slot.processing.clear();
  return lost;
}

}  // namespace forage::engine
