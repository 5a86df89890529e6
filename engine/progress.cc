#include "engine/progress.h"

#include <fmt/format.h>

namespace forage::engine {

std::string FormatProgress(const Summary& s, uint64_t total, double elapsed, int busy,
                           int workers) {
  const uint64_t done = s.pages_ok + s.pages_failed + s.pages_resumed;
  const double rate =
      elapsed > 0 ? static_cast<double>(s.pages_ok + s.pages_failed) / elapsed : 0;
  const double eta = rate > 0 && total > done ? static_cast<double>(total - done) / rate : 0;
  return fmt::format(
      "forage: {}/{} pages  {} items  {:.1f} pages/s  {} retries  {} failed  eta {:.0f} s  "
      "{}/{} workers busy",
      done, total, s.items, rate, s.retries, s.pages_failed, eta, busy, workers);
}

}  // namespace forage::engine
