#pragma once
// What the fuzz targets share: FUZZ_CHECK, which turns a broken invariant
// into a crash that libFuzzer (or the replay runner) reports with the input.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

// Aborts with `what` when `cond` is false. Used for the properties a target
// checks beyond "no memory error": an abort is a finding like any crash.
#define FUZZ_CHECK(cond, what)                                                  \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__,      \
                   __LINE__, #cond, std::string(what).c_str());                 \
      std::abort();                                                             \
    }                                                                           \
  } while (0)

namespace forage::fuzz {

inline std::string_view AsText(const unsigned char* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits `in` at its first '\n': {before, after}. Without one: {"", in}.
inline std::pair<std::string_view, std::string_view> SplitLine(std::string_view in) {
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return {std::string_view(), in};
  return {in.substr(0, nl), in.substr(nl + 1)};
}

// `s` with bytes outside printable ASCII as \xNN, for messages.
inline std::string Escaped(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace forage::fuzz
