#pragma once
// Selector text -> SelectorList (selector_ast.h). Internal to parser/; the
// public entry points are Selector::Compile and CompileFieldSelector.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "parser/selector.h"
#include "parser/selector_ast.h"

namespace forage::parser {

struct ParsedSelector {
  SelectorList list;  // empty only when the text is a lone pseudo-element
  PseudoElement pseudo = PseudoElement::kNone;
  std::string attr_name;  // for PseudoElement::kAttr, ASCII-lowercased
  // With pseudo-elements allowed, each alternative of the list may end in its
  // own (`a::attr(href), img::attr(src)`): one per item of `list`. `pseudo`
  // and `attr_name` are then the first alternative's.
  std::vector<PseudoElement> pseudos;
  std::vector<std::string> attr_names;
};

// Parses a selector list, which may end in `::text`, `::html` or
// `::attr(NAME)` only when `allow_pseudo_element` is set. Errors are
// kInvalidArgument: "selector '<text>': <reason> at position <0-based byte
// offset>".
Result<ParsedSelector> ParseSelector(std::string_view text, bool allow_pseudo_element);

}  // namespace forage::parser
