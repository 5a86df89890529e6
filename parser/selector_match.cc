#include "parser/selector_match.h"

#include <optional>
#include <string>
#include <string_view>

#include <gumbo.h>

#include "parser/ascii.h"
#include "parser/element_states.h"
#include "parser/node_walk.h"

// Matching runs once per element visited, so the common selectors must not
// allocate: names are compared against Gumbo's strings in place, and tags as
// GumboTag integers wherever Gumbo knows the tag. Only :-soup-contains and
// :lang build strings.

namespace forage::parser {
namespace {

// The attributes whose values HTML matches ASCII case-insensitively in
// selectors, on HTML elements, unless the selector has the `s` flag. From the
// HTML standard, section "Case-sensitivity of selectors"; browsers implement
// the same list.
constexpr std::string_view kCaseInsensitiveAttributes[] = {
    "accept",     "accept-charset", "align",     "alink",    "axis",     "bgcolor", "charset",
    "checked",    "clear",          "codetype",  "color",    "compact",  "declare", "defer",
    "dir",        "direction",      "disabled",  "enctype",  "face",     "frame",   "hreflang",
    "http-equiv", "lang",           "language",  "link",     "media",    "method",  "multiple",
    "nohref",     "noresize",       "noshade",   "nowrap",   "readonly", "rel",     "rev",
    "rules",      "scope",          "scrolling", "selected", "shape",    "target",  "text",
    "type",       "valign",         "valuetype", "vlink",
};

bool IsCaseInsensitiveAttribute(std::string_view name) {
  for (std::string_view entry : kCaseInsensitiveAttributes) {
    if (entry == name) return true;
  }
  return false;
}

bool SameType(const GumboNode* a, const GumboNode* b) {
  const GumboElement& x = a->v.element;
  const GumboElement& y = b->v.element;
  if (x.tag != y.tag || x.tag_namespace != y.tag_namespace) return false;
  return x.tag != GUMBO_TAG_UNKNOWN || EqualsIgnoreAsciiCase(SourceTagName(x), SourceTagName(y));
}

// Whether `token` is one of the ASCII-whitespace-separated tokens of `list`.
bool HasToken(const char* list, std::string_view token, bool ignore_case) {
  const char* p = list;
  for (;;) {
    while (IsAsciiWhitespace(*p)) ++p;
    if (*p == '\0') return false;
    const char* start = p;
    while (*p != '\0' && !IsAsciiWhitespace(*p)) ++p;
    std::string_view word(start, static_cast<size_t>(p - start));
    if (ignore_case ? EqualsIgnoreAsciiCase(word, token) : word == token) return true;
  }
}

bool Equal(std::string_view a, std::string_view b, bool ignore_case) {
  return ignore_case ? EqualsIgnoreAsciiCase(a, b) : a == b;
}

bool MatchesAttributeValue(const SimpleSelector& simple, std::string_view value, bool ignore_case) {
  std::string_view want = simple.value;
  switch (simple.op) {
    case AttributeOperator::kExists:
      return true;
    case AttributeOperator::kEquals:
      return Equal(value, want, ignore_case);
    case AttributeOperator::kIncludes: {
      if (want.empty()) return false;
      for (char c : want) {
        if (IsAsciiWhitespace(c)) return false;
      }
      std::string terminated(value);  // HasToken wants a C string
      return HasToken(terminated.c_str(), want, ignore_case);
    }
    case AttributeOperator::kDashMatch:
      return Equal(value, want, ignore_case) ||
             (value.size() > want.size() && value[want.size()] == '-' &&
              Equal(value.substr(0, want.size()), want, ignore_case));
    case AttributeOperator::kPrefix:
      return !want.empty() && value.size() >= want.size() &&
             Equal(value.substr(0, want.size()), want, ignore_case);
    case AttributeOperator::kSuffix:
      return !want.empty() && value.size() >= want.size() &&
             Equal(value.substr(value.size() - want.size()), want, ignore_case);
    case AttributeOperator::kSubstring: {
      if (want.empty()) return false;
      if (!ignore_case) return value.find(want) != std::string_view::npos;
      std::string lowered = AsciiLowered(value);
      return lowered.find(AsciiLowered(want)) != std::string::npos;
    }
  }
  return false;
}

bool MatchesAttribute(const SimpleSelector& simple, const GumboNode* element) {
  const GumboAttribute* attribute = FindAttribute(element, simple.name);
  if (attribute == nullptr) return false;
  if (simple.op == AttributeOperator::kExists) return true;
  bool ignore_case = simple.value_case == ValueCase::kInsensitive ||
                     (simple.value_case == ValueCase::kHtmlDefault && IsHtml(element) &&
                      IsCaseInsensitiveAttribute(simple.name));
  return MatchesAttributeValue(simple, attribute->value, ignore_case);
}

bool MatchesType(const SimpleSelector& simple, const GumboElement& element) {
  if (simple.no_namespace) return false;  // HTML puts every element in a namespace
  if (simple.tag != GUMBO_TAG_UNKNOWN) return element.tag == simple.tag;
  return element.tag == GUMBO_TAG_UNKNOWN &&
         EqualsIgnoreAsciiCase(SourceTagName(element), simple.name);
}

bool MatchesNth(const Nth& nth, int64_t index) {
  if (nth.a == 0) return index == nth.b;
  int64_t steps = index - nth.b;
  return steps % nth.a == 0 && steps / nth.a >= 0;
}

// The 1-based position of `element` among its element siblings, counted from
// the start or the end, counting only those that pass `counts`.
template <typename Counts>
int64_t SiblingIndex(const GumboNode* element, bool from_end, Counts counts) {
  int64_t index = 1;
  for (const GumboNode* s = from_end ? NextElementSibling(element)
                                     : PreviousElementSibling(element);
       s != nullptr; s = from_end ? NextElementSibling(s) : PreviousElementSibling(s)) {
    if (counts(s)) ++index;
  }
  return index;
}

// The element's SiblingPositions entry, or null when there is none (no
// cache, a short sibling list, a parent that is not an element or document).
const SiblingPositions::Counts* CountsFor(const GumboNode* element, const MatchContext& context) {
  if (context.positions == nullptr || element->parent == nullptr) return nullptr;
  return context.positions->For(element->parent);
}

bool MatchesNthChild(const SimpleSelector& simple, const GumboNode* element, bool from_end,
                     const MatchContext& context) {
  if (simple.selectors.empty()) {
    if (const SiblingPositions::Counts* counts = CountsFor(element, context)) {
      int64_t index = counts->positions[element->index_within_parent].index;
      return MatchesNth(simple.nth, from_end ? counts->elements + 1 - index : index);
    }
    return MatchesNth(simple.nth,
                      SiblingIndex(element, from_end, [](const GumboNode*) { return true; }));
  }
  if (!MatchesList(simple.selectors, element, context)) return false;
  if (context.positions != nullptr && element->parent != nullptr) {
    const SiblingPositions::Matching* matching =
        context.positions->ForMatching(element->parent, simple.selectors, context);
    if (matching != nullptr) {
      int64_t index = matching->index[element->index_within_parent];
      return MatchesNth(simple.nth, from_end ? matching->count + 1 - index : index);
    }
  }
  auto counts = [&](const GumboNode* s) { return MatchesList(simple.selectors, s, context); };
  return MatchesNth(simple.nth, SiblingIndex(element, from_end, counts));
}

bool MatchesNthOfType(const Nth& nth, const GumboNode* element, bool from_end,
                      const MatchContext& context) {
  if (const SiblingPositions::Counts* counts = CountsFor(element, context)) {
    const SiblingPositions::Position& p = counts->positions[element->index_within_parent];
    return MatchesNth(nth, from_end ? p.type_count + 1 - p.of_type : p.of_type);
  }
  auto counts = [&](const GumboNode* s) { return SameType(s, element); };
  return MatchesNth(nth, SiblingIndex(element, from_end, counts));
}

bool IsEmpty(const GumboNode* element) {
  const GumboVector* children = ChildrenOf(element);
  if (children == nullptr) return true;  // a <template>: its contents are elsewhere
  for (unsigned int i = 0; i < children->length; ++i) {
    if (ChildAt(children, i)->type != GUMBO_NODE_COMMENT) return false;
  }
  return true;
}

bool IsRoot(const GumboNode* element) {
  return element->parent != nullptr && element->parent->type == GUMBO_NODE_DOCUMENT;
}

// Text for :-soup-contains: every descendant text node, unnormalised (own:
// only the child text nodes), as soupsieve does.
std::string RawText(const GumboNode* element, bool own) {
  std::string text;
  if (own) {
    const GumboVector* children = ChildrenOf(element);
    for (unsigned int i = 0; children != nullptr && i < children->length; ++i) {
      if (IsText(ChildAt(children, i))) text += TextOf(ChildAt(children, i));
    }
    return text;
  }
  for (const GumboNode* n = NextInPreOrder(element, element); n != nullptr;
       n = NextInPreOrder(n, element)) {
    if (IsText(n)) text += TextOf(n);
  }
  return text;
}

bool ContainsAny(const SimpleSelector& simple, const GumboNode* element, bool own) {
  std::string text = RawText(element, own);
  for (const std::string& needle : simple.texts) {
    if (text.find(needle) != std::string::npos) return true;
  }
  return false;
}

bool MatchesLang(const SimpleSelector& simple, const GumboNode* element,
                 const MatchContext& context) {
  const GumboNode* top = nullptr;
  std::optional<std::string_view> language = DeclaredLanguage(element, &top);
  if (!language) {
    language = context.positions != nullptr ? context.positions->MetaLanguage(top)
                                            : parser::MetaLanguage(top);
  }
  if (!language) return false;
  for (const std::string& range : simple.texts) {
    if (LanguageMatches(range, *language)) return true;
  }
  return false;
}

bool MatchesHas(const SimpleSelector& simple, const GumboNode* element, const MatchContext& outer);

bool MatchesPseudoClass(const SimpleSelector& simple, const GumboNode* element,
                        const MatchContext& context) {
  switch (simple.pseudo) {
    case PseudoClass::kFirstChild:
      return PreviousElementSibling(element) == nullptr;
    case PseudoClass::kLastChild:
      return NextElementSibling(element) == nullptr;
    case PseudoClass::kOnlyChild:
      return PreviousElementSibling(element) == nullptr && NextElementSibling(element) == nullptr;
    case PseudoClass::kNthChild:
      return MatchesNthChild(simple, element, /*from_end=*/false, context);
    case PseudoClass::kNthLastChild:
      return MatchesNthChild(simple, element, /*from_end=*/true, context);
    case PseudoClass::kNthOfType:
      return MatchesNthOfType(simple.nth, element, /*from_end=*/false, context);
    case PseudoClass::kNthLastOfType:
      return MatchesNthOfType(simple.nth, element, /*from_end=*/true, context);
    case PseudoClass::kFirstOfType:
      return MatchesNthOfType(Nth{0, 1}, element, /*from_end=*/false, context);
    case PseudoClass::kLastOfType:
      return MatchesNthOfType(Nth{0, 1}, element, /*from_end=*/true, context);
    case PseudoClass::kOnlyOfType:
      return MatchesNthOfType(Nth{0, 1}, element, false, context) &&
             MatchesNthOfType(Nth{0, 1}, element, true, context);
    case PseudoClass::kEmpty:
      return IsEmpty(element);
    case PseudoClass::kRoot:
      return IsRoot(element);
    case PseudoClass::kScope:
      return element == context.scope;
    case PseudoClass::kAnchor:
      return element == context.anchor;
    case PseudoClass::kNot:
      return !MatchesList(simple.selectors, element, context);
    case PseudoClass::kIs:
      return MatchesList(simple.selectors, element, context);
    case PseudoClass::kHas:
      return MatchesHas(simple, element, context);
    case PseudoClass::kContains:
      return ContainsAny(simple, element, /*own=*/false);
    case PseudoClass::kContainsOwn:
      return ContainsAny(simple, element, /*own=*/true);
    case PseudoClass::kAnyLink:
      return (IsHtmlTag(element, GUMBO_TAG_A) || IsHtmlTag(element, GUMBO_TAG_AREA)) &&
             HasAttribute(element, "href");
    case PseudoClass::kChecked:
      return IsChecked(element);
    case PseudoClass::kDisabled:
      return IsDisabled(element);
    case PseudoClass::kEnabled:
      return IsFormControl(element) && !IsDisabled(element);
    case PseudoClass::kRequired:
      return IsRequirable(element) && HasAttribute(element, "required");
    case PseudoClass::kOptional:
      return IsRequirable(element) && !HasAttribute(element, "required");
    case PseudoClass::kReadOnly:
      return !IsReadWrite(element);
    case PseudoClass::kReadWrite:
      return IsReadWrite(element);
    case PseudoClass::kDefined:
      return IsDefined(element);
    case PseudoClass::kLang:
      return MatchesLang(simple, element, context);
    case PseudoClass::kNever:
      return false;
  }
  return false;
}

bool MatchesSimple(const SimpleSelector& simple, const GumboNode* node,
                   const MatchContext& context) {
  switch (simple.kind) {
    case SimpleSelector::Kind::kType:
      return MatchesType(simple, node->v.element);
    case SimpleSelector::Kind::kClass: {
      const GumboAttribute* attribute = FindAttribute(node, "class");
      return attribute != nullptr && HasToken(attribute->value, simple.name, context.quirks);
    }
    case SimpleSelector::Kind::kId: {
      const GumboAttribute* attribute = FindAttribute(node, "id");
      return attribute != nullptr && Equal(attribute->value, simple.name, context.quirks);
    }
    case SimpleSelector::Kind::kAttribute:
      return MatchesAttribute(simple, node);
    case SimpleSelector::Kind::kPseudoClass:
      return MatchesPseudoClass(simple, node, context);
  }
  return false;
}

bool MatchesCompound(const CompoundSelector& compound, const GumboNode* node,
                     const MatchContext& context) {
  for (const SimpleSelector& simple : compound.simples) {
    if (!MatchesSimple(simple, node, context)) return false;
  }
  return true;
}

// How matching compounds[0..index] at an element failed, which tells the
// caller whether other candidates are worth trying: WebKit's SelectorChecker
// scheme (also Blink's and Servo's). A descendant combinator that simply
// tried every ancestor would cost depth^k on deep pages for k compounds; with
// this, a failing element costs about one walk to the root.
enum class Outcome {
  kMatched,
  kFailsLocally,      // this element failed; another candidate may succeed
  kFailsAllSiblings,  // no earlier sibling of this element can succeed either
  kFailsCompletely,   // no ancestor of this element (nor their siblings) can succeed
};

Outcome MatchFrom(const ComplexSelector& complex, size_t index, const GumboNode* element,
                  const MatchContext& context) {
  const CompoundSelector& compound = complex.compounds[index];
  if (!MatchesCompound(compound, element, context)) return Outcome::kFailsLocally;
  if (index == 0) return Outcome::kMatched;
  switch (compound.combinator) {
    case Combinator::kDescendant:
      for (const GumboNode* a = ParentElement(element); a != nullptr; a = ParentElement(a)) {
        Outcome outcome = MatchFrom(complex, index - 1, a, context);
        if (outcome == Outcome::kMatched || outcome == Outcome::kFailsCompletely) return outcome;
      }
      return Outcome::kFailsCompletely;
    case Combinator::kChild: {
      const GumboNode* parent = ParentElement(element);
      if (parent == nullptr) return Outcome::kFailsCompletely;
      return MatchFrom(complex, index - 1, parent, context);
    }
    case Combinator::kNextSibling: {
      const GumboNode* previous = PreviousElementSibling(element);
      if (previous == nullptr) return Outcome::kFailsAllSiblings;
      return MatchFrom(complex, index - 1, previous, context);
    }
    case Combinator::kSubsequentSibling:
      for (const GumboNode* s = PreviousElementSibling(element); s != nullptr;
           s = PreviousElementSibling(s)) {
        Outcome outcome = MatchFrom(complex, index - 1, s, context);
        if (outcome != Outcome::kFailsLocally) return outcome;
      }
      return Outcome::kFailsAllSiblings;
  }
  return Outcome::kFailsCompletely;
}

bool MatchesComplex(const ComplexSelector& complex, const GumboNode* node,
                    const MatchContext& context) {
  return MatchFrom(complex, complex.compounds.size() - 1, node, context) == Outcome::kMatched;
}

// Whether any element of the subtrees `first`, its following siblings (when
// `siblings`) and their descendants (when `descendants`) matches `complex`.
bool AnyMatchFrom(const ComplexSelector& complex, const GumboNode* first, bool siblings,
                  bool descendants, const MatchContext& context) {
  for (const GumboNode* top = first; top != nullptr;
       top = siblings ? NextElementSibling(top) : nullptr) {
    if (MatchesComplex(complex, top, context)) return true;
    if (!descendants) continue;
    for (const GumboNode* n = NextInPreOrder(top, top); n != nullptr; n = NextInPreOrder(n, top)) {
      if (IsElement(n) && MatchesComplex(complex, n, context)) return true;
    }
  }
  return false;
}

const GumboNode* FirstElementChild(const GumboNode* element) {
  const GumboVector* children = ChildrenOf(element);
  for (unsigned int i = 0; children != nullptr && i < children->length; ++i) {
    if (IsElement(ChildAt(children, i))) return ChildAt(children, i);
  }
  return nullptr;
}

// :has(rel): some element in the right place relative to `element` matches
// rel with `element` as its anchor. Only the places the combinators can
// reach are searched: children for `> a`, the next sibling for `+ a`, and so
// on.
bool MatchesHas(const SimpleSelector& simple, const GumboNode* element, const MatchContext& outer) {
  MatchContext context = outer;
  context.anchor = element;
  for (const ComplexSelector& complex : simple.selectors) {
    // compounds[0] is the anchor; compounds[1] carries the leading combinator.
    bool only_children = true;
    bool has_descendant_step = false;
    for (size_t i = 1; i < complex.compounds.size(); ++i) {
      Combinator c = complex.compounds[i].combinator;
      if (c == Combinator::kDescendant || c == Combinator::kChild) has_descendant_step = true;
      if (c != Combinator::kChild) only_children = false;
    }
    Combinator leading = complex.compounds[1].combinator;
    bool found = false;
    if (leading == Combinator::kNextSibling || leading == Combinator::kSubsequentSibling) {
      const GumboNode* next = NextElementSibling(element);
      bool all_siblings = leading == Combinator::kSubsequentSibling || complex.compounds.size() > 2;
      found = next != nullptr &&
              AnyMatchFrom(complex, next, all_siblings, has_descendant_step, context);
    } else if (complex.compounds.size() == 2 && only_children) {
      const GumboNode* child = FirstElementChild(element);
      found = child != nullptr && AnyMatchFrom(complex, child, true, false, context);
    } else {
      const GumboNode* child = FirstElementChild(element);
      found = child != nullptr && AnyMatchFrom(complex, child, true, true, context);
    }
    if (found) return true;
  }
  return false;
}

// An element's type for :nth-of-type(): its tag and namespace, and for a tag
// Gumbo has no enum for, its name as written, ASCII-lowercased.
std::string TypeKey(const GumboNode* element) {
  const GumboElement& e = element->v.element;
  std::string key = std::to_string(static_cast<int>(e.tag)) + ':' +
                    std::to_string(static_cast<int>(e.tag_namespace));
  if (e.tag == GUMBO_TAG_UNKNOWN) key += ':' + AsciiLowered(SourceTagName(e));
  return key;
}

}  // namespace

const SiblingPositions::Counts* SiblingPositions::For(const GumboNode* parent) {
  const GumboVector* children = ChildrenOf(parent);
  if (children == nullptr || children->length <= kMinChildren) return nullptr;
  auto [it, inserted] = counts_.try_emplace(parent);
  Counts& counts = it->second;
  if (!inserted) return &counts;
  counts.positions.resize(children->length);
  std::unordered_map<std::string, uint32_t> per_type;
  std::vector<uint32_t*> totals(children->length, nullptr);
  for (unsigned int i = 0; i < children->length; ++i) {
    const GumboNode* child = ChildAt(children, i);
    if (!IsElement(child)) continue;
    Position& p = counts.positions[i];
    p.index = ++counts.elements;
    uint32_t& of_type = per_type[TypeKey(child)];
    p.of_type = ++of_type;
    totals[i] = &of_type;  // unordered_map keeps its values in place
  }
  for (unsigned int i = 0; i < children->length; ++i) {
    if (totals[i] != nullptr) counts.positions[i].type_count = *totals[i];
  }
  return &counts;
}

std::optional<std::string_view> SiblingPositions::MetaLanguage(const GumboNode* top) {
  auto [it, inserted] = meta_language_.try_emplace(top);
  if (inserted) it->second = parser::MetaLanguage(top);
  return it->second;
}

const SiblingPositions::Matching* SiblingPositions::ForMatching(const GumboNode* parent,
                                                                const SelectorList& of,
                                                                const MatchContext& context) {
  const GumboVector* children = ChildrenOf(parent);
  if (children == nullptr || children->length <= kMinChildren) return nullptr;
  auto [it, inserted] =
      matching_.try_emplace(std::make_tuple(parent, &of, context.anchor, context.scope));
  Matching& matching = it->second;
  if (!inserted) return &matching;
  matching.index.resize(children->length);
  for (unsigned int i = 0; i < children->length; ++i) {
    const GumboNode* child = ChildAt(children, i);
    if (IsElement(child) && MatchesList(of, child, context)) matching.index[i] = ++matching.count;
  }
  return &matching;
}

bool MatchesList(const SelectorList& list, const GumboNode* node, const MatchContext& context) {
  for (const ComplexSelector& complex : list) {
    if (MatchesComplex(complex, node, context)) return true;
  }
  return false;
}

}  // namespace forage::parser
