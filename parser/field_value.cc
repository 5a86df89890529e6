#include "parser/field_value.h"

#include <charconv>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "parser/ascii.h"
#include "parser/extract.h"
#include "parser/utf8.h"

namespace forage::parser {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The length of a Unicode space (TrimSpaces' list) starting at `s`, or 0.
size_t LeadingSpaceLength(std::string_view s) {
  if (s.empty()) return 0;
  if (IsAsciiWhitespace(s[0])) return 1;
  auto b = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  if (b(0) == 0xC2 && (b(1) == 0xA0 || b(1) == 0x85)) return 2;
  if (b(0) == 0xE1 && b(1) == 0x9A && b(2) == 0x80) return 3;
  if (b(0) == 0xE2 && b(1) == 0x80 &&
      (b(2) <= 0x8A || b(2) == 0xA8 || b(2) == 0xA9 || b(2) == 0xAF)) {
    return b(2) >= 0x80 ? 3 : 0;
  }
  if (b(0) == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return 3;
  if (b(0) == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;
  if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) return 3;
  return 0;
}

size_t TrailingSpaceLength(std::string_view s) {
  for (size_t length = 1; length <= 3 && length <= s.size(); ++length) {
    std::string_view tail = s.substr(s.size() - length);
    if (LeadingSpaceLength(tail) == length) return length;
  }
  return 0;
}

// A separator that may sit between the digits of a number.
enum class Separator { kNone, kComma, kDot, kSpace };

// The separator at `s` and its length in bytes.
Separator SeparatorAt(std::string_view s, size_t* length) {
  *length = 1;
  if (s.empty()) return Separator::kNone;
  if (s[0] == ',') return Separator::kComma;
  if (s[0] == '.') return Separator::kDot;
  if (s[0] == ' ' || s[0] == '\'') return Separator::kSpace;
  if (s.substr(0, 2) == "\xC2\xA0") {  // U+00A0
    *length = 2;
    return Separator::kSpace;
  }
  if (s.substr(0, 3) == "\xE2\x80\xAF" || s.substr(0, 3) == "\xE2\x80\x89") {  // U+202F, U+2009
    *length = 3;
    return Separator::kSpace;
  }
  return Separator::kNone;
}

size_t DigitRun(std::string_view s, size_t pos) {
  size_t end = pos;
  while (end < s.size() && IsDigit(s[end])) ++end;
  return end - pos;
}

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c); }

// Whether a minus sign stands just before the digits at `first`, perhaps with
// a currency sign or spaces between ("-£3", "- 3", "−3"), and not after a
// word ("item-42").
bool IsNegative(std::string_view text, size_t first) {
  size_t i = first;
  for (int skipped = 0; i > 0 && skipped < 6; ++skipped) {
    char c = text[i - 1];
    if (c == '-') return i < 2 || !IsAlnum(text[i - 2]);
    if (i >= 3 && text.substr(i - 3, 3) == "\xE2\x88\x92") return true;  // U+2212
    if (IsAlnum(c)) return false;
    --i;
  }
  return false;
}

}  // namespace

std::optional<double> ParseNumber(std::string_view text) {
  size_t first = 0;
  while (first < text.size() && !IsDigit(text[first])) ++first;
  if (first == text.size()) return std::nullopt;
  bool leading_dot =
      first > 0 && text[first - 1] == '.' && (first < 2 || !IsDigit(text[first - 2]));
  // Digit groups and the separators between them.
  std::vector<std::string_view> groups;
  std::vector<Separator> separators;
  size_t pos = first;
  for (;;) {
    size_t run = DigitRun(text, pos);
    groups.push_back(text.substr(pos, run));
    pos += run;
    size_t length = 0;
    Separator separator = SeparatorAt(text.substr(pos), &length);
    if (separator == Separator::kNone ||
        !IsDigit(pos + length < text.size() ? text[pos + length] : 'x'))
      break;
    // Spaces group only thousands: "1 234" is one number, "1 2" is not.
    if (separator == Separator::kSpace && DigitRun(text, pos + length) != 3) break;
    separators.push_back(separator);
    pos += length;
  }
  // Which separator, if any, is the decimal point.
  int dots = 0, commas = 0;
  size_t last_mark = separators.size();
  for (size_t i = 0; i < separators.size(); ++i) {
    if (separators[i] == Separator::kDot) ++dots;
    if (separators[i] == Separator::kComma) ++commas;
    if (separators[i] == Separator::kDot || separators[i] == Separator::kComma) last_mark = i;
  }
  size_t decimal = separators.size();  // none
  if (dots > 0 && commas > 0) {
    decimal = last_mark;
  } else if (dots == 1) {
    decimal = last_mark;
  } else if (commas == 1) {
    bool thousands = groups[last_mark + 1].size() == 3 && groups[last_mark] != "0";
    if (!thousands) decimal = last_mark;
  }
  std::string number = leading_dot ? "0." : "";
  for (size_t i = 0; i < groups.size(); ++i) {
    if (i > 0 && i - 1 == decimal) number.push_back('.');
    number.append(groups[i]);
  }
  double value = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error != std::errc() || end != number.data() + number.size()) return std::nullopt;
  return IsNegative(text, leading_dot ? first - 1 : first) ? -value : value;
}

std::string_view TrimSpaces(std::string_view text) {
  while (size_t n = LeadingSpaceLength(text)) text.remove_prefix(n);
  while (size_t n = TrailingSpaceLength(text)) text.remove_suffix(n);
  return text;
}

std::string FormatNumber(double value) { return fmt::format("{}", value); }

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out->append(fmt::format("\\u{:04x}", static_cast<unsigned>(c)));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads \uXXXX at s[pos..]; -1 if malformed.
int64_t ReadU16(std::string_view s, size_t pos) {
  if (pos + 4 > s.size()) return -1;
  int64_t value = 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    int h = Hex(s[i]);
    if (h < 0) return -1;
    value = value * 16 + h;
  }
  return value;
}

// A JSON string at s[pos] == '"'; advances past it.
std::optional<std::string> ReadJsonString(std::string_view s, size_t& pos) {
  std::string out;
  for (++pos; pos < s.size(); ++pos) {
    char c = s[pos];
    if (c == '"') {
      ++pos;
      return out;
    }
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++pos >= s.size()) return std::nullopt;
    switch (s[pos]) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        int64_t unit = ReadU16(s, pos + 1);
        if (unit < 0) return std::nullopt;
        pos += 4;
        uint32_t cp = static_cast<uint32_t>(unit);
        if (unit >= 0xD800 && unit <= 0xDBFF && s.substr(pos + 1, 2) == "\\u") {
          int64_t low = ReadU16(s, pos + 3);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + static_cast<uint32_t>(low - 0xDC00);
            pos += 6;
          }
        }
        AppendUtf8(cp, &out);
        break;
      }
      default:
        out.push_back(s[pos]);
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<FieldValue> ListItems(std::string_view s) {
  std::vector<FieldValue> items;
  size_t pos = 0;
  auto skip_space = [&] {
    while (pos < s.size() && IsAsciiWhitespace(s[pos])) ++pos;
  };
  skip_space();
  if (pos >= s.size() || s[pos] != '[') return {};
  ++pos;
  skip_space();
  if (pos < s.size() && s[pos] == ']') return items;
  for (;;) {
    skip_space();
    if (pos >= s.size()) return {};
    if (s[pos] == '"') {
      std::optional<std::string> item = ReadJsonString(s, pos);
      if (!item) return {};
      items.push_back(std::move(*item));
    } else if (s.substr(pos, 4) == "null") {
      items.push_back(std::nullopt);
      pos += 4;
    } else {
      size_t end = s.find_first_of(",] \t\r\n", pos);
      if (end == std::string_view::npos || end == pos) return {};
      items.push_back(std::string(s.substr(pos, end - pos)));
      pos = end;
    }
    skip_space();
    if (pos >= s.size()) return {};
    if (s[pos] == ']') return items;
    if (s[pos] != ',') return {};
    ++pos;
  }
}

std::string JoinListItems(std::string_view json_array, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const FieldValue& item : ListItems(json_array)) {
    if (!first) out.append(separator);
    first = false;
    if (item) out.append(*item);
  }
  return out;
}

}  // namespace forage::parser
