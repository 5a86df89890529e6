#include "engine/report.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace forage::engine {
namespace {

double Utilisation(const Summary& s) {
  if (s.wall_s <= 0 || s.cores <= 0) return 0;
  return (s.user_s + s.sys_s) / s.wall_s / s.cores;
}

// Failures listed on stderr; the JSON report has them all.
constexpr size_t kFailuresShown = 10;

}  // namespace

std::string HumanSize(uint64_t bytes) {
  if (bytes < 1000) return fmt::format("{} B", bytes);
  static constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes) / 1000;
  size_t unit = 0;
  while (v >= 999.95 && unit + 1 < std::size(kUnits)) {
    v /= 1000;
    ++unit;
  }
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}

std::string FormatReport(const Summary& s) {
  std::string out;
  auto line = std::back_inserter(out);
  const uint64_t resumed_ok = s.pages_resumed - std::min(s.pages_resumed, s.pages_resumed_failed);
  if (s.pages_resumed > 0) {
    // Pages stored by earlier runs count in the totals, and are named apart.
    fmt::format_to(line,
                   "forage: {} of {} pages ok ({} this run, {} from earlier runs), {} failed, {} "
                   "items this run{}\n",
                   s.pages_ok + resumed_ok, s.pages_total, s.pages_ok, resumed_ok, s.pages_failed,
                   s.items, s.interrupted ? " (interrupted)" : "");
  } else {
    fmt::format_to(line, "forage: {} of {} pages ok, {} failed, {} items{}\n", s.pages_ok,
                   s.pages_total, s.pages_failed, s.items, s.interrupted ? " (interrupted)" : "");
  }
  if (!s.output.empty()) {
    fmt::format_to(line, "  output {} ({}){}\n", s.output == "-" ? "stdout" : s.output,
                   s.output_format,
                   s.report_path.empty() ? "" : fmt::format("   report {}", s.report_path));
  } else if (!s.report_path.empty()) {
    fmt::format_to(line, "  report {}\n", s.report_path);
  }
  fmt::format_to(line, "  wall {:.3f} s   user {:.3f} s   sys {:.3f} s   cpu {:.0f}% of {} cores   {:.1f} pages/s\n",
       s.wall_s, s.user_s, s.sys_s, Utilisation(s) * 100, s.cores,
       s.wall_s > 0 ? static_cast<double>(s.pages_ok + s.pages_failed - s.pages_resumed_failed) / s.wall_s : 0.0);
  fmt::format_to(line,
                 "  requests {}   retries {}   duplicates {}   dropped {}   {} received\n",
                 s.requests, s.retries, s.duplicates, s.dropped, HumanSize(s.body_bytes));
  if (s.transport.connections_opened > 0 || s.transport.http1 + s.transport.http2 > 0) {
    const TransportSummary& t = s.transport;
    std::string versions;
    if (t.http1 > 0) versions += fmt::format("   HTTP/1.1 {}", t.http1);
    if (t.http2 > 0) versions += fmt::format("   HTTP/2 {}", t.http2);
    if (t.http3 > 0) versions += fmt::format("   HTTP/3 {}", t.http3);
    fmt::format_to(line, "  connections {}   tls handshakes {}{}\n", t.connections_opened,
                   t.tls_handshakes, versions);
  }
  if (s.cache_enabled) {
    fmt::format_to(line, "  cache hits {}   revalidated {}   misses {}\n", s.cache_hits,
                   s.cache_revalidated, s.cache_misses);
  }
  for (const auto& p : s.proxies) {
    fmt::format_to(line, "  proxy {}   requests {}   failures {}   benched {}\n", p.url,
                   p.requests, p.failures, p.benched);
  }
  if (s.pages_without_items > 0) {
    fmt::format_to(line, "  pages without items {} (fetched fine, no item matched)\n",
                   s.pages_without_items);
  }
  if (!s.fields.empty() && s.items > 0) {
    std::string fills;
    for (const auto& f : s.fields) {
      fills += fmt::format("   {} {}/{}", f.name, f.filled, f.filled + f.empty);
    }
    fmt::format_to(line, "  filled{}\n", fills);
  }
  // --redis: the one slot is the cluster; its nodes have rows of their own.
  for (const auto& w : s.distributed ? std::vector<WorkerSummary>{} : s.per_worker) {
    fmt::format_to(line,
                   "  worker {} pid {:<7} pages {:<6} items {:<7} user {:.3f} s  sys {:.3f} s"
                   "  busy {:.0f}%  lag max {:.1f} ms  restarts {}\n",
                   w.slot, w.pid, w.pages, w.items, w.user_s, w.sys_s,
                   s.wall_s > 0 ? 100 * w.busy_s / s.wall_s : 0.0, w.max_loop_lag_s * 1e3,
                   w.restarts);
  }
  for (const auto& t : s.throttle) {
    fmt::format_to(line,
                   "  throttle {}: settled at {} in flight (ran {}-{} of {}; {} of {} "
                   "responses 503, {} 429, {} timeouts)\n",
                   t.host, t.settled, t.min, t.max, t.ceiling, t.responses_503, t.responses,
                   t.responses_429, t.timeouts);
  }
  for (const auto& n : s.nodes) {
    fmt::format_to(line, "  node {:<24} pages {:<6} items {:<7} requests {:<6} user {:.3f} s  sys {:.3f} s{}\n",
                   n.node, n.pages, n.items, n.requests, n.user_s, n.sys_s,
                   n.reread > 0 ? fmt::format("  re-read {}", n.reread) : "");
  }
  if (s.distributed && (s.pages_dead > 0 || s.deliveries_lost > 0)) {
    fmt::format_to(line, "  deliveries lost {} (nodes or workers died holding them)   dead {}\n",
                   s.deliveries_lost, s.pages_dead);
  }
  if (s.pages_blocked > 0) {
    // The report lists them all; without one, the first few are named here.
    fmt::format_to(line, "  blocked by robots.txt: {} pages (not fetched{})\n", s.pages_blocked,
                   s.report_path.empty() ? "" : fmt::format("; listed in {}", s.report_path));
    for (size_t i = 0; s.report_path.empty() && i < s.blocked.size() && i < kFailuresShown; ++i) {
      fmt::format_to(line, "    {}\n", s.blocked[i].url);
    }
    if (s.report_path.empty() && s.blocked.size() > kFailuresShown) {
      fmt::format_to(line, "    ... and {} more\n", s.blocked.size() - kFailuresShown);
    }
  }
  for (size_t i = 0; i < s.failures.size() && i < kFailuresShown; ++i) {
    fmt::format_to(line, "  failed {}: {}\n", s.failures[i].url, s.failures[i].reason);
  }
  if (s.failures.size() > kFailuresShown) {
    fmt::format_to(line, "  ... and {} more failures{}\n", s.failures.size() - kFailuresShown,
                   s.report_path.empty() ? "" : fmt::format(" (all in {})", s.report_path));
  }
  return out;
}

std::string ReportWarnings(const Summary& s) {
  std::string out;
  // An origin whose robots.txt could not be had (5xx, unreachable) blocks
  // all its pages, which exit code 0 does not show.
  for (const auto& r : s.robots) {
    if (r.outcome.rfind("disallow all", 0) != 0) continue;
    const std::string prefix = r.origin + "/";
    uint64_t blocked = 0;
    for (const auto& b : s.blocked) blocked += b.url.rfind(prefix, 0) == 0 ? 1 : 0;
    if (blocked == 0) continue;
    out += fmt::format(
        "forage: warning: {}/robots.txt could not be read ({}, {} requests): its {} pages "
        "were blocked, not fetched (RFC 9309)\n",
        r.origin, r.outcome, r.requests, blocked);
  }
  if (s.items == 0) return out;
  for (const auto& f : s.fields) {
    if (f.filled == 0) {
      out += fmt::format("forage: warning: field '{}' is empty in all {} records (selector '{}')\n",
                         f.name, s.items, f.selector);
    }
  }
  return out;
}

std::string ReportJson(const Summary& s) {
  nlohmann::ordered_json j;
  j["wall_s"] = s.wall_s;
  j["user_s"] = s.user_s;
  j["sys_s"] = s.sys_s;
  j["cpu_utilisation"] = Utilisation(s);
  j["cores"] = s.cores;
  j["workers"] = s.workers;
  j["pages_total"] = s.pages_total;
  j["pages_ok"] = s.pages_ok;
  j["pages_failed"] = s.pages_failed;
  j["pages_resumed"] = s.pages_resumed;
  j["pages_without_items"] = s.pages_without_items;
  j["pages_blocked"] = s.pages_blocked;
  j["items"] = s.items;
  j["duplicates"] = s.duplicates;
  j["dropped"] = s.dropped;
  j["requests"] = s.requests;
  j["retries"] = s.retries;
  j["bytes"] = s.body_bytes;
  j["pages_per_s"] =
      s.wall_s > 0 ? static_cast<double>(s.pages_ok + s.pages_failed) / s.wall_s : 0.0;
  j["interrupted"] = s.interrupted;
  j["output"] = s.output;
  j["format"] = s.output_format;
  j["fields"] = nlohmann::ordered_json::object();
  for (const auto& f : s.fields) {
    j["fields"][f.name] = {{"filled", f.filled}, {"empty", f.empty}};
  }
  j["per_worker"] = nlohmann::ordered_json::array();
  for (const auto& w : s.per_worker) {
    j["per_worker"].push_back({{"slot", w.slot},
                               {"pid", w.pid},
                               {"pages", w.pages},
                               {"items", w.items},
                               {"user_s", w.user_s},
                               {"sys_s", w.sys_s},
                               {"busy_s", w.busy_s},
                               {"busy_share", s.wall_s > 0 ? w.busy_s / s.wall_s : 0.0},
                               {"max_loop_lag_ms", w.max_loop_lag_s * 1e3},
                               {"restarts", w.restarts},
                               {"retired", w.retired},
                               {"exit", w.exit}});
  }
  j["failures"] = nlohmann::ordered_json::array();
  for (const auto& f : s.failures) j["failures"].push_back({{"url", f.url}, {"reason", f.reason}});
  j["robots"] = nlohmann::ordered_json::array();
  for (const auto& r : s.robots) {
    j["robots"].push_back({{"origin", r.origin},
                           {"status", r.status},
                           {"outcome", r.outcome},
                           {"bytes_read", r.bytes_read},
                           {"requests", r.requests},
                           {"truncated", r.truncated},
                           {"crawl_delay_s", r.crawl_delay_s >= 0  // null: none
                                                 ? nlohmann::ordered_json(r.crawl_delay_s)
                                                 : nlohmann::ordered_json()}});
  }
  j["connections_opened"] = s.transport.connections_opened;
  j["tls_handshakes"] = s.transport.tls_handshakes;
  j["http_versions"] = {{"1.1", s.transport.http1}, {"2", s.transport.http2}};
  if (s.transport.http3 > 0) j["http_versions"]["3"] = s.transport.http3;
  j["cache_hits"] = s.cache_hits;
  j["cache_revalidated"] = s.cache_revalidated;
  j["cache_misses"] = s.cache_misses;
  j["proxies"] = nlohmann::ordered_json::array();
  for (const auto& p : s.proxies) {
    j["proxies"].push_back({{"url", p.url},
                            {"requests", p.requests},
                            {"failures", p.failures},
                            {"benched", p.benched}});
  }
  j["blocked"] = nlohmann::ordered_json::array();
  for (const auto& b : s.blocked) j["blocked"].push_back({{"url", b.url}, {"reason", b.reason}});
  j["throttle"] = nlohmann::ordered_json::object();  // --throttle auto
  for (const auto& t : s.throttle) {
    j["throttle"][t.host] = {{"settled", t.settled},
                             {"min", t.min},
                             {"max", t.max},
                             {"ceiling", t.ceiling},
                             {"responses", t.responses},
                             {"responses_503", t.responses_503},
                             {"responses_429", t.responses_429},
                             {"timeouts", t.timeouts},
                             {"decreases", t.decreases}};
  }
  if (s.distributed) {  // --redis
    j["pages_dead"] = s.pages_dead;
    j["deliveries_lost"] = s.deliveries_lost;
    j["redis_round_trips"] = s.redis_round_trips;
    j["nodes"] = nlohmann::ordered_json::array();
    for (const auto& n : s.nodes) {
      j["nodes"].push_back({{"node", n.node},
                            {"host", n.host},
                            {"pid", n.pid},
                            {"pages", n.pages},
                            {"items", n.items},
                            {"requests", n.requests},
                            {"round_trips", n.round_trips},
                            {"user_s", n.user_s},
                            {"sys_s", n.sys_s},
                            {"reread", n.reread}});
    }
  }
  // Failure reasons may carry bytes from the network; never throw on them.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Status WriteReportFile(const std::string& path, const Summary& s) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Err(ErrorCode::kIo, "open report '{}': {}", path, std::strerror(errno));
  out << ReportJson(s);
  out.close();
  if (!out) return Err(ErrorCode::kIo, "write report '{}': {}", path, std::strerror(errno));
  return OkStatus();
}

}  // namespace forage::engine
