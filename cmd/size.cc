#include "cmd/size.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

namespace forage::cmd {
namespace {

// Sizes past this (4 EiB) are refused: they fit every signed 64-bit size
// the libraries below take, and no body or memory is that large.
constexpr double kMaxSizeBytes = 4611686018427387904.0;  // 2^62

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<uint64_t> ParseSize(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Err(ErrorCode::kInvalidArgument,
               "size '{}': {} (write e.g. 16 for MiB, 400MB, 2GiB)", text, why);
  };
  size_t unit_at = 0;
  while (unit_at < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.')) {
    ++unit_at;
  }
  std::string number(text.substr(0, unit_at));
  std::string_view unit = text.substr(unit_at);
  if (number.empty() || number.front() == '.' || number.back() == '.') return bad("not a number");
  char* end = nullptr;
  double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(v)) return bad("not a number");
  struct Unit {
    std::string_view name;
    double bytes;
  };
  static constexpr Unit kUnits[] = {
      {"", 1024.0 * 1024},
      {"B", 1},
      {"KB", 1e3},
      {"MB", 1e6},
      {"GB", 1e9},
      {"TB", 1e12},
      {"KiB", 1024.0},
      {"MiB", 1024.0 * 1024},
      {"GiB", 1024.0 * 1024 * 1024},
      {"TiB", 1024.0 * 1024 * 1024 * 1024},
  };
  for (const Unit& u : kUnits) {
    if (!EqualsIgnoreCase(unit, u.name)) continue;
    double bytes = v * u.bytes;
    if (bytes > kMaxSizeBytes) return bad("too large (at most 4 EiB)");
    return static_cast<uint64_t>(bytes);
  }
  return bad("unknown unit");
}

}  // namespace forage::cmd
