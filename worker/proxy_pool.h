#pragma once
// ProxyPool: which proxy of --proxy-list a worker's next request goes
// through, and which proxies are benched.
//
// Each worker has its own pool (no coordination between workers): rotate
// takes the proxies in turn, one request each; sticky keeps a host on one
// proxy until that proxy is benched. A proxy that fails `fails_to_bench`
// times in a row (connect errors, SOCKS/CONNECT failures, 407) is benched for
// `bench_s`, doubling each time it is benched again without a success in
// between; a success resets both. Loop-bound; times are the caller's clock
// in seconds.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace forage::worker {

enum class ProxyMode { kRotate, kSticky };

struct ProxyStats {
  uint64_t requests = 0;  // requests sent through it
  uint64_t failures = 0;  // of those, proxy errors
  uint64_t benched = 0;   // times it was benched
};

class ProxyPool {
 public:
  ProxyPool(std::vector<std::string> proxies, ProxyMode mode, double bench_s = 30,
            int fails_to_bench = 3);

  // The proxy for a request to `host`, none of `tried` (proxies this request
  // already failed on): a proxy not benched at `now_s` if there is one, else
  // the untried one whose bench ends first (a probe: a request is never
  // refused for want of a proxy). -1 only when every proxy is in `tried`.
  int Pick(std::string_view host, const std::vector<int>& tried, double now_s);

  // The outcome of a request through `proxy`: `proxy_failed` when the proxy
  // itself failed it. Counts it and benches the proxy when due.
  void Report(int proxy, bool proxy_failed, double now_s);

  bool Benched(int proxy, double now_s) const { return state_[proxy].benched_until > now_s; }
  size_t size() const { return proxies_.size(); }
  const std::string& url(int proxy) const { return proxies_[proxy]; }
  const std::vector<ProxyStats>& stats() const { return stats_; }

 private:
  struct State {
    int failures_in_row = 0;
    double benched_until = 0;
    double next_bench_s = 0;
  };
  bool Usable(int proxy, const std::vector<int>& tried, double now_s) const;

  std::vector<std::string> proxies_;
  ProxyMode mode_;
  double bench_s_;
  int fails_to_bench_;
  std::vector<State> state_;
  std::vector<ProxyStats> stats_;
  size_t next_ = 0;  // rotate: the next proxy in turn
  std::unordered_map<std::string, int> sticky_;  // sticky: host -> proxy
};

}  // namespace forage::worker
