#include "parser/selector_parser.h"

#include <cstdint>
#include <utility>

#include <gumbo.h>

#include "parser/ascii.h"

// A recursive-descent parser over the selector text, one function per
// grammar rule, with the tokenizer's rules (identifiers, strings, escapes)
// from CSS Syntax Level 3 applied in place:
//
//   list     := complex (',' complex)* [pseudo-element]
//   complex  := compound (combinator compound)*
//   compound := (type | '*')? (class | id | attribute)*   -- at least one
//   pseudo-element := '::text' | '::attr(' name ')'
//
// Positions in messages are 0-based byte offsets into the text.

namespace forage::parser {
namespace {

bool IsNameStart(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-'; }

bool IsNewline(char c) { return c == '\n' || c == '\r' || c == '\f'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Works in functions returning Status or Result<T>.
#define FORAGE_RETURN_IF_ERROR(expr)             \
  do {                                           \
    if (Status s = (expr); !s) return s.error(); \
  } while (false)

// One parse of one text; each Parse* function consumes its rule at pos_.
class SelectorParser {
 public:
  SelectorParser(std::string_view text, bool allow_pseudo_element)
      : text_(text), allow_pseudo_element_(allow_pseudo_element) {}

  Result<ParsedSelector> Parse();

 private:
  Status ParseList(ParsedSelector* out);
  Status ParseComplex(ComplexSelector* out);
  Status ParseCompound(CompoundSelector* out);
  Status ParseAttribute(SimpleSelector* out);
  Status ParsePseudoElement(ParsedSelector* out);
  Status ParseString(std::string* out);
  bool ParseIdent(std::string* out);
  void ConsumeEscape(std::string* out);

  bool StartsIdent(size_t at) const;
  bool IsValidEscape(size_t at) const;
  bool SkipWhitespace();
  bool AtEnd() const { return pos_ >= text_.size(); }
  // The byte `ahead` past the cursor, or '\0' past the end.
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool AtPseudoElement() const { return Peek() == ':' && Peek(1) == ':'; }

  Error Fail(size_t at, std::string_view reason) const;
  std::string Describe(size_t at) const;

  std::string_view text_;
  bool allow_pseudo_element_;
  size_t pos_ = 0;
};

Result<ParsedSelector> SelectorParser::Parse() {
  SkipWhitespace();
  if (AtEnd()) return Err(ErrorCode::kInvalidArgument, "selector '{}': empty selector", text_);
  ParsedSelector out;
  FORAGE_RETURN_IF_ERROR(ParseList(&out));
  SkipWhitespace();
  if (!AtEnd()) return Fail(pos_, fmt::format("unexpected {}", Describe(pos_)));
  return out;
}

Status SelectorParser::ParseList(ParsedSelector* out) {
  // A lone pseudo-element (`::attr(href)`) applies to the scope itself.
  if (allow_pseudo_element_ && AtPseudoElement()) return ParsePseudoElement(out);
  for (;;) {
    ComplexSelector complex;
    FORAGE_RETURN_IF_ERROR(ParseComplex(&complex));
    out->list.push_back(std::move(complex));
    SkipWhitespace();
    if (Peek() != ',') break;
    ++pos_;
    SkipWhitespace();
  }
  // ParseCompound stops at `::` only when pseudo-elements are allowed.
  if (!AtPseudoElement()) return OkStatus();
  if (out->list.size() > 1) return Fail(pos_, "a pseudo-element cannot follow a selector list");
  return ParsePseudoElement(out);
}

Status SelectorParser::ParseComplex(ComplexSelector* out) {
  CompoundSelector first;
  FORAGE_RETURN_IF_ERROR(ParseCompound(&first));
  out->compounds.push_back(std::move(first));
  for (;;) {
    bool had_space = SkipWhitespace();
    char c = Peek();
    if (AtEnd() || c == ',' || (!had_space && AtPseudoElement())) return OkStatus();
    CompoundSelector next;
    if (c == '>') {
      ++pos_;
      SkipWhitespace();
      next.combinator = Combinator::kChild;
    } else if (c == '+' || c == '~') {
      return Fail(pos_, fmt::format("combinator '{}' is not supported yet", c));
    } else if (had_space) {
      next.combinator = Combinator::kDescendant;
    } else {
      return Fail(pos_, fmt::format("unexpected {}", Describe(pos_)));
    }
    FORAGE_RETURN_IF_ERROR(ParseCompound(&next));
    out->compounds.push_back(std::move(next));
  }
}

Status SelectorParser::ParseCompound(CompoundSelector* out) {
  size_t start = pos_;
  std::string name;
  if (Peek() == '*') {
    ++pos_;  // `*` adds no condition.
  } else if (ParseIdent(&name)) {
    SimpleSelector type;
    type.kind = SimpleSelector::Kind::kType;
    type.name = AsciiLowered(name);
    type.tag = gumbo_tag_enum(type.name.c_str());
    out->simples.push_back(std::move(type));
  }
  for (;;) {
    char c = Peek();
    SimpleSelector simple;
    if (c == '.' || c == '#') {
      ++pos_;
      simple.kind = c == '.' ? SimpleSelector::Kind::kClass : SimpleSelector::Kind::kId;
      if (!ParseIdent(&simple.name)) {
        return Fail(pos_, c == '.' ? "expected a class name" : "expected an id");
      }
    } else if (c == '[') {
      FORAGE_RETURN_IF_ERROR(ParseAttribute(&simple));
    } else if (c == ':' && Peek(1) != ':') {
      return Fail(pos_, "pseudo-classes are not supported yet");
    } else if (c == ':' && !allow_pseudo_element_) {
      return Fail(pos_, "pseudo-elements are only allowed at the end of a field selector");
    } else {
      break;
    }
    out->simples.push_back(std::move(simple));
  }
  if (pos_ > start) return OkStatus();
  if (AtEnd()) return Fail(pos_, "expected a selector");
  if (AtPseudoElement()) return Fail(pos_, "expected a selector before the pseudo-element");
  return Fail(pos_, fmt::format("expected a selector, found {}", Describe(pos_)));
}

Status SelectorParser::ParseAttribute(SimpleSelector* out) {
  ++pos_;  // '['
  SkipWhitespace();
  out->kind = SimpleSelector::Kind::kAttribute;
  if (!ParseIdent(&out->name)) return Fail(pos_, "expected an attribute name");
  out->name = AsciiLowered(out->name);
  SkipWhitespace();
  char c = Peek();
  if (c == ']') {
    ++pos_;
    out->op = AttributeOperator::kExists;
    return OkStatus();
  }
  if (c != '=') {
    if (Peek(1) == '=' && (c == '~' || c == '|' || c == '^' || c == '$' || c == '*')) {
      return Fail(pos_, fmt::format("attribute operator '{}=' is not supported yet", c));
    }
    return Fail(pos_, "expected '=' or ']'");
  }
  ++pos_;
  SkipWhitespace();
  out->op = AttributeOperator::kEquals;
  if (Peek() == '"' || Peek() == '\'') {
    FORAGE_RETURN_IF_ERROR(ParseString(&out->value));
  } else if (!ParseIdent(&out->value)) {
    // CSS allows only identifiers unquoted; `[data-id=759]` is a common slip.
    return Fail(pos_, "expected an attribute value (an identifier or a quoted string)");
  }
  SkipWhitespace();
  if (StartsIdent(pos_)) return Fail(pos_, "attribute flags are not supported yet");
  if (Peek() != ']') return Fail(pos_, "expected ']'");
  ++pos_;
  return OkStatus();
}

Status SelectorParser::ParsePseudoElement(ParsedSelector* out) {
  size_t start = pos_;
  pos_ += 2;  // "::"
  std::string name;
  if (!ParseIdent(&name)) return Fail(pos_, "expected a pseudo-element name");
  name = AsciiLowered(name);
  if (name == "text") {
    out->pseudo = PseudoElement::kText;
    return OkStatus();
  }
  if (name != "attr") {
    return Fail(start, fmt::format("unknown pseudo-element '::{}' (supported: ::text, "
                                   "::attr(NAME))",
                                   name));
  }
  if (Peek() != '(') return Fail(pos_, "expected '(' after '::attr'");
  ++pos_;
  SkipWhitespace();
  if (!ParseIdent(&out->attr_name)) return Fail(pos_, "expected an attribute name");
  out->attr_name = AsciiLowered(out->attr_name);
  SkipWhitespace();
  if (Peek() != ')') return Fail(pos_, "expected ')'");
  ++pos_;
  out->pseudo = PseudoElement::kAttr;
  return OkStatus();
}

Status SelectorParser::ParseString(std::string* out) {
  size_t open = pos_;
  char quote = text_[pos_++];
  for (;;) {
    if (AtEnd()) return Fail(open, "unterminated string");
    char c = text_[pos_];
    if (c == quote) {
      ++pos_;
      return OkStatus();
    }
    if (IsNewline(c)) return Fail(pos_, "newline in string");
    if (c != '\\') {
      out->push_back(c);
      ++pos_;
      continue;
    }
    ++pos_;  // '\\'
    if (AtEnd()) continue;
    if (IsNewline(Peek())) {
      // An escaped newline continues the string onto the next line.
      pos_ += (Peek() == '\r' && Peek(1) == '\n') ? 2 : 1;
      continue;
    }
    ConsumeEscape(out);
  }
}

bool SelectorParser::ParseIdent(std::string* out) {
  if (!StartsIdent(pos_)) return false;
  for (;;) {
    if (!AtEnd() && IsNameChar(Peek())) {
      out->push_back(text_[pos_++]);
    } else if (IsValidEscape(pos_)) {
      ++pos_;
      ConsumeEscape(out);
    } else {
      return true;
    }
  }
}

// The cursor is just past a backslash that starts a valid escape.
void SelectorParser::ConsumeEscape(std::string* out) {
  if (HexValue(Peek()) < 0) {
    // Any other character stands for itself. A multi-byte UTF-8 character
    // needs no care: its continuation bytes are ordinary name characters.
    out->push_back(text_[pos_++]);
    return;
  }
  uint32_t cp = 0;
  for (int digits = 0; digits < 6 && HexValue(Peek()) >= 0; ++digits) {
    cp = cp * 16 + static_cast<uint32_t>(HexValue(text_[pos_++]));
  }
  // One whitespace after a hex escape ends it ("\31 23" is "123").
  if (Peek() == '\r' && Peek(1) == '\n') {
    pos_ += 2;
  } else if (!AtEnd() && IsAsciiWhitespace(Peek())) {
    ++pos_;
  }
  if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
  AppendUtf8(cp, out);
}

bool SelectorParser::StartsIdent(size_t at) const {
  if (at >= text_.size()) return false;
  char c = text_[at];
  if (c == '-') {
    char next = at + 1 < text_.size() ? text_[at + 1] : '\0';
    return IsNameStart(next) || next == '-' || IsValidEscape(at + 1);
  }
  return IsNameStart(c) || IsValidEscape(at);
}

bool SelectorParser::IsValidEscape(size_t at) const {
  return at + 1 < text_.size() && text_[at] == '\\' && !IsNewline(text_[at + 1]);
}

bool SelectorParser::SkipWhitespace() {
  size_t start = pos_;
  while (!AtEnd() && IsAsciiWhitespace(Peek())) ++pos_;
  return pos_ > start;
}

Error SelectorParser::Fail(size_t at, std::string_view reason) const {
  return Err(ErrorCode::kInvalidArgument, "selector '{}': {} at position {}", text_, reason, at);
}

std::string SelectorParser::Describe(size_t at) const {
  auto c = static_cast<unsigned char>(text_[at]);
  if (c >= 0x20 && c < 0x7F) return fmt::format("'{}'", static_cast<char>(c));
  return fmt::format("byte 0x{:02x}", c);
}

}  // namespace

Result<ParsedSelector> ParseSelector(std::string_view text, bool allow_pseudo_element) {
  return SelectorParser(text, allow_pseudo_element).Parse();
}

}  // namespace forage::parser
