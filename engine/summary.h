#pragma once
// Summary: the figures of one run, as Run() returns them and the reports
// print them. Plain data.

#include <cstdint>
#include <string>
#include <vector>

namespace forage::engine {

struct WorkerSummary {
  int slot = 0;
  int64_t pid = 0;
  uint64_t pages = 0;
  uint64_t items = 0;
  uint64_t duplicates = 0;
  uint64_t dropped = 0;     // items left out because a `required` field had no value  // records dropped because their --key was seen before
  double user_s = 0;
  double sys_s = 0;
  double busy_s = 0;        // CPU time spent processing pages
  double max_loop_lag_s = 0;
  int restarts = 0;         // processes that ended in this slot and were replaced
  int retired = 0;          // of those, processes replaced at their own request (--worker-max-rss)
  std::string exit;         // how the last process in the slot ended
};

// One node of a distributed job (--redis), as it reported itself.
struct NodeSummary {
  std::string node;  // its name (HOSTNAME-N or --node-name)
  std::string host;
  int64_t pid = 0;
  uint64_t pages = 0;
  uint64_t items = 0;
  uint64_t requests = 0;
  uint64_t round_trips = 0;  // to Redis
  uint64_t body_bytes = 0;
  double user_s = 0;
  double sys_s = 0;
  uint64_t reread = 0;  // leases pending under its name it read again (a restart)
  // Its workers' transport and cache counters (added to the run's).
  uint64_t connections_opened = 0, tls_handshakes = 0, http1 = 0, http2 = 0, http3 = 0;
  uint64_t cache_hits = 0, cache_revalidated = 0, cache_misses = 0;
  // For the collector's last read: the run whose end the node posted its
  // final figures for (empty while it serves one), and its last heartbeat.
  std::string final_run;
  double alive_at = 0;  // Unix seconds
};

struct PageFailure {
  std::string url;
  std::string reason;
};

// How often one field had a value in the records stored (--report "fields").
struct FieldFill {
  std::string name;
  std::string selector;  // as the job gave it
  uint64_t filled = 0;   // records with a non-empty value
  uint64_t empty = 0;    // records with no value or an empty one
};

// What robots.txt said for one origin (engine/robots_gate).
struct RobotsOriginSummary {
  std::string origin;
  long status = 0;        // 0: no response
  std::string outcome;    // "rules", "allow all (404)", "disallow all (500)", ...
  uint64_t bytes_read = 0;
  uint64_t requests = 0;   // requests the site saw (redirects included)
  bool truncated = false;  // longer than 500 KiB: the rest was not read
  double crawl_delay_s = -1;  // -1: none
};

// What the transfers did on the wire, summed over the workers and the
// master's own robots.txt and sitemap fetches (engine/master_fetch).
struct TransportSummary {
  uint64_t connections_opened = 0;  // new TCP connections
  uint64_t tls_handshakes = 0;      // of those, TLS handshakes (full or resumed)
  uint64_t http1 = 0;               // responses over HTTP/1.x
  uint64_t http2 = 0;               // responses over HTTP/2
  uint64_t http3 = 0;               // responses over HTTP/3
};

// Adds the five transport counters of `from` to `to`: any two of
// TransportSummary, worker::ConnectionStats, worker::StatsMsg and
// NodeSummary, which all carry them under these names.
template <typename From, typename To>
void AddTransport(const From& from, To* to) {
  to->connections_opened += from.connections_opened;
  to->tls_handshakes += from.tls_handshakes;
  to->http1 += from.http1;
  to->http2 += from.http2;
  to->http3 += from.http3;
}

// One proxy of --proxy-list over the whole run (every worker's counts).
struct ProxySummary {
  std::string url;
  uint64_t requests = 0;  // requests sent through it
  uint64_t failures = 0;  // proxy errors (the request moved to another proxy when one was left)
  uint64_t benched = 0;   // times a worker benched it
};

// Where --throttle auto took one host (engine/throttle).
struct ThrottleSummary {
  std::string host;  // the origin, "http://127.0.0.1:8080": the key of per-host limits
  int settled = 0;   // the limit in force for the most responses
  int min = 0;
  int max = 0;
  int ceiling = 0;   // --per-host (or --concurrency)
  uint64_t responses = 0;
  uint64_t responses_503 = 0;
  uint64_t responses_429 = 0;
  uint64_t timeouts = 0;   // transport failures taken as overload
  uint64_t decreases = 0;
};

struct Summary {
  double wall_s = 0;
  double user_s = 0;  // master plus every worker process
  double sys_s = 0;
  int cores = 1;
  int workers = 0;
  uint64_t pages_total = 0;
  uint64_t pages_ok = 0;
  uint64_t pages_failed = 0;
  uint64_t pages_resumed = 0;  // stored by an earlier run (--resume), not fetched again
  uint64_t pages_resumed_failed = 0;  // of those, pages that had failed (in pages_failed too)
  uint64_t pages_without_items = 0;   // fetched fine, but no item matched (or all dropped)
  uint64_t pages_blocked = 0;  // not fetched: robots.txt disallows them (ok, no records)
  uint64_t items = 0;
  uint64_t duplicates = 0;
  uint64_t dropped = 0;     // items left out because a `required` field had no value  // records dropped because their --key was seen before
  uint64_t requests = 0;
  uint64_t retries = 0;
  uint64_t body_bytes = 0;
  bool interrupted = false;
  // The output's reader went away (`-o - | head`): the run stopped there.
  // Not in the report's keys; the exit code says it (141).
  bool output_closed = false;
  std::vector<FieldFill> fields;   // one per output column, in order
  std::string output;              // where the records went ("-": stdout; empty: nowhere)
  std::string output_format;       // csv, jsonl, json, sqlite
  std::string report_path;         // the --report file, when one is written
  std::vector<WorkerSummary> per_worker;
  std::vector<PageFailure> failures;
  std::vector<PageFailure> blocked;  // reason "blocked by robots.txt"
  std::vector<RobotsOriginSummary> robots;
  TransportSummary transport;
  // --cache: whether it was on; pages served from it, confirmed by a 304
  // (body reused), fetched (cache misses).
  bool cache_enabled = false;
  uint64_t cache_hits = 0;
  uint64_t cache_revalidated = 0;
  uint64_t cache_misses = 0;
  std::vector<ProxySummary> proxies;  // --proxy-list, in the list's order
  std::vector<ThrottleSummary> throttle;  // --throttle auto: one per host that answered
  bool distributed = false;  // --redis: the keys below are reported
  uint64_t pages_dead = 0;  // --redis: lost on nodes --max-deliveries times (in pages_failed too)
  uint64_t deliveries_lost = 0;  // --redis: leases lost (a node died, a worker crashed on it)
  uint64_t redis_round_trips = 0;  // --redis: the collector's and the nodes' (as they last reported)
  std::vector<NodeSummary> nodes;  // --redis: a row per node
};

}  // namespace forage::engine
