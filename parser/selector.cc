#include "parser/selector.h"

#include <algorithm>
#include <utility>

#include <gumbo.h>

#include "parser/ascii.h"
#include "parser/cpu_budget.h"
#include "parser/node_walk.h"
#include "parser/selector_ast.h"
#include "parser/selector_match.h"
#include "parser/selector_parser.h"

namespace forage::parser {
namespace {

const GumboNode* DocumentOf(const GumboNode* node) {
  while (node->parent != nullptr) node = node->parent;
  return node;
}

// querySelectorAll's context: quirks mode comes from the document, and
// :scope is the scope element (the root element for a document).
MatchContext ContextFor(const GumboNode* scope) {
  MatchContext context;
  const GumboNode* document = DocumentOf(scope);
  context.quirks = document->type == GUMBO_NODE_DOCUMENT &&
                   document->v.document.doc_type_quirks_mode == GUMBO_DOCTYPE_QUIRKS;
  context.scope = scope;
  if (scope->type == GUMBO_NODE_DOCUMENT) {
    const GumboVector* children = ChildrenOf(scope);
    context.scope = nullptr;
    for (unsigned int i = 0; i < children->length; ++i) {
      if (IsElement(ChildAt(children, i))) {
        context.scope = ChildAt(children, i);
        break;
      }
    }
  }
  return context;
}

}  // namespace

Result<Selector> Selector::Compile(std::string_view text) {
  Result<ParsedSelector> parsed = ParseSelector(text, /*allow_pseudo_element=*/false);
  if (!parsed) return parsed.error();
  return Selector(std::string(text), std::move(parsed->list));
}

Selector::Selector(std::string text, std::vector<ComplexSelector> list)
    : text_(std::move(text)), list_(std::move(list)) {
  FindSiblingReach();
}

void Selector::FindSiblingReach() {
  for (const ComplexSelector& complex : list_) {
    if (complex.compounds.size() < 2) continue;
    bool starts_at_scope = false;
    for (const SimpleSelector& simple : complex.compounds[0].simples) {
      starts_at_scope = starts_at_scope || (simple.kind == SimpleSelector::Kind::kPseudoClass &&
                                            simple.pseudo == PseudoClass::kScope);
    }
    Combinator first = complex.compounds[1].combinator;
    if (!starts_at_scope ||
        (first != Combinator::kNextSibling && first != Combinator::kSubsequentSibling)) {
      continue;
    }
    reaches_siblings_ = true;
    int plus = 0;
    bool tilde = false;
    for (size_t i = 1; i < complex.compounds.size(); ++i) {
      plus += complex.compounds[i].combinator == Combinator::kNextSibling ? 1 : 0;
      tilde = tilde || complex.compounds[i].combinator == Combinator::kSubsequentSibling;
    }
    if (tilde || sibling_window_ < 0) {
      sibling_window_ = -1;
    } else {
      sibling_window_ = std::max(sibling_window_, plus);
    }
  }
}

// Calls `visit` on every candidate in document order until it returns true:
// the elements below `scope`, then, for selectors that reach siblings, the
// scope's following element siblings (as many as can match) and their
// descendants.
template <typename Visit>
void Selector::Walk(const GumboNode* scope, Visit visit) const {
  for (const GumboNode* node = NextInPreOrder(scope, scope); node != nullptr;
       node = NextInPreOrder(node, scope)) {
    if (CpuBudgetSpent()) return;  // --page-cpu-limit: the caller discards the result
    if (IsElement(node) && visit(node)) return;
  }
  if (!reaches_siblings_ || !IsElement(scope)) return;
  int left = sibling_window_;
  for (const GumboNode* sibling = NextElementSibling(scope); sibling != nullptr && left != 0;
       sibling = NextElementSibling(sibling), --left) {
    if (visit(sibling)) return;
    for (const GumboNode* node = NextInPreOrder(sibling, sibling); node != nullptr;
         node = NextInPreOrder(node, sibling)) {
      if (CpuBudgetSpent()) return;
      if (IsElement(node) && visit(node)) return;
    }
  }
}

Selector::Selector(const Selector&) = default;
Selector::Selector(Selector&&) noexcept = default;
Selector& Selector::operator=(const Selector&) = default;
Selector& Selector::operator=(Selector&&) noexcept = default;
Selector::~Selector() = default;

bool Selector::Matches(const GumboNode* node) const {
  if (!IsElement(node)) return false;
  return MatchesList(list_, node, ContextFor(node));  // one element: no counts worth keeping
}

bool Selector::Matches(const GumboNode* node, const GumboNode* scope) const {
  if (!IsElement(node)) return false;
  return MatchesList(list_, node, ContextFor(scope));
}

// Testing each element once against the whole list, during one walk in
// document order, gives document order and no duplicates without sorting.
void Selector::SelectAll(const GumboNode* scope, std::vector<const GumboNode*>* out,
                         SiblingPositions* positions) const {
  SiblingPositions own;
  MatchContext context = ContextFor(scope);
  context.positions = positions != nullptr ? positions : &own;
  Walk(scope, [&](const GumboNode* node) {
    if (MatchesList(list_, node, context)) out->push_back(node);
    return false;
  });
}

const GumboNode* Selector::SelectFirst(const GumboNode* scope,
                                      SiblingPositions* positions) const {
  SiblingPositions own;
  MatchContext context = ContextFor(scope);
  context.positions = positions != nullptr ? positions : &own;
  const GumboNode* found = nullptr;
  Walk(scope, [&](const GumboNode* node) {
    if (!MatchesList(list_, node, context)) return false;
    found = node;
    return true;
  });
  return found;
}

Result<FieldSelector> CompileFieldSelector(std::string_view text) {
  Result<ParsedSelector> parsed = ParseSelector(text, /*allow_pseudo_element=*/true);
  if (!parsed) return parsed.error();
  FieldSelector field;
  field.pseudo = parsed->pseudo;
  field.attr_name = parsed->attr_name;
  bool uniform = true;
  for (size_t i = 0; i < parsed->pseudos.size(); ++i) {
    uniform = uniform && parsed->pseudos[i] == parsed->pseudo &&
              parsed->attr_names[i] == parsed->attr_name;
  }
  if (!uniform) {
    for (size_t i = 0; i < parsed->list.size(); ++i) {
      field.alternatives.push_back(
          FieldAlternative{Selector(std::string(text), {parsed->list[i]}), parsed->pseudos[i],
                           parsed->attr_names[i]});
    }
  }
  if (!parsed->list.empty()) field.selector = Selector(std::string(text), std::move(parsed->list));
  return field;
}

}  // namespace forage::parser
