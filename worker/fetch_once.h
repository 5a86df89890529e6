#pragma once
// One blocking GET with the run's fetcher settings (FetchOptions: user agent,
// headers, timeouts, redirects, content decoding, the body cap), for the
// offline tools (`forage select URL`, `forage extract URL`). No retries, no
// robots.txt, no rate limits: one page a user asked for.

#include <string>

#include "base/result.h"
#include "worker/fetcher.h"

namespace forage::worker {

struct FetchedPage {
  std::string body;
  std::string content_type;  // the response's Content-Type, empty if none
  std::string url;           // the final URL, after redirects
};

// Errors: a body over options.max_body_bytes is kInvalidArgument ("'URL' is
// larger than --max-body (16 MiB); nothing read. Raise --max-body to read
// it"); a transfer failure or a status outside 2xx is kIo ("GET URL: HTTP 404").
Result<FetchedPage> FetchOnce(const std::string& url, const FetchOptions& options);

}  // namespace forage::worker
