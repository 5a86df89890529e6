#include "worker/cached_fetch.h"

#include <ctime>
#include <optional>

#include "worker/http_cache.h"

namespace forage::worker {

BlockingFetchResult CachedBlockingFetch(const std::string& url, const FetchOptions& options,
                                        uint64_t cap) {
  if (options.cache_dir.empty() || options.cache_mode != CacheMode::kAlways) {
    return BlockingFetch(url, options, cap);
  }
  auto cache = HttpCache::Open(options.cache_dir);
  if (!cache) return BlockingFetch(url, options, cap);
  // Always a GET, whatever the job's method (BlockingFetch ignores it too).
  const std::string key = HttpCache::Key("GET", url, "");
  if (std::optional<CacheEntry> e = cache->Load(key); e && e->body.size() <= cap) {
    BlockingFetchResult r;
    r.transport_ok = true;
    r.http_status = e->status;
    r.requests = 0;  // the site saw nothing
    r.body = std::move(e->body);
    r.effective_url = std::move(e->effective_url);
    r.content_type = std::move(e->content_type);
    return r;
  }
  BlockingFetchResult r = BlockingFetch(url, options, cap);
  const bool answer = (r.http_status >= 200 && r.http_status < 300) || r.http_status == 404 ||
                      r.http_status == 410;
  if (r.transport_ok && answer && !r.truncated) {
    CacheEntry e;
    e.status = r.http_status;
    e.url = url;
    e.effective_url = r.effective_url;
    e.content_type = r.content_type;
    e.stored_at = static_cast<int64_t>(std::time(nullptr));
    e.body = r.body;
    (void)cache->Store(key, e);  // a cache that cannot be written only costs a request
  }
  return r;
}

}  // namespace forage::worker
