#pragma once
// The compiled form of a CSS selector list: what selector_parser.cc produces
// and selector.cc matches. Internal to parser/ (includes <gumbo.h>).
//
// A selector list is a list of complex selectors; a complex selector is a
// chain of compound selectors joined by combinators; a compound selector is a
// list of simple selectors that must all hold for one element. Matching goes
// right to left: the last compound must match the candidate, then each
// combinator walks to the elements that may satisfy the compound on its left.
// Pseudo-classes with a selector argument (:not, :is, :has, :nth-child(... of
// S)) nest whole selector lists in a SimpleSelector.

#include <gumbo.h>

#include <cstdint>
#include <string>
#include <vector>

namespace forage::parser {

// How a compound relates to the compound on its left.
enum class Combinator {
  kDescendant,         // whitespace
  kChild,              // >
  kNextSibling,        // +
  kSubsequentSibling,  // ~
};

enum class AttributeOperator {
  kExists,     // [name]
  kEquals,     // [name=value]
  kIncludes,   // [name~=value]: one of the whitespace-separated words
  kDashMatch,  // [name|=value]: value, or value followed by '-'
  kPrefix,     // [name^=value]
  kSuffix,     // [name$=value]
  kSubstring,  // [name*=value]
};

// How an attribute value is compared.
enum class ValueCase {
  kHtmlDefault,  // no flag: case-sensitive, except HTML's legacy list of attributes
  kInsensitive,  // the `i` flag: ASCII case-insensitive
  kSensitive,    // the `s` flag: case-sensitive, even for the legacy list
};

enum class PseudoClass {
  kFirstChild,
  kLastChild,
  kOnlyChild,
  kNthChild,       // nth, optional `of S` in selectors
  kNthLastChild,   // nth, optional `of S` in selectors
  kNthOfType,      // nth
  kNthLastOfType,  // nth
  kFirstOfType,
  kLastOfType,
  kOnlyOfType,
  kEmpty,
  kRoot,
  kScope,
  kNot,          // selectors
  kIs,           // selectors; also :where, :matches, :any (specificity is irrelevant here)
  kHas,          // selectors, each relative: compounds[0] is the anchor (see kAnchor)
  kContains,     // texts: soupsieve's :-soup-contains (and :contains)
  kContainsOwn,  // texts: soupsieve's :-soup-contains-own
  kAnyLink,      // :any-link and :link: <a>/<area> with href (nothing is ever visited)
  kChecked,
  kDisabled,
  kEnabled,
  kRequired,
  kOptional,
  kReadOnly,
  kReadWrite,
  kDefined,
  kLang,    // texts: language ranges
  kNever,   // user-action and time states no static document has: :hover, :visited ...
  kAnchor,  // internal: the element a :has() argument is relative to
};

// An+B: matches the 1-based index i when i = a*n + b for some n >= 0.
struct Nth {
  int64_t a = 0;
  int64_t b = 0;
};

struct ComplexSelector;

struct SimpleSelector {
  enum class Kind { kType, kClass, kId, kAttribute, kPseudoClass };

  Kind kind = Kind::kType;
  // kType: the interned tag. GUMBO_TAG_UNKNOWN means a tag Gumbo has no enum
  // for; then `name` is compared with the element's source tag name.
  GumboTag tag = GUMBO_TAG_UNKNOWN;
  // kType with `|name`: only elements in no namespace, which HTML never has.
  bool no_namespace = false;
  AttributeOperator op = AttributeOperator::kExists;
  ValueCase value_case = ValueCase::kHtmlDefault;
  // kType, kAttribute: ASCII-lowercased. kClass, kId: as written, escapes
  // resolved (these values are case-sensitive).
  std::string name;
  std::string value;  // kAttribute with an operator other than kExists

  PseudoClass pseudo = PseudoClass::kRoot;  // kPseudoClass
  Nth nth;                                  // the :nth-* pseudo-classes
  std::vector<ComplexSelector> selectors;   // :not, :is, :has, :nth-child(... of S)
  std::vector<std::string> texts;           // :-soup-contains, :lang
};

struct CompoundSelector {
  Combinator combinator = Combinator::kDescendant;  // unused for the first compound
  std::vector<SimpleSelector> simples;              // all must match; empty means `*`
};

struct ComplexSelector {
  std::vector<CompoundSelector> compounds;  // left to right, never empty
};

using SelectorList = std::vector<ComplexSelector>;

}  // namespace forage::parser
