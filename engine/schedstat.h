#pragma once
// SchedStat: what Linux's scheduler has recorded about one thread, read
// from /proc/PID/task/TID/schedstat (kernels built with CONFIG_SCHED_INFO,
// as Debian's are) and the thread's state from .../stat. The watchdog uses
// it to tell a worker that waits for a CPU from one that is hung.
// Stateless; any thread.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace forage::engine {

struct SchedStat {
  uint64_t on_cpu_ns = 0;    // time spent running
  // Time spent runnable but waiting on a run queue. The kernel adds a wait
  // when it ends (the thread gets a CPU), so a wait in progress is not in it.
  uint64_t run_wait_ns = 0;
  uint64_t timeslices = 0;   // times the thread was given a CPU
  bool runnable = false;     // state R when read: running, or waiting for a CPU
};

// The main thread of process `pid` (the thread that runs a worker's loop:
// the counters are per thread, and its other threads never send the
// heartbeat). nullopt if the files are missing or unreadable: no such
// process, a kernel without CONFIG_SCHED_INFO, /proc not mounted.
std::optional<SchedStat> ReadSchedStat(pid_t pid);

// The same from a task directory such as "/proc/self/task/123".
std::optional<SchedStat> ReadSchedStatIn(const std::string& task_dir);

}  // namespace forage::engine
