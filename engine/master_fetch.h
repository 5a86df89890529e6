#pragma once
// MasterFetch: the master's own requests (robots.txt, sitemaps), on
// whichever libuv loop it is attached to: before the run, a short loop of
// the engine's that reads --sitemap; during the run, the Master's loop
// (a LoopClient), where robots.txt answers come in between the workers'
// messages. The transfers are worker/async_get's (a libcurl multi handle
// driven by the loop) with the job's FetchOptions.
//
// Answers and timers are delivered from the loop, each from a callback of
// MasterFetch's own (not from inside libcurl's), so whatever they set off
// may Detach. Detach drops what is in flight: its callbacks never run.
// What the transfers did on the wire is summed over every attachment
// (the report's transport counters).
//
// Single-threaded.

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/result.h"
#include "engine/master.h"
#include "engine/robots_gate.h"
#include "worker/async_get.h"
#include "worker/fetcher.h"
#include "worker/uv_handle.h"

namespace forage::engine {

class MasterFetch : public RobotsFetcher, public LoopClient {
 public:
  explicit MasterFetch(worker::FetchOptions options);
  ~MasterFetch() override;
  MasterFetch(const MasterFetch&) = delete;
  MasterFetch& operator=(const MasterFetch&) = delete;

  Status Attach(uv_loop_t* loop) override;
  void Detach() override;

  // RobotsFetcher: robots.txt (5 redirects, kRobotsMaxBytes).
  void Get(const std::string& url, Done done) override;
  void After(double seconds, std::function<void()> fn) override;

  // GET `url` keeping `cap` bytes (a sitemap), with the job's redirects.
  void GetDocument(const std::string& url, uint64_t cap, Done done);
  // Runs the attached loop until `done()` holds (before the run, when the
  // loop is the engine's own): the sitemaps, and the robots.txt whose
  // Sitemap: lines --sitemap robots reads.
  void RunUntil(const std::function<bool()>& done);
  // GetDocument, waited for with RunUntil; a document Prefetch started is
  // taken from there.
  worker::BlockingFetchResult GetAndWait(const std::string& url, uint64_t cap);
  // Documents GetAndWait will be asked for, in order (an index's sitemaps):
  // fetched ahead, at most kReadAhead started and not yet taken at a time,
  // so a long index costs about its slowest documents, not their sum, and
  // memory holds a few of them at most.
  void Prefetch(const std::vector<std::pair<std::string, uint64_t>>& documents);
  static constexpr size_t kReadAhead = 4;

  worker::ConnectionStats connection_stats() const;

 private:
  struct Timer;
  struct Ahead {
    uint64_t cap = 0;
    bool finished = false;
    worker::BlockingFetchResult result;
  };
  void StartAhead();
  void Queue(std::function<void()> fn);
  void DeliverQueued();
  static void OnUvDeliver(uv_timer_t* h) noexcept;
  static void OnUvTimer(uv_timer_t* h) noexcept;

  worker::FetchOptions options_;
  uv_loop_t* loop_ = nullptr;
  std::unique_ptr<worker::AsyncGet> get_;
  worker::UvHandle<uv_timer_t> deliver_timer_;
  std::deque<std::function<void()>> queued_;
  std::list<std::unique_ptr<Timer>> timers_;
  worker::ConnectionStats past_;  // of earlier attachments
  std::unordered_map<std::string, std::shared_ptr<Ahead>> ahead_;  // started, not taken
  std::deque<std::pair<std::string, uint64_t>> ahead_queue_;      // not started yet
  std::unordered_set<std::string> ahead_wanted_;  // in ahead_queue_ and still wanted
};

}  // namespace forage::engine
