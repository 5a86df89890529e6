#include "engine/watchdog.h"

#include <doctest/doctest.h>

#include <map>

namespace forage::engine {
namespace {

std::vector<int> Slots(const std::vector<Watchdog::Hung>& hung) {
  std::vector<int> out;
  for (const auto& h : hung) out.push_back(h.slot);
  return out;
}

// Counters of a worker that runs a little every second (its CPU time and
// timeslices grow), with `waited_s` of run-queue wait so far.
SchedStat Running(int tick, double waited_s) {
  SchedStat s;
  s.on_cpu_ns = static_cast<uint64_t>(tick) * 1'000'000;
  s.timeslices = static_cast<uint64_t>(tick);
  s.run_wait_ns = static_cast<uint64_t>(waited_s * 1e9 + 0.5);
  s.runnable = true;
  return s;
}

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
  CHECK(Slots(w.Tick(3.0, busy)) == std::vector<int>{0});
  CHECK(w.Tick(4.0, busy).empty());  // judged once; its EOF follows
}

TEST_CASE("an idle worker is never judged") {
  Watchdog w(1, 3.0, 1.0);
  w.Heard(0, 0);
  for (int tick = 1; tick <= 10; ++tick) CHECK(w.Tick(tick, [](int) { return false; }).empty());
  // Work arrives: its silence counts from then.
  CHECK(w.Tick(11, [](int) { return true; }).empty());
  CHECK(w.Tick(13, [](int) { return true; }).empty());
  CHECK(Slots(w.Tick(14, [](int) { return true; })) == std::vector<int>{0});
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
  CHECK(Slots(w.Tick(25.5, busy)) == std::vector<int>{0});
}

// The worker's counters at each tick (whole seconds); silent throughout.
std::vector<Watchdog::Hung> RunTicks(Watchdog& w, int from, int to,
                                     const std::function<SchedStat(int)>& at) {
  std::vector<Watchdog::Hung> all;
  for (int t = from; t <= to; ++t) {
    auto hung = w.Tick(t, [](int) { return true; }, [&](int) { return at(t); });
    all.insert(all.end(), hung.begin(), hung.end());
    if (!hung.empty()) break;
  }
  return all;
}

TEST_CASE("40 s silent with 15 s of it waiting for a CPU is not hung at a 30 s timeout") {
  Watchdog w(1, 30.0, 1.0);
  w.Started(0, 0);
  // 1 s of run-queue wait in each of the first 15 seconds, then none.
  auto at = [](int t) { return Running(t, std::min(t, 15)); };
  CHECK(RunTicks(w, 0, 40, at).empty());  // 40 - 15 = 25 s of silence
  CHECK(RunTicks(w, 41, 44, at).empty());
  auto hung = RunTicks(w, 45, 45, at);     // 45 - 15 = 30
  REQUIRE(hung.size() == 1);
  CHECK(hung[0].slot == 0);
  CHECK(hung[0].silent_s == doctest::Approx(30));
  CHECK(hung[0].waited_s == doctest::Approx(15));
}

TEST_CASE("with 5 s of wait the same worker is hung at 35 s") {
  Watchdog w(1, 30.0, 1.0);
  w.Started(0, 0);
  auto at = [](int t) { return Running(t, std::min(t, 5)); };
  CHECK(RunTicks(w, 0, 34, at).empty());
  auto hung = RunTicks(w, 35, 40, at);
  REQUIRE(hung.size() == 1);
  CHECK(hung[0].silent_s == doctest::Approx(30));
  CHECK(hung[0].waited_s == doctest::Approx(5));
}

TEST_CASE("a wait in progress defers the judgement until the kernel counts it") {
  Watchdog w(1, 3.0, 1.0);
  w.Started(0, 0);
  // Runnable from 0 and not given a CPU until 5.5 s: the counters stand still.
  SchedStat waiting = Running(0, 0);
  auto standing = [&](int) { return waiting; };
  for (int t = 0; t <= 5; ++t) {
    CHECK(w.Tick(t, [](int) { return true; }, standing).empty());
  }
  // It ran at 5.5 s: the 5.5 s wait is counted now, and it waits no more.
  std::map<int, SchedStat> after;
  for (int t = 6; t <= 10; ++t) after[t] = Running(t, 5.5);
  auto hung = RunTicks(w, 6, 10, [&](int t) { return after[t]; });
  REQUIRE(hung.size() == 1);
  CHECK(hung[0].silent_s == doctest::Approx(3.5));  // at 9: 9 - 5.5
  CHECK(hung[0].waited_s == doctest::Approx(5.5));
}

TEST_CASE("a sleeping, stopped or spinning worker gets no credit: hung on wall time") {
  auto check = [](SchedStat base, bool cpu_grows) {
    Watchdog w(1, 3.0, 1.0);
    w.Started(0, 0);
    auto at = [&](int t) {
      SchedStat s = base;
      if (cpu_grows) s.on_cpu_ns += static_cast<uint64_t>(t) * 1'000'000'000;
      return s;
    };
    CHECK(RunTicks(w, 0, 0, at).empty());
    w.Heard(0, 0);  // it sent something, then stood still
    CHECK(RunTicks(w, 1, 2, at).empty());
    CHECK(Slots(RunTicks(w, 3, 3, at)) == std::vector<int>{0});
  };
  SchedStat stopped;  // state S or T: not on a run queue, its counters still
  stopped.on_cpu_ns = 7'000'000;
  stopped.run_wait_ns = 2'000'000;
  stopped.timeslices = 9;
  check(stopped, false);
  SchedStat spinning = stopped;  // state R, on a CPU all the time
  spinning.runnable = true;
  check(spinning, true);
}

TEST_CASE("no counters, or a slot whose counters vanish: silence is wall time") {
  Watchdog w(1, 3.0, 1.0);
  w.Started(0, 0);
  auto none = [](int) { return std::optional<SchedStat>(); };
  auto busy = [](int) { return true; };
  CHECK(w.Tick(1, busy, none).empty());
  CHECK(w.Tick(2, busy, none).empty());
  CHECK(Slots(w.Tick(3, busy, none)) == std::vector<int>{0});
}

TEST_CASE("the master's blockage and the worker's wait over the same span are credited once") {
  Watchdog w(1, 3.0, 1.0);
  w.Started(0, 0);
  auto busy = [](int) { return true; };
  CHECK(w.Tick(1, busy, [](int) { return Running(1, 0); }).empty());
  // Both stood still for the same 20 s (one loaded CPU): 20 s are excused, not 40.
  CHECK(w.Tick(22, busy, [](int) { return Running(2, 20); }).empty());
  CHECK(Slots(w.Tick(23, busy, [](int) { return Running(3, 20); })) == std::vector<int>{0});
}

TEST_CASE("a fresh worker's counters start from zero, never from its predecessor's") {
  Watchdog w(1, 3.0, 1.0);
  w.Started(0, 0);
  auto busy = [](int) { return true; };
  CHECK(w.Tick(1, busy, [](int) { return Running(1, 5); }).empty());
  w.Started(0, 1.5);  // the worker was replaced; the new one waited 2 s for a CPU so far
  auto fresh = [](int t) { return Running(t, 2); };
  CHECK(RunTicks(w, 2, 6, fresh).empty());  // at 6: 6 - 1.5 - 2 = 2.5
  auto hung = RunTicks(w, 7, 7, fresh);
  REQUIRE(hung.size() == 1);
  CHECK(hung[0].silent_s == doctest::Approx(3.5));
  CHECK(hung[0].waited_s == doctest::Approx(2));
}

TEST_CASE("a worker starved from its start: the wait before the first tick is counted") {
  Watchdog w(1, 3.0, 1.0);
  w.Started(0, 0);
  // The first tick comes 3.5 s after the fork; the worker ran twice and
  // waited 2 s of it.
  SchedStat s = Running(2, 2);
  CHECK(w.Tick(3.5, [](int) { return true; }, [&](int) { return s; }).empty());
}

TEST_CASE("a fresh worker that is runnable and never ran yet is in a wait: not judged") {
  Watchdog w(1, 3.0, 1.0);
  w.Started(0, 0);
  SchedStat never_ran;
  never_ran.runnable = true;
  CHECK(w.Tick(4, [](int) { return true; }, [&](int) { return never_ran; }).empty());
  never_ran.runnable = false;  // not runnable, never ran: stuck before its first instruction
  CHECK(Slots(w.Tick(5, [](int) { return true; }, [&](int) { return never_ran; })) ==
        std::vector<int>{0});
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
