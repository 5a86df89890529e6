#include "engine/robots_gate.h"

#include <fmt/format.h>

#include "engine/plan.h"

namespace forage::engine {

RobotsAnswer RobotsFromResponse(const worker::BlockingFetchResult& r,
                                std::string_view product_token) {
  if (!r.transport_ok) {
    if (r.too_many_redirects) {
      return {parser::RobotsRules::AllowAll(), "allow all (more than 5 redirects)"};
    }
    return {parser::RobotsRules::DisallowAll(), fmt::format("disallow all (unreachable: {})", r.error)};
  }
  const long s = r.http_status;
  if (s >= 200 && s < 300) return {parser::ParseRobots(r.body, product_token), "rules"};
  if (s >= 500 && s < 600) {
    return {parser::RobotsRules::DisallowAll(), fmt::format("disallow all ({})", s)};
  }
  // 4xx, and anything else that is not a file: unavailable.
  return {parser::RobotsRules::AllowAll(), fmt::format("allow all ({})", s)};
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

const parser::RobotsRules& RobotsGate::RulesFor(const std::string& origin) {
  auto it = rules_.find(origin);
  if (it != rules_.end()) return it->second;
  worker::BlockingFetchResult r = fetch_(origin + "/robots.txt");
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
  return rules_.emplace(origin, std::move(a.rules)).first->second;
}

bool RobotsGate::Allowed(const std::string& url, double* host_gap_s) {
  auto origin = UrlOrigin(url);
  if (!origin) return true;  // not http(s): the fetch itself will fail with a reason
  const parser::RobotsRules& rules = RulesFor(*origin);
  if (host_gap_s && rules.crawl_delay()) *host_gap_s = *rules.crawl_delay();
  return rules.Allowed(PathAndQuery(url));
}

}  // namespace forage::engine
