#include "parser/element_states.h"

#include <gumbo.h>

#include "parser/ascii.h"
#include "parser/node_walk.h"

// The element states some pseudo-classes test, as the HTML standard defines
// them for a document no script has run on: what the markup says is checked,
// disabled, editable.

namespace forage::parser {
namespace {

// Inside a disabled <fieldset>, but not inside its first <legend>.
bool InDisabledFieldset(const GumboNode* element) {
  const GumboNode* child = element;
  for (const GumboNode* a = ParentElement(element); a != nullptr; child = a, a = ParentElement(a)) {
    if (!IsHtmlTag(a, GUMBO_TAG_FIELDSET) || !HasAttribute(a, "disabled")) continue;
    const GumboNode* first_legend = nullptr;
    const GumboVector* children = ChildrenOf(a);
    for (unsigned int i = 0; i < children->length && first_legend == nullptr; ++i) {
      const GumboNode* c = ChildAt(children, i);
      if (IsElement(c) && IsHtmlTag(c, GUMBO_TAG_LEGEND)) first_legend = c;
    }
    if (child != first_legend) return true;
  }
  return false;
}

bool AttributeEquals(const GumboNode* element, std::string_view name, std::string_view value) {
  const GumboAttribute* attribute = FindAttribute(element, name);
  return attribute != nullptr && EqualsIgnoreAsciiCase(attribute->value, value);
}

// The input types that `readonly` applies to; an unknown type is "text".
bool IsTextLikeInput(const GumboNode* element) {
  const GumboAttribute* type = FindAttribute(element, "type");
  if (type == nullptr) return true;
  static constexpr std::string_view kNotTextLike[] = {"hidden", "range", "color",  "checkbox",
                                                      "radio",  "file",  "submit", "image",
                                                      "reset",  "button"};
  for (std::string_view other : kNotTextLike) {
    if (EqualsIgnoreAsciiCase(type->value, other)) return false;
  }
  return true;
}

}  // namespace

// The form controls that :disabled and :enabled apply to.
bool IsFormControl(const GumboNode* element) {
  switch (element->v.element.tag) {
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_OPTGROUP:
    case GUMBO_TAG_OPTION:
    case GUMBO_TAG_FIELDSET:
      return IsHtml(element);
    default:
      return false;
  }
}

// HTML's "actually disabled" for form controls.
bool IsDisabled(const GumboNode* element) {
  if (!IsFormControl(element)) return false;
  if (HasAttribute(element, "disabled")) return true;
  switch (element->v.element.tag) {
    case GUMBO_TAG_OPTGROUP:
      return false;
    case GUMBO_TAG_OPTION: {
      const GumboNode* parent = ParentElement(element);
      return parent != nullptr && IsHtmlTag(parent, GUMBO_TAG_OPTGROUP) &&
             HasAttribute(parent, "disabled");
    }
    default:
      return InDisabledFieldset(element);
  }
}

bool IsChecked(const GumboNode* element) {
  if (IsHtmlTag(element, GUMBO_TAG_INPUT)) {
    return (AttributeEquals(element, "type", "checkbox") ||
            AttributeEquals(element, "type", "radio")) &&
           HasAttribute(element, "checked");
  }
  return IsHtmlTag(element, GUMBO_TAG_OPTION) && HasAttribute(element, "selected");
}

bool IsReadWrite(const GumboNode* element) {
  if (IsHtmlTag(element, GUMBO_TAG_INPUT) || IsHtmlTag(element, GUMBO_TAG_TEXTAREA)) {
    bool applies = IsHtmlTag(element, GUMBO_TAG_TEXTAREA) || IsTextLikeInput(element);
    return applies && !HasAttribute(element, "readonly") && !IsDisabled(element);
  }
  // Editing hosts and their editable descendants.
  for (const GumboNode* a = element; a != nullptr; a = ParentElement(a)) {
    const GumboAttribute* editable = FindAttribute(a, "contenteditable");
    if (editable == nullptr) continue;
    std::string_view value = editable->value;
    return value.empty() || EqualsIgnoreAsciiCase(value, "true") ||
           EqualsIgnoreAsciiCase(value, "plaintext-only");
  }
  return false;
}

bool IsRequirable(const GumboNode* element) {
  return IsHtmlTag(element, GUMBO_TAG_INPUT) || IsHtmlTag(element, GUMBO_TAG_SELECT) ||
         IsHtmlTag(element, GUMBO_TAG_TEXTAREA);
}

// Custom elements are never defined in a document no script has run on.
bool IsDefined(const GumboNode* element) {
  if (!IsHtml(element) || element->v.element.tag != GUMBO_TAG_UNKNOWN) return true;
  return SourceTagName(element->v.element).find('-') == std::string_view::npos;
}

// RFC 4647 extended filtering, case-insensitively: "de-*-DE" matches
// "de-Latn-DE"; "en" matches "en" and "en-GB".
bool LanguageMatches(std::string_view range, std::string_view tag) {
  auto next = [](std::string_view* s) {
    size_t dash = s->find('-');
    std::string_view part = s->substr(0, dash);
    *s = dash == std::string_view::npos ? std::string_view() : s->substr(dash + 1);
    return part;
  };
  if (range.empty()) return tag.empty();
  std::string_view r = next(&range);
  std::string_view t = next(&tag);
  if (r != "*" && !EqualsIgnoreAsciiCase(r, t)) return false;
  while (!range.empty()) {
    r = next(&range);
    if (r == "*") continue;
    for (;;) {
      if (tag.empty()) return false;
      t = next(&tag);
      if (EqualsIgnoreAsciiCase(r, t)) break;
      if (t.size() == 1) return false;  // a singleton stops the search
    }
  }
  return true;
}

std::optional<std::string_view> DeclaredLanguage(const GumboNode* element, const GumboNode** top) {
  *top = element;
  for (const GumboNode* a = element; a != nullptr; *top = a, a = ParentElement(a)) {
    if (const GumboAttribute* lang = FindAttribute(a, "xml:lang")) return lang->value;
    if (const GumboAttribute* lang = FindAttribute(a, "lang"); lang != nullptr && IsHtml(a)) {
      return lang->value;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> MetaLanguage(const GumboNode* top) {
  for (const GumboNode* n = top; n != nullptr; n = NextInPreOrder(n, top)) {
    if (IsElement(n) && IsHtmlTag(n, GUMBO_TAG_META) &&
        AttributeEquals(n, "http-equiv", "content-language")) {
      if (const GumboAttribute* content = FindAttribute(n, "content")) {
        std::string_view value = content->value;
        if (value.find(',') == std::string_view::npos && !value.empty()) return value;
      }
    }
  }
  return std::nullopt;
}

}  // namespace forage::parser
