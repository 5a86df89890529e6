#include "parser/extract.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "parser/html_document.h"

namespace forage::parser {
namespace {

// The seed's rules (PRODUCT.md, "Flags of run").
const std::vector<FieldSpec> kShopFields = {
    {"id", ".add_to_cart_button::attr(data-product_id)"},
    {"name", "h2"},
    {"price", ".price"},
    {"url", ".woocommerce-loop-product__link::attr(href)"},
};

// Trimmed from WooCommerce's loop markup. The second product has no price
// and no button; the third has an empty product id.
const char* const kShopSnippet = R"(<!doctype html>
<html><head><title>Shop</title><script>var product = "not an item";</script></head>
<body class="archive woocommerce">
<ul class="products columns-4">
<li class="post-759 product type-product first instock">
  <a href="https://example.test/shop/bulbasaur/" class="woocommerce-LoopProduct-link woocommerce-loop-product__link">
    <img src="/001.png" alt=""><h2 class="woocommerce-loop-product__title">Bulbasaur</h2>
    <span class="price"><span class="woocommerce-Price-amount amount"><span class="woocommerce-Price-currencySymbol">&pound;</span>63.00</span></span>
  </a><a href="/shop/?add-to-cart=759" class="button add_to_cart_button ajax_add_to_cart" data-product_id="759">Add to basket</a>
</li>
<li class="post-729 product type-product outofstock">
  <a href="https://example.test/shop/ivysaur/" class="woocommerce-loop-product__link">
    <h2>Ivy&shy;saur  <!-- sale --> </h2>
  </a>
</li>
<li class="post-730 product type-product last">
  <a class="woocommerce-loop-product__link"><h2>Venusaur</h2><span class="price">&pound;105.00</span></a>
  <a class="add_to_cart_button" data-product_id="">Add</a>
</li>
</ul>
<div class="related products"><h2>Related products</h2></div>
</body></html>)";

Rules MustCompileRules(std::string_view items, const std::vector<FieldSpec>& fields) {
  Result<Rules> rules = CompileRules(items, fields);
  INFO("error: ", rules ? std::string() : rules.error().message);
  REQUIRE(rules.has_value());
  return *std::move(rules);
}

std::string CompileRulesError(std::string_view items, const std::vector<FieldSpec>& fields) {
  Result<Rules> rules = CompileRules(items, fields);
  REQUIRE_FALSE(rules.has_value());
  CHECK(rules.error().code == ErrorCode::kInvalidArgument);
  return rules.error().message;
}

std::vector<Record> Run(std::string html, std::string_view items,
                        const std::vector<FieldSpec>& fields) {
  Rules rules = MustCompileRules(items, fields);
  return Extract(HtmlDocument::Parse(std::move(html)), rules);
}

std::vector<FieldValue> Values(std::initializer_list<FieldValue> values) { return values; }

TEST_SUITE("parser.extract") {

TEST_CASE("the seed's rules extract a WooCommerce shop, missing fields as nullopt") {
  Rules rules = MustCompileRules(".product", kShopFields);
  CHECK(rules.field_names() == std::vector<std::string>{"id", "name", "price", "url"});
  std::vector<Record> records = Extract(HtmlDocument::Parse(kShopSnippet), rules);
  REQUIRE(records.size() == 3);
  CHECK(records[0].values == Values({"759", "Bulbasaur", "\u00A363.00",
                                     "https://example.test/shop/bulbasaur/"}));
  // U+00AD from &shy; is not whitespace; the comment is not text.
  CHECK(records[1].values == Values({std::nullopt, "Ivy\u00ADsaur", std::nullopt,
                                     "https://example.test/shop/ivysaur/"}));
  // An empty attribute is a value; a missing one is not.
  CHECK(records[2].values == Values({"", "Venusaur", "\u00A3105.00", std::nullopt}));
}

TEST_CASE("the seed's rules on a real scrapeme.live shop page") {
  // The real page, from the shared corpus beside the checkout (not committed).
  std::ifstream file("../shared/corpus/pages/scrapeme.live/shop-category.html", std::ios::binary);
  REQUIRE(file.good());
  std::stringstream body;
  body << file.rdbuf();
  std::vector<Record> records = Run(body.str(), ".product", kShopFields);
  REQUIRE(records.size() == 16);
  CHECK(records[0].values == Values({"759", "Bulbasaur", "\u00A363.00",
                                     "https://scrapeme.live/shop/Bulbasaur/"}));
  CHECK(records[1].values == Values({"729", "Ivysaur", "\u00A387.00",
                                     "https://scrapeme.live/shop/Ivysaur/"}));
  CHECK(records[15].values == Values({"743", "Pidgey", "\u00A3159.00",
                                      "https://scrapeme.live/shop/Pidgey/"}));
  for (const Record& record : records) {
    for (const FieldValue& value : record.values) CHECK(value.has_value());
  }
}

TEST_CASE(":scope with + or ~ reaches the item's following siblings, and only those") {
  const char* html =
      "<table><tr class=a><td>A</td></tr><tr><td class=s>1</td></tr>"
      "<tr class=a><td>B</td></tr><tr class=sub><td>none</td></tr><tr><td class=s>3</td></tr>"
      "<tr class=a><td>C</td></tr></table><p class=s>after</p>";
  std::vector<Record> records =
      Run(html, "tr.a",
          {{"next", ":scope + tr .s"},
           {"later", ":scope ~ tr .s"},
           {"second", ":scope + tr + tr .s"},
           {"child", ":scope > td"},
           {"plain", ".s"},
           {"all", ":scope ~ tr td | all"}});
  REQUIRE(records.size() == 3);
  CHECK(records[0].values == Values({"1", "1", std::nullopt, "A", std::nullopt,
                                     R"(["1","B","none","3","C"])"}));
  CHECK(records[1].values == Values({std::nullopt, "3", "3", "B", std::nullopt,
                                     R"(["none","3","C"])"}));
  CHECK(records[2].values == Values({std::nullopt, std::nullopt, std::nullopt, "C",
                                     std::nullopt, "[]"}));
}

TEST_CASE("a selector list with a pseudo-element per alternative: first in document order") {
  const char* html =
      "<div class=i><img src=/i.png><a href=/a>link</a></div>"
      "<div class=i><a href=/b>only</a></div>";
  std::vector<Record> records =
      Run(html, ".i",
          {{"first", "a::attr(href), img::attr(src)"},
           {"all", "a::attr(href), img::attr(src) | all"},
           {"mixed", "a::text, img::attr(src) | all"},
           {"same", "a::attr(href), img::attr(href)"}});
  REQUIRE(records.size() == 2);
  CHECK(records[0].values ==
        Values({"/i.png", R"(["/i.png","/a"])", R"(["/i.png","link"])", std::nullopt}));
  CHECK(records[1].values == Values({"/b", R"(["/b"])", R"(["only"])", "/b"}));
  Rules rules = MustCompileRules(".i", {{"f", "a::attr(href), img::attr(src)"}});
  CHECK(rules.formats() == std::vector{ValueFormat::kString});
}

TEST_CASE("JSON rules: items and fields by JSONPath, values as JSON text") {
  Rules rules = MustCompileRules("json:$.items[*]", {{"n", "json:$.n"},
                                                     {"v", "json:$.v"},
                                                     {"name", "json:$.name | trim"},
                                                     {"tags", "json:$.t[*] | all"},
                                                     {"cents", "json:$.v | int"},
                                                     {"d", "json:$.missing | default:none"}});
  CHECK(rules.json_items());
  CHECK(rules.formats() == std::vector{ValueFormat::kJson, ValueFormat::kJson,
                                       ValueFormat::kString, ValueFormat::kJson,
                                       ValueFormat::kNumber, ValueFormat::kJson});
  auto result = ExtractJson(
      R"({"items":[{"n":1,"v":2.5,"name":" a ","t":["x",true]},{"n":null,"v":"7"}]})", rules, "");
  REQUIRE(result.has_value());
  REQUIRE(result->records.size() == 2);
  CHECK(result->records[0].values ==
        Values({"1", "2.5", "a", R"(["x",true])", "2", R"("none")"}));
  CHECK(result->records[1].values ==
        Values({std::nullopt, R"("7")", std::nullopt, "[]", "7", R"("none")"}));
  auto bad = ExtractJson("<html>", rules, "");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.rfind("invalid JSON: parse error at line 1, column 1", 0) == 0);
  // HTML pages: `| json:PATH` on an element's text.
  std::vector<Record> ld = Run(
      "<script type=application/ld+json>{\"@type\":\"Org\"}</script><script "
      "type=application/ld+json>{\"sku\":\"S1\",\"offers\":[{\"price\":9}]}</script>",
      "html", {{"sku", "script | json:$.sku"}, {"price", "script | json:$.offers[0].price"}});
  REQUIRE(ld.size() == 1);
  CHECK(ld[0].values == Values({R"("S1")", "9"}));
  CHECK(CompileRulesError("json:$.a", {{"x", ".x"}}) ==
        "field 'x': the items are JSON (--items 'json:...'), so the field must be json:PATH too, "
        "e.g. json:$.name");
  CHECK(CompileRulesError("li", {{"x", "json:$.x"}}) ==
        "field 'x': json:PATH needs JSON items (--items 'json:$...'); on an HTML page write "
        "SELECTOR | json:PATH");
  CHECK(CompileRulesError("json:$.a[", {{"x", "json:$.x"}}) ==
        "items: JSONPath '$.a[': expected an index, '*', a quoted name or '?' (a filter) at "
        "position 4");
}

TEST_CASE("items come in document order, nested items included") {
  const char* html =
      "<div class=item id=a><b>1</b><div class=item id=b><b>2</b></div></div>"
      "<div class=item id=c></div>";
  std::vector<Record> records =
      Run(html, ".item", {{"id", "::attr(id)"}, {"b", "b"}, {"own", "::text"}});
  REQUIRE(records.size() == 3);
  CHECK(records[0].values == Values({"a", "1", ""}));
  CHECK(records[1].values == Values({"b", "2", ""}));
  CHECK(records[2].values == Values({"c", std::nullopt, ""}));
}

TEST_CASE("fields take the first match relative to the item") {
  const char* html =
      "<p class=outside>no</p>"
      "<div class=item><p> first  <i>it</i> </p><p>second</p><a href='/a '>x</a><a href=/b></a></div>";
  std::vector<Record> records =
      Run(html, "div.item",
          {{"text", "p"},
           {"own", "p::text"},
           {"href", "a::attr(HREF)"},
           {"child", "div > p"},
           {"outside", ".outside"},
           {"ancestor_left", "body p"},
           {"none", "table"}});
  REQUIRE(records.size() == 1);
  CHECK(records[0].values ==
        Values({"first it", "first", "/a ", "first it", std::nullopt, "first it", std::nullopt}));
}

TEST_CASE("no item matches means no records, and no fields means empty records") {
  CHECK(Run("<p>x</p>", ".product", kShopFields).empty());
  std::vector<Record> records = Run("<p>x</p><p>y</p>", "p", {});
  REQUIRE(records.size() == 2);
  CHECK(records[0].values.empty());
}

TEST_CASE("bad rules are errors that name the field") {
  CHECK(CompileRulesError("", kShopFields) == "items: selector '': empty selector");
  CHECK(CompileRulesError(".product::text", kShopFields) ==
        "items: selector '.product::text': pseudo-elements are only allowed at the end of a "
        "field selector at position 8");
  CHECK(CompileRulesError("li..x", kShopFields) ==
        "items: selector 'li..x': expected a class name at position 3");
  CHECK(CompileRulesError(".product", {{"price", ".price::attr("}}) ==
        "field 'price': selector '.price::attr(': expected an attribute name at position 13");
  CHECK(CompileRulesError(".product", {{"name", ""}}) == "field 'name': selector '': empty selector");
  CHECK(CompileRulesError(".product", {{"name", "h2"}, {"name", "h3"}}) ==
        "field 'name': duplicate field name");
  CHECK(CompileRulesError(".product", {{"", "h2"}}) == "field '': empty field name");
  CHECK(CompileRulesError(".product", {{"a", "h2"}, {"b", "h2 >"}}) ==
        "field 'b': selector 'h2 >': expected a selector at position 4");
}

// A listing with what field options are for: prices to read, links to
// resolve, tags to collect, a product without a price.
const char* const kListing = R"(<!DOCTYPE html>
<html><head><base href="/shop/"><title>Listing</title></head><body>
<div class="item" data-id=" 17 ">
  <h2><a href="kettle.html?c=1#top">Kettle</a></h2>
  <span class="price">Now £1,234.50 <s>£1,500.00</s></span>
  <span class="tag">home</span><span class="tag">kitchen</span>
  <img src="//cdn.test/k.png"><p class="rating">4.5 out of 5</p>
</div>
<div class="item" data-id="18">
  <h2><a href="../toaster.html">Toaster &amp; <b>more</b></a></h2>
  <span class="price">1.234,50 €</span><img src="t.png">
</div>
<div class="item">
  <h2><a href="https://other.test/x">Free gift</a></h2>
  <span class="price">free</span>
</div>
</body></html>)";

ExtractResult RunListing(const std::vector<FieldSpec>& fields,
                         std::string_view page_url = "https://shop.test/en/list?page=2") {
  Rules rules = MustCompileRules(".item", fields);
  return Extract(HtmlDocument::Parse(kListing), rules, page_url);
}

std::vector<FieldValue> Column(const ExtractResult& result, size_t field) {
  std::vector<FieldValue> column;
  for (const Record& record : result.records) column.push_back(record.values[field]);
  return column;
}

TEST_CASE("re: takes the first group, or the whole match without groups") {
  ExtractResult result = RunListing({{"digits", ".price | re:([0-9.,]+)"},
                                     {"whole", ".price | re:£[0-9]+"},
                                     {"named", "h2 | re:(?P<word>\\w+) & (\\w+)"},
                                     {"optional", "h2 | re:(x)?K"}});
  REQUIRE(result.records.size() == 3);
  CHECK(Column(result, 0) == Values({"1,234.50", "1.234,50", std::nullopt}));
  CHECK(Column(result, 1) == Values({"£1", std::nullopt, std::nullopt}));
  CHECK(Column(result, 2) == Values({std::nullopt, "Toaster", std::nullopt}));
  CHECK(Column(result, 3) == Values({std::nullopt, std::nullopt, std::nullopt}));
}

TEST_CASE("int and float read price-like text, default fills the gaps") {
  Rules rules = MustCompileRules(
      ".item", {{"price", ".price | float"},
                {"price0", ".price | re:([0-9.,]+) | float | default:0"},
                {"whole", ".price | int"},
                {"rating", ".rating | float | default:-1"},
                {"id", "::attr(data-id) | trim | default:none"}});
  CHECK(rules.formats() == std::vector<ValueFormat>{ValueFormat::kNumber, ValueFormat::kNumber,
                                                    ValueFormat::kNumber, ValueFormat::kNumber,
                                                    ValueFormat::kString});
  ExtractResult result = Extract(HtmlDocument::Parse(kListing), rules, "");
  REQUIRE(result.records.size() == 3);
  CHECK(Column(result, 0) == Values({"1234.5", "1234.5", std::nullopt}));
  CHECK(Column(result, 1) == Values({"1234.5", "1234.5", "0"}));
  CHECK(Column(result, 2) == Values({"1234", "1234", std::nullopt}));
  CHECK(Column(result, 3) == Values({"4.5", "-1", "-1"}));
  CHECK(Column(result, 4) == Values({"17", "18", "none"}));
}

TEST_CASE("url resolves links against the page URL and <base href>") {
  ExtractResult result = RunListing({{"link", "a::attr(href) | url"},
                                     {"img", "img::attr(src) | url"},
                                     {"raw", "a::attr(href)"}});
  REQUIRE(result.records.size() == 3);
  CHECK(Column(result, 0) == Values({"https://shop.test/shop/kettle.html?c=1#top",
                                     "https://shop.test/toaster.html", "https://other.test/x"}));
  CHECK(Column(result, 1) == Values({"https://cdn.test/k.png", "https://shop.test/shop/t.png",
                                     std::nullopt}));
  CHECK(Column(result, 2) == Values({"kettle.html?c=1#top", "../toaster.html",
                                     "https://other.test/x"}));

  SUBCASE("without a page URL, a relative <base href> cannot help: links stay as written") {
    ExtractResult bare = RunListing({{"link", "a::attr(href) | url"}}, "");
    CHECK(Column(bare, 0) == Values({"kettle.html?c=1#top", "../toaster.html",
                                     "https://other.test/x"}));
  }
  SUBCASE("the document base URL") {
    HtmlDocument doc = HtmlDocument::Parse(kListing);
    CHECK(DocumentBaseUrl(doc, "https://shop.test/en/list#x") == "https://shop.test/shop/");
    CHECK(DocumentBaseUrl(doc, "") == "");
    HtmlDocument no_base = HtmlDocument::Parse("<a href=x>");
    CHECK(DocumentBaseUrl(no_base, "https://shop.test/a/b#x") == "https://shop.test/a/b");
    HtmlDocument absolute = HtmlDocument::Parse("<base href='https://cdn.test/'><base href=/x/>");
    CHECK(DocumentBaseUrl(absolute, "") == "https://cdn.test/");
  }
}

TEST_CASE("all collects every match as a JSON array, missing values are left out") {
  Rules rules = MustCompileRules(".item", {{"tags", ".tag | all"},
                                           {"prices", ".price, s | all | float"},
                                           {"srcs", "img::attr(src) | all"},
                                           {"none", "table | all | default:-"},
                                           {"quoted", "h2 | all"}});
  CHECK(rules.formats() == std::vector<ValueFormat>(5, ValueFormat::kList));
  ExtractResult result = Extract(HtmlDocument::Parse(kListing), rules, "");
  REQUIRE(result.records.size() == 3);
  CHECK(Column(result, 0) == Values({"[\"home\",\"kitchen\"]", "[]", "[]"}));
  CHECK(Column(result, 1) == Values({"[1234.5,1500]", "[1234.5]", "[]"}));
  CHECK(Column(result, 2) == Values({"[\"//cdn.test/k.png\"]", "[\"t.png\"]", "[]"}));
  CHECK(Column(result, 3) == Values({"[\"-\"]", "[\"-\"]", "[\"-\"]"}));
  CHECK(Column(result, 4) == Values({"[\"Kettle\"]", "[\"Toaster & more\"]", "[\"Free gift\"]"}));
  CHECK(JoinListItems(*result.records[0].values[0], ",") == "home,kitchen");
  CHECK(ListItems(*result.records[0].values[1]) == Values({"1234.5", "1500"}));
}

TEST_CASE("a record without a required value is dropped and counted") {
  ExtractResult result =
      RunListing({{"name", "h2"}, {"price", ".price | float | required"}, {"tags", ".tag | all"}});
  CHECK(result.dropped == 1);
  REQUIRE(result.records.size() == 2);
  CHECK(Column(result, 0) == Values({"Kettle", "Toaster & more"}));

  ExtractResult lists = RunListing({{"tags", ".tag | all | required"}});
  CHECK(lists.dropped == 2);
  CHECK(lists.records.size() == 1);

  ExtractResult defaulted = RunListing({{"price", ".price | float | default:0 | required"}});
  CHECK(defaulted.dropped == 0);
  CHECK(defaulted.records.size() == 3);

  Rules rules = MustCompileRules(".item", {{"tags", ".tag | all | required"}});
  CHECK(Extract(HtmlDocument::Parse(kListing), rules).size() == 1);
}

TEST_CASE("::html is the outer HTML, serialised from the tree") {
  ExtractResult result = RunListing({{"h2", "h2::html"}, {"a", "a::html"}, {"img", "img::html"}});
  REQUIRE(result.records.size() == 3);
  CHECK(Column(result, 1) ==
        Values({"<a href=\"kettle.html?c=1#top\">Kettle</a>",
                "<a href=\"../toaster.html\">Toaster &amp; <b>more</b></a>",
                "<a href=\"https://other.test/x\">Free gift</a>"}));
  CHECK(Column(result, 2) == Values({"<img src=\"//cdn.test/k.png\">", "<img src=\"t.png\">",
                                     std::nullopt}));
}

TEST_CASE("option errors name the field") {
  CHECK(CompileRulesError(".item", {{"price", ".price | re:([0-9]+"}}) ==
        "field 'price': re:([0-9]+: missing ): ([0-9]+");
  CHECK(CompileRulesError(".item", {{"price", ".price | float | default:n/a"}}) ==
        "field 'price': default 'n/a' is not a number");
  CHECK(CompileRulesError(".item", {{"price", ".price | flaot"}}) ==
        "field 'price': unknown option 'flaot' (options: all, first, re:, trim, url, int, "
        "float, default:, required, json:) at position 9");
  CHECK(CompileRulesError(".item", {{"price", ".price:: | all"}}) ==
        "field 'price': selector '.price::': expected a pseudo-element name at position 8");
}

TEST_CASE("SelectValues gives every match's value, for forage select") {
  HtmlDocument doc = HtmlDocument::Parse(kListing);
  auto values = [&](std::string_view text) {
    Result<FieldSelector> field = CompileFieldSelector(text);
    REQUIRE(field.has_value());
    return SelectValues(doc, *field);
  };
  CHECK(values(".tag") == Values({"home", "kitchen"}));
  CHECK(values(".item::attr(data-id)") == Values({" 17 ", "18", std::nullopt}));
  CHECK(values("h2 a::text") == Values({"Kettle", "Toaster &", "Free gift"}));
  CHECK(values("s::html") == Values({"<s>£1,500.00</s>"}));
  CHECK(values("table").empty());
  CHECK(values("::attr(lang)") == Values({std::nullopt}));

  Result<std::vector<FieldValue>> links =
      SelectFieldValues(doc, "link", "a::attr(href) | url", "https://shop.test/");
  REQUIRE(links.has_value());
  CHECK(*links == Values({"https://shop.test/shop/kettle.html?c=1#top",
                          "https://shop.test/toaster.html", "https://other.test/x"}));
  Result<std::vector<FieldValue>> prices = SelectFieldValues(doc, "p", ".price | float", "");
  REQUIRE(prices.has_value());
  CHECK(*prices == Values({"1234.5", "1234.5"}));
  Result<std::vector<FieldValue>> bad = SelectFieldValues(doc, "p", ".price | nope", "");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("field 'p': unknown option 'nope'") == 0);
}

TEST_CASE("rules are move-only values that outlive the documents") {
  Rules rules = MustCompileRules(".product", kShopFields);
  Rules moved = std::move(rules);
  for (int i = 0; i < 3; ++i) {
    CHECK(Extract(HtmlDocument::Parse(kShopSnippet), moved).size() == 3);
  }
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::parser
