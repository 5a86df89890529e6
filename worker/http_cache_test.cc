#include "worker/http_cache.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace forage::worker {
namespace {

using forage::testing::FileExists;
using forage::testing::TempDir;
using forage::testing::WriteFile;

CacheEntry Sample(std::string body) {
  CacheEntry e;
  e.status = 200;
  e.url = "http://127.0.0.1:1/shop/page/1/";
  e.effective_url = "http://127.0.0.1:1/shop/page/1/";
  e.content_type = "text/html; charset=utf-8";
  e.etag = "\"abc\"";
  e.last_modified = "Thu, 01 Jan 2026 00:00:00 GMT";
  e.stored_at = 1'700'000'000;
  e.body = std::move(body);
  return e;
}

void SetMtime(const std::string& path, time_t when) {
  timespec times[2] = {{when, 0}, {when, 0}};
  REQUIRE(utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

size_t FilesIn(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

TEST_SUITE("worker.http_cache") {

TEST_CASE("an entry stored is loaded back field for field") {
  auto cache = HttpCache::Open(TempDir("cache_roundtrip") + "/sub");  // created
  REQUIRE(cache.has_value());
  const std::string key = HttpCache::Key("GET", "http://127.0.0.1:1/a", "");
  CHECK(key.size() == 64);
  CHECK_FALSE(cache->Load(key).has_value());
  CHECK_FALSE(cache->Has(key));
  CacheEntry e = Sample(std::string("<p>\0binary\xff</p>", 15));
  REQUIRE(cache->Store(key, e).has_value());
  CHECK(cache->Has(key));
  auto back = cache->Load(key);
  REQUIRE(back.has_value());
  CHECK(back->status == 200);
  CHECK(back->url == e.url);
  CHECK(back->effective_url == e.effective_url);
  CHECK(back->content_type == e.content_type);
  CHECK(back->etag == e.etag);
  CHECK(back->last_modified == e.last_modified);
  CHECK(back->stored_at == e.stored_at);
  CHECK(back->body == e.body);
  CHECK(cache->corrupt() == 0);
}

TEST_CASE("the key covers method, URL and body, and GET is the empty method") {
  const std::string get = HttpCache::Key("GET", "http://h/x", "");
  CHECK(HttpCache::Key("", "http://h/x", "") == get);
  CHECK(HttpCache::Key("POST", "http://h/x", "") != get);
  CHECK(HttpCache::Key("GET", "http://h/y", "") != get);
  CHECK(HttpCache::Key("GET", "http://h/x", "q=1") != get);
  // No ambiguity where one part ends and the next begins.
  CHECK(HttpCache::Key("GET", "ab", "c") != HttpCache::Key("GET", "a", "bc"));
}

TEST_CASE("a torn, truncated, padded or flipped entry is never served") {
  const std::string dir = TempDir("cache_torn");
  auto cache = HttpCache::Open(dir);
  REQUIRE(cache.has_value());
  const std::string key = HttpCache::Key("GET", "http://127.0.0.1:1/torn", "");
  const std::string whole = EncodeEntry(Sample(std::string(5000, 'x')));
  REQUIRE(DecodeEntry(whole).has_value());
  uint64_t expected_corrupt = 0;
  // Every cut: in the magic, the length, the checksum, the fields, the body.
  for (size_t cut : {size_t{0}, size_t{3}, size_t{8}, size_t{12}, size_t{20}, size_t{47},
                     size_t{48}, size_t{60}, size_t{200}, whole.size() - 1}) {
    CAPTURE(cut);
    WriteFile(dir + "/" + key, whole.substr(0, cut));
    CHECK_FALSE(cache->Load(key).has_value());
    CHECK(cache->corrupt() == ++expected_corrupt);
  }
  WriteFile(dir + "/" + key, whole + "extra");
  CHECK_FALSE(cache->Load(key).has_value());
  std::string flipped = whole;
  flipped[whole.size() - 10] = 'y';  // in the body: the checksum catches it
  WriteFile(dir + "/" + key, flipped);
  CHECK_FALSE(cache->Load(key).has_value());
  WriteFile(dir + "/" + key, whole);
  auto ok = cache->Load(key);
  REQUIRE(ok.has_value());
  CHECK(ok->body == std::string(5000, 'x'));
}

TEST_CASE("writers in several processes never let a reader see a partial entry") {
  const std::string dir = TempDir("cache_concurrent");
  auto opened = HttpCache::Open(dir);
  REQUIRE(opened.has_value());
  const std::string shared = HttpCache::Key("GET", "http://127.0.0.1:1/shared", "");
  constexpr int kWriters = 4;
  constexpr int kRounds = 150;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto cache = HttpCache::Open(dir);
      int failures = cache ? 0 : 1;
      for (int i = 0; cache && i < kRounds; ++i) {
        // Bodies of different lengths, each made of one repeated letter.
        std::string body(1000 + static_cast<size_t>((w * 7919 + i * 104729) % 60000),
                         static_cast<char>('a' + w));
        if (!cache->Store(shared, Sample(body))) ++failures;
        std::string own = HttpCache::Key("GET", "http://127.0.0.1:1/w" + std::to_string(w) +
                                                    "/" + std::to_string(i), "");
        if (!cache->Store(own, Sample(body))) ++failures;
      }
      _exit(failures == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  HttpCache& reader = *opened;
  int loads = 0;
  int seen = 0;
  bool all_whole = true;
  std::vector<int> exits(children.size(), -1);
  for (;;) {
    bool running = false;
    for (size_t c = 0; c < children.size(); ++c) {
      if (exits[c] >= 0) continue;
      int status = 0;
      if (waitpid(children[c], &status, WNOHANG) == children[c]) {
        exits[c] = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      } else {
        running = true;
      }
    }
    auto e = reader.Load(shared);
    ++loads;
    if (e) {
      ++seen;
      const char c = e->body.empty() ? '?' : e->body.front();
      all_whole = all_whole && c >= 'a' && c < 'a' + kWriters &&
                  e->body == std::string(e->body.size(), c) && e->url == Sample("").url;
    }
    if (!running) break;
  }
  CHECK(exits == std::vector<int>(children.size(), 0));  // every store succeeded
  CHECK(all_whole);
  CHECK(seen > 0);
  CHECK(reader.corrupt() == 0);
  CHECK(reader.Load(shared).has_value());
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kRounds; ++i) {
      std::string own = HttpCache::Key("GET", "http://127.0.0.1:1/w" + std::to_string(w) + "/" +
                                                  std::to_string(i), "");
      REQUIRE(reader.Load(own).has_value());
    }
  }
  // Every writer renamed its temp files away: only entries are left.
  CHECK(FilesIn(dir) == 1 + kWriters * kRounds);
  MESSAGE("reader loads: " << loads);
}

TEST_CASE("eviction removes the oldest entries first and stale temp files") {
  const std::string dir = TempDir("cache_evict");
  auto cache = HttpCache::Open(dir);
  REQUIRE(cache.has_value());
  const time_t now = time(nullptr);
  std::vector<std::string> keys;
  uint64_t entry_bytes = 0;
  for (int i = 0; i < 10; ++i) {
    keys.push_back(HttpCache::Key("GET", "http://h/" + std::to_string(i), ""));
    REQUIRE(cache->Store(keys.back(), Sample(std::string(1000, 'x'))).has_value());
    // Entry i was written i minutes after entry 0, in the past.
    SetMtime(dir + "/" + keys.back(), now - 3600 + i * 60);
    entry_bytes = std::filesystem::file_size(dir + "/" + keys.back());
  }
  WriteFile(dir + "/.tmp.stale", "left by a killed writer");
  SetMtime(dir + "/.tmp.stale", now - 7200);
  WriteFile(dir + "/.tmp.fresh", "being written now");
  WriteFile(dir + "/README", "not ours");

  EvictResult unbounded = cache->Evict(0);
  CHECK(unbounded.entries == 10);
  CHECK(unbounded.bytes == 10 * entry_bytes);
  CHECK(unbounded.removed == 1);  // the stale temp file only
  CHECK_FALSE(FileExists(dir + "/.tmp.stale"));

  EvictResult bounded = cache->Evict(4 * entry_bytes + entry_bytes / 2);
  CHECK(bounded.entries == 4);
  CHECK(bounded.bytes == 4 * entry_bytes);
  CHECK(bounded.removed == 6);
  for (int i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(FileExists(dir + "/" + keys[i]) == (i >= 6));
  }
  CHECK(FileExists(dir + "/.tmp.fresh"));
  CHECK(FileExists(dir + "/README"));
}

TEST_CASE("a cache directory that cannot be made is an error naming it") {
  const std::string dir = TempDir("cache_bad");
  WriteFile(dir + "/file", "x");
  auto cache = HttpCache::Open(dir + "/file");
  REQUIRE_FALSE(cache.has_value());
  CHECK(cache.error().message.find(dir + "/file") != std::string::npos);
}

}  // TEST_SUITE

}  // namespace
}  // namespace forage::worker
