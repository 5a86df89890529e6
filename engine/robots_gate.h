#pragma once
// RobotsGate: robots.txt (RFC 9309) for the whole job. The first time a page
// of an origin is about to be leased, the gate gets that origin's
// /robots.txt, once, and every later page of the origin is judged by the
// same answer, whichever worker it would go to.
//
// How it fetches: a blocking libcurl easy GET in the master (worker/
// blocking_fetch), with the job's user agent, headers, proxy and timeouts,
// at most 5 redirects and kRobotsMaxBytes read. Simple and exact (one
// request per origin, nothing leased to the origin before its answer); the
// cost is that the master's loop waits for it: for the plan's origins that
// is before the first lease, when nothing is in flight; an origin first seen
// mid-run (a crawl leaving its host) stalls the loop for that one request,
// bounded by --timeout. Workers keep fetching meanwhile.
//
// Status rules (RFC 9309 2.3.1): 2xx: the file's rules; 4xx (and a chain of
// more than 5 redirects): everything allowed; 5xx or unreachable:
// everything disallowed. Pages a rule disallows are blocked (not failures).
// A 5xx or unreachable robots.txt is first tried again with the run's retry
// policy (--retries, backoff from 0.5 s doubling, capped by
// --max-retry-wait; no jitter: it is one request), the loop waiting in
// between (RFC 9309 2.3.1.4 lets a crawler retry; nothing of the origin can
// be leased meanwhile anyway). If it is still unavailable, every page of the
// origin is blocked with the reason "blocked: robots.txt unreachable (HTTP
// 503)": not fetched, counted in pages_blocked, and the exit code stays 0,
// as for a Disallow: /. With no answer at all (a refused or timed-out
// connection, a certificate that does not verify: only the retryable ones
// are tried again) the pages are not fetched either, but they fail with
// "robots.txt unreachable (REASON): not fetched" (exit 1): a site that is
// down must not pass for a run that went well. The origin stays disallowed
// for the rest of the run: the RFC's later retries are the next run's (a job
// is short against its 30-day horizon).
//
// Single-threaded (the master).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/dispatcher.h"
#include "engine/summary.h"
#include "parser/robots.h"
#include "worker/blocking_fetch.h"

namespace forage::engine {

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
  double max_wait_s = 60;   // --max-retry-wait
};

class RobotsGate {
 public:
  using Fetch = std::function<worker::BlockingFetchResult(const std::string& url)>;
  using Sleep = std::function<void(double seconds)>;
  // `sleep` waits between attempts (a fake in tests; default: the thread sleeps).
  explicit RobotsGate(Fetch fetch, std::string product_token = "forage", RobotsRetry retry = {},
                      Sleep sleep = {});

  // What to do with `url`. The first question about an origin fetches its
  // robots.txt. If it sets a Crawl-delay, `*host_gap_s` is set to it.
  GateVerdict Judge(const std::string& url, double* host_gap_s = nullptr);
  bool Allowed(const std::string& url, double* host_gap_s = nullptr) {
    return Judge(url, host_gap_s).kind == GateVerdict::Kind::kFetch;
  }
  // The origin's ("http://h:port") answer, fetched on first use.
  const RobotsAnswer& AnswerFor(const std::string& origin);
  const parser::RobotsRules& RulesFor(const std::string& origin) {
    return AnswerFor(origin).rules;
  }

  // One line per origin asked about, for the report.
  const std::vector<RobotsOriginSummary>& origins() const { return summaries_; }

 private:
  Fetch fetch_;
  std::string token_;
  RobotsRetry retry_;
  Sleep sleep_;
  std::unordered_map<std::string, RobotsAnswer> answers_;
  std::vector<RobotsOriginSummary> summaries_;
};

}  // namespace forage::engine
