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
// document order (a <template>'s contents are not its children in the DOM,
// so they are left out); then each run of ASCII whitespace (space, \t, \n, \f, \r)
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

// The DOM's outerHTML of `node`: the HTML standard's fragment serialisation
// algorithm applied to the tree (not a slice of the source), so implied tags
// are closed, attributes are double-quoted and text is escaped (&amp; &lt;
// &gt; &nbsp;; in attributes &amp; &quot; &lt; &gt; &nbsp;) except inside
// <script>, <style> and the other raw-text elements. A <template>'s contents
// are included, as outerHTML includes them. For a text node, its escaped text.
std::string OuterHtml(const GumboNode* node);

}  // namespace forage::parser
