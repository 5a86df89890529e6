#pragma once
// HttpCache: responses on disk (--cache DIR), one file per request, so the
// development loop (change a selector, run again) costs the site nothing.
//
// An entry is named by its key, the SHA-256 of method, URL and request body
// (64 hex digits), and holds the status, the final URL, the content type,
// the validators a conditional request needs (ETag, Last-Modified) and the
// body. The file is
//
//   "FGCACHE1" | u64 payload length (LE) | 32-byte SHA-256 of the payload | payload
//
// and is written to a temp file in the same directory, then renamed over the
// entry: a reader sees the old entry or the new one, whole. A torn or
// truncated file (a kill -9 mid-write of a temp file that was then renamed by
// hand, a full disk, a bad copy) fails the length or checksum test and is
// treated as absent: never served. So any number of workers and runs may
// share a directory without locks; two writers of one key both succeed and
// the last rename wins.
//
// Evict() bounds the directory: oldest written first, plus temp files left
// by killed writers. Blocking file I/O on the caller's thread: entries are
// small and this is a development tool.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace forage::worker {

enum class CacheMode {
  kAlways,      // serve a stored entry whenever there is one: no request at all
  kRevalidate,  // ask the site (If-None-Match / If-Modified-Since); 304 reuses it
};

struct CacheEntry {
  long status = 200;
  std::string url;            // as requested
  std::string effective_url;  // after redirects
  std::string content_type;
  std::string etag;           // validators; empty when the response had none
  std::string last_modified;
  int64_t stored_at = 0;      // Unix seconds
  std::string body;
};

struct EvictResult {
  uint64_t entries = 0;  // entries left
  uint64_t bytes = 0;    // their size on disk
  uint64_t removed = 0;  // entries and stale temp files removed
};

class HttpCache {
 public:
  // Creates `dir` if needed. Fails (kIo) when it cannot be created, or is
  // not a writable directory.
  static Result<HttpCache> Open(std::string dir);

  // The key of a request: hex SHA-256 of method ("GET" when empty), URL and
  // body, each followed by a NUL.
  static std::string Key(std::string_view method, std::string_view url, std::string_view body);

  // The stored entry for `key`; nullopt when there is none, or the file is
  // torn, truncated or otherwise fails its length and checksum (counted in
  // corrupt()).
  std::optional<CacheEntry> Load(const std::string& key);

  // Whether an entry file for `key` is there (one stat, no read: it may
  // still turn out torn when loaded). The master asks it to lease pages
  // that will be served from the cache without a pacing slot.
  bool Has(const std::string& key) const;

  // Writes the entry atomically (temp file + rename). kIo on failure; the
  // cache is then unchanged.
  Status Store(const std::string& key, const CacheEntry& entry);

  // Removes the oldest entries (by modification time) until the entries
  // take at most `max_bytes` (0 = no bound), and temp files older than an
  // hour (left by killed writers). Races with other processes are harmless:
  // a file already gone is skipped.
  EvictResult Evict(uint64_t max_bytes) const;

  const std::string& dir() const { return dir_; }
  uint64_t corrupt() const { return corrupt_; }

 private:
  explicit HttpCache(std::string dir) : dir_(std::move(dir)) {}
  std::string PathOf(const std::string& key) const;

  std::string dir_;
  uint64_t corrupt_ = 0;
  uint64_t temp_counter_ = 0;
};

// The file's bytes for an entry, and back; DecodeEntry returns nullopt for
// anything but a whole, intact entry. Exposed for tests.
std::string EncodeEntry(const CacheEntry& entry);
std::optional<CacheEntry> DecodeEntry(std::string_view file);

}  // namespace forage::worker
