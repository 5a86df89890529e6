#include "worker/fetcher.h"

#include <doctest/doctest.h>

#include "tests/test_support.h"
#include "worker/worker.h"

namespace forage::worker {
namespace {

using forage::testing::ClosedPort;
using forage::testing::Fixture;

struct Harness {
  NetworkScope network;
  UvLoop loop;
  std::vector<FetchResult> done;
  std::unique_ptr<Fetcher> fetcher;

  explicit Harness(FetchOptions opts = {}) {
    auto f = Fetcher::Create(loop.get(), opts, [this](FetchResult&& r) { done.push_back(std::move(r)); });
    REQUIRE(f.has_value());
    fetcher = std::move(*f);
  }
  void Run() { uv_run(loop.get(), UV_RUN_DEFAULT); }
};

TEST_SUITE("worker.fetcher") {

TEST_CASE("fetches pages over one reused connection and reports 404 as data") {
  Fixture fx;
  Harness h;
  SUBCASE("sequential transfers reuse the connection") {
    for (uint64_t i = 1; i <= 5; ++i) {
      REQUIRE(h.fetcher->Start(i, fx.url() + "shop/page/" + std::to_string(i) + "/"));
      h.Run();
    }
    REQUIRE(h.done.size() == 5);
    for (auto& r : h.done) {
      CHECK(r.transport_ok);
      CHECK(r.http_status == 200);
      CHECK(r.body.find("woocommerce") != std::string::npos);
    }
    CHECK(h.done[0].id == 1);
    CHECK(h.fetcher->requests() == 5);
    // One connection carried all five; the other is this /__stats request.
    CHECK(fx.Stat("peak_connections") == 2);
  }
  SUBCASE("404 is a completed transfer with its status") {
    REQUIRE(h.fetcher->Start(9, fx.url() + "shop/page/999/"));
    h.Run();
    REQUIRE(h.done.size() == 1);
    CHECK(h.done[0].transport_ok);
    CHECK(h.done[0].http_status == 404);
  }
  SUBCASE("concurrent transfers all complete") {
    for (uint64_t i = 1; i <= 48; ++i) {
      REQUIRE(h.fetcher->Start(i, fx.url() + "shop/page/" + std::to_string(i) + "/"));
    }
    CHECK(h.fetcher->active() == 48);
    h.Run();
    CHECK(h.done.size() == 48);
    CHECK(h.fetcher->active() == 0);
  }
}

TEST_CASE("the answer's latency is to its first byte, within the transfer's time") {
  Fixture fx;
  Harness h;
  // The fixture holds the answer 150 ms: the first byte cannot come sooner.
  REQUIRE(h.fetcher->Start(1, fx.url() + "shop/page/1/?delay=150"));
  h.Run();
  REQUIRE(h.done.size() == 1);
  CHECK(h.done[0].first_byte_s >= 0.150);
  CHECK(h.done[0].first_byte_s <= h.done[0].total_s);
}

TEST_CASE("a refused connection and an oversize body are failures with a reason") {
  SUBCASE("refused") {
    Harness h;
    REQUIRE(h.fetcher->Start(1, "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/"));
    h.Run();
    REQUIRE(h.done.size() == 1);
    CHECK_FALSE(h.done[0].transport_ok);
    CHECK(h.done[0].http_status == 0);
    CHECK(h.done[0].error.find("onnect") != std::string::npos);
  }
  SUBCASE("too large") {
    Fixture fx;
    FetchOptions opts;
    opts.max_body_bytes = 10'000;  // a shop page is tens of KB
    Harness h(opts);
    REQUIRE(h.fetcher->Start(1, fx.url() + "shop/page/1/"));
    h.Run();
    REQUIRE(h.done.size() == 1);
    CHECK_FALSE(h.done[0].transport_ok);
    CHECK(h.done[0].too_large);
    CHECK(h.done[0].error == "too large");
    CHECK(h.done[0].body.size() <= 10'000);
  }
  SUBCASE("only http and https") {
    Harness h;
    REQUIRE(h.fetcher->Start(1, "file:///etc/passwd"));
    h.Run();
    REQUIRE(h.done.size() == 1);
    CHECK_FALSE(h.done[0].transport_ok);
    CHECK(h.done[0].body.empty());
  }
}

TEST_CASE("tearing down with transfers in flight leaves no handle behind") {
  Fixture fx;
  Harness h;
  for (uint64_t i = 0; i < 10; ++i) REQUIRE(h.fetcher->Start(i, fx.url() + "delay/5"));
  // Let the connections open, then drop everything mid-transfer.
  uv_run(h.loop.get(), UV_RUN_NOWAIT);
  h.fetcher.reset();
  h.Run();
  // Every handle the fetcher made (its timer, its sockets' polls) is closed
  // and gone from the loop: checked here, in every build type (UvLoop's
  // destructor asserts the same, but only where assert is compiled in).
  int handles = 0;
  uv_walk(h.loop.get(), [](uv_handle_t*, void* n) { ++*static_cast<int*>(n); }, &handles);
  CHECK(handles == 0);
  CHECK(h.done.empty());
}

TEST_CASE("with a cache, a hit is delivered from the loop and a 304 reuses the stored body") {
  Fixture fx;
  FetchOptions opts;
  opts.cache_dir = forage::testing::TempDir("fetcher_cache");
  const std::string url = fx.url() + "shop/page/2/?etag=1";
  std::string body;
  {
    Harness h(opts);  // always: a miss, then the caller stores it
    REQUIRE(h.fetcher->Start(1, url));
    h.Run();
    REQUIRE(h.done.size() == 1);
    REQUIRE(h.done[0].cache_entry.has_value());
    CHECK(h.done[0].cache_entry->etag.size() == 18);  // "16 hex digits"
    CHECK(h.done[0].cache_entry->last_modified == "Thu, 01 Jan 2026 00:00:00 GMT");
    CHECK(h.fetcher->cache_misses() == 1);
    body = h.done[0].body;
    CacheEntry e = *h.done[0].cache_entry;
    e.body = body;
    h.fetcher->StoreInCache(h.done[0].cache_key, e);
  }
  {
    Harness h(opts);
    REQUIRE(h.fetcher->Start(2, url));
    CHECK(h.done.empty());  // never from inside Start
    CHECK(h.fetcher->active() == 1);
    h.Run();
    REQUIRE(h.done.size() == 1);
    CHECK(h.done[0].from_cache);
    CHECK(h.done[0].body == body);
    CHECK(h.done[0].http_status == 200);
    CHECK(h.fetcher->requests() == 0);
    CHECK(h.fetcher->cache_hits() == 1);
  }
  opts.cache_mode = CacheMode::kRevalidate;
  {
    Harness h(opts);
    REQUIRE(h.fetcher->Start(3, url));
    h.Run();
    REQUIRE(h.done.size() == 1);
    CHECK(h.done[0].revalidated);
    CHECK(h.done[0].http_status == 200);
    CHECK(h.done[0].body == body);
    CHECK_FALSE(h.done[0].cache_entry.has_value());
    CHECK(h.fetcher->cache_revalidated() == 1);
    CHECK(fx.Stat("not_modified") == 1);
  }
  opts.cache_mode = CacheMode::kAlways;
  opts.max_body_bytes = 1000;  // this run's --max-body is below the stored body
  {
    Harness h(opts);
    REQUIRE(h.fetcher->Start(4, url));
    h.Run();
    REQUIRE(h.done.size() == 1);
    CHECK_FALSE(h.done[0].from_cache);
    CHECK(h.done[0].too_large);
    CHECK(h.fetcher->requests() == 1);
    CHECK(h.fetcher->cache_hits() == 0);
  }
}

TEST_CASE("a proxy that refuses connections: the request moves to the next proxy") {
  Fixture fx;
  FetchOptions opts;
  const std::string dead = "http://127.0.0.1:" + std::to_string(ClosedPort());
  opts.proxies = {dead, dead, dead};
  SUBCASE("every proxy refuses: one failure, retryable, naming the last proxy") {
    Harness h(opts);
    REQUIRE(h.fetcher->Start(1, fx.url() + "shop/page/1/"));
    h.Run();
    REQUIRE(h.done.size() == 1);
    CHECK_FALSE(h.done[0].transport_ok);
    CHECK(h.done[0].retryable);
    CHECK(h.done[0].error.find("(proxy " + dead + ")") != std::string::npos);
    CHECK(h.fetcher->requests() == 3);  // one through each
    auto stats = h.fetcher->proxy_stats();
    REQUIRE(stats.size() == 3);
    for (const auto& s : stats) CHECK(s.failures == 1);
  }
  SUBCASE("Fetcher::IsProxyError names proxy errors only") {
    CHECK(Fetcher::IsProxyError(CURLE_COULDNT_CONNECT, 0, 0));
    CHECK(Fetcher::IsProxyError(CURLE_PROXY, 0, 0));
    CHECK(Fetcher::IsProxyError(CURLE_OK, 407, 0));
    CHECK(Fetcher::IsProxyError(CURLE_RECV_ERROR, 0, 407));
    CHECK_FALSE(Fetcher::IsProxyError(CURLE_OK, 502, 0));
    CHECK_FALSE(Fetcher::IsProxyError(CURLE_RECV_ERROR, 0, 0));
    CHECK_FALSE(Fetcher::IsProxyError(CURLE_OPERATION_TIMEDOUT, 0, 0));
  }
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::worker
