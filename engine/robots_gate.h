#pragma once
// RobotsGate: robots.txt (RFC 9309) for the whole job. The first time a page
// of an origin is about to be leased, the gate gets that origin's
// /robots.txt, once, and every later page of the origin is judged by the
// same answer, whichever worker it would go to.
//
// How it fetches: asynchronously, on the master's own libuv loop (a
// RobotsFetcher: engine/master_fetch, a libcurl multi handle driven by that
// loop, worker/async_get), with the job's user agent, headers, proxy, TLS
// flags and timeouts, at most 5 redirects and kRobotsMaxBytes read. The
// first page of an origin asks for its robots.txt and waits in the
// dispatcher (the verdict kWait: not fetched, not failed) with every other
// page of the origin until the answer comes; pages of other origins keep
// flowing, results keep being read, signals are answered at once. One
// request per origin (retries aside): nothing of it is leased before its
// answer.
//
// Status rules (RFC 9309 2.3.1): 2xx: the file's rules; 4xx (and a chain of
// more than 5 redirects): everything allowed; 5xx or unreachable:
// everything disallowed. Pages a rule disallows are blocked (not failures).
// A 5xx or unreachable robots.txt is first tried again with the run's retry
// policy (--retries; a timer of the loop, no sleep): after the response's
// Retry-After when it has one (seconds or an HTTP date), capped by
// --max-retry-wait (60 s by default), else a backoff from 0.5 s doubling,
// capped by --max-retry-wait; no jitter: it is one request. RFC 9309
// 2.3.1.4 lets a crawler retry; nothing of the origin is leased meanwhile.
// If it is still unavailable, every page of the
// origin is blocked with the reason "blocked: robots.txt unreachable (HTTP
// 503)": not fetched, counted in pages_blocked, and the exit code stays 0,
// as for a Disallow: /. With no answer at all (a refused or timed-out
// connection, a certificate that does not verify: only the retryable ones
// are tried again) the pages are not fetched either, but they fail with
// "robots.txt unreachable (REASON): not fetched" (exit 1): a site that is
// down must not pass for a run that went well. The origin stays disallowed
// for the rest of the run: the RFC's later retries are the next run's (a job
// is short against its 30-day horizon). A run that ends (interrupted) while
// a robots.txt is pending leaves that origin's pages pending: --resume asks
// again.
//
// Single-threaded (the master).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/dispatcher.h"
#include "engine/summary.h"
#include "parser/robots.h"
#include "worker/blocking_fetch.h"

namespace forage::engine {

// What the gate needs of the network and the clock: the master's loop in
// forage (engine/master_fetch), a fake in tests.
class RobotsFetcher {
 public:
  using Done = std::function<void(worker::BlockingFetchResult&&)>;
  virtual ~RobotsFetcher() = default;
  // GET `url` (a robots.txt: 5 redirects, kRobotsMaxBytes). `done` runs
  // later, from the loop, never inside Get; never, if the run ends first.
  virtual void Get(const std::string& url, Done done) = 0;
  // Calls `fn` in `seconds`, from the loop (never, if the run ends first).
  virtual void After(double seconds, std::function<void()> fn) = 0;
};

// What a robots.txt response means for its origin (the status rules above).
struct RobotsAnswer {
  parser::RobotsRules rules;
  std::string outcome;  // "rules", "allow all (404)", "disallow all (503)", ...
  // 5xx or no answer: no page of the origin is fetched, for this reason.
  std::optional<std::string> unavailable;
  // No answer at all (refused, timed out, a certificate that does not
  // verify): the pages are failures, not blocks. A 5xx is the site's own
  // word and blocks them (exit 0); a site that cannot be reached at all must
  // not pass for a run that went well.
  bool unreachable = false;
};
RobotsAnswer RobotsFromResponse(const worker::BlockingFetchResult& r,
                                std::string_view product_token);

// "/a/b?q" of "http://h:1/a/b?q#f"; "/" when the URL has no path.
std::string PathAndQuery(std::string_view url);

// Whether a response says nothing about the rules (5xx, no answer): tried again.
bool RobotsUnavailable(const worker::BlockingFetchResult& r);

// The run's retry policy, for a robots.txt that is unavailable.
struct RobotsRetry {
  int retries = 0;          // further attempts (--retries)
  double backoff_base_s = 0.5;  // first wait; doubles with each attempt
  double max_wait_s = 60;   // --max-retry-wait (also caps a Retry-After)
};

// The wait before attempt `attempt` + 1 (attempt >= 1): the response's
// Retry-After when it has one, else the backoff; capped by max_wait_s.
double RobotsRetryDelay(const RobotsRetry& retry, int attempt, double retry_after_s);

class RobotsGate {
 public:
  // `fetcher` must outlive the gate.
  explicit RobotsGate(RobotsFetcher* fetcher, std::string product_token = "forage",
                      RobotsRetry retry = {});

  // What to do with `url`. The first question about an origin starts the
  // fetch of its robots.txt and, like every question until its answer,
  // gets kWait. If the answer sets a Crawl-delay, `*host_gap_s` is set to it.
  GateVerdict Judge(const std::string& url, double* host_gap_s = nullptr);
  bool Allowed(const std::string& url, double* host_gap_s = nullptr) {
    return Judge(url, host_gap_s).kind == GateVerdict::Kind::kFetch;
  }
  // The origin's ("http://h:port") answer; nullptr while pending (the fetch
  // is started if it was not).
  const RobotsAnswer* AnswerFor(const std::string& origin);
  // Whether some origin's robots.txt is being fetched (or waits to be tried
  // again).
  bool pending() const { return pending_ > 0; }
  // Called (from the loop) each time an origin's answer is settled.
  void SetOnAnswer(std::function<void(const std::string& origin)> fn) {
    on_answer_ = std::move(fn);
  }

  // One line per origin answered, for the report, in the order answered.
  const std::vector<RobotsOriginSummary>& origins() const { return summaries_; }

 private:
  void Start(const std::string& origin);
  void Fetch(const std::string& origin, int attempt, long requests_before);
  void HandleResult(const std::string& origin, int attempt, long requests_before,
                    worker::BlockingFetchResult&& r);
  void Settle(const std::string& origin, worker::BlockingFetchResult&& r);

  RobotsFetcher* fetcher_;
  std::string token_;
  RobotsRetry retry_;
  std::function<void(const std::string&)> on_answer_;
  std::unordered_map<std::string, RobotsAnswer> answers_;
  std::unordered_set<std::string> started_;  // asked for (answered or pending)
  int pending_ = 0;
  std::vector<RobotsOriginSummary> summaries_;
};

}  // namespace forage::engine
