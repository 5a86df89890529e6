#include "engine/robots_gate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/plan.h"

namespace forage::engine {

RobotsAnswer RobotsFromResponse(const worker::BlockingFetchResult& r,
                                std::string_view product_token) {
  if (!r.transport_ok) {
    if (r.too_many_redirects) {
      return {parser::RobotsRules::AllowAll(), "allow all (more than 5 redirects)", {}};
    }
    return {parser::RobotsRules::DisallowAll(), fmt::format("disallow all (unreachable: {})", r.error),
            fmt::format("robots.txt unreachable ({}): not fetched", r.error), true};
  }
  const long s = r.http_status;
  if (s >= 200 && s < 300) return {parser::ParseRobots(r.body, product_token), "rules", {}};
  if (s >= 500 && s < 600) {
    return {parser::RobotsRules::DisallowAll(), fmt::format("disallow all ({})", s),
            fmt::format("blocked: robots.txt unreachable (HTTP {})", s)};
  }
  // 4xx, and anything else that is not a file: unavailable.
  return {parser::RobotsRules::AllowAll(), fmt::format("allow all ({})", s), {}};
}

std::string PathAndQuery(std::string_view url) {
  if (size_t hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  size_t scheme = url.find("://");
  size_t from = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t start = url.find_first_of("/?", from);
  if (start == std::string_view::npos) return "/";
  std::string out(url.substr(start));
  if (out.front() == '?') out.insert(out.begin(), '/');
  return out;
}

bool RobotsUnavailable(const worker::BlockingFetchResult& r) {
  if (!r.transport_ok) return !r.too_many_redirects && r.retryable;
  return r.http_status >= 500 && r.http_status < 600;
}

double RobotsRetryDelay(const RobotsRetry& retry, int attempt, double retry_after_s) {
  if (retry_after_s >= 0) return std::min(retry.max_wait_s, retry_after_s);
  return std::min(retry.max_wait_s, retry.backoff_base_s * std::ldexp(1.0, attempt - 1));
}

RobotsGate::RobotsGate(RobotsFetcher* fetcher, std::string product_token, RobotsRetry retry)
    : fetcher_(fetcher), token_(std::move(product_token)), retry_(retry) {}

void RobotsGate::Start(const std::string& origin) {
  if (!started_.insert(origin).second) return;
  ++pending_;
  Fetch(origin, 0, 0);
}

void RobotsGate::Fetch(const std::string& origin, int attempt, long requests_before) {
  fetcher_->Get(origin + "/robots.txt",
                [this, origin, attempt, requests_before](worker::BlockingFetchResult&& r) {
                  HandleResult(origin, attempt, requests_before, std::move(r));
                });
}

void RobotsGate::HandleResult(const std::string& origin, int attempt, long requests_before,
                              worker::BlockingFetchResult&& r) {
  r.requests += requests_before;
  if (attempt < retry_.retries && RobotsUnavailable(r)) {
    const double wait = RobotsRetryDelay(retry_, attempt + 1, r.retry_after_s);
    const long requests = r.requests;
    fetcher_->After(wait, [this, origin, attempt, requests] {
      Fetch(origin, attempt + 1, requests);
    });
    return;
  }
  Settle(origin, std::move(r));
}

void RobotsGate::Settle(const std::string& origin, worker::BlockingFetchResult&& r) {
  RobotsAnswer a = RobotsFromResponse(r, token_);
  RobotsOriginSummary s;
  s.origin = origin;
  s.status = r.http_status;
  s.outcome = a.outcome;
  s.bytes_read = r.body.size();
  s.requests = static_cast<uint64_t>(r.requests);
  s.truncated = r.truncated;
  if (a.rules.crawl_delay()) s.crawl_delay_s = *a.rules.crawl_delay();
  summaries_.push_back(std::move(s));
  answers_.emplace(origin, std::move(a));
  --pending_;
  if (on_answer_) on_answer_(origin);
}

const RobotsAnswer* RobotsGate::AnswerFor(const std::string& origin) {
  auto it = answers_.find(origin);
  if (it != answers_.end()) return &it->second;
  Start(origin);
  return nullptr;
}

GateVerdict RobotsGate::Judge(const std::string& url, double* host_gap_s) {
  auto origin = UrlOrigin(url);
  if (!origin) return {};  // not http(s): the fetch itself will fail with a reason
  const RobotsAnswer* answer = AnswerFor(*origin);
  if (answer == nullptr) return {GateVerdict::Kind::kWait, "robots.txt pending"};
  const RobotsAnswer& a = *answer;
  if (a.unavailable) {
    return {a.unreachable ? GateVerdict::Kind::kFail : GateVerdict::Kind::kBlock, *a.unavailable};
  }
  if (host_gap_s && a.rules.crawl_delay()) *host_gap_s = *a.rules.crawl_delay();
  if (a.rules.Allowed(PathAndQuery(url))) return {};
  return {GateVerdict::Kind::kBlock, "blocked by robots.txt"};
}

}  // namespace forage::engine
