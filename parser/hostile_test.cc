// Hostile pages: nesting far deeper than any stack, huge sibling lists, and
// Gumbo's leak. Each must parse and extract like any other page; nothing in
// parser/ may recurse once per level of the tree. (Speed is measured in
// bench/, not here.)

#include <malloc.h>

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "parser/arena.h"
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

// A list of `n` children of mixed types (li, p, an unknown x-i), with text
// and comments between them; each child's id is its 1-based position.
std::string MixedList(int n, int seed) {
  std::string html = "<ul id=list>";
  const char* tags[] = {"li", "p", "x-i"};
  for (int i = 1; i <= n; ++i) {
    const char* tag = tags[(i * 7 + seed) % 5 % 3];
    html += " <" + std::string(tag) + " id=" + std::to_string(i) +
            ((i + seed) % 4 == 0 ? " class=s" : "") + "></" + tag + ">";
    if (i % 10 == 0) html += "<!-- c -->";
  }
  return html + "</ul>";
}

// What the selector must match, counted the slow way: ids (positions) of the
// children for which `want(index, count, of_type, type_count)` holds, where
// each figure is among the siblings that `counts` (same type, or matching S).
struct Child {
  std::string tag;
  bool s = false;
};

std::vector<Child> Children(int n, int seed) {
  std::vector<Child> out;
  const char* tags[] = {"li", "p", "x-i"};
  for (int i = 1; i <= n; ++i) out.push_back({tags[(i * 7 + seed) % 5 % 3], (i + seed) % 4 == 0});
  return out;
}

std::string Expected(const std::vector<Child>& children, std::string_view tag, int64_t a,
                     int64_t b, bool from_end, bool of_type, bool of_s) {
  std::string out;
  auto nth = [&](int64_t index) {
    if (a == 0) return index == b;
    return (index - b) % a == 0 && (index - b) / a >= 0;
  };
  for (size_t i = 0; i < children.size(); ++i) {
    if (of_s && !children[i].s) continue;
    if (!tag.empty() && children[i].tag != tag) continue;
    int64_t index = 0;
    for (size_t j = 0; j < children.size(); ++j) {
      bool counts = (!of_type || children[j].tag == children[i].tag) && (!of_s || children[j].s);
      if (counts && (from_end ? j >= i : j <= i)) ++index;
    }
    if (nth(index)) {
      if (!out.empty()) out += ' ';
      out += std::to_string(i + 1);
    }
  }
  return out;
}

std::string Ids(const HtmlDocument& doc, std::string_view selector) {
  Result<Selector> compiled = Selector::Compile(selector);
  REQUIRE(compiled.has_value());
  std::vector<const GumboNode*> matches;
  compiled->SelectAll(doc.document(), &matches);
  std::string out;
  for (const GumboNode* node : matches) {
    if (!out.empty()) out += ' ';
    out += std::string(*AttributeValue(node, "id"));
  }
  return out;
}

TEST_CASE(":nth-child() and its kin on long sibling lists agree with counting") {
  for (int seed : {0, 1}) {
    const int n = 1000;
    std::vector<Child> children = Children(n, seed);
    Arena arena;  // both documents in one arena: the same node addresses
    HtmlDocument doc = HtmlDocument::Parse(MixedList(n, seed), &arena);
    struct Case {
      const char* selector;
      const char* tag;
      int64_t a, b;
      bool from_end, of_type, of_s;
    };
    for (const Case& c : {
             Case{"#list > :nth-child(2n+1)", "", 2, 1, false, false, false},
             Case{"#list > :nth-child(-n+3)", "", -1, 3, false, false, false},
             Case{"#list > :nth-last-child(3n)", "", 3, 0, true, false, false},
             Case{"#list > li:nth-of-type(5n+2)", "li", 5, 2, false, true, false},
             Case{"#list > x-i:nth-last-of-type(4n+1)", "x-i", 4, 1, true, true, false},
             Case{"#list > p:first-of-type", "p", 0, 1, false, true, false},
             Case{"#list > p:last-of-type", "p", 0, 1, true, true, false},
             Case{"#list > :nth-child(3n+1 of .s)", "", 3, 1, false, false, true},
             Case{"#list > :nth-last-child(2n of .s)", "", 2, 0, true, false, true},
         }) {
      INFO(std::string(c.selector), " seed ", seed);
      std::string expected =
          Expected(children, c.tag, c.a, c.b, c.from_end, c.of_type, c.of_s);
      CHECK(!expected.empty());
      CHECK(Ids(doc, c.selector) == expected);
    }
  }
}

TEST_CASE("sibling counts do not outlive their document, nor their pass over it") {
  Result<Selector> odd = Selector::Compile("ul > :nth-child(odd)");
  REQUIRE(odd.has_value());
  Result<Rules> rules = CompileRules("ul > :nth-last-child(-n+2)", {{"id", "::attr(id)"}});
  REQUIRE(rules.has_value());
  Arena arena;
  auto list = [](int n, const char* prefix) {
    std::string html = "<ul>";
    for (int i = 1; i <= n; ++i) html += "<li id=" + std::string(prefix) + std::to_string(i) + ">";
    return html + "</ul>";
  };
  auto ids = [](const std::vector<const GumboNode*>& nodes) {
    std::string out;
    for (const GumboNode* node : nodes) out += std::string(*AttributeValue(node, "id")) + ' ';
    return out;
  };
  for (int n : {40, 35, 100}) {
    HtmlDocument doc = HtmlDocument::Parse(list(n, n == 35 ? "b" : "a"), &arena);
    std::vector<const GumboNode*> matches;
    odd->SelectAll(doc.document(), &matches);
    CHECK(matches.size() == static_cast<size_t>((n + 1) / 2));
    CHECK(ids(matches).rfind(std::string(n == 35 ? "b" : "a") + std::to_string(n % 2 == 1 ? n : n - 1) + " ") ==
          ids(matches).size() - std::to_string(n % 2 == 1 ? n : n - 1).size() - 2);
    std::vector<Record> records = Extract(doc, *rules);
    REQUIRE(records.size() == 2);
    CHECK(*records[0].values[0] == (n == 35 ? "b" : "a") + std::to_string(n - 1));
    CHECK(*records[1].values[0] == (n == 35 ? "b" : "a") + std::to_string(n));
  }
}

TEST_CASE("counts for :nth-child(An+B of S) are per :scope when S names it") {
  // Each item is the only element matching `:scope` among its 40 siblings, so
  // each is :nth-child(1 of :scope) when it is the scope, and only then.
  std::string html;
  for (int i = 0; i < 40; ++i) html += "<section><span>s" + std::to_string(i) + "</span></section>";
  HtmlDocument doc = HtmlDocument::Parse(std::move(html));
  Result<Rules> rules = CompileRules("section", {{"t", ":nth-child(1 of :scope) > span"}});
  REQUIRE(rules.has_value());
  std::vector<Record> records = Extract(doc, *rules);
  REQUIRE(records.size() == 40);
  for (int i = 0; i < 40; ++i) {
    INFO("record ", i);
    REQUIRE(records[static_cast<size_t>(i)].values[0].has_value());
    CHECK(*records[static_cast<size_t>(i)].values[0] == "s" + std::to_string(i));
  }
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
