#include "parser/selector.h"

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
    : text_(std::move(text)), list_(std::move(list)) {}

Selector::Selector(const Selector&) = default;
Selector::Selector(Selector&&) noexcept = default;
Selector& Selector::operator=(const Selector&) = default;
Selector& Selector::operator=(Selector&&) noexcept = default;
Selector::~Selector() = default;

bool Selector::Matches(const GumboNode* node) const {
  if (!IsElement(node)) return false;
  return MatchesList(list_, node, ContextFor(node));  // one element: no counts worth keeping
}

// Testing each element once against the whole list, during one walk in
// document order, gives document order and no duplicates without sorting.
void Selector::SelectAll(const GumboNode* scope, std::vector<const GumboNode*>* out,
                         SiblingPositions* positions) const {
  SiblingPositions own;
  MatchContext context = ContextFor(scope);
  context.positions = positions != nullptr ? positions : &own;
  for (const GumboNode* node = NextInPreOrder(scope, scope); node != nullptr;
       node = NextInPreOrder(node, scope)) {
    if (CpuBudgetSpent()) return;  // --page-cpu-limit: the caller discards the result
    if (IsElement(node) && MatchesList(list_, node, context)) out->push_back(node);
  }
}

const GumboNode* Selector::SelectFirst(const GumboNode* scope,
                                      SiblingPositions* positions) const {
  SiblingPositions own;
  MatchContext context = ContextFor(scope);
  context.positions = positions != nullptr ? positions : &own;
  for (const GumboNode* node = NextInPreOrder(scope, scope); node != nullptr;
       node = NextInPreOrder(node, scope)) {
    if (CpuBudgetSpent()) return nullptr;  // --page-cpu-limit
    if (IsElement(node) && MatchesList(list_, node, context)) return node;
  }
  return nullptr;
}

Result<FieldSelector> CompileFieldSelector(std::string_view text) {
  Result<ParsedSelector> parsed = ParseSelector(text, /*allow_pseudo_element=*/true);
  if (!parsed) return parsed.error();
  FieldSelector field;
  if (!parsed->list.empty()) field.selector = Selector(std::string(text), std::move(parsed->list));
  field.pseudo = parsed->pseudo;
  field.attr_name = std::move(parsed->attr_name);
  return field;
}

}  // namespace forage::parser
