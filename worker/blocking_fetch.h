#pragma once
// BlockingFetch: one GET with a libcurl easy handle, start to end (`forage
// select URL`). It blocks the caller for up to the options' timeout; pages
// go through the Fetcher, the master's robots.txt and sitemaps through
// AsyncGet (worker/async_get) on its loop.

#include <cstdint>
#include <string>

#include "worker/fetcher.h"

namespace forage::worker {

struct BlockingFetchResult {
  bool transport_ok = false;  // a response arrived (any status)
  bool too_many_redirects = false;
  long http_status = 0;
  long requests = 0;          // requests the server saw: redirects followed + 1
  std::string error;          // when !transport_ok
  // When !transport_ok: trying again may help (a refused or timed-out
  // connection); a certificate that does not verify will not.
  bool retryable = false;
  std::string body;
  bool truncated = false;     // the body was longer than the cap
  std::string effective_url;
  std::string content_type;
  // The response's Retry-After in seconds (a number, or an HTTP date made
  // relative to now, as libcurl reads it); -1 when it has none (or 0).
  double retry_after_s = -1;
};

// Fetches `url` with `options` (user agent, headers, proxy, timeouts,
// max_redirects; method and body are ignored: always a GET). At most `cap`
// bytes of the (decoded) body are kept; a longer body is cut there and the
// transfer ends (`truncated`).
BlockingFetchResult BlockingFetch(const std::string& url, const FetchOptions& options,
                                  uint64_t cap);

// Fills `out` from a finished transfer `e` (curl's result `rc`, its error
// buffer `error`, whether the body was cut at its cap): status, requests,
// final URL, content type, Retry-After, and transport_ok or the error. The
// body is the caller's. Shared by BlockingFetch and worker/async_get.
void ReadTransferResult(CURL* e, CURLcode rc, const char* error, bool truncated,
                        BlockingFetchResult* out);

}  // namespace forage::worker
