#include "parser/text.h"

#include <string>
#include <string_view>

#include <doctest/doctest.h>
#include <gumbo.h>

#include "parser/html_document.h"
#include "parser/selector.h"

namespace forage::parser {
namespace {

// Parses `html` and applies `fn` (TextContent or OwnText) to the first match
// of `selector`.
template <typename Fn>
std::string Apply(Fn fn, std::string_view html, std::string_view selector) {
  HtmlDocument doc = HtmlDocument::Parse(std::string(html));
  Result<Selector> compiled = Selector::Compile(selector);
  REQUIRE(compiled.has_value());
  const GumboNode* node = compiled->SelectFirst(doc.document());
  REQUIRE(node != nullptr);
  return fn(node);
}

std::string Text(std::string_view html, std::string_view selector = "#t") {
  return Apply(TextContent, html, selector);
}

std::string Own(std::string_view html, std::string_view selector = "#t") {
  return Apply(OwnText, html, selector);
}

TEST_SUITE("parser.text") {

TEST_CASE("TextContent concatenates descendant text in document order") {
  CHECK(Text("<div id=t>a<b>b<i>c</i></b>d</div>") == "abcd");
  CHECK(Text("<div id=t><p>one</p><p>two</p></div>") == "onetwo");
  CHECK(Text("<div id=t></div>") == "");
  CHECK(Text("<h2 id=t>Bulbasaur</h2>") == "Bulbasaur");
}

TEST_CASE("runs of ASCII whitespace collapse to one space and the ends are trimmed") {
  CHECK(Text("<p id=t>  a \t\n b\r\n\fc  </p>") == "a b c");
  CHECK(Text("<div id=t>\n  <span>a</span>\n  <span>b</span>\n</div>") == "a b");
  CHECK(Text("<div id=t><span>a </span><span> b</span></div>") == "a b");
  CHECK(Text("<div id=t> \n\t </div>") == "");
}

TEST_CASE("non-ASCII whitespace is kept") {
  CHECK(Text("<p id=t>&nbsp;a&nbsp;&nbsp;b&nbsp;</p>") == "\u00A0a\u00A0\u00A0b\u00A0");
  CHECK(Text("<p id=t>a &nbsp; b</p>") == "a \u00A0 b");
  CHECK(Text("<p id=t>a\u2003b</p>") == "a\u2003b");
}

TEST_CASE("entities are decoded by Gumbo") {
  CHECK(Text("<p id=t>Don&#8217;t &amp; &pound;63.00 &ldquo;x&rdquo;</p>") ==
        "Don\u2019t & \u00A363.00 \u201Cx\u201D");
}

TEST_CASE("comments are excluded, script, style and CDATA text included") {
  CHECK(Text("<div id=t>a<!-- hidden -->b</div>") == "ab");
  CHECK(Text("<div id=t>a<script>var x = 1;</script><style>p{}</style>b</div>") ==
        "avar x = 1;p{}b");
  CHECK(Text("<div id=t><svg><![CDATA[raw <text>]]></svg></div>") == "raw <text>");
}

TEST_CASE("OwnText takes only the element's direct text children") {
  CHECK(Own("<p id=t>a<b>bold</b>c</p>") == "ac");
  CHECK(Own("<p id=t> a <b>bold</b> c </p>") == "a c");
  CHECK(Own("<p id=t><b>bold</b></p>") == "");
  CHECK(Own("<p id=t>x<!-- no -->y</p>") == "xy");
  CHECK(Own("<p id=t>&nbsp;x</p>") == "\u00A0x");
}

TEST_CASE("text of a text node is its own text, normalised") {
  HtmlDocument doc = HtmlDocument::Parse("<p> a  b </p>");
  const GumboNode* p = Selector::Compile("p")->SelectFirst(doc.document());
  REQUIRE(p != nullptr);
  const auto* text = static_cast<const GumboNode*>(p->v.element.children.data[0]);
  CHECK(TextContent(text) == "a b");
  CHECK(OwnText(text) == "a b");
}

TEST_CASE("AttributeValue reads raw values with case-insensitive names") {
  HtmlDocument doc = HtmlDocument::Parse(
      "<a href=' /x?a=1&amp;b=2 ' data-id=759 data-empty>t</a>");
  const GumboNode* a = Selector::Compile("a")->SelectFirst(doc.document());
  REQUIRE(a != nullptr);
  CHECK(AttributeValue(a, "href") == " /x?a=1&b=2 ");
  CHECK(AttributeValue(a, "HREF") == " /x?a=1&b=2 ");
  CHECK(AttributeValue(a, "data-id") == "759");
  CHECK(AttributeValue(a, "data-empty") == "");
  CHECK_FALSE(AttributeValue(a, "data").has_value());
  CHECK_FALSE(AttributeValue(a, "title").has_value());
  const auto* text = static_cast<const GumboNode*>(a->v.element.children.data[0]);
  CHECK_FALSE(AttributeValue(text, "href").has_value());
}

TEST_CASE("HtmlDocument keeps nodes valid across moves, even for short bodies") {
  HtmlDocument first = HtmlDocument::Parse("<b>x</b>");
  HtmlDocument moved = std::move(first);
  HtmlDocument assigned = HtmlDocument::Parse("<i>y</i>");
  assigned = std::move(moved);
  const GumboNode* b = Selector::Compile("b")->SelectFirst(assigned.document());
  REQUIRE(b != nullptr);
  // original_tag points into the body; it must still read "<b>".
  CHECK(std::string_view(b->v.element.original_tag.data, b->v.element.original_tag.length) ==
        "<b>");
  CHECK(assigned.body() == "<b>x</b>");
  CHECK(assigned.root()->v.element.tag == GUMBO_TAG_HTML);
  CHECK(TextContent(assigned.document()) == "x");
}

TEST_CASE("a <template>'s contents are not part of the text, as in the DOM") {
  CHECK(Text("<div id=t>a<template><p>hidden</p></template>b</div>") == "ab");
}

std::string Html(std::string_view html, std::string_view selector = "#t") {
  return Apply(OuterHtml, html, selector);
}

TEST_CASE("OuterHtml serialises the tree as the DOM's outerHTML does") {
  CHECK(Html("<p id=t class=\"a b\">x<b>y</b>z</p>") == "<p id=\"t\" class=\"a b\">x<b>y</b>z</p>");
  // Implied end tags are written; attribute quotes are normalised.
  CHECK(Html("<ul id=t><li>a<li>b</ul>") == "<ul id=\"t\"><li>a</li><li>b</li></ul>");
  CHECK(Html("<div id=t title='a\"b&c<d>e'>1 &lt; 2 &amp;&nbsp;3 > 0</div>") ==
        "<div id=\"t\" title=\"a&quot;b&amp;c&lt;d&gt;e\">1 &lt; 2 &amp;&nbsp;3 &gt; 0</div>");
  // Void elements have no end tag; raw text is not escaped; comments stay.
  CHECK(Html("<div id=t><br><img src=x><input disabled></div>") ==
        "<div id=\"t\"><br><img src=\"x\"><input disabled=\"\"></div>");
  CHECK(Html("<div id=t><script>if (a < b && c) {}</script><!-- note --></div>") ==
        "<div id=\"t\"><script>if (a < b && c) {}</script><!-- note --></div>");
  CHECK(Html("<DIV ID=t><My-Tag Data-X=1></My-Tag></DIV>") ==
        "<div id=\"t\"><my-tag data-x=\"1\"></my-tag></div>");
  CHECK(Html("<div id=t><svg viewBox='0 0 1 1'><path/><foreignObject><p>x</p></foreignObject>"
             "<a xlink:href=#x></a></svg></div>") ==
        "<div id=\"t\"><svg viewBox=\"0 0 1 1\"><path></path><foreignObject><p>x</p>"
        "</foreignObject><a xlink:href=\"#x\"></a></svg></div>");
  CHECK(Html("<div id=t><template><p>in</p></template></div>") ==
        "<div id=\"t\"><template><p>in</p></template></div>");
  CHECK(Html("<p id=t>\xC3\xA9\xE2\x82\xAC</p>") == "<p id=\"t\">\xC3\xA9\xE2\x82\xAC</p>");
}

TEST_CASE("OuterHtml copes with deep nesting without recursion" * doctest::timeout(2)) {
  std::string html = "<div id=t>";
  for (int i = 0; i < 20000; ++i) html += "<span>";
  std::string out = Html(html);
  CHECK(out.size() == std::string("<div id=\"t\"></div>").size() + 20000 * 13);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::parser
