#pragma once
// The worker's memory: its resident size, and the default --worker-max-rss.

#include <cstdint>

namespace forage::worker {

// Resident set size of this process in bytes (/proc/self/statm); 0 if unknown.
uint64_t ResidentBytes();

// Physical memory in bytes (/proc/meminfo MemTotal); 0 if unknown.
uint64_t TotalMemoryBytes();

// The default --worker-max-rss for `workers` worker processes: half the RAM
// shared between them, within [256 MiB, 4 GiB]; 2 GiB if the RAM is unknown.
uint64_t DefaultWorkerMaxRss(int workers);

}  // namespace forage::worker
