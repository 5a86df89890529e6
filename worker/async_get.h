#pragma once
// AsyncGet: the master's GETs of its control documents (robots.txt,
// sitemaps) on the master's libuv loop: libcurl's multi socket API driven by
// the loop, as the worker's Fetcher drives the pages (curl's multi-uv.c),
// with the same request options (worker/curl_options: user agent, headers,
// proxy, TLS flags, timeouts). Unlike the Fetcher, a body longer than the
// caller's cap is cut there (`truncated`, the transfer ended), not failed.
//
// --cache with --cache-mode always serves and stores these documents as
// CachedBlockingFetch does (2xx, 404 and 410, when whole).
//
// Loop-bound, single-threaded. `done` runs once per Get, from the loop,
// never from inside Get. Destroying the AsyncGet abandons the transfers in
// flight: their `done` never runs.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/result.h"
#include "worker/blocking_fetch.h"
#include "worker/curl_handles.h"
#include "worker/fetcher.h"
#include "worker/http_cache.h"
#include "worker/uv_handle.h"

namespace forage::worker {

class AsyncGet {
 public:
  using Done = std::function<void(BlockingFetchResult&&)>;

  // `options`' method and body are ignored: always a GET.
  static Result<std::unique_ptr<AsyncGet>> Create(uv_loop_t* loop, FetchOptions options);
  ~AsyncGet();
  AsyncGet(const AsyncGet&) = delete;
  AsyncGet& operator=(const AsyncGet&) = delete;

  // Starts GET `url` now, keeping at most `cap` bytes of its (decoded) body;
  // `max_redirects` >= 0 replaces the options' (robots.txt: 5).
  void Get(const std::string& url, uint64_t cap, Done done, int64_t max_redirects = -1);

  size_t active() const { return transfers_.size() + ready_.size(); }
  // What these transfers did on the wire (the report's transport counters).
  const ConnectionStats& connection_stats() const { return stats_; }

 private:
  struct Transfer;
  struct SocketWatch;
  struct Ready {
    BlockingFetchResult result;
    Done done;
  };

  explicit AsyncGet(uv_loop_t* loop, FetchOptions options);

  static int OnCurlSocket(CURL* easy, curl_socket_t s, int what, void* userp,
                          void* socketp) noexcept;
  static int OnCurlTimer(CURLM* multi, long timeout_ms, void* userp) noexcept;
  static curl_socket_t OnCurlOpenSocket(void* clientp, curlsocktype purpose,
                                        curl_sockaddr* address) noexcept;
  static size_t OnCurlWrite(char* data, size_t size, size_t n, void* userp) noexcept;
  static void OnUvPoll(uv_poll_t* h, int status, int events) noexcept;
  static void OnUvTimer(uv_timer_t* h) noexcept;
  static void OnUvReady(uv_timer_t* h) noexcept;

  int HandleSocket(curl_socket_t s, int what, SocketWatch* watch);
  void HandleTimerChange(long timeout_ms);
  void HandleReadiness(curl_socket_t s, int status, int events);
  void HandleTimeout();
  void DrainCompleted();
  void Deliver(BlockingFetchResult&& r, Done done);  // from the loop, later
  void DeliverReady();
  void MaybeStore(const std::string& url, const BlockingFetchResult& r);

  uv_loop_t* loop_;
  FetchOptions options_;
  CurlMulti multi_;
  CurlSlist headers_;
  std::unique_ptr<CURLSH, void (*)(CURLSH*)> share_{nullptr, nullptr};  // DNS, TLS sessions
  UvHandle<uv_timer_t> timer_;
  UvHandle<uv_timer_t> ready_timer_;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<curl_socket_t, std::unique_ptr<SocketWatch>> watches_;
  std::deque<Ready> ready_;
  std::optional<HttpCache> cache_;  // --cache with --cache-mode always
  ConnectionStats stats_;
  bool in_timer_callback_ = false;
};

}  // namespace forage::worker
