#pragma once
// Watchdog: judges whether a worker holding pages is hung (it sent nothing,
// not even its once-a-second heartbeat, for `timeout_s`).
//
// It judges workers, not the master: when the master's own loop was
// blocked (a slow sink write, an fdatasync), the heartbeats that arrived
// meanwhile still sit unread in the sockets. So it is ticked after the loop
// read its input, and a tick that comes late (more than half an interval
// past its time) means the master was blocked: that time is not counted
// against any worker. Pure logic on a clock it is given; single-threaded.

#include <functional>
#include <vector>

namespace forage::engine {

class Watchdog {
 public:
  Watchdog(int slots, double timeout_s, double interval_s);

  // Anything arrived from the slot's worker at `now` (or a fresh process started).
  void Heard(int slot, double now);

  // One tick at `now`. `holds_pages(slot)`: the slot is alive, not
  // stopping, and has pages in its care. Returns the slots found hung;
  // each is judged once (its clock restarts).
  std::vector<int> Tick(double now, const std::function<bool(int)>& holds_pages);

  // Seconds of master blockage discounted so far (for tests and reports).
  double discounted_s() const { return discounted_s_; }

 private:
  double timeout_s_;
  double interval_s_;
  double last_tick_ = -1;
  double discounted_s_ = 0;
  std::vector<double> last_heard_;
};

}  // namespace forage::engine
