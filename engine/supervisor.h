#pragma once
// Process plumbing of the master: forking worker processes and reaping them.
//
// ForkWorker may run before or after the master built its libuv loop: the
// child keeps only stdio and its own channel (every other inherited fd,
// including the master's loop and other workers' channels, is closed), resets
// the signal dispositions the master installed, and never returns.

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "worker/worker.h"

namespace forage::engine {

// The process names (comm, as `ps -e` and pgrep show them) of a forked
// worker and of the node a distributed `forage run` forks for itself; the
// master keeps the name it was started with.
inline constexpr char kWorkerProcessName[] = "forage-worker";
inline constexpr char kNodeProcessName[] = "forage-node";

struct ForkedWorker {
  pid_t pid = -1;
  UniqueFd channel;  // the master's end
};

// Creates a socketpair and forks a child that runs WorkerMain on its end.
// Every signal is blocked across fork() (a signal landing in the child
// before it reset the master's handlers would be reported to the master's
// loop); the mask is restored in both processes.
Result<ForkedWorker> ForkWorker(const worker::WorkerConfig& config);

// Closes every descriptor from `lowest` up: close_range(2) when the kernel
// has it (and `use_close_range`), else each one /proc/self/fd lists, else
// every number below the descriptor limit. For a freshly forked child.
void CloseFdsFrom(int lowest, bool use_close_range = true);

// Creates a connected socketpair for an in-process worker (--workers 0).
Result<std::pair<UniqueFd, UniqueFd>> ChannelPair();

// Raises the soft RLIMIT_NOFILE to the hard limit (C10K needs more than the
// usual 1024 descriptors); returns the new soft limit.
uint64_t RaiseFdLimit();

// CPUs this process may run on (its affinity mask), at least 1.
int UsableCores();

struct Reaped {
  pid_t pid = -1;
  int status = 0;  // as from waitpid
  rusage usage{};
};

// Reaps one exited child without blocking; pid -1 when none is left to reap.
Reaped ReapOne();

// "exited 0", "killed by signal 9 (Killed)", ...
std::string DescribeExit(int status);

}  // namespace forage::engine
