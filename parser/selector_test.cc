#include "parser/selector.h"

#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <gumbo.h>

#include "parser/html_document.h"
#include "parser/test_util.h"
#include "parser/text.h"

namespace forage::parser {
namespace {

using testing::CompileError;
using testing::Label;
using testing::MustCompile;
using testing::Select;

TEST_SUITE("parser.selector") {

TEST_CASE("type selectors match tag names case-insensitively") {
  const char* html = "<div id=d1><p id=p1></p><P id=p2></P><span id=s1></span></div>";
  CHECK(Select(html, "p") == "p1 p2");
  CHECK(Select(html, "P") == "p1 p2");
  CHECK(Select(html, "SpAn") == "s1");
  CHECK(Select(html, "table") == "");
}

TEST_CASE("tags Gumbo does not know are compared by their source name") {
  const char* html = "<my-widget id=w1></my-widget><My-Widget id=w2></My-Widget><my-other id=o>";
  CHECK(Select(html, "my-widget") == "w1 w2");
  CHECK(Select(html, "MY-WIDGET") == "w1 w2");
  CHECK(Select(html, "my-other") == "o");
  CHECK(Select(html, "my") == "");
}

TEST_CASE("the universal selector matches every element below the scope") {
  const char* html = "<div id=s><p id=a><b id=b>x</b></p><i id=c></i></div>";
  CHECK(Select(html, "*", "s") == "a b c");
  CHECK(Select(html, "div *") == "a b c");
}

TEST_CASE("a class selector matches one whitespace-separated token, case-sensitively") {
  const char* html =
      "<!DOCTYPE html><p id=a class='x y'></p><p id=b class='xy'></p>"
      "<p id=c class=' \ty\n x\f'></p>"
      "<p id=d class='X'></p><p id=e class=''></p><p id=f></p>";
  CHECK(Select(html, ".x") == "a c");
  CHECK(Select(html, ".y") == "a c");
  CHECK(Select(html, ".X") == "d");
  CHECK(Select(html, ".x.y") == "a c");
  CHECK(Select(html, ".xy") == "b");
}

TEST_CASE("an id selector matches the whole id, case-sensitively") {
  const char* html = "<!DOCTYPE html><p id=main></p><p id=Main></p><p id='main x'></p>";
  HtmlDocument doc = HtmlDocument::Parse(html);
  std::vector<const GumboNode*> matches;
  MustCompile("#main").SelectAll(doc.document(), &matches);
  REQUIRE(matches.size() == 1);
  CHECK(*AttributeValue(matches[0], "id") == "main");
  CHECK(Select(html, "#Main") == "Main");
}

TEST_CASE("attribute selectors") {
  const char* html =
      "<a id=a href='/x' data-kind='big one'></a><a id=b href='/X'></a><a id=c></a>"
      "<a id=d data-kind=''></a>";
  CHECK(Select(html, "[href]") == "a b");
  CHECK(Select(html, "[HREF]") == "a b");
  CHECK(Select(html, "[ href ]") == "a b");
  CHECK(Select(html, "[href='/x']") == "a");
  CHECK(Select(html, "[href=\"/X\"]") == "b");
  CHECK(Select(html, "[data-kind='big one']") == "a");
  CHECK(Select(html, "[data-kind=big]") == "");
  CHECK(Select(html, "[data-kind='']") == "d");
  CHECK(Select(html, "[id = c]") == "c");
}

TEST_CASE("compound selectors need every part to hold") {
  const char* html =
      "<ul><li id=a class='product first'></li><li id=b class=product></li>"
      "<div id=c class='product first'></div></ul>"
      "<a id=d href=/ class=x></a><a id=e class=x></a><a id=f href=/></a>";
  CHECK(Select(html, "li.product.first") == "a");
  CHECK(Select(html, "li.product") == "a b");
  CHECK(Select(html, ".first.product") == "a c");
  CHECK(Select(html, "a[href].x") == "d");
  CHECK(Select(html, "*.x") == "d e");
  CHECK(Select(html, "#d.x[href]") == "d");
}

TEST_CASE("descendant and child combinators") {
  const char* html =
      "<div id=d1><p id=p1><span id=s1></span></p><span id=s2></span></div>"
      "<section id=x><div id=d2><p id=p2><span id=s3></span></p></div></section>";
  CHECK(Select(html, "div span") == "s1 s2 s3");
  CHECK(Select(html, "div > span") == "s2");
  CHECK(Select(html, "div>span") == "s2");
  CHECK(Select(html, "div > p > span") == "s1 s3");
  CHECK(Select(html, "section span") == "s3");
  CHECK(Select(html, "section > p") == "");
  CHECK(Select(html, "body > div") == "d1");
  CHECK(Select(html, "html div p span") == "s1 s3");

  SUBCASE("a descendant combinator backtracks past the nearest match") {
    // For s1, the nearest `div` ancestor (d2) is not a child of a section,
    // but d1 is.
    const char* nested =
        "<section><div id=d1><div id=d2><span id=s1></span></div></div></section>";
    CHECK(Select(nested, "section > div span") == "s1");
    CHECK(Select(nested, "section > div > span") == "");
    CHECK(Select(nested, "section > div div") == "d2");
  }
}

TEST_CASE("descendant combinators stay fast on deeply nested pages" * doctest::timeout(2)) {
  // Trying every combination of ancestors would take depth^3 steps here.
  std::string html;
  for (int i = 0; i < 3000; ++i) html += "<div>";
  html += "<span id=deep></span>";
  CHECK(Select(html, "p div div div") == "");
  CHECK(Select(html, "p div div span") == "");
  CHECK(Select(html, "body div div > div span") == "deep");
  CHECK(Select(html, "div > div > p, html span") == "deep");
}

TEST_CASE("selector lists yield document order without duplicates") {
  const char* html =
      "<h1 id=h></h1><p id=a class=x></p><div id=d1><div id=d2><p id=b></p></div></div>";
  CHECK(Select(html, "p, h1") == "h a b");
  CHECK(Select(html, "p, .x, #a") == "a b");
  CHECK(Select(html, "div") == "d1 d2");
  CHECK(Select(html, "div, div p, p") == "a d1 d2 b");
  CHECK(Select(html, "div div, body div") == "d1 d2");
}

TEST_CASE("matches lie below the scope, and its ancestors may satisfy the left side") {
  const char* html =
      "<div id=outer><div id=s class=c><p id=p1><b id=b1></b></p></div><p id=p2></p></div>";
  CHECK(Select(html, "div", "s") == "");
  CHECK(Select(html, "p", "s") == "p1");
  CHECK(Select(html, "#outer p", "s") == "p1");
  CHECK(Select(html, "div > p", "s") == "p1");
  CHECK(Select(html, ".c b", "s") == "b1");
  CHECK(Select(html, "#s", "s") == "");

  SUBCASE("SelectFirst stops at the first match in document order") {
    HtmlDocument doc = HtmlDocument::Parse(html);
    const GumboNode* first = MustCompile("b, p").SelectFirst(doc.document());
    REQUIRE(first != nullptr);
    CHECK(Label(first) == "p1");
    CHECK(MustCompile("table").SelectFirst(doc.document()) == nullptr);
  }
}

TEST_CASE("Matches tests one node, and text nodes never match") {
  HtmlDocument doc = HtmlDocument::Parse("<p id=a class=x>text</p>");
  const GumboNode* p = MustCompile("p").SelectFirst(doc.document());
  REQUIRE(p != nullptr);
  CHECK(MustCompile("body > p.x").Matches(p));
  CHECK_FALSE(MustCompile("div p").Matches(p));
  const auto* text = static_cast<const GumboNode*>(p->v.element.children.data[0]);
  CHECK_FALSE(MustCompile("*").Matches(text));
  CHECK_FALSE(MustCompile("*").Matches(doc.document()));
}

TEST_CASE("identifiers and strings may use CSS escapes") {
  const char* html = "<p id=123 class='a:b'></p><p id=x class='\xC3\xA9t\xC3\xA9'></p>";
  CHECK(Select(html, ".a\\:b") == "123");
  CHECK(Select(html, "#\\31 23") == "123");
  CHECK(Select(html, "#\\000031\\32 3") == "123");
  CHECK(Select(html, ".\\e9t\\E9") == "x");
  CHECK(Select(html, ".\xC3\xA9t\xC3\xA9") == "x");
  CHECK(Select(html, "[class='a\\3a b']") == "123");
  CHECK(Select(html, "[class=\"a\\\"b\"]") == "");
}

TEST_CASE("whitespace around the selector and its parts is allowed") {
  const char* html = "<div id=d><p id=p></p></div>";
  CHECK(Select(html, "  div \t>\n p  ") == "p");
  CHECK(Select(html, " p ,div ") == "d p");
}

TEST_CASE("the next-sibling and subsequent-sibling combinators") {
  const char* html =
      "<div id=d><h2 id=h1></h2><!-- c --><p id=p1></p>text<p id=p2></p><span id=s></span>"
      "<p id=p3></p></div><p id=p4></p>";
  CHECK(Select(html, "h2 + p") == "p1");
  CHECK(Select(html, "h2+p") == "p1");
  CHECK(Select(html, "h2 ~ p") == "p1 p2 p3");
  CHECK(Select(html, "p + p") == "p2");
  CHECK(Select(html, "p ~ p") == "p2 p3");
  CHECK(Select(html, "span + p") == "p3");
  CHECK(Select(html, "h2 ~ span ~ p") == "p3");
  CHECK(Select(html, "h2 + p + p + span") == "s");
  CHECK(Select(html, "h2 + span") == "");
  CHECK(Select(html, "div ~ p") == "p4");
  CHECK(Select(html, "div + p, h2 + *") == "p1 p4");
  CHECK(Select(html, "div > h2 ~ p") == "p1 p2 p3");
  CHECK(Select(html, "body > div + p") == "p4");

  SUBCASE("siblings combine with descendants and backtrack") {
    const char* nested =
        "<section id=a><h3 id=x></h3><div id=b><p id=c></p></div></section>"
        "<section id=e><div id=f><h3 id=y></h3><div id=g><p id=h></p></div></div></section>";
    CHECK(Select(nested, "h3 + div p") == "c h");
    CHECK(Select(nested, "h3 ~ div > p") == "c h");
    CHECK(Select(nested, "section > h3 + div p") == "c");
    CHECK(Select(nested, "section > div > h3 ~ div > p") == "h");
    CHECK(Select(nested, "h3 + p") == "");
  }
}

TEST_CASE("sibling combinators stay fast on long sibling lists" * doctest::timeout(2)) {
  std::string html = "<div>";
  for (int i = 0; i < 3000; ++i) html += "<p></p>";
  html += "<b id=last></b></div>";
  CHECK(Select(html, "i ~ p ~ p ~ b") == "");
  CHECK(Select(html, "p ~ p ~ p ~ b") == "last");
  CHECK(Select(html, "p + p ~ p + b") == "last");
}

TEST_CASE("attribute operators") {
  const char* html =
      "<a id=a class='nav  main' lang=en-GB href='https://x.test/a.pdf' title='one two'></a>"
      "<a id=b lang=en href='/b.html' title=''></a>"
      "<a id=c lang=english href='HTTPS://x.test/C.PDF'></a>";
  SUBCASE("~= matches one whitespace-separated word") {
    CHECK(Select(html, "[class~=main]") == "a");
    CHECK(Select(html, "[class~=nav]") == "a");
    CHECK(Select(html, "[title~=one]") == "a");
    CHECK(Select(html, "[title~='one two']") == "");
    CHECK(Select(html, "[title~='']") == "");
  }
  SUBCASE("|= matches the value or a '-' prefix of it") {
    CHECK(Select(html, "[lang|=en]") == "a b");
    CHECK(Select(html, "[lang|=en-GB]") == "a");
    CHECK(Select(html, "[lang|=eng]") == "");
  }
  SUBCASE("^= $= *= match prefixes, suffixes, substrings; never an empty value") {
    CHECK(Select(html, "[href^='https:']") == "a");
    CHECK(Select(html, "[href$='.pdf']") == "a");
    CHECK(Select(html, "[href*='x.test']") == "a c");
    CHECK(Select(html, "[href*=pdf]") == "a");
    CHECK(Select(html, "[href^='']") == "");
    CHECK(Select(html, "[href$='']") == "");
    CHECK(Select(html, "[href*='']") == "");
    CHECK(Select(html, "[title=''], [title^=o]") == "a b");
  }
  SUBCASE("the whole raw value counts, whitespace included") {
    CHECK(Select(html, "[class='nav  main']") == "a");
    CHECK(Select(html, "[class='nav main']") == "");
    CHECK(Select(html, "[class$=main]") == "a");
  }
}

TEST_CASE("attribute values are case-sensitive, except with the i flag") {
  const char* html =
      "<a id=a href='/Shop' data-x='Yes'></a><a id=b href='/shop' data-x='yes'></a>";
  CHECK(Select(html, "[href='/shop']") == "b");
  CHECK(Select(html, "[href='/shop' i]") == "a b");
  CHECK(Select(html, "[href='/shop' I]") == "a b");
  CHECK(Select(html, "[href='/SHOP'i]") == "a b");
  CHECK(Select(html, "[data-x=YES i]") == "a b");
  CHECK(Select(html, "[href^='/S' i]") == "a b");
  CHECK(Select(html, "[href$='OP' i]") == "a b");
  CHECK(Select(html, "[href*='HO' i]") == "a b");
  CHECK(Select(html, "[data-x~=YES i]") == "a b");
  CHECK(Select(html, "[data-x|=YES i]") == "a b");
  CHECK(Select(html, "[href='/shop' s]") == "b");
}

TEST_CASE("HTML's legacy attributes compare values case-insensitively, as browsers do") {
  const char* html =
      "<form id=f method=POST><input id=i type=Submit><input id=j type=text>"
      "<a id=k target=_BLANK rel=NoFollow hreflang=EN></a><p id=l align=Center dir=RTL></p>"
      "<p id=m data-type=Submit title=Submit></p>"
      "<svg><a id=n type=Submit></a></svg></form>";
  CHECK(Select(html, "[type=submit]") == "i");
  CHECK(Select(html, "[type='SUBMIT']") == "i");
  CHECK(Select(html, "[type=submit s]") == "");
  CHECK(Select(html, "[type=Submit s]") == "i n");
  CHECK(Select(html, "[method=post]") == "f");
  CHECK(Select(html, "[target=_blank]") == "k");
  CHECK(Select(html, "[rel~=nofollow]") == "k");
  CHECK(Select(html, "[hreflang|=en]") == "k");
  CHECK(Select(html, "[align=center][dir=rtl]") == "l");
  // Other attributes, and non-HTML elements, keep case.
  CHECK(Select(html, "[data-type=submit]") == "");
  CHECK(Select(html, "[title=submit]") == "");
  CHECK(Select(html, "svg [type=submit]") == "");
}

TEST_CASE("quirks-mode documents match classes and ids ASCII case-insensitively") {
  const char* quirks = "<p id=Main class='Big Red'></p>";
  CHECK(Select(quirks, ".big") == "Main");
  CHECK(Select(quirks, ".RED.big") == "Main");
  CHECK(Select(quirks, "#main") == "Main");
  CHECK(Select(quirks, "[class~=big]") == "");  // attribute selectors do not fold
  std::string standards = std::string("<!DOCTYPE html>") + quirks;
  CHECK(Select(standards, ".big") == "");
  CHECK(Select(standards, ".Big") == "Main");
  CHECK(Select(standards, "#main") == "");
  std::string limited =
      std::string("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" "
                  "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">") +
      quirks;
  CHECK(Select(limited, ".big") == "");
}

TEST_CASE("namespace prefixes: any namespace and no namespace") {
  const char* html = "<p id=p lang=en></p><svg id=s><a id=a></a></svg>";
  CHECK(Select(html, "*|p") == "p");
  CHECK(Select(html, "*|*") == Select(html, "*"));
  CHECK(Select(html, "|p") == "");
  CHECK(Select(html, "|*") == "");
  CHECK(Select(html, "svg *|a") == "a");
  CHECK(Select(html, "[*|lang]") == "p");
  CHECK(Select(html, "[|lang=en]") == "p");
}

TEST_CASE("elements inside <template> are not selected, as in the DOM") {
  const char* html = "<div id=d><template id=t><p id=in></p></template><p id=out></p></div>";
  CHECK(Select(html, "p") == "out");
  CHECK(Select(html, "template") == "t");
  CHECK(Select(html, "template:empty") == "t");
  CHECK(Select(html, "div:has(#in)") == "");
}

TEST_CASE("comments are allowed between the parts of a selector") {
  const char* html = "<div id=d class=x><p id=p class=y></p></div>";
  CHECK(Select(html, "div /* c */ p") == "p");
  CHECK(Select(html, "div/**/.x > /**/p") == "p");
  CHECK(Select(html, "/* lead */ p /* trail") == "p");
  CHECK(CompileError("div/**/p") == "selector 'div/**/p': unexpected 'p' at position 7");
}

TEST_CASE("escapes in every kind of name and value") {
  const char* html =
      "<p id='a.b' class='1st w-50% ✓' data-x='say \"hi\"' title=\"it's\"></p>"
      "<p id='--x' class='-y'></p><p id='\xF0\x9F\x98\x80'></p>";
  CHECK(Select(html, "#a\\.b") == "a.b");
  CHECK(Select(html, ".\\31 st") == "a.b");
  CHECK(Select(html, ".\\31st") == "a.b");  // a hex escape ends at the first non-hex digit
  CHECK(Select(html, ".w-50\\%") == "a.b");
  CHECK(Select(html, ".\\2713") == "a.b");
  CHECK(Select(html, ".✓") == "a.b");
  CHECK(Select(html, "[data-x='say \"hi\"']") == "a.b");
  CHECK(Select(html, "[data-x=\"say \\\"hi\\\"\"]") == "a.b");
  CHECK(Select(html, "[title='it\\'s']") == "a.b");
  CHECK(Select(html, "#--x") == "--x");
  CHECK(Select(html, ".-y") == "--x");
  CHECK(Select(html, "#\\1F600") == "\xF0\x9F\x98\x80");
  CHECK(Select(html, "[id=\"\\1F600\"]") == "\xF0\x9F\x98\x80");
  CHECK(Select(html, "[title='it\\\n\\'s']") == "a.b");  // an escaped newline continues
}

TEST_CASE("invalid selectors are errors that point at the position") {
  CHECK(CompileError("li..x") == "selector 'li..x': expected a class name at position 3");
  CHECK(CompileError("") == "selector '': empty selector");
  CHECK(CompileError("   ") == "selector '   ': empty selector");
  CHECK(CompileError("#") == "selector '#': expected an id at position 1");
  CHECK(CompileError("#1a") == "selector '#1a': expected an id at position 1");
  CHECK(CompileError("a,") == "selector 'a,': expected a selector at position 2");
  CHECK(CompileError("a, ,b") == "selector 'a, ,b': expected a selector, found ',' at position 3");
  CHECK(CompileError("a >") == "selector 'a >': expected a selector at position 3");
  CHECK(CompileError(">a") == "selector '>a': expected a selector, found '>' at position 0");
  CHECK(CompileError("a)") == "selector 'a)': unexpected ')' at position 1");
  CHECK(CompileError("[") == "selector '[': expected an attribute name at position 1");
  CHECK(CompileError("[a") == "selector '[a': expected '=' or ']' at position 2");
  CHECK(CompileError("[a=]") ==
        "selector '[a=]': expected an attribute value (an identifier or a quoted string) at "
        "position 3");
  CHECK(CompileError("[data-id=759]") ==
        "selector '[data-id=759]': expected an attribute value (an identifier or a quoted "
        "string) at position 9");
  CHECK(CompileError("[a='x") == "selector '[a='x': unterminated string at position 3");
  CHECK(CompileError("[a=x") == "selector '[a=x': expected ']' at position 4");
  CHECK(CompileError("[a='x\ny']") == "selector '[a='x\ny']': newline in string at position 5");
  CHECK(CompileError("a\x01") == "selector 'a\x01': unexpected byte 0x01 at position 1");
  CHECK(CompileError("a +") == "selector 'a +': expected a selector at position 3");
  CHECK(CompileError("a ~ > b") ==
        "selector 'a ~ > b': expected a selector, found '>' at position 4");
  CHECK(CompileError("+ a") == "selector '+ a': expected a selector, found '+' at position 0");
  CHECK(CompileError("[a~b]") == "selector '[a~b]': expected '=' or ']' at position 2");
  CHECK(CompileError("[a^ =b]") == "selector '[a^ =b]': expected '=' or ']' at position 2");
  CHECK(CompileError("[a=b x]") ==
        "selector '[a=b x]': unknown attribute flag 'x' (supported: i, s) at position 5");
  CHECK(CompileError("[a=b i s]") == "selector '[a=b i s]': expected ']' at position 7");
  CHECK(CompileError("[a i]") == "selector '[a i]': expected '=' or ']' at position 3");
  CHECK(CompileError("[1a]") == "selector '[1a]': expected an attribute name at position 1");
  CHECK(CompileError(".") == "selector '.': expected a class name at position 1");
  CHECK(CompileError(".1") == "selector '.1': expected a class name at position 1");
  CHECK(CompileError("a\\") == "selector 'a\\': unexpected '\\' at position 1");
}

TEST_CASE("what browsers reject is rejected by name") {
  CHECK(CompileError("ns|a") ==
        "selector 'ns|a': namespace prefixes are not supported at position 0");
  CHECK(CompileError("[ns|a]") ==
        "selector '[ns|a]': namespace prefixes are not supported at position 1");
  CHECK(CompileError("p::text") ==
        "selector 'p::text': pseudo-elements are only allowed at the end of a field selector at "
        "position 1");
  CHECK(CompileError("p:before") ==
        "selector 'p:before': pseudo-element ':before' is not supported at position 1");
  CHECK(CompileError("a || b") ==
        "selector 'a || b': expected a selector, found '|' at position 2");
  CHECK(CompileError("a!") == "selector 'a!': unexpected '!' at position 1");
}

TEST_CASE("field selectors may end in one pseudo-element") {
  SUBCASE("::text and ::attr(NAME)") {
    Result<FieldSelector> text = CompileFieldSelector("h2::text");
    REQUIRE(text.has_value());
    CHECK(text->pseudo == PseudoElement::kText);
    REQUIRE(text->selector.has_value());
    CHECK(text->selector->text() == "h2::text");

    Result<FieldSelector> attr = CompileFieldSelector("a.x::attr( Data-Id )");
    REQUIRE(attr.has_value());
    CHECK(attr->pseudo == PseudoElement::kAttr);
    CHECK(attr->attr_name == "data-id");

    Result<FieldSelector> upper = CompileFieldSelector("a::ATTR(href)");
    REQUIRE(upper.has_value());
    CHECK(upper->pseudo == PseudoElement::kAttr);
  }
  SUBCASE("a bare selector has no pseudo-element") {
    Result<FieldSelector> bare = CompileFieldSelector(".price");
    REQUIRE(bare.has_value());
    CHECK(bare->pseudo == PseudoElement::kNone);
    CHECK(bare->selector.has_value());
  }
  SUBCASE("a lone pseudo-element applies to the scope itself") {
    Result<FieldSelector> self = CompileFieldSelector(" ::attr(data-id)");
    REQUIRE(self.has_value());
    CHECK_FALSE(self->selector.has_value());
    CHECK(self->attr_name == "data-id");
  }
  SUBCASE("errors") {
    auto error = [](std::string_view text) {
      Result<FieldSelector> field = CompileFieldSelector(text);
      REQUIRE_FALSE(field.has_value());
      return field.error().message;
    };
    CHECK(error(".price::attr(") ==
          "selector '.price::attr(': expected an attribute name at position 13");
    CHECK(error("a::attr(href") == "selector 'a::attr(href': expected ')' at position 12");
    CHECK(error("a::attr") == "selector 'a::attr': expected '(' after '::attr' at position 7");
    CHECK(error("a::") == "selector 'a::': expected a pseudo-element name at position 3");
    CHECK(error("a::before") ==
          "selector 'a::before': unknown pseudo-element '::before' (supported: ::text, ::html, "
          "::attr(NAME)) at position 1");
    CHECK(error("a::text b") == "selector 'a::text b': unexpected 'b' at position 8");
    CHECK(error("a::text, ::text") ==
          "selector 'a::text, ::text': expected a selector before the pseudo-element at position "
          "9");
    CHECK(error("h2 ::text") ==
          "selector 'h2 ::text': expected a selector before the pseudo-element at position 3");
    CHECK(error("") == "selector '': empty selector");
  }
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::parser
