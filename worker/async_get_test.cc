#include "worker/async_get.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/test_support.h"
#include "worker/worker.h"

namespace forage::worker {
namespace {

using forage::testing::ClosedPort;
using forage::testing::Fixture;

struct Harness {
  NetworkScope network;
  UvLoop loop;
  std::vector<BlockingFetchResult> done;
  std::unique_ptr<AsyncGet> get;

  explicit Harness(FetchOptions opts = {}) {
    auto g = AsyncGet::Create(loop.get(), std::move(opts));
    REQUIRE(g.has_value());
    get = std::move(*g);
  }
  void Get(const std::string& url, uint64_t cap, int64_t max_redirects = -1) {
    get->Get(url, cap, [this](BlockingFetchResult&& r) { done.push_back(std::move(r)); },
             max_redirects);
  }
  void Run() { uv_run(loop.get(), UV_RUN_DEFAULT); }
};

TEST_SUITE("worker.async_get") {

TEST_CASE("GETs on the loop, answered from the loop only, several at once on one connection "
          "each, counted") {
  Fixture fx;
  Harness h;
  for (int i = 1; i <= 3; ++i) h.Get(fx.url() + "shop/page/" + std::to_string(i) + "/", 1 << 20);
  CHECK(h.done.empty());  // never from inside Get
  CHECK(h.get->active() == 3);
  h.Run();
  REQUIRE(h.done.size() == 3);
  for (const auto& r : h.done) {
    CHECK(r.transport_ok);
    CHECK(r.http_status == 200);
    CHECK(r.requests == 1);
    CHECK_FALSE(r.truncated);
    CHECK(r.body.find("woocommerce") != std::string::npos);
    CHECK(r.retry_after_s == -1);
  }
  CHECK(h.get->active() == 0);
  CHECK(h.get->connection_stats().http1 == 3);
  CHECK(h.get->connection_stats().connections_opened == fx.Stat("connections") - 1);
  CHECK(h.get->connection_stats().tls_handshakes == 0);
}

TEST_CASE("a body over the cap is cut there: kept, truncated, not a failure") {
  Fixture fx;
  Harness h;
  h.Get(fx.url() + "huge/2", 1000);
  h.Run();
  REQUIRE(h.done.size() == 1);
  CHECK(h.done[0].transport_ok);
  CHECK(h.done[0].truncated);
  CHECK(h.done[0].body.size() == 1000);
}

TEST_CASE("Retry-After of a 503, redirects counted, the redirect limit, a refused connection") {
  Fixture fx;
  Harness h;
  h.Get(fx.url() + "shop/page/1/?fail=503&retry_after=7", 1 << 20);
  h.Get(fx.url() + "redirect-chain/2", 1 << 20);
  h.Get(fx.url() + "redirect-chain/6", 1 << 20, 5);
  h.Get("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/robots.txt", 1 << 20);
  h.Run();
  REQUIRE(h.done.size() == 4);
  // In the order they finished: find each by what it is.
  int seen = 0;
  for (const auto& r : h.done) {
    if (r.http_status == 503) {
      CHECK(r.transport_ok);
      CHECK(r.retry_after_s == 7);
      ++seen;
    } else if (r.too_many_redirects) {
      CHECK_FALSE(r.transport_ok);
      ++seen;
    } else if (r.http_status == 200) {
      CHECK(r.requests == 3);
      ++seen;
    } else {
      CHECK_FALSE(r.transport_ok);
      CHECK(r.retryable);
      CHECK(r.http_status == 0);
      CHECK(r.requests == 0);
      CHECK_FALSE(r.error.empty());
      ++seen;
    }
  }
  CHECK(seen == 4);
}

TEST_CASE("destroyed with a transfer in flight: its callback never runs") {
  Fixture fx;
  Harness h;
  bool called = false;
  h.get->Get(fx.url() + "shop/page/1/?fail=stall", 1 << 20,
             [&](BlockingFetchResult&&) { called = true; });
  uv_run(h.loop.get(), UV_RUN_NOWAIT);
  h.get.reset();
  h.Run();  // closes what the AsyncGet left closing
  CHECK_FALSE(called);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::worker
