#include "cmd/duration.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace forage::cmd {
namespace {
constexpr double kMaxDurationSeconds = 3.6e9;  // 1,000,000 hours
}  // namespace

Result<double> ParseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Err(ErrorCode::kInvalidArgument, "duration '{}': {} (write e.g. 250ms, 2s, 1.5s, 1m)",
               text, why);
  };
  size_t unit_at = 0;
  while (unit_at < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.')) {
    ++unit_at;
  }
  std::string number(text.substr(0, unit_at));
  std::string_view unit = text.substr(unit_at);
  if (number.empty() || number.front() == '.' || number.back() == '.') {
    return bad("not a number");
  }
  char* end = nullptr;
  double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(v)) return bad("not a number");
  if (unit.empty()) return bad("no unit");
  double seconds = 0;
  if (unit == "ms") {
    seconds = v / 1000.0;
  } else if (unit == "s") {
    seconds = v;
  } else if (unit == "m") {
    seconds = v * 60.0;
  } else if (unit == "h") {
    seconds = v * 3600.0;
  } else {
    return bad("unknown unit");
  }
  // Longer than any sensible wait, and than milliseconds in an int64 hold.
  if (seconds > kMaxDurationSeconds) return bad("too long (at most 1000000h)");
  return seconds;
}

}  // namespace forage::cmd
