// Pseudo-classes: structural, logical (:not :is :where :has), text and form
// states. Basics and combinators are in selector_test.cc.

#include <string>

#include <doctest/doctest.h>

#include "parser/selector.h"
#include "parser/test_util.h"

namespace forage::parser {
namespace {

using testing::CompileError;
using testing::MustCompile;
using testing::Select;
using testing::SelectIn;

// Ten items among text, comments and other elements.
const char* const kList =
    "<!DOCTYPE html><ul id=u>text<li id=l1></li><!-- c --><li id=l2></li> <li id=l3></li>"
    "<li id=l4></li><li id=l5></li><li id=l6></li><li id=l7></li><li id=l8></li>"
    "<li id=l9></li><li id=l10></li></ul>";

std::string Nth(std::string_view expression) {
  std::string selector = "li:nth-child(";
  selector.append(expression);
  selector.append(")");
  return Select(kList, selector);
}

TEST_SUITE("parser.selector.pseudo") {

TEST_CASE(":first-child :last-child :only-child count elements only") {
  const char* html =
      "<!DOCTYPE html><div id=d> a <p id=p1></p><!-- x --><p id=p2></p> b </div>"
      "<section><span id=only></span></section>";
  CHECK(Select(html, "p:first-child") == "p1");
  CHECK(Select(html, "p:last-child") == "p2");
  CHECK(Select(html, ":only-child") == "html only");
  CHECK(Select(html, "div > :first-child:last-child") == "");
  CHECK(Select(html, "span:first-child:last-child") == "only");
  // The root element is the first child of the document (Selectors 4).
  CHECK(Select(html, "html:first-child:only-child") == "html");
}

TEST_CASE("an+b: every form of the microsyntax") {
  CHECK(Nth("1") == "l1");
  CHECK(Nth("3") == "l3");
  CHECK(Nth("+5") == "l5");
  CHECK(Nth("0") == "");
  CHECK(Nth("-3") == "");
  CHECK(Nth("odd") == "l1 l3 l5 l7 l9");
  CHECK(Nth("ODD") == "l1 l3 l5 l7 l9");
  CHECK(Nth("even") == "l2 l4 l6 l8 l10");
  CHECK(Nth("2n") == "l2 l4 l6 l8 l10");
  CHECK(Nth("2n+1") == "l1 l3 l5 l7 l9");
  CHECK(Nth("2n-1") == "l1 l3 l5 l7 l9");
  CHECK(Nth("2N+0") == "l2 l4 l6 l8 l10");
  CHECK(Nth("n") == Nth("n+1"));
  CHECK(Nth("n+8") == "l8 l9 l10");
  CHECK(Nth("+n+8") == "l8 l9 l10");
  CHECK(Nth("-n+3") == "l1 l2 l3");
  CHECK(Nth("-N+3") == "l1 l2 l3");
  CHECK(Nth("-2n+5") == "l1 l3 l5");
  CHECK(Nth("3n") == "l3 l6 l9");
  CHECK(Nth("3n-1") == "l2 l5 l8");
  CHECK(Nth("0n+4") == "l4");
  CHECK(Nth("-n") == "");
  CHECK(Nth("-n-1") == "");
  CHECK(Nth("n-2") == Nth("n"));
  CHECK(Nth("-0n+2") == "l2");
  CHECK(Nth("+0n+2") == "l2");
  CHECK(Nth("2147483647") == "");
  CHECK(Nth("-2147483647n+2147483647") == "");

  SUBCASE("whitespace as CSS Syntax allows it") {
    CHECK(Nth(" 2n + 1 ") == "l1 l3 l5 l7 l9");
    CHECK(Nth("2n+ 1") == "l1 l3 l5 l7 l9");
    CHECK(Nth("2n +1") == "l1 l3 l5 l7 l9");
    CHECK(Nth("2n - 1") == "l1 l3 l5 l7 l9");
    CHECK(Nth("2n- 1") == "l1 l3 l5 l7 l9");
  }
}

TEST_CASE("an+b: what CSS Syntax rejects") {
  auto error = [](std::string_view expression) {
    std::string selector = "li:nth-child(";
    selector.append(expression);
    selector.append(")");
    return CompileError(selector);
  };
  CHECK(error("- n + 2") ==
        "selector 'li:nth-child(- n + 2)': invalid an+b expression at position 13");
  CHECK(error("+ n") == "selector 'li:nth-child(+ n)': invalid an+b expression at position 13");
  CHECK(error("2 n") == "selector 'li:nth-child(2 n)': expected 'of' or ')' at position 15");
  CHECK(error("2n + -1") ==
        "selector 'li:nth-child(2n + -1)': invalid an+b expression at position 13");
  CHECK(error("2n+") == "selector 'li:nth-child(2n+)': invalid an+b expression at position 13");
  CHECK(error("2.0n") == "selector 'li:nth-child(2.0n)': invalid an+b expression at position 13");
  CHECK(error("1.5") == "selector 'li:nth-child(1.5)': invalid an+b expression at position 13");
  CHECK(error("n2") == "selector 'li:nth-child(n2)': invalid an+b expression at position 13");
  CHECK(error("--n") == "selector 'li:nth-child(--n)': invalid an+b expression at position 13");
  CHECK(error("+-n") == "selector 'li:nth-child(+-n)': invalid an+b expression at position 13");
  CHECK(error("odd + 1") ==
        "selector 'li:nth-child(odd + 1)': expected ')', found '+' at position 17");
  CHECK(error("") == "selector 'li:nth-child()': invalid an+b expression at position 13");
  CHECK(error("2px") == "selector 'li:nth-child(2px)': invalid an+b expression at position 13");
  CHECK(error("-n - -3") ==
        "selector 'li:nth-child(-n - -3)': invalid an+b expression at position 13");
}

TEST_CASE("an+b: values past 2^31 - 1 either way are rejected, with the position") {
  CHECK(CompileError("li:nth-child(99999999999)") ==
        "selector 'li:nth-child(99999999999)': an+b value out of range (at most 2147483647 "
        "either way) at position 13");
  CHECK(CompileError("li:nth-child(2147483648n+1)").find("out of range") != std::string::npos);
  CHECK(CompileError("li:nth-child(-2147483648n)").find("out of range") != std::string::npos);
  CHECK(CompileError("li:nth-child(n - 2147483648)").find("out of range") != std::string::npos);
  CHECK(CompileError("li:nth-child(2n+99999999999999999999999)").find("out of range") !=
        std::string::npos);
  CHECK(CompileError("a, li:nth-last-of-type( 3000000000n)") ==
        "selector 'a, li:nth-last-of-type( 3000000000n)': an+b value out of range (at most "
        "2147483647 either way) at position 24");
  CHECK(CompileError("li:nth-child(1 of :nth-child(-9999999999n))").find("at position 29") !=
        std::string::npos);
}

std::string Nested(std::string_view open, int depth, std::string_view inner = "li") {
  std::string out;
  for (int i = 0; i < depth; ++i) out += open;
  out += inner;
  out += std::string(static_cast<size_t>(depth), ')');
  return out;
}

TEST_CASE("selector limits: nesting deeper than 32, more than 64 compounds, :has() in :has()") {
  const char* html = "<ul><li id=a><b></b></li></ul>";
  CHECK(Select(html, Nested(":not(", 32)) == "a");  // an even number of :not()
  CHECK(Select(html, Nested(":is(", 32)) == "a");
  CHECK(CompileError(Nested(":not(", 33)) ==
        "selector '" + Nested(":not(", 33) +
            "': selector nested too deeply (more than 32 levels of functional pseudo-classes) "
            "at position 160");
  // :is() forgives an item that does not parse, but not one past a limit.
  CHECK(CompileError(Nested(":is(", 33)).find("nested too deeply") != std::string::npos);
  CHECK(CompileError(":is(a, " + Nested(":where(", 40) + ")").find("at position 224") !=
        std::string::npos);
  CHECK(CompileError(Nested(":not(:is(", 17, "li") + std::string(17, ')'))
            .find("nested too deeply") != std::string::npos);
  CHECK(CompileError("li:has(b:has(i))") ==
        "selector 'li:has(b:has(i))': ':has()' cannot be nested inside ':has()' at position 8");
  CHECK(CompileError("li:has(:not(:has(i)))").find("cannot be nested") != std::string::npos);

  std::string chain64 = "*";
  for (int i = 1; i < 64; ++i) chain64 += i % 2 ? " > *" : " *";
  CHECK(Select(html, chain64) == "");
  CHECK(CompileError(chain64 + " b") == "selector '" + chain64 +
                                           " b': more than 64 compound selectors in a row at "
                                           "position " +
                                           std::to_string(chain64.size() + 1));
  CHECK(CompileError("li:is(" + chain64 + " + b)").find("more than 64") != std::string::npos);
}

TEST_CASE(":nth-child(An+B of S) counts only the siblings that match S") {
  const char* html =
      "<!DOCTYPE html><ul><li id=a class=x></li><li id=b></li><li id=c class=x></li>"
      "<li id=d class=x></li><li id=e></li></ul>";
  CHECK(Select(html, ":nth-child(2 of .x)") == "c");
  CHECK(Select(html, ":nth-child(odd of .x)") == "a d");
  CHECK(Select(html, ":nth-child(even OF li:not(.x))") == "e");
  CHECK(Select(html, ":nth-last-child(1 of .x)") == "d");
  CHECK(Select(html, ":nth-child(1 of .x, #b)") == "a");
  CHECK(Select(html, ":nth-child(2 of .x, #b)") == "b");
  CHECK(Select(html, "li:nth-child(n of :not(.x))") == "b e");
  CHECK(CompileError(":nth-child(2 of)") ==
        "selector ':nth-child(2 of)': expected a selector, found ')' at position 15");
  CHECK(CompileError(":nth-of-type(2 of p)") ==
        "selector ':nth-of-type(2 of p)': expected ')', found 'o' at position 15");
}

TEST_CASE(":nth-last-child and the -of-type family") {
  const char* html =
      "<!DOCTYPE html><div id=d><h2 id=h1></h2><p id=p1></p><p id=p2></p><h2 id=h2></h2>"
      "<p id=p3></p><x-card id=x1></x-card><X-Card id=x2></X-Card></div>";
  CHECK(Select(html, "#d > :nth-last-child(2)") == "x1");
  CHECK(Select(html, "#d > :nth-last-child(-n+2)") == "x1 x2");
  CHECK(Select(html, "p:nth-of-type(2)") == "p2");
  CHECK(Select(html, "p:nth-last-of-type(1)") == "p3");
  CHECK(Select(html, ":nth-of-type(2)") == "p2 h2 x2");
  CHECK(Select(html, "#d > :first-of-type") == "h1 p1 x1");
  CHECK(Select(html, "#d > :last-of-type") == "h2 p3 x2");
  CHECK(Select(html, "#d > :only-of-type") == "");
  CHECK(Select(html, "body > :only-of-type") == "d");
  CHECK(Select(html, "p:nth-of-type(odd)") == "p1 p3");
  CHECK(Select(html, "h2:nth-last-of-type(n+2)") == "h1");
}

TEST_CASE(":empty, :root and :scope") {
  const char* html =
      "<!DOCTYPE html><div id=a></div><div id=b><!-- only a comment --></div><div id=c> </div>"
      "<div id=d>x</div><div id=e><br id=f></div>";
  CHECK(Select(html, "div:empty") == "a b");
  CHECK(Select(html, ":empty") == "head a b f");
  CHECK(Select(html, ":root") == "html");
  CHECK(Select(html, "html:root > body") == "body");
  CHECK(Select(html, "div:root") == "");
  CHECK(Select(html, ":scope > body") == "body");
  CHECK(Select(html, ":scope > br", "e") == "f");
  CHECK(Select(html, ":scope br", "e") == "f");
  CHECK(Select(html, ":scope", "e") == "");  // the scope itself is never a match
}

TEST_CASE(":not() takes a selector list, complex selectors included") {
  const char* html =
      "<!DOCTYPE html><div id=d><p id=a class=x></p><p id=b></p><span id=c class=x></span></div>"
      "<section><p id=e></p></section>";
  CHECK(Select(html, "p:not(.x)") == "b e");
  CHECK(Select(html, "p:not(.x, #b)") == "e");
  CHECK(Select(html, "p:not(div > p)") == "e");
  CHECK(Select(html, "p:not(div *)") == "e");
  CHECK(Select(html, "#d > :not(p)") == "c");
  CHECK(Select(html, "#d > :not(:not(.x))") == "a c");
  CHECK(Select(html, ":not(html, head, body, div, section)") == "a b c e");
  CHECK(CompileError("p:not()") ==
        "selector 'p:not()': expected a selector, found ')' at position 6");
  CHECK(CompileError("p:not(.x") == "selector 'p:not(.x': expected ')' at position 8");
  CHECK(CompileError("p:not(::text)") ==
        "selector 'p:not(::text)': pseudo-elements are only allowed at the end of a field "
        "selector at position 6");
}

TEST_CASE(":is() and :where() take forgiving selector lists") {
  const char* html =
      "<!DOCTYPE html><header><h1 id=h></h1></header><main><h1 id=m></h1><p id=p></p></main>";
  CHECK(Select(html, ":is(header, main) h1") == "h m");
  CHECK(Select(html, ":where(header, main) > :is(h1, p)") == "h m p");
  CHECK(Select(html, ":is(main h1, #p)") == "m p");
  CHECK(Select(html, "h1:is(#m)") == "m");
  CHECK(Select(html, ":is(:unknown, #p)") == "p");
  CHECK(Select(html, ":is(#p, p::text, [x=])") == "p");
  CHECK(Select(html, ":is()") == "");
  CHECK(Select(html, ":is(, #h,)") == "h");
  CHECK(Select(html, ":matches(#h), :any(#m)") == "h m");
  CHECK(CompileError(":is(#p") == "selector ':is(#p': expected ')' at position 6");
  CHECK(CompileError(":is(#p a") == "selector ':is(#p a': expected ')' at position 8");
  CHECK(CompileError(":is(#p, [)") == "selector ':is(#p, [)': expected ')' at position 10");
}

TEST_CASE(":has() takes relative selectors") {
  const char* html =
      "<!DOCTYPE html>"
      "<div id=a><p id=a1><img id=a2></p></div>"
      "<div id=b><img id=b1></div>"
      "<div id=c></div><img id=c1>"
      "<div id=d></div><p id=d1></p><span id=d2><img id=d3></span>";
  CHECK(Select(html, "div:has(img)") == "a b");
  CHECK(Select(html, "div:has(> img)") == "b");
  CHECK(Select(html, "div:has(>img)") == "b");
  CHECK(Select(html, "div:has(p img)") == "a");
  CHECK(Select(html, "div:has(> p > img)") == "a");
  CHECK(Select(html, "div:has(+ img)") == "c");
  CHECK(Select(html, "div:has(~ span)") == "a b c d");
  CHECK(Select(html, "div:has(~ span img)") == "a b c d");
  CHECK(Select(html, "div:has(+ p + span > img)") == "d");
  CHECK(Select(html, "div:has(+ p ~ span)") == "d");
  CHECK(Select(html, "div:has(> p, + img)") == "a c");
  CHECK(Select(html, "div:has(div img)") == "");
  CHECK(Select(html, "div:not(:has(img))") == "c d");
  CHECK(Select(html, ":has(> #a1) + div") == "b");
  CHECK(Select(html, "body > :has(img):not(div)") == "d2");
  CHECK(Select(html, "div:has(:is(p, span) > img)") == "a");

  SUBCASE("errors") {
    CHECK(CompileError("div:has()") ==
          "selector 'div:has()': expected a selector, found ')' at position 8");
    CHECK(CompileError("div:has(>)") ==
          "selector 'div:has(>)': expected a selector, found ')' at position 9");
    CHECK(CompileError("div:has(a:has(b))") ==
          "selector 'div:has(a:has(b))': ':has()' cannot be nested inside ':has()' at "
          "position 9");
    // In a forgiving list the nested :has() is only dropped.
    CHECK(Select(html, "div:has(:is(:has(b)))") == "");
    CHECK(CompileError("div:has(> > a)") ==
          "selector 'div:has(> > a)': expected a selector, found '>' at position 10");
  }
}

TEST_CASE(":has() stays fast on big pages" * doctest::timeout(2)) {
  std::string html = "<!DOCTYPE html>";
  for (int i = 0; i < 400; ++i) html += "<div><ul><li><a>x</a></li><li></li></ul></div>";
  HtmlDocument doc = HtmlDocument::Parse(html);
  std::vector<const GumboNode*> out;
  MustCompile("div:has(li > a):has(+ div) li:has(+ li)").SelectAll(doc.document(), &out);
  CHECK(out.size() == 399);
}

TEST_CASE(":-soup-contains() and :-soup-contains-own() search raw text") {
  const char* html =
      "<!DOCTYPE html><div id=d>Price: <b id=b>£63.00</b></div><p id=p>In  stock</p>"
      "<p id=q>sold <!-- out --> out</p>";
  CHECK(Select(html, ":-soup-contains('£63')") == "html body d b");
  CHECK(Select(html, "div:-soup-contains(\"Price: £63\")") == "d");
  CHECK(Select(html, "p:-soup-contains('In  stock')") == "p");
  CHECK(Select(html, "p:-soup-contains('In stock')") == "");
  CHECK(Select(html, "p:contains(stock, sold)") == "p q");
  CHECK(Select(html, "p:-soup-contains('sold  out')") == "q");
  CHECK(Select(html, "div:-soup-contains-own('£63')") == "");
  CHECK(Select(html, "div:-soup-contains-own('Price')") == "d");
  CHECK(Select(html, "p:-soup-contains('')") == "p q");
  CHECK(CompileError("p:contains()") ==
        "selector 'p:contains()': expected a string or an identifier at position 11");
  CHECK(CompileError("p:contains('a' 'b')") ==
        "selector 'p:contains('a' 'b')': expected ')', found ''' at position 15");
}

TEST_CASE("links and form states as a static document has them") {
  const char* html =
      "<!DOCTYPE html><a id=a1 href=/x></a><a id=a2></a><area id=a3 href=/y>"
      "<link id=a4 href=/z>"
      "<form><input id=i1 type=checkbox checked><input id=i2 type=radio>"
      "<input id=i3 disabled required><input id=i4 readonly><input id=i5 type=hidden>"
      "<select id=s1 required><option id=o1 selected>1</option><optgroup id=g1 disabled>"
      "<option id=o2>2</option></optgroup></select><textarea id=t1></textarea>"
      "<fieldset id=f1 disabled><legend id=lg><input id=i6></legend><input id=i7></fieldset>"
      "<button id=b1>b</button><div id=e1 contenteditable><p id=e2></p></div></form>";
  CHECK(Select(html, ":any-link") == "a1 a3");
  CHECK(Select(html, ":link") == "a1 a3");
  CHECK(Select(html, ":visited, :hover, :active, :focus, :target") == "");
  CHECK(Select(html, ":checked") == "i1 o1");
  CHECK(Select(html, ":disabled") == "i3 g1 o2 f1 i7");
  CHECK(Select(html, ":enabled") == "i1 i2 i4 i5 s1 o1 t1 i6 b1");
  CHECK(Select(html, ":required") == "i3 s1");
  CHECK(Select(html, "input:optional") == "i1 i2 i4 i5 i6 i7");
  CHECK(Select(html, ":read-write") == "t1 i6 e1 e2");
  CHECK(Select(html, "input:read-only") == "i1 i2 i3 i4 i5 i7");
}

TEST_CASE(":lang() and :defined") {
  const char* html =
      "<!DOCTYPE html><html lang=en><body><p id=a></p><div lang=fr-CA><p id=b></p>"
      "<p id=c lang=de-Latn-DE></p></div><my-el id=d></my-el></body></html>";
  CHECK(Select(html, "p:lang(en)") == "a");
  CHECK(Select(html, "p:lang(fr)") == "b");
  CHECK(Select(html, "p:lang(FR-ca)") == "b");
  CHECK(Select(html, "p:lang(de-DE)") == "c");
  CHECK(Select(html, "p:lang('*-DE')") == "c");
  CHECK(Select(html, "p:lang(en, fr)") == "a b");
  CHECK(Select(html, "p:lang(e)") == "");
  CHECK(Select(html, "body :not(:defined)") == "d");
  const char* meta =
      "<!DOCTYPE html><head><meta http-equiv=content-language content=ja></head><p id=a></p>";
  CHECK(Select(meta, "p:lang(ja)") == "a");
}

TEST_CASE("pseudo-class names are ASCII case-insensitive, errors point at them") {
  const char* html = "<!DOCTYPE html><p id=a></p><p id=b></p>";
  CHECK(Select(html, "P:FIRST-CHILD") == "a");
  CHECK(Select(html, "p:Nth-Child(2)") == "b");
  CHECK(Select(html, "p:NOT(:first-child)") == "b");
  CHECK(CompileError("p:first") ==
        "selector 'p:first': unknown pseudo-class ':first' at position 1");
  CHECK(CompileError("p:nth-child") ==
        "selector 'p:nth-child': expected '(' after ':nth-child' at position 11");
  CHECK(CompileError("p:nth-child (2)") ==
        "selector 'p:nth-child (2)': expected '(' after ':nth-child' at position 11");
  CHECK(CompileError("p:first-child()") ==
        "selector 'p:first-child()': ':first-child' takes no arguments at position 13");
  CHECK(CompileError("p:foo(1)") ==
        "selector 'p:foo(1)': unknown pseudo-class ':foo()' at position 1");
  CHECK(CompileError("p:") == "selector 'p:': expected a pseudo-class name at position 2");
  CHECK(CompileError("p:nth-child(2") == "selector 'p:nth-child(2': expected ')' at position 13");
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += ":not(";
  deep += "p";
  for (int i = 0; i < 40; ++i) deep += ")";
  CHECK(CompileError(deep).find("selector nested too deeply (more than 32 levels of functional "
                                "pseudo-classes) at position 160") != std::string::npos);
}

TEST_CASE("Matches() and SelectFirst() see the same pseudo-classes") {
  HtmlDocument doc = HtmlDocument::Parse("<!DOCTYPE html><ul><li id=a></li><li id=b></li></ul>");
  const GumboNode* second = MustCompile("li:last-child").SelectFirst(doc.document());
  REQUIRE(second != nullptr);
  CHECK(MustCompile("li + li:nth-child(2):not(:first-child)").Matches(second));
  CHECK(MustCompile(":scope").Matches(second));  // Element.matches(':scope')
  CHECK_FALSE(MustCompile("li:has(+ li)").Matches(second));
  CHECK(SelectIn(doc, "ul:has(> #b) > :first-child") == "a");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::parser
