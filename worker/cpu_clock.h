#pragma once
// CPU-time helpers for the worker's processing budget and --cpu-burn.

#include <sys/resource.h>
#include <time.h>

namespace forage::worker {

// CPU time used by the calling thread, in seconds.
inline double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline double TimevalSeconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

// Spins until the thread has used `seconds` more CPU time (the seed's "count
// to 100 million", made portable). Returns the CPU time actually burned.
double BurnCpu(double seconds);

}  // namespace forage::worker
