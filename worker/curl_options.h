#pragma once
// The libcurl settings every forage request shares, whether it goes through
// the worker's Fetcher (pages) or a BlockingFetch (robots.txt, sitemaps,
// `forage select URL`): only http and https, redirects included; the run's
// timeouts, redirect limit, user agent, headers and proxy; every content
// encoding curl decodes. Each caller adds what is its own (write callback,
// error buffer, stall timeout, method and body, cookie share).

#include <optional>
#include <string>
#include <vector>

#include "worker/curl_handles.h"
#include "worker/fetcher.h"

namespace forage::worker {

// The --header lines as a curl list; nullopt if libcurl ran out of memory.
std::optional<CurlSlist> HeaderList(const std::vector<std::string>& headers);

// Applies the shared settings of `options` to `easy`. `headers` (from
// HeaderList) must outlive the transfer; null: none.
void ApplyRequestOptions(CURL* easy, const FetchOptions& options, curl_slist* headers);

}  // namespace forage::worker
