#include "cmd/duration.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace forage::cmd {

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
  if (unit == "ms") return v / 1000.0;
  if (unit == "s") return v;
  if (unit == "m") return v * 60.0;
  if (unit == "h") return v * 3600.0;
  return bad("unknown unit");
}

}  // namespace forage::cmd
