#include "engine/schedstat.h"

#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace forage::engine {
namespace {

// The whole of a small /proc file; nullopt if it cannot be read.
std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return std::nullopt;
  std::string text;
  char buf[512];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return std::nullopt;
  return text;
}

}  // namespace

std::optional<SchedStat> ReadSchedStatIn(const std::string& task_dir) {
  auto counters = ReadSmallFile(task_dir + "/schedstat");
  auto stat = ReadSmallFile(task_dir + "/stat");
  if (!counters || !stat) return std::nullopt;
  // "ON_CPU_NS RUN_WAIT_NS TIMESLICES\n" (Documentation/scheduler/sched-stats.rst).
  SchedStat s;
  unsigned long long on_cpu = 0, wait = 0, slices = 0;
  if (std::sscanf(counters->c_str(), "%llu %llu %llu", &on_cpu, &wait, &slices) != 3) {
    return std::nullopt;
  }
  s.on_cpu_ns = on_cpu;
  s.run_wait_ns = wait;
  s.timeslices = slices;
  // "PID (COMM) STATE ...": the command name may hold spaces and parens.
  size_t paren = stat->rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat->size()) return std::nullopt;
  s.runnable = (*stat)[paren + 2] == 'R';
  return s;
}

std::optional<SchedStat> ReadSchedStat(pid_t pid) {
  return ReadSchedStatIn(fmt::format("/proc/{}/task/{}", pid, pid));
}

}  // namespace forage::engine
