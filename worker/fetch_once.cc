#include "worker/fetch_once.h"

#include <utility>

#include "worker/blocking_fetch.h"

namespace forage::worker {

// BlockingFetch does the transfer (the same easy-handle settings the master
// uses for robots.txt and sitemaps); here its result becomes the offline
// tools' errors. One byte over the cap tells "too large" from "exactly full".
Result<FetchedPage> FetchOnce(const std::string& url, const FetchOptions& options) {
  BlockingFetchResult r = BlockingFetch(url, options, options.max_body_bytes + 1);
  if (r.truncated) {
    return Err(ErrorCode::kInvalidArgument,
               "'{}' is larger than --max-body ({} MiB); nothing read. Raise --max-body to read it",
               url, options.max_body_bytes >> 20);
  }
  if (!r.transport_ok) return Err(ErrorCode::kIo, "GET {}: {}", url, r.error);
  if (r.http_status < 200 || r.http_status >= 300) {
    return Err(ErrorCode::kIo, "GET {}: HTTP {}", url, r.http_status);
  }
  FetchedPage page;
  page.body = std::move(r.body);
  page.content_type = std::move(r.content_type);
  page.url = r.effective_url.empty() ? url : std::move(r.effective_url);
  return page;
}

}  // namespace forage::worker
