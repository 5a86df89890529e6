#pragma once
// ASCII-only character helpers. HTML and CSS fold case and whitespace in
// ASCII only, and <cctype> depends on the locale, so we don't use it.

#include <string>
#include <string_view>

namespace forage::parser {

inline bool IsAsciiWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

inline char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string AsciiLowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

inline bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// Same, for a NUL-terminated C string (Gumbo's attribute names), without
// measuring it first: most names differ in their first byte.
inline bool EqualsIgnoreAsciiCase(const char* cstr, std::string_view b) {
  for (size_t i = 0; i < b.size(); ++i) {
    if (cstr[i] == '\0' || AsciiLower(cstr[i]) != AsciiLower(b[i])) return false;
  }
  return cstr[b.size()] == '\0';
}

}  // namespace forage::parser
