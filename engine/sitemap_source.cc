#include "engine/sitemap_source.h"

#include <unordered_set>

#include <fmt/format.h>

#include "engine/plan.h"
#include "engine/robots_gate.h"
#include "parser/robots.h"
#include "parser/sitemap.h"

namespace forage::engine {
namespace {

class Expander {
 public:
  Expander(const SitemapFetch& fetch, const UrlFilter& keep, const SitemapPrefetch& prefetch)
      : fetch_(fetch), keep_(keep), prefetch_(prefetch) {}

  // The documents of `urls` Document(url, depth) will fetch, for the prefetch.
  void Ahead(const std::vector<std::string>& urls, int depth) {
    if (!prefetch_ || depth > kMaxSitemapDepth) return;
    std::vector<std::pair<std::string, uint64_t>> docs;
    std::unordered_set<std::string> listed;
    for (const std::string& url : urls) {
      if (seen_docs_.count(url) > 0 || !listed.insert(url).second || !UrlOrigin(url)) continue;
      docs.emplace_back(url, CapFor(url));
    }
    if (!docs.empty()) prefetch_(docs);
  }

  void Document(const std::string& url, int depth) {
    if (!seen_docs_.insert(url).second) return;  // an index that lists itself
    if (depth > kMaxSitemapDepth) {
      Fail(url, fmt::format("sitemaps nested deeper than {}", kMaxSitemapDepth));
      return;
    }
    if (!UrlOrigin(url)) {
      Fail(url, "not an absolute http(s) URL");
      return;
    }
    const bool robots = PathAndQuery(url) == "/robots.txt";
    worker::BlockingFetchResult r = fetch_(url, CapFor(url));
    if (!r.transport_ok) {
      Fail(url, r.error);
      return;
    }
    if (r.http_status < 200 || r.http_status >= 300) {
      Fail(url, fmt::format("HTTP {}", r.http_status));
      return;
    }
    ++out_.documents;
    if (robots) {
      const parser::RobotsRules rules = parser::ParseRobots(r.body, "forage");
      Ahead(rules.sitemaps(), depth + 1);
      for (const std::string& s : rules.sitemaps()) Document(s, depth + 1);
      return;
    }
    if (r.truncated) {
      Fail(url, fmt::format("larger than {} bytes (the protocol's limit)", parser::kSitemapMaxBytes));
      return;
    }
    std::string body = std::move(r.body);
    if (parser::IsGzip(body)) {
      auto inflated = parser::Gunzip(body, parser::kSitemapMaxBytes);
      if (!inflated) {
        Fail(url, "gzip: " + inflated.error().message);
        return;
      }
      body = std::move(*inflated);
    }
    auto map = parser::ParseSitemap(body);
    if (!map) {
      Fail(url, map.error().message);
      return;
    }
    if (map->kind == parser::SitemapKind::kIndex) {
      Ahead(map->locs, depth + 1);
      for (const std::string& child : map->locs) Document(child, depth + 1);
      return;
    }
    for (std::string& loc : map->locs) {
      if (!UrlOrigin(loc)) continue;  // not http(s): not a page we can fetch
      if (keep_ && !keep_(loc)) continue;
      if (seen_pages_.insert(loc).second) out_.urls.push_back(std::move(loc));
    }
  }

  SitemapPages Take() { return std::move(out_); }

 private:
  static uint64_t CapFor(const std::string& url) {
    return PathAndQuery(url) == "/robots.txt" ? parser::kRobotsMaxBytes
                                              : parser::kSitemapMaxBytes + 1;
  }

  void Fail(const std::string& url, std::string reason) {
    out_.failures.push_back(PageFailure{url, "sitemap: " + std::move(reason)});
  }

  const SitemapFetch& fetch_;
  const UrlFilter& keep_;
  const SitemapPrefetch& prefetch_;
  SitemapPages out_;
  std::unordered_set<std::string> seen_docs_;
  std::unordered_set<std::string> seen_pages_;
};

}  // namespace

SitemapPages ExpandSitemaps(const std::vector<std::string>& sitemaps, const SitemapFetch& fetch,
                            const UrlFilter& keep, const SitemapPrefetch& prefetch) {
  Expander e(fetch, keep, prefetch);
  e.Ahead(sitemaps, 0);
  for (const std::string& s : sitemaps) e.Document(s, 0);
  return e.Take();
}

}  // namespace forage::engine
