#include "engine/job_spec.h"

#include <nlohmann/json.hpp>

namespace forage::engine {
namespace {

using Json = nlohmann::json;

Json Rules(const std::vector<FieldRule>& rules) {
  Json a = Json::array();
  for (const auto& r : rules) a.push_back({r.name, r.selector});
  return a;
}

std::vector<FieldRule> RulesOf(const Json& a) {
  std::vector<FieldRule> out;
  for (const auto& r : a) out.push_back(FieldRule{r.at(0).get<std::string>(), r.at(1).get<std::string>()});
  return out;
}

constexpr int kSpecVersion = 1;

}  // namespace

std::string EncodeJobSpec(const Config& c) {
  Json j;
  j["version"] = kSpecVersion;
  j["items"] = c.items;
  j["fields"] = Rules(c.fields);
  j["follow"] = c.follow;
  j["detail_items"] = c.detail_items;
  j["detail_fields"] = Rules(c.detail_fields);
  j["depth"] = c.depth;
  j["next"] = c.next;
  j["crawl"] = c.crawl;
  j["scope"] = c.scope;
  j["allow"] = c.allow;
  j["deny"] = c.deny;
  j["max_depth"] = c.max_depth;
  j["max_pages"] = c.max_pages;
  j["concurrency"] = c.concurrency;
  j["timeout_ms"] = c.timeout_ms;
  j["connect_timeout_ms"] = c.connect_timeout_ms;
  j["stall_timeout_ms"] = c.stall_timeout_ms;
  j["max_body_bytes"] = c.max_body_bytes;
  j["cpu_burn_s"] = c.cpu_burn_s;
  j["hang_timeout_s"] = c.hang_timeout_s;
  j["page_cpu_limit_s"] = c.page_cpu_limit_s;
  j["worker_max_rss_bytes"] = c.worker_max_rss_bytes;
  j["user_agent"] = c.user_agent;
  j["contact"] = c.contact;
  j["headers"] = c.headers;
  j["proxy"] = c.proxy;
  j["method"] = c.method;
  j["body"] = c.body;
  j["lease_timeout_s"] = c.lease_timeout_s;
  return j.dump();
}

Result<Config> DecodeJobSpec(std::string_view spec) {
  try {
    Json j = Json::parse(spec);
    if (j.value("version", 0) != kSpecVersion) {
      return Err(ErrorCode::kInvalidArgument, "job spec version {} (this forage reads {})",
                 j.value("version", 0), kSpecVersion);
    }
    Config c;
    c.items = j.at("items").get<std::string>();
    c.fields = RulesOf(j.at("fields"));
    c.follow = j.at("follow").get<std::string>();
    c.detail_items = j.at("detail_items").get<std::string>();
    c.detail_fields = RulesOf(j.at("detail_fields"));
    c.depth = j.at("depth").get<int>();
    c.next = j.at("next").get<std::string>();
    c.crawl = j.at("crawl").get<bool>();
    c.scope = j.at("scope").get<std::string>();
    c.allow = j.at("allow").get<std::vector<std::string>>();
    c.deny = j.at("deny").get<std::vector<std::string>>();
    c.max_depth = j.at("max_depth").get<int>();
    c.max_pages = j.at("max_pages").get<uint64_t>();
    c.concurrency = j.at("concurrency").get<int>();
    c.timeout_ms = j.at("timeout_ms").get<int64_t>();
    c.connect_timeout_ms = j.at("connect_timeout_ms").get<int64_t>();
    c.stall_timeout_ms = j.at("stall_timeout_ms").get<int64_t>();
    c.max_body_bytes = j.at("max_body_bytes").get<uint64_t>();
    c.cpu_burn_s = j.at("cpu_burn_s").get<double>();
    c.hang_timeout_s = j.at("hang_timeout_s").get<double>();
    c.page_cpu_limit_s = j.at("page_cpu_limit_s").get<double>();
    c.worker_max_rss_bytes = j.at("worker_max_rss_bytes").get<uint64_t>();
    c.user_agent = j.at("user_agent").get<std::string>();
    c.contact = j.at("contact").get<std::string>();
    c.headers = j.at("headers").get<std::vector<std::string>>();
    c.proxy = j.at("proxy").get<std::string>();
    c.method = j.at("method").get<std::string>();
    c.body = j.at("body").get<std::string>();
    c.lease_timeout_s = j.at("lease_timeout_s").get<double>();
    return c;
  } catch (const std::exception& e) {
    return Err(ErrorCode::kInvalidArgument, "job spec: {}", e.what());
  }
}

}  // namespace forage::engine
