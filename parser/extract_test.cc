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
  if (!rules) INFO("error: ", rules.error().message);
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
  std::ifstream file("parser/testdata/scrapeme_shop.html", std::ios::binary);
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
