#pragma once
// Matching compiled selectors (selector_ast.h) against Gumbo elements.
// Internal to parser/; Selector (selector.h) is the public face.

#include "parser/gumbo_fwd.h"
#include "parser/selector_ast.h"

namespace forage::parser {

// What a match depends on beyond the element: fixed for one query.
struct MatchContext {
  const GumboNode* scope = nullptr;   // the element :scope matches
  const GumboNode* anchor = nullptr;  // inside :has(): the element it is tested on
  bool quirks = false;                // quirks-mode document: class and id fold case
};

// Whether the element `node` matches any selector of `list`.
bool MatchesList(const SelectorList& list, const GumboNode* node, const MatchContext& context);

}  // namespace forage::parser
