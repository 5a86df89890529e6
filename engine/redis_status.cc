#include "engine/redis_status.h"

#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/redis_client.h"
#include "engine/redis_keys.h"

namespace forage::engine {
namespace {

namespace keys = redis_keys;
using keys::WallNow;

// A node that wrote nothing for this long is not counted alive.
constexpr double kAliveS = 5;

double ToDouble(std::string_view s) {
  try {
    return s.empty() ? 0 : std::stod(std::string(s));
  } catch (...) {
    return 0;
  }
}

Result<std::string> JobStatus(RedisClient& redis, const std::string& job) {
  auto r = redis.Pipeline({
      {"HMGET", keys::Meta(job), "state", "pages_total", "pages_settled", "pages_done",
       "pages_failed", "collector", "updated_at", "items"},
      {"XINFO", "GROUPS", keys::Pages(job)},
      {"XPENDING", keys::Pages(job), keys::kNodesGroup},
      {"XLEN", keys::Dead(job)},
      {"XLEN", keys::Results(job)},
      {"HGETALL", keys::Nodes(job)},
  });
  if (!r) return r.error();
  const RedisReply& meta = (*r)[0];
  if (meta.at(0).is_nil()) return Err(ErrorCode::kInvalidArgument, "no job '{}' in Redis", job);
  auto num = [&](size_t i) { return static_cast<long long>(ToDouble(meta.at(i).str())); };
  // XINFO GROUPS: the nodes' group's "lag", entries no node has read yet.
  long long pending = 0;
  const RedisReply& groups = (*r)[1];
  for (size_t g = 0; g < groups.size(); ++g) {
    const RedisReply group = groups.at(g);
    for (size_t i = 0; i + 1 < group.size(); i += 2) {
      if (group.at(i).str() == "lag") pending = group.at(i + 1).integer();
    }
  }
  const long long in_flight = (*r)[2].is_array() ? (*r)[2].at(0).integer() : 0;
  const long long dead = (*r)[3].integer();
  const long long results = (*r)[4].integer();
  const long long total = num(1), settled = num(2), done = num(3), failed = num(4);
  const double now = WallNow();
  int alive = 0, nodes = 0;
  // Per node, by name: NAME:pages, NAME:items, NAME:info; what it holds
  // (XPENDING's consumers).
  struct Row {
    std::string pages = "0", items = "0";
    nlohmann::json info;
    long long held = 0;
    bool alive = false;
  };
  std::map<std::string, Row> rows;
  const RedisReply& n = (*r)[5];
  for (size_t i = 0; i + 1 < n.size(); i += 2) {
    std::string_view field = n.at(i).str();
    size_t colon = field.rfind(':');
    if (colon == std::string_view::npos) continue;
    Row& row = rows[std::string(field.substr(0, colon))];
    std::string_view what = field.substr(colon + 1);
    if (what == "pages") row.pages = n.at(i + 1).str();
    if (what == "items") row.items = n.at(i + 1).str();
    if (what != "info") continue;
    ++nodes;
    auto j = nlohmann::json::parse(n.at(i + 1).str(), nullptr, false);
    if (j.is_discarded()) continue;
    row.info = std::move(j);
    row.alive = now - row.info.value("alive_at", 0.0) < kAliveS;
    if (row.alive) ++alive;
  }
  if ((*r)[2].is_array()) {
    const RedisReply consumers = (*r)[2].at(3);
    for (size_t i = 0; i < consumers.size(); ++i) {
      rows[std::string(consumers.at(i).at(0).str())].held = consumers.at(i).at(1).integer();
    }
  }
  const double updated = ToDouble(meta.at(6).str());
  std::string out = fmt::format("job {}: {}\n", job, meta.at(0).str());
  out += fmt::format("  pages      {} total, {} done, {} failed, {} dead, {} to go; {} items\n",
                     total, done, failed, dead, std::max(0LL, total - settled), num(7));
  out += fmt::format("  pending    {} (lag: in the stream, no node has taken them)\n", pending);
  out += fmt::format("  in flight  {} (taken by a node, not answered yet)\n", in_flight);
  out += fmt::format("  results    {} (answers not yet stored by the collector: a batch of pages "
                     "done, or one page lost, each)\n", results);
  out += fmt::format("  nodes      {} alive, {} seen\n", alive, nodes);
  for (const auto& [name, row] : rows) {
    if (name == "collector-withdraw") continue;  // the collector's own consumer (SIGINT)
    const bool info = row.info.is_object();
    out += fmt::format("    node {:<20} {:<5}  host {} pid {}  pages {}  items {}  holds {}  "
                       "re-read {}\n",
                       name, row.alive ? "alive" : "gone", info ? row.info.value("host", "?") : "?",
                       info ? row.info.value("pid", int64_t{0}) : 0, row.pages, row.items, row.held,
                       info ? row.info.value("reread", uint64_t{0}) : 0);
  }
  out += fmt::format("  collector  {}, last update {:.1f} s ago\n", meta.at(5).str(),
                     updated > 0 ? now - updated : 0.0);
  return out;
}

}  // namespace

Result<std::string> ClusterStatus(const std::string& redis_url, const std::string& job) {
  auto address = ParseRedisUrl(redis_url);
  if (!address) return address.error();
  RedisClient redis(*address, kRedisTimeoutS);
  if (auto st = redis.Connect(); !st) {
    return Err(ErrorCode::kNetwork, "--redis {}: {}", address->Display(), st.error().message);
  }
  std::vector<std::string> jobs;
  if (!job.empty()) {
    jobs.push_back(job);
  } else {
    auto r = redis.Command({"SMEMBERS", keys::kJobs});
    if (!r) return r.error();
    for (size_t i = 0; i < r->size(); ++i) jobs.emplace_back(r->at(i).str());
    std::sort(jobs.begin(), jobs.end());
  }
  if (jobs.empty()) return std::string("no jobs\n");
  std::string out;
  for (const std::string& j : jobs) {
    auto s = JobStatus(redis, j);
    if (!s) return s.error();
    out += *s;
  }
  return out;
}

}  // namespace forage::engine
