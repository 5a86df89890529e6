#pragma once
// The progress line the master prints while a run goes: pure formatting.

#include <cstdint>
#include <string>

#include "engine/summary.h"

namespace forage::engine {

// "forage: 10/48 pages  160 items  ... 2/2 workers busy" at `elapsed_s`.
std::string FormatProgress(const Summary& s, uint64_t pages_total, double elapsed_s,
                           int busy_workers, int workers);

}  // namespace forage::engine
