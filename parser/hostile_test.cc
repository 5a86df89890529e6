// Hostile pages: nesting far deeper than any stack, huge sibling lists, and
// Gumbo's leak. Each must parse and extract like any other page; nothing in
// parser/ may recurse once per level of the tree. (Speed is measured in
// bench/, not here.)

#include <malloc.h>

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "parser/extract.h"
#include "parser/html_document.h"
#include "parser/selector.h"
#include "parser/text.h"

namespace forage::parser {
namespace {

std::string Repeat(std::string_view piece, size_t n) {
  std::string out;
  out.reserve(piece.size() * n);
  for (size_t i = 0; i < n; ++i) out.append(piece);
  return out;
}

// The page libFuzzer found: Gumbo 0.10.1 leaks on `<noscript><!DOCTYPE`, and
// each unclosed <noscript> nests one level deeper (15.7 MB, 786,000 levels).
std::string NestingBomb() { return "<p>ok</p>" + Repeat("<noscript><!DOCTYPE>", 786000); }

std::vector<std::string> Values(const HtmlDocument& doc, std::string_view selector) {
  Result<FieldSelector> field = CompileFieldSelector(selector);
  REQUIRE(field.has_value());
  std::vector<std::string> out;
  for (const FieldValue& v : SelectValues(doc, *field)) out.push_back(v ? *v : "null");
  return out;
}

TEST_CASE("the <noscript><!DOCTYPE> nesting bomb parses and extracts like any page") {
  std::vector<std::string> values;
  {
    HtmlDocument doc = HtmlDocument::Parse(NestingBomb());
    values = Values(doc, "p");
    // Walks to the deepest node and back: text, serialisation, :has().
    CHECK(TextContent(doc.root()) == "ok");
    CHECK(Values(doc, "body:has(noscript noscript noscript)::attr(x)") ==
          std::vector<std::string>{"null"});
    CHECK(Values(doc, "noscript:empty").size() == 1);
  }  // and the tree is freed without recursing
  CHECK(values == std::vector<std::string>{"ok"});
}

TEST_CASE("1,000,000 nested elements parse, match, serialise and free") {
  std::string html = "<p>ok</p>" + Repeat("<span>", 1000000) + "deep";
  HtmlDocument doc = HtmlDocument::Parse(std::move(html));
  CHECK(Values(doc, "p") == std::vector<std::string>{"ok"});
  CHECK(Values(doc, "span:empty").empty());
  CHECK(Values(doc, "span:not(:has(span))") == std::vector<std::string>{"deep"});
  // :not(:has(*)) first: :-soup-contains reads the whole subtree of each
  // element it is tried on.
  CHECK(Values(doc, "body > span span span:not(:has(*)):-soup-contains(deep)") ==
        std::vector<std::string>{"deep"});
  std::vector<std::string> html_values = Values(doc, "body::html");
  REQUIRE(html_values.size() == 1);
  CHECK(html_values[0].size() == std::string("<body><p>ok</p>deep</body>").size() +
                                     1000000 * std::string("<span></span>").size());
}

// Gumbo itself is quadratic in <div> nesting (each start tag looks for a <p>
// in scope down the whole stack of open elements): 200,000 levels take a
// minute there, which --page-cpu-limit contains (docs/limits.md). Our walks
// are tested at 20,000.
TEST_CASE("20,000 nested <div>s parse and extract") {
  std::string html = "<p>ok</p>" + Repeat("<div>", 20000) + "deep";
  HtmlDocument doc = HtmlDocument::Parse(std::move(html));
  CHECK(Values(doc, "p") == std::vector<std::string>{"ok"});
  CHECK(Values(doc, "div:not(:has(div))") == std::vector<std::string>{"deep"});
}

// The heap's bytes in use: exact, unlike the resident size.
size_t HeapInUse() { return mallinfo2().uordblks; }

TEST_CASE("what Gumbo leaks on <noscript><!DOCTYPE goes with the page") {
  const std::string page = "<p>ok</p>" + Repeat("<noscript><!DOCTYPE>", 2000);
  auto parse_once = [&] {
    HtmlDocument doc = HtmlDocument::Parse(std::string(page));
    CHECK(Values(doc, "p") == std::vector<std::string>{"ok"});
  };
  parse_once();
  const size_t after_first = HeapInUse();
  for (int i = 0; i < 20; ++i) parse_once();
  CHECK(HeapInUse() == after_first);
}

}  // namespace
}  // namespace forage::parser
