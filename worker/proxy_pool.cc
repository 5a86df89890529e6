#include "worker/proxy_pool.h"

#include <algorithm>
#include <utility>

namespace forage::worker {

ProxyPool::ProxyPool(std::vector<std::string> proxies, ProxyMode mode, double bench_s,
                     int fails_to_bench)
    : proxies_(std::move(proxies)),
      mode_(mode),
      bench_s_(bench_s),
      fails_to_bench_(fails_to_bench),
      state_(proxies_.size(), State{0, 0, bench_s}),
      stats_(proxies_.size()) {}

bool ProxyPool::Usable(int proxy, const std::vector<int>& tried, double now_s) const {
  return !Benched(proxy, now_s) && std::find(tried.begin(), tried.end(), proxy) == tried.end();
}

int ProxyPool::Pick(std::string_view host, const std::vector<int>& tried, double now_s) {
  const int n = static_cast<int>(proxies_.size());
  if (n == 0) return -1;
  int* stuck = nullptr;
  if (mode_ == ProxyMode::kSticky) {
    auto [it, fresh] = sticky_.try_emplace(std::string(host), -1);
    stuck = &it->second;
    if (!fresh && *stuck >= 0 && Usable(*stuck, tried, now_s)) return *stuck;
  }
  int chosen = -1;
  for (int i = 0; i < n && chosen < 0; ++i) {
    int p = static_cast<int>((next_ + static_cast<size_t>(i)) % static_cast<size_t>(n));
    if (Usable(p, tried, now_s)) chosen = p;
  }
  if (chosen < 0) {
    // Every untried proxy is benched: probe the one that comes back first.
    for (int p = 0; p < n; ++p) {
      if (std::find(tried.begin(), tried.end(), p) != tried.end()) continue;
      if (chosen < 0 || state_[p].benched_until < state_[chosen].benched_until) chosen = p;
    }
    if (chosen < 0) return -1;
  }
  next_ = static_cast<size_t>(chosen + 1) % static_cast<size_t>(n);
  if (stuck != nullptr) *stuck = chosen;
  return chosen;
}

void ProxyPool::Report(int proxy, bool proxy_failed, double now_s) {
  if (proxy < 0 || static_cast<size_t>(proxy) >= proxies_.size()) return;
  State& s = state_[proxy];
  ++stats_[proxy].requests;
  if (!proxy_failed) {
    s.failures_in_row = 0;
    s.next_bench_s = bench_s_;
    return;
  }
  ++stats_[proxy].failures;
  // Failures of requests that were already under way when it was benched do
  // not bench it again.
  if (++s.failures_in_row < fails_to_bench_ || s.benched_until > now_s) return;
  s.benched_until = now_s + s.next_bench_s;
  s.next_bench_s *= 2;
  // Back from the bench, one more failure benches it again (for twice as long).
  s.failures_in_row = fails_to_bench_ - 1;
  ++stats_[proxy].benched;
}

}  // namespace forage::worker
