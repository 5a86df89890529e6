#include "engine/throttle.h"

#include <doctest/doctest.h>

#include <queue>
#include <utility>
#include <vector>

namespace forage::engine {
namespace {

ThrottleParams Params(int ceiling) {
  ThrottleParams p;
  p.ceiling = ceiling;
  return p;
}

// A fake site on a fake clock: it serves each request in `service_s` and
// answers 503 at once to a request that arrives while `capacity` are in
// service (as forage-fixture --limit-concurrency does). The client keeps
// the throttle's limit in flight, as the Dispatcher does. Returns the most
// requests the client ever had in flight.
struct SimResult {
  int peak_in_flight = 0;
  uint64_t requests = 0;
};
SimResult Simulate(Throttle& t, int capacity, double service_s, int responses) {
  using Event = std::pair<double, int>;  // (time, status) of a response
  std::priority_queue<Event, std::vector<Event>, std::greater<>> due;
  double now = 0;
  int in_service = 0, in_flight = 0;
  SimResult r;
  auto fill = [&] {
    while (in_flight < t.Limit(0)) {
      ++in_flight;
      ++r.requests;
      r.peak_in_flight = std::max(r.peak_in_flight, in_flight);
      if (in_service >= capacity) {
        due.emplace(now, 503);
      } else {
        ++in_service;
        due.emplace(now + service_s, 200);
      }
    }
  };
  fill();
  for (int i = 0; i < responses; ++i) {
    auto [at, status] = due.top();
    due.pop();
    const double latency = status == 200 ? service_s : 0.0001;
    now = at;
    --in_flight;
    if (status == 200) --in_service;
    t.OnResponse(0, status, latency);
    fill();
  }
  return r;
}

TEST_SUITE("engine.throttle") {

TEST_CASE("a host starts at the start value, capped by the ceiling") {
  CHECK(Throttle(Params(16)).Limit(7) == 2);
  CHECK(Throttle(Params(1)).Limit(7) == 1);
  Throttle t(Params(8));
  CHECK_FALSE(t.seen(3));
  CHECK(t.Report(3).responses == 0);
}

TEST_CASE("the limit grows while the latency stays flat, up to the ceiling and never past it") {
  Throttle t(Params(8));
  int last = t.Limit(0);
  for (int i = 0; i < 200; ++i) {
    int now = t.OnResponse(0, 200, 0.020);
    CHECK(now >= last);  // flat latency never cuts
    CHECK(now <= 8);
    last = now;
  }
  CHECK(t.Limit(0) == 8);
  ThrottleHostReport r = t.Report(0);
  CHECK(r.max == 8);
  CHECK(r.min == 2);
  CHECK(r.settled == 8);
  CHECK(r.decreases == 0);
  CHECK(r.responses == 200);
}

TEST_CASE("additive growth is about one step a round") {
  Throttle t(Params(16));
  // 2 -> 3 takes about 2 responses, 3 -> 4 about 3: after 5, the limit is 4.
  for (int i = 0; i < 4; ++i) t.OnResponse(0, 200, 0.010);
  CHECK(t.Limit(0) == 3);
  t.OnResponse(0, 200, 0.010);
  t.OnResponse(0, 200, 0.010);
  CHECK(t.Limit(0) == 4);
}

TEST_CASE("a 503 halves the limit, once per round") {
  Throttle t(Params(8));
  for (int i = 0; i < 200; ++i) t.OnResponse(0, 200, 0.010);
  REQUIRE(t.Limit(0) == 8);
  CHECK(t.OnResponse(0, 503, 0.001) == 4);
  // The other requests of that round answer 503 too: no further cut.
  for (int i = 0; i < 7; ++i) CHECK(t.OnResponse(0, 503, 0.001) == 4);
  // The next round's 503 cuts again.
  CHECK(t.OnResponse(0, 503, 0.001) == 2);
  ThrottleHostReport r = t.Report(0);
  CHECK(r.responses_503 == 9);
  CHECK(r.decreases == 2);
  CHECK(r.min == 2);
}

TEST_CASE("a refusal at the level being probed steps back to the level below, not halfway") {
  Throttle t(Params(16));
  while (t.Limit(0) < 5) t.OnResponse(0, 200, 0.010);
  CHECK(t.OnResponse(0, 503, 0.001) == 2);  // the first overload halves (5 -> 2.5)
  // Recovery (the 4 others in flight), then fast growth back to 4.
  int responses = 0;
  while (t.Limit(0) < 4 && responses < 100) {
    t.OnResponse(0, 200, 0.010);
    ++responses;
  }
  CHECK(t.Limit(0) == 4);
  // 4 -> 5 is the probe: one step in 8 rounds (8 x 4 = 32 responses or so).
  responses = 0;
  while (t.Limit(0) < 5 && responses < 100) {
    t.OnResponse(0, 200, 0.010);
    ++responses;
  }
  CHECK(responses >= 30);
  CHECK(responses <= 40);
  CHECK(t.OnResponse(0, 503, 0.001) == 4);  // 5 failed again: back to 4
  // Later, a refusal at 4 (below the level that failed: the site takes less
  // now) halves again.
  for (int i = 0; i < 5; ++i) t.OnResponse(0, 200, 0.010);
  CHECK(t.OnResponse(0, 503, 0.001) == 2);
  CHECK(t.Report(0).decreases == 3);
}

TEST_CASE("429 and 504 are overload too, and so are transport failures") {
  Throttle t(Params(8));
  for (int i = 0; i < 200; ++i) t.OnResponse(0, 200, 0.010);
  CHECK(t.OnResponse(0, 429, 0.001) == 4);
  for (int i = 0; i < 8; ++i) t.OnResponse(0, 200, 0.010);  // the round after the cut
  CHECK(t.OnTransportFailure(0) == 2);
  for (int i = 0; i < 8; ++i) t.OnResponse(0, 200, 0.010);
  CHECK(t.OnResponse(0, 504, 0.001) == 1);
  ThrottleHostReport r = t.Report(0);
  CHECK(r.responses_429 == 1);
  CHECK(r.timeouts == 1);
  CHECK(r.decreases == 3);
}

TEST_CASE("never below 1") {
  Throttle t(Params(8));
  for (int i = 0; i < 50; ++i) CHECK(t.OnTransportFailure(0) == 1);
}

TEST_CASE("a 404 or 500 is a latency sample, not an overload") {
  Throttle t(Params(8));
  for (int i = 0; i < 30; ++i) t.OnResponse(0, i % 2 == 0 ? 404 : 500, 0.010);
  CHECK(t.Limit(0) == 8);
  CHECK(t.Report(0).decreases == 0);
}

TEST_CASE("latency growth backs off by a quarter, and moderate latency holds") {
  Throttle t(Params(8));
  for (int i = 0; i < 200; ++i) t.OnResponse(0, 200, 0.010);
  REQUIRE(t.Limit(0) == 8);
  // 60 ms is above the growth band of a 10 ms best (2x + 10 ms) and below
  // the back-off band (4x + 50 ms): the limit holds.
  for (int i = 0; i < 40; ++i) t.OnResponse(0, 200, 0.060);
  CHECK(t.Limit(0) == 8);
  CHECK(t.Report(0).decreases == 0);
  // 400 ms is past the back-off band: cut by a quarter within a few
  // samples (the EWMA has to get there), once per round.
  int samples = 0;
  while (t.Report(0).decreases == 0 && samples < 10) {
    t.OnResponse(0, 200, 0.400);
    ++samples;
  }
  CHECK(samples <= 4);
  CHECK(t.Limit(0) == 6);
  for (int i = 0; i < 5; ++i) t.OnResponse(0, 200, 0.400);
  CHECK(t.Limit(0) == 6);  // still the round of the cut
  CHECK(t.Report(0).decreases == 1);
}

TEST_CASE("hosts are independent") {
  Throttle t(Params(8));
  for (int i = 0; i < 200; ++i) t.OnResponse(1, 200, 0.010);
  t.OnResponse(2, 503, 0.001);
  CHECK(t.Limit(1) == 8);
  CHECK(t.Limit(2) == 1);
  CHECK(t.Limit(3) == 2);
}

TEST_CASE("against a site that 503s above 4 it settles at 4 with few 503s") {
  Throttle t(Params(16));
  SimResult sim = Simulate(t, 4, 0.020, 4000);
  ThrottleHostReport r = t.Report(0);
  CHECK(r.settled == 4);
  CHECK(r.max <= 6);
  CHECK(sim.peak_in_flight <= r.max);
  CHECK(r.responses == 4000);
  // Under 5% of the responses are 503s.
  CHECK(r.responses_503 * 20 < r.responses);
  MESSAGE("503s: ", r.responses_503, " of ", r.responses, ", min ", r.min, ", max ", r.max);
}

TEST_CASE("against a site that takes 1 at a time it settles at 1") {
  Throttle t(Params(16));
  Simulate(t, 1, 0.020, 2000);
  ThrottleHostReport r = t.Report(0);
  CHECK(r.settled == 1);
  CHECK(r.responses_503 * 10 < r.responses);
}

TEST_CASE("a site with room above the ceiling runs at the ceiling") {
  Throttle t(Params(6));
  SimResult sim = Simulate(t, 50, 0.020, 1000);
  CHECK(t.Report(0).settled == 6);
  CHECK(t.Report(0).responses_503 == 0);
  CHECK(sim.peak_in_flight == 6);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
