#pragma once
// The token rules of CSS Syntax Level 3 that selectors need, applied in place
// on a text: identifiers, strings, escapes, comments, integers and the
// An+B microsyntax. Internal to parser/ (selector_parser.cc).
//
// Each Consume* function reads a token at `pos` and advances it past the
// token, or returns false and leaves `pos` where it was.

#include <cstdint>
#include <string>
#include <string_view>

namespace forage::parser {

class CssLexer {
 public:
  explicit CssLexer(std::string_view text) : text_(text) {}

  // The byte at `at`, or '\0' past the end.
  char At(size_t at) const { return at < text_.size() ? text_[at] : '\0'; }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static bool IsNameStart(char c);
  static bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c) || c == '-'; }

  // Whether an identifier starts at `at` ("would start an identifier").
  bool StartsIdent(size_t at) const;
  bool IsValidEscape(size_t at) const;

  // An identifier, escapes resolved, appended to `out`.
  bool ConsumeIdent(size_t& pos, std::string* out) const;
  // A '...' or "..." string at `pos`, escapes resolved, appended to `out`. On
  // failure (unterminated, or a raw newline), error() and error_at() say why.
  bool ConsumeString(size_t& pos, std::string* out);
  const std::string& error() const { return error_; }
  size_t error_at() const { return error_at_; }

  // Skips whitespace and /* comments */; true if there was whitespace.
  bool SkipWhitespaceAndComments(size_t& pos) const;
  void SkipComments(size_t& pos) const;

  // A number token that is an integer (`3`, `+5`, `-2`; not `2.0`, `1e3` or
  // a dimension like `2px`). Values saturate at +-2^31.
  bool ConsumeInteger(size_t& pos, int64_t* value, bool* has_sign) const;

  // The part of An+B before any separate B term.
  struct NthPrefix {
    enum Kind {
      kDone,           // complete: `odd`, `5`, `n-1`, `2n-3`
      kAfterN,         // ends in `n`: a B term may follow
      kNeedsSignless,  // ends in `n-`: a signless integer must follow
    };
    Kind kind = kDone;
    int64_t a = 0;
    int64_t b = 0;
  };
  bool ConsumeNthPrefix(size_t& pos, NthPrefix* out) const;

 private:
  void ConsumeEscape(size_t& pos, std::string* out) const;
  // A number token's parts; false if no number starts at `pos`.
  struct Number {
    int64_t value = 0;
    bool has_sign = false;
    bool is_integer = true;
  };
  bool ConsumeNumber(size_t& pos, Number* out) const;

  std::string_view text_;
  std::string error_;
  size_t error_at_ = 0;
};

}  // namespace forage::parser
