#include "worker/memory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace forage::worker {

uint64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  long page = sysconf(_SC_PAGESIZE);
  if (n != 2 || page <= 0) return 0;
  return resident * static_cast<uint64_t>(page);
}

uint64_t TotalMemoryBytes() {
  std::FILE* f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr) return 0;
  unsigned long long kib = 0;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "MemTotal: %llu kB", &kib) == 1) break;
  }
  std::fclose(f);
  return kib * 1024;
}

uint64_t DefaultWorkerMaxRss(int workers) {
  constexpr uint64_t kMin = 256ull << 20, kMax = 4ull << 30;
  uint64_t total = TotalMemoryBytes();
  if (total == 0) return 2ull << 30;
  uint64_t share = total / 2 / static_cast<uint64_t>(std::max(1, workers));
  return std::clamp(share, kMin, kMax);
}

}  // namespace forage::worker
