#include "worker/cpu_clock.h"

#include <cstdint>

namespace forage::worker {

double BurnCpu(double seconds) {
  const double start = ThreadCpuSeconds();
  if (seconds <= 0) return 0;
  // A dependent integer chain the optimiser cannot drop; the clock is read
  // about every 50 microseconds: rarely enough that the clock reads (system
  // calls) cost under 1% of the burn, often enough that it overshoots by
  // far less than a millisecond.
  volatile uint64_t sink = 0;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  double now = start;
  while (now - start < seconds) {
    for (int i = 0; i < 65536; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
    sink = sink + x;
    now = ThreadCpuSeconds();
  }
  return now - start;
}

}  // namespace forage::worker
