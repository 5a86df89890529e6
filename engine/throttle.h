#pragma once
// Throttle (--throttle auto): the per-host concurrency controller. For each
// host it keeps a limit on the transfers in flight, which the Dispatcher
// applies in place of the fixed --per-host. The master feeds it every
// response of the whole job (all workers), and it answers with the host's new
// limit:
//
//   start at `start` (2), never below 1 nor above `ceiling` (--per-host);
//   grow additively, one step per round (a round = `limit` responses), while
//     the latency EWMA stays near the host's best latency;
//   below the level where the host last overloaded, grow at full speed; at or
//     above it, probe slowly (one step per `probe_rounds` rounds);
//   on a 429, 503 or 504 response, or a transport failure that may come from
//     load (timeout, reset, refused), multiply the limit by `decrease` (0.5),
//     at most once per round: the responses to requests sent before the cut
//     say nothing about the new limit; except that an overload at the very
//     level being probed (it overloaded before) steps back to the level
//     below it, which is known to work;
//   when the latency EWMA grows far past the best, multiply by
//     `latency_decrease` (0.75), also at most once per round.
//
// Driven by responses, not by a clock, so it is deterministic given the
// sequence of outcomes (unit tests script them). The constants and why they
// are what they are: docs/architecture.md, "Adaptive throttle".
// Single-threaded (the master's loop).

#include <cstdint>
#include <map>
#include <vector>

namespace forage::engine {

struct ThrottleParams {
  int start = 2;
  int ceiling = 8;             // --per-host (or --concurrency without a per-host cap)
  double decrease = 0.5;       // factor on an overload signal
  double latency_decrease = 0.75;  // factor when the latency has grown
  int probe_rounds = 8;        // rounds per step at or above the last overload level
  double ewma_weight = 0.3;    // weight of a new latency sample
  // Latency "near the best" (growth allowed): ewma <= best * near + near_slack.
  double near_factor = 2.0;
  double near_slack_s = 0.010;
  // Latency "grown" (back off): ewma > best * grown + grown_slack.
  double grown_factor = 4.0;
  double grown_slack_s = 0.050;
  // The best latency forgets slowly: a sample above it pulls it up by this
  // share of the gap, so one lucky response does not set the bar for good.
  double best_forget = 0.01;
};

// Where one host's limit went, for the report.
struct ThrottleHostReport {
  int settled = 0;  // the limit in force for the most responses (ties: the lower)
  int min = 0;      // lowest limit it ran at
  int max = 0;      // highest limit it ran at
  int limit = 0;    // the limit at the end
  uint64_t responses = 0;
  uint64_t responses_503 = 0;
  uint64_t responses_429 = 0;
  uint64_t timeouts = 0;     // transport failures taken as overload
  uint64_t decreases = 0;    // cuts (overload or latency)
};

class Throttle {
 public:
  explicit Throttle(ThrottleParams params);

  // The host's current limit (its start value for a host not seen yet).
  int Limit(uint32_t host) const;

  // A response from `host` (HTTP status > 0) that took `latency_s` from
  // request to last byte. Returns the host's new limit.
  int OnResponse(uint32_t host, int http_status, double latency_s);
  // A transfer to `host` failed without a response in a way load may cause
  // (timeout, reset, connection refused). Returns the host's new limit.
  int OnTransportFailure(uint32_t host);

  bool seen(uint32_t host) const { return hosts_.count(host) > 0; }
  ThrottleHostReport Report(uint32_t host) const;
  const ThrottleParams& params() const { return params_; }

 private:
  struct Host {
    double limit = 0;
    double best_s = -1;  // best latency seen (forgets slowly); -1: none yet
    double ewma_s = -1;
    int overload_at = 0;    // integer limit at the last overload; 0: none yet
    int recovery_left = 0;  // responses still due from before the last cut
    double grown_credit = 0;  // responses since the last latency check
    std::vector<uint64_t> at_limit;  // responses counted under each integer limit
    ThrottleHostReport report;
  };

  Host& HostOf(uint32_t host);
  int Current(const Host& h) const;
  void Count(Host& h);
  void Cut(Host& h, double factor);
  void Overload(Host& h);
  void Grow(Host& h);

  ThrottleParams params_;
  std::map<uint32_t, Host> hosts_;
};

}  // namespace forage::engine
