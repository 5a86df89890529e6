#include "parser/selector.h"

#include <utility>

#include <gumbo.h>

#include "parser/ascii.h"
#include "parser/node_walk.h"
#include "parser/selector_ast.h"
#include "parser/selector_parser.h"

// Matching runs once per element visited, so it must not allocate: names are
// compared against Gumbo's strings in place, and tags as GumboTag integers
// wherever Gumbo knows the tag.

namespace forage::parser {
namespace {

// The tag name as written in the source: "<My-Tag a=b>" -> "My-Tag". Only
// needed for tags Gumbo has no enum for, which always come from source text.
std::string_view SourceTagName(const GumboElement& element) {
  std::string_view tag(element.original_tag.data, element.original_tag.length);
  if (!tag.empty() && tag.front() == '<') tag.remove_prefix(1);
  if (!tag.empty() && tag.front() == '/') tag.remove_prefix(1);
  size_t end = 0;
  while (end < tag.size() && !IsAsciiWhitespace(tag[end]) && tag[end] != '/' && tag[end] != '>') {
    ++end;
  }
  return tag.substr(0, end);
}

// Whether `token` is one of the ASCII-whitespace-separated tokens of `list`.
bool HasToken(const char* list, std::string_view token) {
  const char* p = list;
  for (;;) {
    while (IsAsciiWhitespace(*p)) ++p;
    if (*p == '\0') return false;
    const char* start = p;
    while (*p != '\0' && !IsAsciiWhitespace(*p)) ++p;
    if (std::string_view(start, static_cast<size_t>(p - start)) == token) return true;
  }
}

bool MatchesType(const SimpleSelector& simple, const GumboElement& element) {
  if (simple.tag != GUMBO_TAG_UNKNOWN) return element.tag == simple.tag;
  return element.tag == GUMBO_TAG_UNKNOWN &&
         EqualsIgnoreAsciiCase(SourceTagName(element), simple.name);
}

bool MatchesSimple(const SimpleSelector& simple, const GumboNode* node) {
  switch (simple.kind) {
    case SimpleSelector::Kind::kType:
      return MatchesType(simple, node->v.element);
    case SimpleSelector::Kind::kClass: {
      const GumboAttribute* attribute = FindAttribute(node, "class");
      return attribute != nullptr && HasToken(attribute->value, simple.name);
    }
    case SimpleSelector::Kind::kId: {
      const GumboAttribute* attribute = FindAttribute(node, "id");
      return attribute != nullptr && simple.name == attribute->value;
    }
    case SimpleSelector::Kind::kAttribute: {
      const GumboAttribute* attribute = FindAttribute(node, simple.name);
      if (attribute == nullptr) return false;
      return simple.op == AttributeOperator::kExists || simple.value == attribute->value;
    }
  }
  return false;
}

bool MatchesCompound(const CompoundSelector& compound, const GumboNode* node) {
  for (const SimpleSelector& simple : compound.simples) {
    if (!MatchesSimple(simple, node)) return false;
  }
  return true;
}

// How matching compounds[0..index] at an element failed, which tells the
// caller whether other candidates are worth trying: WebKit's SelectorChecker
// scheme (also Servo's). A descendant combinator that simply tried every
// ancestor would cost depth^k on deep pages for k compounds; with this, a
// failing element costs about one walk to the root. kNoMatchHere will split
// into "retry at a sibling" / "at a descendant" once `+` and `~` exist.
enum class Outcome {
  kMatched,
  kNoMatchHere,      // this element failed; another candidate may succeed
  kNoMatchAnywhere,  // no ancestor of this element can succeed either
};

Outcome MatchFrom(const ComplexSelector& complex, size_t index, const GumboNode* element) {
  const CompoundSelector& compound = complex.compounds[index];
  if (!MatchesCompound(compound, element)) return Outcome::kNoMatchHere;
  if (index == 0) return Outcome::kMatched;
  for (const GumboNode* candidate = ParentElement(element); candidate != nullptr;
       candidate = ParentElement(candidate)) {
    Outcome outcome = MatchFrom(complex, index - 1, candidate);
    // kNoMatchAnywhere: farther candidates are ancestors of this one.
    if (outcome != Outcome::kNoMatchHere) return outcome;
    // A child combinator has one candidate; a descendant one tries the next.
    if (compound.combinator == Combinator::kChild) return Outcome::kNoMatchHere;
  }
  // Out of ancestors: an ancestor of `element` has fewer still.
  return Outcome::kNoMatchAnywhere;
}

bool MatchesComplex(const ComplexSelector& complex, const GumboNode* node) {
  return MatchFrom(complex, complex.compounds.size() - 1, node) == Outcome::kMatched;
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
  for (const ComplexSelector& complex : list_) {
    if (MatchesComplex(complex, node)) return true;
  }
  return false;
}

// Testing each element once against the whole list, during one walk in
// document order, gives document order and no duplicates without sorting.
void Selector::SelectAll(const GumboNode* scope, std::vector<const GumboNode*>* out) const {
  for (const GumboNode* node = NextInPreOrder(scope, scope); node != nullptr;
       node = NextInPreOrder(node, scope)) {
    if (Matches(node)) out->push_back(node);
  }
}

const GumboNode* Selector::SelectFirst(const GumboNode* scope) const {
  for (const GumboNode* node = NextInPreOrder(scope, scope); node != nullptr;
       node = NextInPreOrder(node, scope)) {
    if (Matches(node)) return node;
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
