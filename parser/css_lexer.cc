#include "parser/css_lexer.h"

#include "parser/ascii.h"
#include "parser/utf8.h"

namespace forage::parser {
namespace {

constexpr int64_t kIntegerLimit = int64_t{1} << 31;

bool IsNewline(char c) { return c == '\n' || c == '\r' || c == '\f'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!CssLexer::IsDigit(c)) return false;
  }
  return true;
}

int64_t Saturated(std::string_view digits) {
  int64_t value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
    if (value >= kIntegerLimit) return kIntegerLimit;
  }
  return value;
}

// The rest of an An+B identifier or unit after the optional '-' of `-n`:
// `n`, `n-`, or `n-<digits>`, with the coefficient `a` already known.
bool ClassifyN(std::string_view rest, int64_t a, CssLexer::NthPrefix* out) {
  out->a = a;
  out->b = 0;
  if (rest.empty() || rest[0] != 'n') return false;
  rest.remove_prefix(1);
  if (rest.empty()) {
    out->kind = CssLexer::NthPrefix::kAfterN;
    return true;
  }
  if (rest[0] != '-') return false;
  rest.remove_prefix(1);
  if (rest.empty()) {
    out->kind = CssLexer::NthPrefix::kNeedsSignless;
    return true;
  }
  if (!AllDigits(rest)) return false;
  out->kind = CssLexer::NthPrefix::kDone;
  out->b = -Saturated(rest);
  return true;
}

}  // namespace

bool CssLexer::IsNameStart(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

bool CssLexer::StartsIdent(size_t at) const {
  if (at >= text_.size()) return false;
  char c = text_[at];
  if (c == '-') {
    char next = At(at + 1);
    return IsNameStart(next) || next == '-' || IsValidEscape(at + 1);
  }
  return IsNameStart(c) || IsValidEscape(at);
}

bool CssLexer::IsValidEscape(size_t at) const {
  return at + 1 < text_.size() && text_[at] == '\\' && !IsNewline(text_[at + 1]);
}

bool CssLexer::ConsumeIdent(size_t& pos, std::string* out) const {
  if (!StartsIdent(pos)) return false;
  for (;;) {
    if (pos < text_.size() && IsNameChar(text_[pos])) {
      out->push_back(text_[pos++]);
    } else if (IsValidEscape(pos)) {
      ++pos;
      ConsumeEscape(pos, out);
    } else {
      return true;
    }
  }
}

bool CssLexer::ConsumeString(size_t& pos, std::string* out) {
  size_t open = pos;
  char quote = text_[pos];
  size_t p = pos + 1;
  for (;;) {
    if (p >= text_.size()) {
      error_ = "unterminated string";
      error_at_ = open;
      return false;
    }
    char c = text_[p];
    if (c == quote) {
      pos = p + 1;
      return true;
    }
    if (IsNewline(c)) {
      error_ = "newline in string";
      error_at_ = p;
      return false;
    }
    if (c != '\\') {
      out->push_back(c);
      ++p;
      continue;
    }
    ++p;  // '\\'
    if (p >= text_.size()) continue;
    if (IsNewline(text_[p])) {
      // An escaped newline continues the string onto the next line.
      p += (text_[p] == '\r' && At(p + 1) == '\n') ? 2 : 1;
      continue;
    }
    ConsumeEscape(p, out);
  }
}

// `pos` is just past a backslash that starts a valid escape.
void CssLexer::ConsumeEscape(size_t& pos, std::string* out) const {
  if (HexValue(At(pos)) < 0) {
    // Any other character stands for itself. A multi-byte UTF-8 character
    // needs no care: its continuation bytes are ordinary name characters.
    out->push_back(text_[pos++]);
    return;
  }
  uint32_t cp = 0;
  for (int digits = 0; digits < 6 && HexValue(At(pos)) >= 0; ++digits) {
    cp = cp * 16 + static_cast<uint32_t>(HexValue(text_[pos++]));
  }
  // One whitespace after a hex escape ends it ("\31 23" is "123").
  if (At(pos) == '\r' && At(pos + 1) == '\n') {
    pos += 2;
  } else if (pos < text_.size() && IsAsciiWhitespace(text_[pos])) {
    ++pos;
  }
  if (cp == 0) cp = kReplacementCharacter;
  AppendUtf8(cp, out);
}

bool CssLexer::SkipWhitespaceAndComments(size_t& pos) const {
  bool space = false;
  for (;;) {
    if (pos < text_.size() && IsAsciiWhitespace(text_[pos])) {
      space = true;
      ++pos;
    } else if (At(pos) == '/' && At(pos + 1) == '*') {
      SkipComments(pos);
    } else {
      return space;
    }
  }
}

void CssLexer::SkipComments(size_t& pos) const {
  while (At(pos) == '/' && At(pos + 1) == '*') {
    size_t end = text_.find("*/", pos + 2);
    // An unclosed comment runs to the end, as in CSS.
    pos = end == std::string_view::npos ? text_.size() : end + 2;
  }
}

bool CssLexer::ConsumeNumber(size_t& pos, Number* out) const {
  size_t p = pos;
  Number number;
  if (At(p) == '+' || At(p) == '-') {
    number.has_sign = true;
    ++p;
  }
  size_t digits_start = p;
  while (IsDigit(At(p))) ++p;
  std::string_view digits = text_.substr(digits_start, p - digits_start);
  if (At(p) == '.' && IsDigit(At(p + 1))) {
    number.is_integer = false;
    p += 1;
    while (IsDigit(At(p))) ++p;
  } else if (digits.empty()) {
    return false;
  }
  char e = At(p);
  if ((e == 'e' || e == 'E') &&
      (IsDigit(At(p + 1)) || ((At(p + 1) == '+' || At(p + 1) == '-') && IsDigit(At(p + 2))))) {
    number.is_integer = false;
    p += 2;
    while (IsDigit(At(p))) ++p;
  }
  number.value = Saturated(digits);
  if (At(pos) == '-') number.value = -number.value;
  pos = p;
  *out = number;
  return true;
}

bool CssLexer::ConsumeInteger(size_t& pos, int64_t* value, bool* has_sign) const {
  size_t p = pos;
  Number number;
  if (!ConsumeNumber(p, &number) || !number.is_integer) return false;
  if (StartsIdent(p) || At(p) == '%') return false;  // a dimension or percentage
  pos = p;
  *value = number.value;
  *has_sign = number.has_sign;
  return true;
}

bool CssLexer::ConsumeNthPrefix(size_t& pos, NthPrefix* out) const {
  size_t p = pos;
  std::string ident;
  if (At(p) == '+' && !IsDigit(At(p + 1)) && At(p + 1) != '.') {
    // `+n...`: the '+' is a delimiter and must touch the identifier.
    ++p;
    if (At(p) == '-' || !ConsumeIdent(p, &ident)) return false;
    if (!ClassifyN(AsciiLowered(ident), 1, out)) return false;
    pos = p;
    return true;
  }
  Number number;
  if (ConsumeNumber(p, &number)) {
    if (!number.is_integer || At(p) == '%') return false;
    if (!ConsumeIdent(p, &ident)) {
      *out = NthPrefix{NthPrefix::kDone, 0, number.value};
      pos = p;
      return true;
    }
    if (!ClassifyN(AsciiLowered(ident), number.value, out)) return false;
    pos = p;
    return true;
  }
  if (!ConsumeIdent(p, &ident)) return false;
  ident = AsciiLowered(ident);
  if (ident == "odd" || ident == "even") {
    *out = NthPrefix{NthPrefix::kDone, 2, ident == "odd" ? 1 : 0};
  } else if (ident[0] == '-') {
    if (!ClassifyN(std::string_view(ident).substr(1), -1, out)) return false;
  } else if (!ClassifyN(ident, 1, out)) {
    return false;
  }
  pos = p;
  return true;
}

}  // namespace forage::parser
