#pragma once
// SitemapSource: the pages of --sitemap, before the run. Each sitemap
// document is fetched once (a blocking GET in the master, as robots.txt is),
// inflated when it is gzip (a .gz file, or gzip content), parsed
// (parser/sitemap), and expanded depth-first in document order: an index's
// sitemaps in turn, nested indexes to kMaxSitemapDepth. A value whose path is
// /robots.txt stands for the Sitemap: lines of that robots.txt.
//
// A sitemap that cannot be fetched, is not a sitemap, or passes the
// protocol's limits (50,000 URLs, 50 MB) is a failure of that sitemap,
// reported with its URL; the others still give their pages.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/summary.h"
#include "worker/blocking_fetch.h"

namespace forage::engine {

inline constexpr int kMaxSitemapDepth = 5;

struct SitemapPages {
  std::vector<std::string> urls;        // pages, in sitemap order, each once
  std::vector<PageFailure> failures;    // sitemaps that gave nothing
  uint64_t documents = 0;               // sitemaps read
};

// GET `url`, keeping at most `cap` bytes of its body.
using SitemapFetch =
    std::function<worker::BlockingFetchResult(const std::string& url, uint64_t cap)>;
// Whether a page URL is kept (--allow/--deny); null keeps every URL.
using UrlFilter = std::function<bool(const std::string& url)>;
// Told, before they are read one by one in order, the documents a list (the
// --sitemap values, an index's sitemaps) will have read, with their caps:
// the fetch may start them ahead (engine/master_fetch: a few at a time).
// Null: each is fetched when it is read.
using SitemapPrefetch =
    std::function<void(const std::vector<std::pair<std::string, uint64_t>>& documents)>;

SitemapPages ExpandSitemaps(const std::vector<std::string>& sitemaps, const SitemapFetch& fetch,
                            const UrlFilter& keep = nullptr,
                            const SitemapPrefetch& prefetch = nullptr);

}  // namespace forage::engine
