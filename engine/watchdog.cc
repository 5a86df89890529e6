#include "engine/watchdog.h"

#include <algorithm>

namespace forage::engine {

Watchdog::Watchdog(int slots, double timeout_s, double interval_s)
    : timeout_s_(timeout_s), interval_s_(interval_s), slots_(static_cast<size_t>(slots)) {}

// The counters are kept: the wait the next tick finds since the previous
// one is credited to the new span. That may include a wait that ended just
// before the worker was heard (at most one such wait, a few seconds on a
// starved machine): the counters are read once a tick, not per message.
void Watchdog::Restart(Slot& slot, double now) {
  slot.heard = now;
  slot.blocked_s = 0;
  slot.waited_s = 0;
}

void Watchdog::Heard(int slot, double now) { Restart(slots_[static_cast<size_t>(slot)], now); }

// A process's counters start from zero when it is forked (the kernel
// clears them in sched_fork), and it is forked after `now`: its whole wait
// so far belongs to the span. Without this baseline the wait before the
// first tick would be lost, and a worker starved from its start judged on
// wall time.
void Watchdog::Started(int slot, double now) {
  Slot& s = slots_[static_cast<size_t>(slot)];
  Restart(s, now);
  s.last = SchedStat{};
}

std::vector<Watchdog::Hung> Watchdog::Tick(double now, const std::function<bool(int)>& holds_pages,
                                           const SchedFn& sched) {
  double blocked = 0;
  if (last_tick_ >= 0) {
    const double late = now - last_tick_ - interval_s_;
    // The master did not run for `late` seconds: its workers were not
    // heard because it was not listening.
    if (late > interval_s_ / 2) blocked = late;
  }
  discounted_s_ += blocked;
  last_tick_ = now;
  std::vector<Hung> hung;
  for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
    Slot& s = slots_[static_cast<size_t>(i)];
    std::optional<SchedStat> now_stat = sched ? sched(i) : std::nullopt;
    // Runnable and not given a CPU since the previous tick: in a run-queue
    // wait that the counters will show only once it ends.
    bool in_wait = false;
    if (now_stat && s.last && now_stat->run_wait_ns >= s.last->run_wait_ns) {
      s.waited_s += static_cast<double>(now_stat->run_wait_ns - s.last->run_wait_ns) * 1e-9;
      in_wait = now_stat->runnable && now_stat->on_cpu_ns == s.last->on_cpu_ns &&
                now_stat->timeslices == s.last->timeslices;
    }
    s.last = now_stat;
    s.blocked_s += blocked;
    if (!holds_pages(i)) {
      Restart(s, now);  // idle workers are not judged; their silence starts counting with work
      continue;
    }
    const double silent = now - s.heard - std::max(s.blocked_s, s.waited_s);
    if (silent < timeout_s_ || in_wait) continue;
    hung.push_back(Hung{i, silent, s.waited_s});
    Restart(s, now);  // once; its EOF follows
  }
  return hung;
}

}  // namespace forage::engine
