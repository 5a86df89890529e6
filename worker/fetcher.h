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
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "worker/curl_handles.h"
#include "worker/http_cache.h"
#include "worker/proxy_pool.h"
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
  // TLS: empty = curl's defaults (the system CA store, no client certificate).
  std::string cacert;       // CURLOPT_CAINFO
  std::string capath;       // CURLOPT_CAPATH
  bool insecure = false;    // no peer or host name verification
  std::string client_cert;  // CURLOPT_SSLCERT (PEM)
  std::string client_key;   // CURLOPT_SSLKEY (PEM)
  // HTTP/1.1 only; otherwise HTTP/2 over TLS when the server offers it (ALPN)
  // and HTTP/1.1 in clear text.
  bool http1_1 = false;
  // --cache: responses served from and stored in this directory
  // (worker/http_cache); empty = no cache. robots.txt and sitemaps
  // (BlockingFetch) never use it.
  std::string cache_dir;
  CacheMode cache_mode = CacheMode::kAlways;
  uint64_t cache_max_bytes = 0;  // --cache-max; 0 = no bound
  // --proxy-list: the Fetcher picks one per request (worker/proxy_pool) and
  // moves a request to another on a proxy error; `proxy` is then unused by
  // the Fetcher (BlockingFetch goes through the first of these).
  std::vector<std::string> proxies;
  ProxyMode proxy_mode = ProxyMode::kRotate;
};

// What the transfers of one fetcher (or one blocking fetch) did on the wire:
// carried to the master in StatsMsg, summed in the report.
struct ConnectionStats {
  uint64_t connections_opened = 0;  // new connections (CURLINFO_NUM_CONNECTS)
  uint64_t tls_handshakes = 0;      // transfers that did a TLS handshake (APPCONNECT_TIME > 0)
  uint64_t http1 = 0;               // responses over HTTP/1.0 or 1.1
  uint64_t http2 = 0;               // responses over HTTP/2
  uint64_t http3 = 0;               // responses over HTTP/3
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
  bool from_cache = false;   // served from --cache without a request
  bool revalidated = false;  // the site answered 304: the stored body was reused
  // A response the cache may keep (2xx, not no-store), with `cache_key`:
  // everything but the body, which is `body`. The caller stores it once the
  // page has succeeded (StoreInCache), so a page that fails is never cached.
  std::optional<CacheEntry> cache_entry;
  std::string cache_key;
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

  size_t active() const { return transfers_.size() + ready_.size(); }

  // Whether a failure may go away when tried again: connect errors,
  // timeouts, resets, truncated bodies, HTTP 408, 429, 500, 502, 503, 504.
  // Refused protocols, bad URLs, oversize bodies and other 4xx are final.
  static bool IsRetryable(int curl_code, long http_status, bool too_large);
  uint64_t requests() const { return requests_; }
  const ConnectionStats& connection_stats() const { return connection_stats_; }

  // Stores a response Start() delivered with a cache_entry (its body put
  // back in). A failure to write is reported once on stderr and otherwise
  // ignored: the cache is an optimisation. Every so often (an eighth of
  // --cache-max stored) it evicts the oldest entries.
  void StoreInCache(const std::string& key, const CacheEntry& entry);
  uint64_t cache_hits() const { return cache_hits_; }
  uint64_t cache_revalidated() const { return cache_revalidated_; }
  uint64_t cache_misses() const { return cache_misses_; }
  // Per proxy of FetchOptions::proxies, in their order; empty without.
  std::vector<ProxyStats> proxy_stats() const {
    return pool_ ? pool_->stats() : std::vector<ProxyStats>{};
  }
  // A proxy error: the proxy, not the site, failed the request (connect
  // refused or timed out, CURLE_PROXY, unresolvable proxy, 407).
  static bool IsProxyError(int curl_code, long http_status, long connect_code);

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
  static void OnUvReady(uv_timer_t* h) noexcept;

  // --- Logic
  int HandleSocket(curl_socket_t s, int what, SocketWatch* watch);
  void HandleTimerChange(long timeout_ms);
  void HandleReadiness(curl_socket_t s, int status, int events);
  void HandleTimeout();
  void DrainCompleted();
  Status Configure(CURL* easy, Transfer* t, const std::string& url);
  Status Launch(std::unique_ptr<Transfer> t);
  bool RetryOnAnotherProxy(std::unique_ptr<Transfer>& t, CURL* e, CURLcode code);
  void DeliverReady();
  double NowSeconds() const;

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
  ConnectionStats connection_stats_;
  bool in_timer_callback_ = false;
  // --cache and --proxy-list.
  std::optional<HttpCache> cache_;
  std::optional<ProxyPool> pool_;
  std::deque<FetchResult> ready_;  // cache hits, delivered from the loop
  UvHandle<uv_timer_t> ready_timer_;
  bool in_ready_callback_ = false;
  bool cache_write_warned_ = false;
  uint64_t cache_hits_ = 0;
  uint64_t cache_revalidated_ = 0;
  uint64_t cache_misses_ = 0;
  uint64_t stored_since_evict_ = 0;
};

}  // namespace forage::worker
