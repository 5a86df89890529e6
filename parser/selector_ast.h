#pragma once
// The compiled form of a CSS selector list: what selector_parser.cc produces
// and selector.cc matches. Internal to parser/ (includes <gumbo.h>).
//
// A selector list is a list of complex selectors; a complex selector is a
// chain of compound selectors joined by combinators; a compound selector is a
// list of simple selectors that must all hold for one element. Matching goes
// right to left: the last compound must match the candidate, then each
// combinator walks to the elements that may satisfy the compound on its left.
// New selector kinds slot in as new enumerators: combinators (`+`, `~`),
// attribute operators (`^=` ...), and pseudo-classes as a SimpleSelector kind
// carrying its argument (an+b, or a nested SelectorList for :not/:is/:has).

#include <string>
#include <vector>

#include <gumbo.h>

namespace forage::parser {

// How a compound relates to the compound on its left.
enum class Combinator {
  kDescendant,  // whitespace
  kChild,       // >
};

enum class AttributeOperator {
  kExists,  // [name]
  kEquals,  // [name=value]
};

struct SimpleSelector {
  enum class Kind { kType, kClass, kId, kAttribute };

  Kind kind = Kind::kType;
  // kType: the interned tag. GUMBO_TAG_UNKNOWN means a tag Gumbo has no enum
  // for; then `name` is compared with the element's source tag name.
  GumboTag tag = GUMBO_TAG_UNKNOWN;
  AttributeOperator op = AttributeOperator::kExists;
  // kType, kAttribute: ASCII-lowercased. kClass, kId: as written, escapes
  // resolved (these values are case-sensitive).
  std::string name;
  std::string value;  // kAttribute with kEquals
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
