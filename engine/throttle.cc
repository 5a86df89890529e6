#include "engine/throttle.h"

#include <algorithm>
#include <cmath>

namespace forage::engine {

Throttle::Throttle(ThrottleParams params) : params_(params) {
  params_.ceiling = std::max(1, params_.ceiling);
  params_.start = std::clamp(params_.start, 1, params_.ceiling);
  params_.probe_rounds = std::max(1, params_.probe_rounds);
}

Throttle::Host& Throttle::HostOf(uint32_t host) {
  auto [it, added] = hosts_.try_emplace(host);
  if (added) {
    it->second.limit = params_.start;
    it->second.at_limit.assign(static_cast<size_t>(params_.ceiling) + 1, 0);
  }
  return it->second;
}

int Throttle::Current(const Host& h) const {
  // The epsilon keeps 3 steps of 1/3 from landing just under 1.
  return std::clamp(static_cast<int>(std::floor(h.limit + 1e-9)), 1, params_.ceiling);
}

int Throttle::Limit(uint32_t host) const {
  auto it = hosts_.find(host);
  return it == hosts_.end() ? params_.start : Current(it->second);
}

// Every outcome is counted under the limit that was in force when it came.
void Throttle::Count(Host& h) {
  ++h.at_limit[static_cast<size_t>(Current(h))];
  ++h.report.responses;
  if (h.recovery_left > 0) --h.recovery_left;
}

// Multiplicative decrease. The other requests in flight at the cut (at most
// the old limit less the one that brought the news) answer before the new
// limit has been tried: until they have, further bad news is counted but
// cuts nothing (once per round, as TCP does).
void Throttle::Cut(Host& h, double factor) {
  const int before = Current(h);
  h.limit = std::max(1.0, h.limit * factor);
  h.recovery_left = before - 1;
  ++h.report.decreases;
}

// An overload at the level being probed (the one that overloaded last time,
// reached from the level below it without trouble) steps back to that level
// below: it is known to work, and halving would cost rounds at half speed
// for nothing. Any other overload (the first, or one below the last
// overload level: the site takes less than it did) halves.
void Throttle::Overload(Host& h) {
  const int level = Current(h);
  if (h.overload_at > 1 && level == h.overload_at) {
    Cut(h, static_cast<double>(level - 1) / h.limit);
  } else {
    Cut(h, params_.decrease);
  }
  h.overload_at = level;
}

// Additive increase: 1/limit a response is one step a round. At or above
// the level that last overloaded the host the step takes probe_rounds
// rounds, so the limit spends most of its time just under that level.
void Throttle::Grow(Host& h) {
  const int now = Current(h);
  if (h.overload_at > 0 && now > h.overload_at) h.overload_at = 0;  // the host takes more now
  const bool probing = h.overload_at > 0 && now + 1 >= h.overload_at;
  const double step = 1.0 / (h.limit * (probing ? params_.probe_rounds : 1));
  h.limit = std::min<double>(params_.ceiling, h.limit + step);
}

int Throttle::OnResponse(uint32_t host, int http_status, double latency_s) {
  Host& h = HostOf(host);
  const bool in_recovery = h.recovery_left > 0;
  Count(h);
  if (http_status == 503) ++h.report.responses_503;
  if (http_status == 429) ++h.report.responses_429;
  if (http_status == 429 || http_status == 503 || http_status == 504) {
    if (!in_recovery) Overload(h);
    return Current(h);
  }
  if (latency_s >= 0) {
    if (h.best_s < 0 || latency_s < h.best_s) {
      h.best_s = latency_s;
    } else {
      h.best_s += (latency_s - h.best_s) * params_.best_forget;
    }
    h.ewma_s = h.ewma_s < 0 ? latency_s
                            : h.ewma_s + (latency_s - h.ewma_s) * params_.ewma_weight;
  }
  if (in_recovery || h.ewma_s < 0) return Current(h);
  if (h.ewma_s > h.best_s * params_.grown_factor + params_.grown_slack_s) {
    Cut(h, params_.latency_decrease);
  } else if (h.ewma_s <= h.best_s * params_.near_factor + params_.near_slack_s) {
    Grow(h);
  }
  return Current(h);
}

int Throttle::OnTransportFailure(uint32_t host) {
  Host& h = HostOf(host);
  const bool in_recovery = h.recovery_left > 0;
  Count(h);
  ++h.report.timeouts;
  if (!in_recovery) Overload(h);
  return Current(h);
}

ThrottleHostReport Throttle::Report(uint32_t host) const {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return {};
  const Host& h = it->second;
  ThrottleHostReport r = h.report;
  r.limit = Current(h);
  uint64_t most = 0;
  for (size_t i = 1; i < h.at_limit.size(); ++i) {
    const uint64_t n = h.at_limit[i];
    if (n == 0) continue;
    if (r.min == 0) r.min = static_cast<int>(i);
    r.max = static_cast<int>(i);
    if (n > most) {
      most = n;
      r.settled = static_cast<int>(i);
    }
  }
  if (most == 0) r.settled = r.min = r.max = r.limit;
  return r;
}

}  // namespace forage::engine
