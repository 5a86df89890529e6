#pragma once
// CachedBlockingFetch: BlockingFetch (robots.txt, sitemaps) through --cache.
//
// With --cache-mode always, a stored answer is used without a request, so a
// development run makes none at all; an answer is stored when it is whole
// (not truncated) and either 2xx or 404/410 (robots.txt's "no rules": an
// answer, not a failure). With --cache-mode revalidate, or without --cache,
// it is a plain BlockingFetch: these documents are few and small.

#include <cstdint>
#include <string>

#include "worker/blocking_fetch.h"
#include "worker/fetcher.h"

namespace forage::worker {

BlockingFetchResult CachedBlockingFetch(const std::string& url, const FetchOptions& options,
                                        uint64_t cap);

}  // namespace forage::worker
