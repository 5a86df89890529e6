#pragma once
// Watchdog: judges whether a worker holding pages is hung (it sent nothing,
// not even its once-a-second heartbeat, for `timeout_s`).
//
// It judges workers, not the master: when the master's own loop was
// blocked (a slow sink write, an fdatasync), the heartbeats that arrived
// meanwhile still sit unread in the sockets. So it is ticked after the loop
// read its input, and a tick that comes late (more than half an interval
// past its time) means the master was blocked: that time is not counted
// against any worker.
//
// Nor is the time a worker was runnable but waiting for a CPU (a loaded
// machine): each tick is given each slot's scheduler counters (SchedStat),
// and a worker's silence is the wall time since it was last heard less the
// larger of the master's blockage and the worker's run-queue wait over that
// span. The kernel counts a wait when it ends, so a worker that is runnable
// and has not run at all since the previous tick is in a wait not counted
// yet: it is not judged at that tick. A worker that sleeps, is stopped
// (SIGSTOP) or spins on a CPU gets no such credit. Without counters (no
// /proc, a kernel without CONFIG_SCHED_INFO) silence is wall time.
//
// Pure logic on a clock and counters it is given; single-threaded.

#include <functional>
#include <optional>
#include <vector>

#include "engine/schedstat.h"

namespace forage::engine {

class Watchdog {
 public:
  struct Hung {
    int slot = -1;
    double silent_s = 0;  // the silence it was judged on
    double waited_s = 0;  // run-queue wait over the same span, not counted
  };
  // A slot's worker's scheduler counters now; nullopt if unknown.
  using SchedFn = std::function<std::optional<SchedStat>(int slot)>;

  Watchdog(int slots, double timeout_s, double interval_s);

  // Anything arrived from the slot's worker at `now`.
  void Heard(int slot, double now);
  // A fresh process is about to be forked into the slot: heard at `now`,
  // and its counters start from zero (never compared with its predecessor's).
  void Started(int slot, double now);

  // One tick at `now`. `holds_pages(slot)`: the slot is alive, not
  // stopping, and has pages in its care. `sched` (may be empty: wall time
  // only) is asked once per slot. Returns the slots found hung; each is
  // judged once (its clock restarts).
  std::vector<Hung> Tick(double now, const std::function<bool(int)>& holds_pages,
                         const SchedFn& sched = {});

  // Seconds of master blockage discounted so far (for tests and reports).
  double discounted_s() const { return discounted_s_; }

 private:
  struct Slot {
    double heard = 0;       // when last heard
    double blocked_s = 0;   // the master's blockage since then
    double waited_s = 0;    // the worker's run-queue wait since then
    std::optional<SchedStat> last;  // its counters at the previous tick
  };
  void Restart(Slot& slot, double now);

  double timeout_s_;
  double interval_s_;
  double last_tick_ = -1;
  double discounted_s_ = 0;
  std::vector<Slot> slots_;
};

}  // namespace forage::engine
