#include "worker/proxy_pool.h"

#include <doctest/doctest.h>

namespace forage::worker {
namespace {

TEST_SUITE("worker.proxy_pool") {

TEST_CASE("rotate takes the proxies in turn") {
  ProxyPool pool({"http://a:1", "http://b:1", "http://c:1"}, ProxyMode::kRotate);
  std::vector<int> picks;
  for (int i = 0; i < 6; ++i) picks.push_back(pool.Pick("h:1", {}, 0));
  CHECK(picks == std::vector<int>{0, 1, 2, 0, 1, 2});
  CHECK(pool.Pick("h:1", {0}, 0) == 1);  // skips what the request already tried
  CHECK(pool.Pick("h:1", {0, 1, 2}, 0) == -1);
}

TEST_CASE("sticky keeps a host on one proxy until it is benched") {
  ProxyPool pool({"http://a:1", "http://b:1"}, ProxyMode::kSticky, 30, 3);
  const int x = pool.Pick("x:1", {}, 0);
  const int y = pool.Pick("y:1", {}, 0);
  CHECK(x != y);
  for (int i = 0; i < 5; ++i) CHECK(pool.Pick("x:1", {}, 0) == x);
  for (int i = 0; i < 3; ++i) pool.Report(x, true, 1);
  CHECK(pool.Benched(x, 1));
  CHECK(pool.Pick("x:1", {}, 2) == y);  // moved, and stays moved
  CHECK(pool.Pick("x:1", {}, 100) == y);
}

TEST_CASE("three proxy errors in a row bench a proxy, for twice as long each time") {
  ProxyPool pool({"http://a:1", "http://b:1"}, ProxyMode::kRotate, 30, 3);
  pool.Report(0, true, 0);
  pool.Report(0, true, 0);
  pool.Report(0, false, 0);  // a success in between: the count starts over
  pool.Report(0, true, 0);
  pool.Report(0, true, 0);
  CHECK_FALSE(pool.Benched(0, 0));
  pool.Report(0, true, 10);
  CHECK(pool.Benched(0, 10));
  CHECK(pool.Benched(0, 39.9));
  CHECK_FALSE(pool.Benched(0, 40.1));
  // While benched, every pick goes to the other proxy.
  for (int i = 0; i < 4; ++i) CHECK(pool.Pick("h:1", {}, 20) == 1);
  // Back from the bench, one more failure benches it for 60 s.
  pool.Report(0, true, 41);
  CHECK(pool.Benched(0, 100));
  CHECK_FALSE(pool.Benched(0, 101.1));
  // A success resets it: three failures again, 30 s again.
  pool.Report(0, false, 102);
  pool.Report(0, true, 103);
  pool.Report(0, true, 103);
  CHECK_FALSE(pool.Benched(0, 103));
  pool.Report(0, true, 103);
  CHECK(pool.Benched(0, 132.9));
  CHECK_FALSE(pool.Benched(0, 133.1));
  CHECK(pool.stats()[0].requests == 11);
  CHECK(pool.stats()[0].failures == 9);
  CHECK(pool.stats()[0].benched == 3);
  CHECK(pool.stats()[1].requests == 0);
}

TEST_CASE("when every untried proxy is benched, the one back first is probed") {
  ProxyPool pool({"http://a:1", "http://b:1"}, ProxyMode::kRotate, 30, 1);
  pool.Report(0, true, 0);   // benched until 30
  pool.Report(1, true, 10);  // benched until 40
  CHECK(pool.Pick("h:1", {}, 20) == 0);
  CHECK(pool.Pick("h:1", {0}, 20) == 1);
  CHECK(pool.Pick("h:1", {0, 1}, 20) == -1);
}

}  // TEST_SUITE

}  // namespace
}  // namespace forage::worker
