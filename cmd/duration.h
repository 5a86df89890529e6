#pragma once
// Durations as users write them: 250ms, 2s, 1.5s, 1m. A bare number is an
// error: "--timeout 30" could mean seconds or milliseconds.

#include <string_view>

#include "base/result.h"

namespace forage::cmd {

// Seconds in `text`; negative, NaN, infinite and over-1,000,000-hour values
// are rejected.
Result<double> ParseDuration(std::string_view text);

}  // namespace forage::cmd
