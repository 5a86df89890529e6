#include "engine/watchdog.h"

namespace forage::engine {

Watchdog::Watchdog(int slots, double timeout_s, double interval_s)
    : timeout_s_(timeout_s), interval_s_(interval_s), last_heard_(static_cast<size_t>(slots), 0) {}

void Watchdog::Heard(int slot, double now) { last_heard_[static_cast<size_t>(slot)] = now; }

std::vector<int> Watchdog::Tick(double now, const std::function<bool(int)>& holds_pages) {
  if (last_tick_ >= 0) {
    const double late = now - last_tick_ - interval_s_;
    if (late > interval_s_ / 2) {
      // The master did not run for `late` seconds: its workers were not
      // heard because it was not listening.
      for (double& t : last_heard_) t += late;
      discounted_s_ += late;
    }
  }
  last_tick_ = now;
  std::vector<int> hung;
  for (int s = 0; s < static_cast<int>(last_heard_.size()); ++s) {
    double& heard = last_heard_[static_cast<size_t>(s)];
    if (!holds_pages(s)) {
      heard = now;  // idle workers are not judged; their silence starts counting with work
      continue;
    }
    if (now - heard < timeout_s_) continue;
    hung.push_back(s);
    heard = now;  // once; its EOF follows
  }
  return hung;
}

}  // namespace forage::engine
