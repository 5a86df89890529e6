#pragma once
// Matching compiled selectors (selector_ast.h) against Gumbo elements.
// Internal to parser/; Selector (selector.h) is the public face.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "parser/gumbo_fwd.h"
#include "parser/selector_ast.h"

namespace forage::parser {

class SiblingPositions;

// What a match depends on beyond the element: fixed for one query.
struct MatchContext {
  const GumboNode* scope = nullptr;   // the element :scope matches
  const GumboNode* anchor = nullptr;  // inside :has(): the element it is tested on
  bool quirks = false;                // quirks-mode document: class and id fold case
  // Where :nth-child() and its kin keep sibling positions during the query;
  // null: every position is counted by walking the siblings.
  SiblingPositions* positions = nullptr;
};

// Whether the element `node` matches any selector of `list`.
bool MatchesList(const SelectorList& list, const GumboNode* node, const MatchContext& context);

// The positions of elements among their element siblings, counted once per
// parent and kept for one query: with them, :nth-child() and its kin cost
// O(1) an element, where counting siblings would cost O(n) and a whole list
// of n siblings O(n^2) (a million <li> never finished). Only parents with
// many children are counted here; a short list is quicker to walk. Tied to
// one document: nodes are keyed by address, and the next page's tree may
// reuse the addresses (the arena does), so make a new one per query.
class SiblingPositions {
 public:
  // Parents with at most this many child nodes are not counted here.
  static constexpr unsigned int kMinChildren = 32;

  struct Position {
    uint32_t index = 0;     // 1-based among element siblings (0: not an element)
    uint32_t of_type = 0;   // 1-based among element siblings of the same type
    uint32_t type_count = 0;  // element siblings of the same type, itself included
  };
  struct Counts {
    std::vector<Position> positions;  // by index_within_parent
    uint32_t elements = 0;
  };
  // Positions among the siblings that match `of` (1-based; 0 for those that
  // do not), for :nth-child(An+B of S).
  struct Matching {
    std::vector<uint32_t> index;  // by index_within_parent
    uint32_t count = 0;
  };

  // Null when `parent` has too few children to be worth counting.
  const Counts* For(const GumboNode* parent);
  // MetaLanguage (element_states.h) of the tree under `top`, looked up once:
  // :lang() on a page without `lang` would otherwise walk the whole document
  // for every element.
  std::optional<std::string_view> MetaLanguage(const GumboNode* top);
  const Matching* ForMatching(const GumboNode* parent, const SelectorList& of,
                              const MatchContext& context);

 private:
  std::unordered_map<const GumboNode*, Counts> counts_;
  std::unordered_map<const GumboNode*, std::optional<std::string_view>> meta_language_;
  // By parent, S, and the :has() anchor and :scope that S may refer to.
  std::map<std::tuple<const GumboNode*, const SelectorList*, const GumboNode*, const GumboNode*>,
           Matching>
      matching_;
};

}  // namespace forage::parser
