#include "engine/watchdog.h"

#include <doctest/doctest.h>

namespace forage::engine {
namespace {

TEST_SUITE("engine.watchdog") {

TEST_CASE("a worker holding pages and silent for the timeout is found hung, once") {
  Watchdog w(2, 3.0, 1.0);
  w.Heard(0, 0);
  w.Heard(1, 0);
  auto busy = [](int) { return true; };
  double t = 0;
  for (int tick = 1; tick <= 2; ++tick) {
    t = tick;
    w.Heard(1, t);  // slot 1 keeps its heartbeat
    CHECK(w.Tick(t, busy).empty());
  }
  CHECK(w.Tick(3.0, busy) == std::vector<int>{0});
  CHECK(w.Tick(4.0, busy).empty());  // judged once; its EOF follows
}

TEST_CASE("an idle worker is never judged") {
  Watchdog w(1, 3.0, 1.0);
  w.Heard(0, 0);
  for (int tick = 1; tick <= 10; ++tick) CHECK(w.Tick(tick, [](int) { return false; }).empty());
  // Work arrives: its silence counts from then.
  CHECK(w.Tick(11, [](int) { return true; }).empty());
  CHECK(w.Tick(13, [](int) { return true; }).empty());
  CHECK(w.Tick(14, [](int) { return true; }) == std::vector<int>{0});
}

TEST_CASE("issue 10: time the master itself was blocked is not counted against its workers") {
  Watchdog w(1, 3.0, 1.0);
  w.Heard(0, 0);
  auto busy = [](int) { return true; };
  CHECK(w.Tick(1, busy).empty());
  // The master's loop was stuck for 20 s (a sink write): the next tick is
  // late, the heartbeats sent meanwhile were not read yet.
  CHECK(w.Tick(22, busy).empty());
  CHECK(w.discounted_s() == doctest::Approx(20));
  w.Heard(0, 22.1);
  CHECK(w.Tick(23, busy).empty());
  // A worker really silent after that is still caught.
  CHECK(w.Tick(24, busy).empty());
  CHECK(w.Tick(25.5, busy) == std::vector<int>{0});
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
