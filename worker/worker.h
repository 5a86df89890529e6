#pragma once
// Worker: one libuv loop that fetches leased pages (Fetcher), processes them
// (ParseQueue) and streams records back over its Channel.
//
// Loop-bound and single-threaded. In a worker process the loop is its own
// (WorkerMain); with --workers 0 it shares the master's loop, talking over a
// socketpair exactly as a forked worker would. The master decides when a page
// may be fetched (it holds the job's limits), so a leased page starts at once.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"
#include "parser/extract.h"
#include "worker/channel.h"
#include "worker/fetcher.h"
#include "worker/parse_queue.h"
#include "worker/uv_handle.h"

namespace forage::worker {

struct WorkerConfig {
  FetchOptions fetch;
  const parser::Rules* rules = nullptr;         // must outlive the worker
  const parser::Rules* detail_rules = nullptr;  // for follow-ups (--follow); may be null
  const parser::Rules* link_rules = nullptr;    // --next / --crawl: a page's links; may be null
  double cpu_burn_s = 0;                 // extra CPU time per page (--cpu-burn)
  double slice_s = 0.005;                // CPU time per loop turn for processing
  size_t max_outbox_bytes = 8u << 20;    // processing pauses while more is unsent
  size_t records_per_frame = 1000;
  size_t frame_target_bytes = kRecordsFrameTargetBytes;  // footprint of one records frame
  // After each page: resident memory above this sends Retire once (0 = never).
  uint64_t max_rss_bytes = 0;
  // CPU time a page's parse and extraction may take before it fails with
  // "too slow" (--page-cpu-limit); 0 = no limit.
  double page_cpu_limit_s = 0;
};

// A seam for fault injection in tests: called just before a page is parsed,
// with the URL it was fetched from (it may crash or hang the process). The
// shipped `forage` never installs one; the test-only `forage-testhooks`
// binary (tests/forage_testhooks_main.cc) does, before anything runs, so
// every worker (forked or in-process) inherits it.
using FaultHook = std::function<void(std::string_view url)>;
void InstallFaultHookForTesting(FaultHook hook);

class Worker {
 public:
  using ExitFn = std::function<void(int exit_code)>;

  // `on_exit` fires once, from the loop, after every handle of the worker has
  // been closed: after a Stop was served and flushed (0), or when the master
  // went away (1).
  static Result<std::unique_ptr<Worker>> Create(uv_loop_t* loop, const WorkerConfig& config,
                                                UniqueFd channel, ExitFn on_exit);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

 private:
  Worker(uv_loop_t* loop, const WorkerConfig& config, ExitFn on_exit);
  Status Init(UniqueFd channel);

  void HandleMessage(Message&& msg);
  void HandleChannelClosed(const Error* error);
  void HandleLease(LeaseMsg&& lease);
  void HandleFetched(FetchResult&& r);
  void HandleParsed(ParsedPage&& page);
  void HandleLagProbe();
  void SendPageFailed(PageDoneMsg done);
  void CheckMemory();
  void CheckBackpressure();
  void MaybeFinish();
  void Finish(int exit_code);
  void TearDown();
  StatsMsg Stats() const;

  static void OnUvLagTimer(uv_timer_t* h) noexcept;
  static void OnUvTeardown(uv_timer_t* h) noexcept;

  uv_loop_t* loop_;
  WorkerConfig config_;
  ExitFn on_exit_;
  std::unique_ptr<Channel> channel_;
  std::unique_ptr<Fetcher> fetcher_;
  std::unique_ptr<ParseQueue> parse_queue_;
  UvHandle<uv_timer_t> lag_timer_;
  UvHandle<uv_timer_t> teardown_timer_;
  uint64_t lag_expected_ns_ = 0;
  double max_lag_s_ = 0;
  int probes_ = 0;
  bool stopping_ = false;
  bool finishing_ = false;
  bool retire_sent_ = false;
  int exit_code_ = 0;
  uint64_t pages_ = 0;
  uint64_t items_ = 0;
  uint64_t body_bytes_ = 0;
  std::unordered_map<uint64_t, uint8_t> page_rules_;  // leased pages: which rules
  // --cache: responses to store once their page has succeeded (key, entry).
  std::unordered_map<uint64_t, std::pair<std::string, CacheEntry>> pending_cache_;
};

// Process-wide state the worker's libraries need (libcurl's global init),
// for the life of the process that runs workers. WorkerMain makes its own;
// the master makes one only for an in-process worker (--workers 0).
class NetworkScope {
 public:
  NetworkScope();
  ~NetworkScope();
  NetworkScope(const NetworkScope&) = delete;
  NetworkScope& operator=(const NetworkScope&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_;
};

// The body of a forked worker process: builds its loop and libcurl state
// (after the fork), serves the channel until told to stop, returns the exit
// code for _exit().
int WorkerMain(const WorkerConfig& config, UniqueFd channel);

}  // namespace forage::worker
