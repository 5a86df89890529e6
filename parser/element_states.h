#pragma once
// HTML element states behind the pseudo-classes :disabled, :enabled,
// :checked, :read-write, :required, :optional, :defined and :lang(), as the
// HTML standard defines them for a static document. Internal to parser/
// (selector_match.cc). All take an element node.

#include <optional>
#include <string_view>

#include "parser/gumbo_fwd.h"

namespace forage::parser {

// button, input, select, textarea, optgroup, option, fieldset (HTML namespace):
// the elements :disabled and :enabled apply to.
bool IsFormControl(const GumboNode* element);

// HTML's "actually disabled": a `disabled` attribute, an option in a disabled
// optgroup, or a control inside a disabled fieldset but not in its first legend.
bool IsDisabled(const GumboNode* element);

// A checkbox or radio input with `checked`, or an option with `selected`.
bool IsChecked(const GumboNode* element);

// Text-like inputs and textareas that are neither readonly nor disabled, and
// elements inside a contenteditable host.
bool IsReadWrite(const GumboNode* element);

// input, select, textarea: the elements :required and :optional apply to.
bool IsRequirable(const GumboNode* element);

// False only for custom elements (a '-' in an HTML element's name): no script
// has defined them.
bool IsDefined(const GumboNode* element);

// RFC 4647 extended filtering, case-insensitively: range "de-*-DE" matches tag
// "de-Latn-DE"; "en" matches "en" and "en-GB"; "*-CH" matches "de-CH".
bool LanguageMatches(std::string_view range, std::string_view tag);

// The element's language, for :lang(), in two steps so that a query can keep
// the second: the nearest lang (or xml:lang) attribute of the element or its
// ancestors, setting `*top` to the topmost element it climbed to; failing
// that, the document's <meta http-equiv=content-language> (the tree under
// `top`), which costs a walk over the whole document. nullopt when unknown.
// The views point into the document.
std::optional<std::string_view> DeclaredLanguage(const GumboNode* element, const GumboNode** top);
std::optional<std::string_view> MetaLanguage(const GumboNode* top);

}  // namespace forage::parser
