#include "parser/selector_parser.h"

#include <cstdint>
#include <optional>
#include <utility>

#include <gumbo.h>

#include "parser/ascii.h"
#include "parser/css_lexer.h"

// A recursive-descent parser over the selector text, one function per
// grammar rule, with the tokenizer's rules (identifiers, strings, escapes,
// comments) from CSS Syntax Level 3 applied in place:
//
//   list     := complex [pseudo-element] (',' complex [pseudo-element])*
//   complex  := compound (combinator compound)*
//   relative := [combinator] complex                  -- :has() arguments
//   compound := [ns '|'] (type | '*')? (class | id | attribute | pseudo-class)*
//   pseudo-class := ':' ident | ':' function '(' arguments ')'
//   pseudo-element := '::text' | '::html' | '::attr(' name ')'
//
// Positions in messages are 0-based byte offsets into the text.

namespace forage::parser {
namespace {

// Deeper nesting of :not(:is(...)) is surely not meant, and the parser and
// the matcher recurse once per level.
constexpr int kMaxNesting = 32;

// Compound selectors in one complex selector (`a > b c` has three). Real
// selectors have a handful; the matcher recurses once per compound.
constexpr size_t kMaxCompounds = 64;

// The largest |A| and |B| of An+B: larger values are surely mistakes, and
// would overflow the arithmetic of matching.
constexpr int64_t kMaxNthValue = 2147483647;

// Works in functions returning Status or Result<T>.
#define FORAGE_RETURN_IF_ERROR(expr)             \
  do {                                           \
    if (Status s = (expr); !s) return s.error(); \
  } while (false)

struct PseudoClassName {
  std::string_view name;
  PseudoClass pseudo;
};

// Pseudo-classes without arguments. :first-child and friends are the nth
// forms with fixed arguments.
constexpr PseudoClassName kPlainPseudoClasses[] = {
    {"first-child", PseudoClass::kFirstChild},
    {"last-child", PseudoClass::kLastChild},
    {"only-child", PseudoClass::kOnlyChild},
    {"first-of-type", PseudoClass::kFirstOfType},
    {"last-of-type", PseudoClass::kLastOfType},
    {"only-of-type", PseudoClass::kOnlyOfType},
    {"empty", PseudoClass::kEmpty},
    {"root", PseudoClass::kRoot},
    {"scope", PseudoClass::kScope},
    {"any-link", PseudoClass::kAnyLink},
    {"link", PseudoClass::kAnyLink},
    {"checked", PseudoClass::kChecked},
    {"disabled", PseudoClass::kDisabled},
    {"enabled", PseudoClass::kEnabled},
    {"required", PseudoClass::kRequired},
    {"optional", PseudoClass::kOptional},
    {"read-only", PseudoClass::kReadOnly},
    {"read-write", PseudoClass::kReadWrite},
    {"defined", PseudoClass::kDefined},
    {"visited", PseudoClass::kNever},
    {"hover", PseudoClass::kNever},
    {"active", PseudoClass::kNever},
    {"focus", PseudoClass::kNever},
    {"focus-visible", PseudoClass::kNever},
    {"focus-within", PseudoClass::kNever},
    {"target", PseudoClass::kNever},
    {"target-within", PseudoClass::kNever},
    {"current", PseudoClass::kNever},
    {"past", PseudoClass::kNever},
    {"future", PseudoClass::kNever},
    {"playing", PseudoClass::kNever},
    {"paused", PseudoClass::kNever},
};

constexpr PseudoClassName kFunctionalPseudoClasses[] = {
    {"nth-child", PseudoClass::kNthChild},
    {"nth-last-child", PseudoClass::kNthLastChild},
    {"nth-of-type", PseudoClass::kNthOfType},
    {"nth-last-of-type", PseudoClass::kNthLastOfType},
    {"not", PseudoClass::kNot},
    {"is", PseudoClass::kIs},
    {"where", PseudoClass::kIs},
    {"matches", PseudoClass::kIs},
    {"any", PseudoClass::kIs},
    {"-webkit-any", PseudoClass::kIs},
    {"has", PseudoClass::kHas},
    {"-soup-contains", PseudoClass::kContains},
    {"contains", PseudoClass::kContains},
    {"-soup-contains-own", PseudoClass::kContainsOwn},
    {"lang", PseudoClass::kLang},
};

// CSS 2's pseudo-elements, which may still be written with one colon.
constexpr std::string_view kLegacyPseudoElements[] = {"before", "after", "first-line",
                                                      "first-letter"};

template <size_t N>
const PseudoClass* Lookup(const PseudoClassName (&table)[N], std::string_view name) {
  for (const PseudoClassName& entry : table) {
    if (entry.name == name) return &entry.pseudo;
  }
  return nullptr;
}

SimpleSelector Pseudo(PseudoClass pseudo) {
  SimpleSelector simple;
  simple.kind = SimpleSelector::Kind::kPseudoClass;
  simple.pseudo = pseudo;
  return simple;
}

// One parse of one text; each Parse* function consumes its rule at pos_.
class SelectorParser {
 public:
  SelectorParser(std::string_view text, bool allow_pseudo_element)
      : lexer_(text), text_(text), allow_pseudo_element_(allow_pseudo_element) {}

  Result<ParsedSelector> Parse();

 private:
  Status ParseTopList(ParsedSelector* out);
  Status ParseNestedList(SelectorList* out, bool relative);
  Status ParseForgivingList(SelectorList* out);
  Status ParseComplex(ComplexSelector* out);
  Status ParseRelative(ComplexSelector* out);
  Status ParseCompound(CompoundSelector* out);
  Status ParseTypeSelector(CompoundSelector* out);
  Status ParseAttribute(SimpleSelector* out);
  Status ParseAttributeName(std::string* out);
  Status ParsePseudoClass(SimpleSelector* out);
  Status ParseFunctionArguments(PseudoClass pseudo, SimpleSelector* out);
  Status ParseNth(Nth* out);
  Status ParseNthValues(Nth* out);
  Status ParseTexts(std::vector<std::string>* out);
  Status ParsePseudoElement(ParsedSelector* out);
  Status ExpectCloseParen();
  bool SkipListItem();

  bool SkipWhitespace() { return lexer_.SkipWhitespaceAndComments(pos_); }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const { return lexer_.At(pos_ + ahead); }
  bool AtPseudoElement() const { return Peek() == ':' && Peek(1) == ':'; }
  bool ParseIdent(std::string* out) { return lexer_.ConsumeIdent(pos_, out); }

  Error Fail(size_t at, std::string_view reason) const;
  std::string Describe(size_t at) const;

  CssLexer lexer_;
  std::string_view text_;
  bool allow_pseudo_element_;
  size_t pos_ = 0;
  int nesting_ = 0;      // open functional pseudo-classes
  int has_nesting_ = 0;  // open :has(): it may not nest
  // Set when a limit (nesting, compounds) was hit: an error even inside a
  // forgiving :is() list, which would otherwise drop the item silently.
  std::optional<Error> limit_error_;
};

Result<ParsedSelector> SelectorParser::Parse() {
  SkipWhitespace();
  if (AtEnd()) return Err(ErrorCode::kInvalidArgument, "selector '{}': empty selector", text_);
  ParsedSelector out;
  FORAGE_RETURN_IF_ERROR(ParseTopList(&out));
  SkipWhitespace();
  if (!AtEnd()) return Fail(pos_, fmt::format("unexpected {}", Describe(pos_)));
  return out;
}

Status SelectorParser::ParseTopList(ParsedSelector* out) {
  // A lone pseudo-element (`::attr(href)`) applies to the scope itself.
  if (allow_pseudo_element_ && AtPseudoElement()) return ParsePseudoElement(out);
  for (;;) {
    ComplexSelector complex;
    FORAGE_RETURN_IF_ERROR(ParseComplex(&complex));
    out->list.push_back(std::move(complex));
    // ParseCompound stops at `::` only when pseudo-elements are allowed; each
    // alternative may end in its own, as in parsel.
    ParsedSelector pseudo;
    if (AtPseudoElement()) FORAGE_RETURN_IF_ERROR(ParsePseudoElement(&pseudo));
    out->pseudos.push_back(pseudo.pseudo);
    out->attr_names.push_back(std::move(pseudo.attr_name));
    SkipWhitespace();
    if (Peek() != ',') break;
    ++pos_;
    SkipWhitespace();
  }
  out->pseudo = out->pseudos.front();
  out->attr_name = out->attr_names.front();
  return OkStatus();
}

// The argument of :not(), :has() and `of`: a list that ends at ')'.
Status SelectorParser::ParseNestedList(SelectorList* out, bool relative) {
  for (;;) {
    SkipWhitespace();
    ComplexSelector complex;
    FORAGE_RETURN_IF_ERROR(relative ? ParseRelative(&complex) : ParseComplex(&complex));
    out->push_back(std::move(complex));
    SkipWhitespace();
    if (Peek() != ',') return OkStatus();
    ++pos_;
  }
}

// :is() and :where() take a forgiving list: items that do not parse are
// dropped, as browsers do, so `:is(a, :unknown)` is `:is(a)`.
Status SelectorParser::ParseForgivingList(SelectorList* out) {
  for (;;) {
    SkipWhitespace();
    size_t item_start = pos_;
    ComplexSelector complex;
    bool empty_item = Peek() == ',' || Peek() == ')';
    bool ok = empty_item;
    if (!empty_item && ParseComplex(&complex)) {
      SkipWhitespace();
      ok = Peek() == ',' || Peek() == ')';
      if (ok) out->push_back(std::move(complex));
    }
    if (limit_error_) return *limit_error_;
    if (!ok) {
      pos_ = item_start;
      if (!SkipListItem()) return Fail(pos_, "expected ')'");
    }
    if (Peek() == ')') return OkStatus();
    ++pos_;  // ','
  }
}

// Skips to the ',' or ')' that ends the current list item, past nested
// brackets and strings. False at the end of the text.
bool SelectorParser::SkipListItem() {
  int depth = 0;
  while (!AtEnd()) {
    char c = Peek();
    if (depth == 0 && (c == ',' || c == ')')) return true;
    if (c == '(' || c == '[') {
      ++depth;
    } else if (c == ')' || c == ']') {
      --depth;
    } else if (c == '"' || c == '\'') {
      std::string ignored;
      if (!lexer_.ConsumeString(pos_, &ignored)) return false;
      continue;
    } else if (c == '\\' && pos_ + 1 < text_.size()) {
      ++pos_;  // the escaped character; a trailing backslash escapes nothing
    }
    ++pos_;
  }
  return false;
}

Status SelectorParser::ParseComplex(ComplexSelector* out) {
  CompoundSelector first;
  FORAGE_RETURN_IF_ERROR(ParseCompound(&first));
  out->compounds.push_back(std::move(first));
  for (;;) {
    bool had_space = SkipWhitespace();
    char c = Peek();
    if (AtEnd() || c == ',' || (nesting_ > 0 && c == ')')) return OkStatus();
    if (!had_space && AtPseudoElement() && nesting_ == 0) return OkStatus();
    CompoundSelector next;
    if (c == '>' || c == '+' || c == '~') {
      ++pos_;
      SkipWhitespace();
      next.combinator = c == '>'   ? Combinator::kChild
                        : c == '+' ? Combinator::kNextSibling
                                   : Combinator::kSubsequentSibling;
    } else if (had_space) {
      next.combinator = Combinator::kDescendant;
    } else {
      return Fail(pos_, fmt::format("unexpected {}", Describe(pos_)));
    }
    if (out->compounds.size() >= kMaxCompounds) {
      limit_error_ = Fail(pos_, fmt::format("more than {} compound selectors in a row",
                                            kMaxCompounds));
      return *limit_error_;
    }
    FORAGE_RETURN_IF_ERROR(ParseCompound(&next));
    out->compounds.push_back(std::move(next));
  }
}

// A relative selector (`> a`, `+ b`, `c d`) becomes a complex selector whose
// first compound is the anchor: the element :has() is tested on.
Status SelectorParser::ParseRelative(ComplexSelector* out) {
  CompoundSelector anchor;
  anchor.simples.push_back(Pseudo(PseudoClass::kAnchor));
  out->compounds.push_back(std::move(anchor));
  Combinator leading = Combinator::kDescendant;
  char c = Peek();
  if (c == '>' || c == '+' || c == '~') {
    ++pos_;
    SkipWhitespace();
    leading = c == '>'   ? Combinator::kChild
              : c == '+' ? Combinator::kNextSibling
                         : Combinator::kSubsequentSibling;
  }
  ComplexSelector rest;
  FORAGE_RETURN_IF_ERROR(ParseComplex(&rest));
  rest.compounds.front().combinator = leading;
  for (CompoundSelector& compound : rest.compounds) out->compounds.push_back(std::move(compound));
  return OkStatus();
}

Status SelectorParser::ParseCompound(CompoundSelector* out) {
  size_t start = pos_;
  FORAGE_RETURN_IF_ERROR(ParseTypeSelector(out));
  for (;;) {
    lexer_.SkipComments(pos_);
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
      FORAGE_RETURN_IF_ERROR(ParsePseudoClass(&simple));
    } else if (c == ':' && (!allow_pseudo_element_ || nesting_ > 0)) {
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

// `*`, `name`, and their namespaced forms `*|name`, `|name` (no namespace,
// which no HTML element has). Named prefixes need @namespace, which a
// selector alone cannot declare: browsers reject them too.
Status SelectorParser::ParseTypeSelector(CompoundSelector* out) {
  size_t start = pos_;
  bool no_namespace = false;
  auto starts_name = [&](size_t at) { return lexer_.At(at) == '*' || lexer_.StartsIdent(at); };
  if (Peek() == '*' && Peek(1) == '|' && starts_name(pos_ + 2)) {
    pos_ += 2;
  } else if (Peek() == '|' && starts_name(pos_ + 1)) {
    no_namespace = true;
    pos_ += 1;
  }
  std::string name;
  if (Peek() == '*') {
    ++pos_;
    name = "*";
  } else if (!ParseIdent(&name)) {
    return OkStatus();
  }
  if (Peek() == '|' && starts_name(pos_ + 1) && pos_ > start) {
    return Fail(start, "namespace prefixes are not supported");
  }
  if (name == "*" && !no_namespace) return OkStatus();  // `*` adds no condition
  SimpleSelector type;
  type.kind = SimpleSelector::Kind::kType;
  type.no_namespace = no_namespace;
  type.name = AsciiLowered(name);
  type.tag = name == "*" ? GUMBO_TAG_UNKNOWN : gumbo_tag_enum(type.name.c_str());
  out->simples.push_back(std::move(type));
  return OkStatus();
}

Status SelectorParser::ParseAttribute(SimpleSelector* out) {
  ++pos_;  // '['
  SkipWhitespace();
  out->kind = SimpleSelector::Kind::kAttribute;
  FORAGE_RETURN_IF_ERROR(ParseAttributeName(&out->name));
  SkipWhitespace();
  char c = Peek();
  if (c == ']') {
    ++pos_;
    out->op = AttributeOperator::kExists;
    return OkStatus();
  }
  if (c == '=') {
    out->op = AttributeOperator::kEquals;
    ++pos_;
  } else if (Peek(1) == '=' && (c == '~' || c == '|' || c == '^' || c == '$' || c == '*')) {
    out->op = c == '~'   ? AttributeOperator::kIncludes
              : c == '|' ? AttributeOperator::kDashMatch
              : c == '^' ? AttributeOperator::kPrefix
              : c == '$' ? AttributeOperator::kSuffix
                         : AttributeOperator::kSubstring;
    pos_ += 2;
  } else {
    return Fail(pos_, "expected '=' or ']'");
  }
  SkipWhitespace();
  if (Peek() == '"' || Peek() == '\'') {
    if (!lexer_.ConsumeString(pos_, &out->value)) return Fail(lexer_.error_at(), lexer_.error());
  } else if (!ParseIdent(&out->value)) {
    // CSS allows only identifiers unquoted; `[data-id=759]` is a common slip.
    return Fail(pos_, "expected an attribute value (an identifier or a quoted string)");
  }
  SkipWhitespace();
  size_t flag_at = pos_;
  std::string flag;
  if (ParseIdent(&flag)) {
    flag = AsciiLowered(flag);
    if (flag == "i") {
      out->value_case = ValueCase::kInsensitive;
    } else if (flag == "s") {
      out->value_case = ValueCase::kSensitive;
    } else {
      return Fail(flag_at, fmt::format("unknown attribute flag '{}' (supported: i, s)", flag));
    }
    SkipWhitespace();
  }
  if (Peek() != ']') return Fail(pos_, "expected ']'");
  ++pos_;
  return OkStatus();
}

// `name`, `*|name` (any namespace) or `|name` (no namespace): the same for
// the attributes of HTML, which have no namespace except xlink:/xml: ones.
Status SelectorParser::ParseAttributeName(std::string* out) {
  if (Peek() == '*' && Peek(1) == '|' && lexer_.StartsIdent(pos_ + 2)) {
    pos_ += 2;
  } else if (Peek() == '|' && lexer_.StartsIdent(pos_ + 1)) {
    pos_ += 1;
  }
  size_t start = pos_;
  if (!ParseIdent(out)) return Fail(pos_, "expected an attribute name");
  if (Peek() == '|' && Peek(1) != '=' && lexer_.StartsIdent(pos_ + 1)) {
    return Fail(start, "namespace prefixes are not supported");
  }
  *out = AsciiLowered(*out);
  return OkStatus();
}

Status SelectorParser::ParsePseudoClass(SimpleSelector* out) {
  size_t colon = pos_;
  ++pos_;  // ':'
  std::string name;
  if (!ParseIdent(&name)) return Fail(pos_, "expected a pseudo-class name");
  name = AsciiLowered(name);
  if (Peek() != '(') {
    if (const PseudoClass* pseudo = Lookup(kPlainPseudoClasses, name)) {
      *out = Pseudo(*pseudo);
      return OkStatus();
    }
    for (std::string_view legacy : kLegacyPseudoElements) {
      if (name == legacy)
        return Fail(colon, fmt::format("pseudo-element ':{}' is not supported", name));
    }
    if (Lookup(kFunctionalPseudoClasses, name) != nullptr) {
      return Fail(pos_, fmt::format("expected '(' after ':{}'", name));
    }
    return Fail(colon, fmt::format("unknown pseudo-class ':{}'", name));
  }
  const PseudoClass* pseudo = Lookup(kFunctionalPseudoClasses, name);
  if (pseudo == nullptr) {
    if (Lookup(kPlainPseudoClasses, name) != nullptr) {
      return Fail(pos_, fmt::format("':{}' takes no arguments", name));
    }
    return Fail(colon, fmt::format("unknown pseudo-class ':{}()'", name));
  }
  if (*pseudo == PseudoClass::kHas && has_nesting_ > 0) {
    return Fail(colon, "':has()' cannot be nested inside ':has()'");
  }
  if (nesting_ >= kMaxNesting) {
    limit_error_ = Fail(colon, fmt::format("selector nested too deeply (more than {} levels of "
                                           "functional pseudo-classes)",
                                           kMaxNesting));
    return *limit_error_;
  }
  ++pos_;  // '('
  *out = Pseudo(*pseudo);
  ++nesting_;
  if (*pseudo == PseudoClass::kHas) ++has_nesting_;
  SkipWhitespace();
  Status status = ParseFunctionArguments(*pseudo, out);
  if (*pseudo == PseudoClass::kHas) --has_nesting_;
  --nesting_;
  if (!status) return status;
  return ExpectCloseParen();
}

Status SelectorParser::ParseFunctionArguments(PseudoClass pseudo, SimpleSelector* out) {
  switch (pseudo) {
    case PseudoClass::kNthChild:
    case PseudoClass::kNthLastChild: {
      FORAGE_RETURN_IF_ERROR(ParseNth(&out->nth));
      SkipWhitespace();
      size_t of_at = pos_;
      std::string word;
      if (!ParseIdent(&word)) return OkStatus();
      if (AsciiLowered(word) != "of") return Fail(of_at, "expected 'of' or ')'");
      return ParseNestedList(&out->selectors, /*relative=*/false);
    }
    case PseudoClass::kNthOfType:
    case PseudoClass::kNthLastOfType:
      return ParseNth(&out->nth);
    case PseudoClass::kNot:
      return ParseNestedList(&out->selectors, /*relative=*/false);
    case PseudoClass::kHas:
      return ParseNestedList(&out->selectors, /*relative=*/true);
    case PseudoClass::kIs:
      return ParseForgivingList(&out->selectors);
    case PseudoClass::kContains:
    case PseudoClass::kContainsOwn:
    case PseudoClass::kLang:
      return ParseTexts(&out->texts);
    default:
      return Fail(pos_, "unexpected arguments");
  }
}

Status SelectorParser::ExpectCloseParen() {
  SkipWhitespace();
  if (Peek() != ')') {
    if (AtEnd()) return Fail(pos_, "expected ')'");
    return Fail(pos_, fmt::format("expected ')', found {}", Describe(pos_)));
  }
  ++pos_;
  return OkStatus();
}

// The An+B microsyntax of CSS Syntax 3, section 6, over its tokens: `odd`,
// `even`, `3`, `+5`, `-n+3`, `2n`, `2n+1`, `2n - 1`, `n- 1`. Whitespace may
// separate the B part, but not a '+' from the 'n' after it.
Status SelectorParser::ParseNth(Nth* out) {
  size_t start = pos_;
  Status parsed = ParseNthValues(out);
  if (parsed && (out->a > kMaxNthValue || out->a < -kMaxNthValue || out->b > kMaxNthValue ||
                 out->b < -kMaxNthValue)) {
    return Fail(start, fmt::format("an+b value out of range (at most {} either way)",
                                   kMaxNthValue));
  }
  return parsed;
}

Status SelectorParser::ParseNthValues(Nth* out) {
  size_t start = pos_;
  auto fail = [&] { return Fail(start, "invalid an+b expression"); };
  CssLexer::NthPrefix prefix;
  if (!lexer_.ConsumeNthPrefix(pos_, &prefix)) return fail();
  out->a = prefix.a;
  out->b = prefix.b;
  if (prefix.kind == CssLexer::NthPrefix::kDone) return OkStatus();
  size_t before_space = pos_;
  SkipWhitespace();
  int64_t value = 0;
  bool has_sign = false;
  if (prefix.kind == CssLexer::NthPrefix::kNeedsSignless) {
    // `n-` / `2n-` / `-n-`: a signless integer must follow.
    if (!lexer_.ConsumeInteger(pos_, &value, &has_sign) || has_sign) return fail();
    out->b = -value;
    return OkStatus();
  }
  // After `n`: nothing, a signed integer, or '+'/'-' and a signless one.
  char c = Peek();
  if ((c == '+' || c == '-') && !CssLexer::IsDigit(Peek(1))) {
    ++pos_;
    SkipWhitespace();
    if (!lexer_.ConsumeInteger(pos_, &value, &has_sign) || has_sign) return fail();
    out->b = c == '-' ? -value : value;
    return OkStatus();
  }
  if ((c == '+' || c == '-') && lexer_.ConsumeInteger(pos_, &value, &has_sign)) {
    out->b = value;
    return OkStatus();
  }
  pos_ = before_space;
  return OkStatus();
}

// Comma-separated strings or identifiers: `:-soup-contains("a", 'b')`.
Status SelectorParser::ParseTexts(std::vector<std::string>* out) {
  for (;;) {
    SkipWhitespace();
    std::string value;
    if (Peek() == '"' || Peek() == '\'') {
      if (!lexer_.ConsumeString(pos_, &value)) return Fail(lexer_.error_at(), lexer_.error());
    } else if (!ParseIdent(&value)) {
      return Fail(pos_, "expected a string or an identifier");
    }
    out->push_back(std::move(value));
    SkipWhitespace();
    if (Peek() != ',') return OkStatus();
    ++pos_;
  }
}

Status SelectorParser::ParsePseudoElement(ParsedSelector* out) {
  size_t start = pos_;
  pos_ += 2;  // "::"
  std::string name;
  if (!ParseIdent(&name)) return Fail(pos_, "expected a pseudo-element name");
  name = AsciiLowered(name);
  if (name == "text" || name == "html") {
    out->pseudo = name == "text" ? PseudoElement::kText : PseudoElement::kHtml;
    return OkStatus();
  }
  if (name != "attr") {
    return Fail(start, fmt::format("unknown pseudo-element '::{}' (supported: ::text, ::html, "
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
