#pragma once
// Fetcher: libcurl's multi socket API driven by a libuv loop (curl's
// multi-uv.c as a class).
//
// Owns the CURLM, its timer and one poll watcher per socket curl asks about.
// Loop-bound and single-threaded. Start() hands a transfer to curl at once:
// callers (the worker) decide when a transfer may start, so no timeout ticks
// while a request waits for a slot. `on_done` fires once per started
// transfer, from the loop, never from inside a libcurl callback; it may call
// Start() again. Per-URL failures are data in FetchResult, never errors.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "worker/curl_handles.h"
#include "worker/uv_handle.h"

namespace forage::worker {

struct FetchOptions {
  int64_t timeout_ms = 30'000;
  int64_t connect_timeout_ms = 10'000;
  uint64_t max_body_bytes = 16ull << 20;
  int64_t max_redirects = 10;
  // A transfer that receives nothing for this long is aborted (low-speed
  // limit: under 1 byte/s); 0 = never.
  int64_t stall_timeout_ms = 30'000;
  std::string user_agent;
  std::vector<std::string> headers;  // "Name: value"
  std::string proxy;                 // curl's syntax: http://, socks5h://, ...
  std::string method;                // empty = GET
  std::string body;                  // request body (with a method such as POST)
  // Idle connections kept for reuse (CURLMOPT_MAXCONNECTS).
  int64_t max_idle_connections = 1024;
};

struct FetchResult {
  uint64_t id = 0;
  bool transport_ok = false;  // the transfer completed at the HTTP level
  long http_status = 0;       // 0 when no response arrived
  std::string error;          // why the transfer failed ("out of file descriptors" for
                              // EMFILE/ENFILE); empty when transport_ok
  bool too_large = false;     // the body exceeded max_body_bytes
  bool retryable = false;     // trying again may succeed (see Fetcher::IsRetryable)
  double retry_after_s = -1;  // the response's Retry-After (seconds or HTTP-date), -1 if none
  std::string body;
  std::string content_type;
  std::string effective_url;
  double total_s = 0;
  double first_byte_s = 0;  // request start to the first byte of the answer (redirects summed)
};

class Fetcher {
 public:
  using DoneFn = std::function<void(FetchResult&&)>;

  static Result<std::unique_ptr<Fetcher>> Create(uv_loop_t* loop, FetchOptions options,
                                                 DoneFn on_done);
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Starts fetching `url` now. Fails only if curl refuses the handle.
  Status Start(uint64_t id, const std::string& url);

  size_t active() const { return transfers_.size(); }

  // Whether a failure may go away when tried again: connect errors,
  // timeouts, resets, truncated bodies, HTTP 408, 429, 500, 502, 503, 504.
  // Refused protocols, bad URLs, oversize bodies and other 4xx are final.
  static bool IsRetryable(int curl_code, long http_status, bool too_large);
  uint64_t requests() const { return requests_; }

 private:
  struct Transfer;
  struct SocketWatch;

  Fetcher(uv_loop_t* loop, FetchOptions options, DoneFn on_done);

  // --- C entry points
  static int OnCurlSocket(CURL* easy, curl_socket_t s, int what, void* userp,
                          void* socketp) noexcept;
  static int OnCurlTimer(CURLM* multi, long timeout_ms, void* userp) noexcept;
  static curl_socket_t OnCurlOpenSocket(void* clientp, curlsocktype purpose,
                                        curl_sockaddr* address) noexcept;
  static size_t OnCurlWrite(char* data, size_t size, size_t n, void* userp) noexcept;
  static void OnUvPoll(uv_poll_t* h, int status, int events) noexcept;
  static void OnUvTimer(uv_timer_t* h) noexcept;

  // --- Logic
  int HandleSocket(curl_socket_t s, int what, SocketWatch* watch);
  void HandleTimerChange(long timeout_ms);
  void HandleReadiness(curl_socket_t s, int status, int events);
  void HandleTimeout();
  void DrainCompleted();
  Status Configure(CURL* easy, Transfer* t, const std::string& url);

  uv_loop_t* loop_;
  FetchOptions options_;
  DoneFn on_done_;
  CurlMulti multi_;
  CurlSlist headers_;  // shared by every transfer; lives as long as they do
  std::unique_ptr<CURLSH, void (*)(CURLSH*)> share_{nullptr, nullptr};  // cookies, DNS
  UvHandle<uv_timer_t> timer_;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<curl_socket_t, std::unique_ptr<SocketWatch>> watches_;
  uint64_t requests_ = 0;
  bool in_timer_callback_ = false;
};

}  // namespace forage::worker
