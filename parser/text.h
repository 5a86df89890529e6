#pragma once
// Values read out of Gumbo nodes: text and attributes, as fields need them.

#include <optional>
#include <string>
#include <string_view>

#include "parser/gumbo_fwd.h"

namespace forage::parser {

// The DOM's textContent of `node`, normalised: every descendant text node
// (CDATA and whitespace-only nodes included, comments excluded; text inside
// <script> and <style> counts, as it does in the DOM), concatenated in
// document order; then each run of ASCII whitespace (space, \t, \n, \f, \r)
// becomes one space and both ends are trimmed. Other whitespace, such as
// U+00A0 from &nbsp;, is kept. For a text node, its own text, normalised.
std::string TextContent(const GumboNode* node);

// Scrapy's `::text` as one value: only the direct text-node children of
// `node`, concatenated, then normalised as TextContent does.
std::string OwnText(const GumboNode* node);

// The value of attribute `name` (compared ASCII case-insensitively) of an
// element, raw (entities decoded by Gumbo, nothing trimmed); nullopt when the
// element has no such attribute or `node` is not an element. The view points
// into the document and lives as long as it does.
std::optional<std::string_view> AttributeValue(const GumboNode* node, std::string_view name);

}  // namespace forage::parser
