// Extraction users can rely on, end to end over HTTP: every encoding the
// fixture serves, field options, required fields.

#include <doctest/doctest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "bench/fixture/encoded_pages.h"
#include "tests/test_support.h"

namespace forage::testing {
namespace {

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST_SUITE("e2e.extract") {

TEST_CASE("pages in GBK, Shift_JIS, Big5, EUC-KR, windows-1252, UTF-16 are decoded to UTF-8") {
  Fixture fx;
  std::string dir = TempDir("encodings");
  std::string urls;
  for (const auto& page : fixture::kEncodedPages) urls += fx.url() + "enc/" + std::string(page.name) + "/\n";
  WriteFile(dir + "/urls.txt", urls);
  auto r = RunProcess({ForageBin(), "run", "--urls", dir + "/urls.txt", "--items", "li.item",
                       "--field", "name=.name", "--field", "price=.price", "-o", "-", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = JsonLines(r.out);
  size_t i = 0;
  for (const auto& page : fixture::kEncodedPages) {
    for (const auto& item : page.items) {
      CAPTURE(page.name);
      REQUIRE(i < lines.size());
      CHECK(lines[i]["name"] == std::string(item.name));
      CHECK(lines[i]["price"] == std::string(item.price));
      ++i;
    }
  }
  CHECK(lines.size() == i);
}

TEST_CASE("field options: numbers, lists, resolved URLs and defaults, written as JSON types") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages", "1",
                       "--items", ".product",
                       "--field", "id=.add_to_cart_button::attr(data-product_id) | int",
                       "--field", "price=.price | re:([0-9.]+) | float",
                       "--field", "links=a::attr(href) | all",
                       "--field", "sale=.onsale | default:no",
                       "-o", "-", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = JsonLines(r.out);
  REQUIRE(lines.size() == 16);
  // The golden CSV: 759,Kromupod,£102.00,http://HOST/shop/Kromupod/
  std::string first = r.out.substr(0, r.out.find('\n'));  // as written: key order kept
  CHECK(first == R"({"id":759,"price":102,"links":["http://)" + fx.host() +
                               R"(/shop/Kromupod/","?add-to-cart=759"],"sale":"no"})");

  SUBCASE("the same in CSV: a list is joined, numbers are plain") {
    std::string dir = TempDir("options_csv");
    auto r2 = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages",
                          "1", "--items", ".product", "--field",
                          "id=.add_to_cart_button::attr(data-product_id) | int", "--field",
                          "links=a::attr(href) | all", "-o", dir + "/o.csv", "--quiet"});
    REQUIRE(r2.exit_code == 0);
    auto rows = ParseCsv(ReadFile(dir + "/o.csv"));
    REQUIRE(rows.size() == 17);
    CHECK(rows[1] == std::vector<std::string>{
                         "759", "http://" + fx.host() + "/shop/Kromupod/,?add-to-cart=759"});
  }
}

TEST_CASE("a record without a required field is dropped and counted") {
  Fixture fx;
  std::string dir = TempDir("required");
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages",
                       "1-2", "--items", ".product", "--field", "name=h2", "--field",
                       "sale=.onsale | required", "-o", dir + "/o.csv", "--report",
                       dir + "/r.json", "--quiet"});
  REQUIRE(r.exit_code == 0);
  auto rep = nlohmann::json::parse(ReadFile(dir + "/r.json"));
  CHECK(rep["items"] == 0);
  CHECK(rep["dropped"] == 32);  // no product of the shop is on sale
  CHECK(ParseCsv(ReadFile(dir + "/o.csv")).size() == 1);
}

TEST_CASE("forage select prints every match as a JSON value a line, decoding like a fetch") {
  Fixture fx;
  std::string dir = TempDir("select");
  // GBK bytes whose charset only the <meta> tag names.
  WriteFile(dir + "/gbk.html", fx.Get("/enc/gbk-meta/"));
  auto r = RunProcess({ForageBin(), "select", dir + "/gbk.html", "li.item .name"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string expected;
  for (const auto& item : fixture::kChineseSimplifiedItems) {
    expected += "\"" + std::string(item.name) + "\"\n";
  }
  CHECK(r.out == expected);

  WriteFile(dir + "/links.html", "<p><a href=\"/x?a=1&amp;b=2\">one</a> <a>two \"2\"</a></p>");
  auto attr = RunProcess({ForageBin(), "select", dir + "/links.html", "a", "--attr", "href"});
  CHECK(attr.out == "\"/x?a=1&b=2\"\nnull\n");
  auto text = RunProcess({ForageBin(), "select", dir + "/links.html", "a"});
  CHECK(text.out == "\"one\"\n\"two \\\"2\\\"\"\n");
  auto bad = RunProcess({ForageBin(), "select", dir + "/links.html", "a[href"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("position") != std::string::npos);
}

TEST_CASE("forage extract applies the run's rules to local files") {
  Fixture fx;
  std::string dir = TempDir("extract");
  WriteFile(dir + "/p1.html", fx.Get("/shop/page/1/"));
  WriteFile(dir + "/p48.html", fx.Get("/shop/page/48/"));
  auto r = RunProcess({ForageBin(), "extract", dir + "/p1.html", dir + "/p48.html", "--items",
                       ".product", "--field", "id=.add_to_cart_button::attr(data-product_id) | int",
                       "--field", "name=h2", "--field", "cart=.add_to_cart_button::attr(href) | url",
                       "--base-url", "http://shop.example/shop/page/1/"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = JsonLines(r.out);
  REQUIRE(lines.size() == 16 + 3);
  CHECK(lines[0]["id"] == 759);
  CHECK(lines[0]["name"] == "Kromupod");
  CHECK(lines[0]["cart"] == "http://shop.example/shop/page/1/?add-to-cart=759");
  auto golden = ParseCsv(GoldenShopCsv(fx));
  CHECK(lines[18]["name"] == golden[755][1]);
}

TEST_CASE("an invalid selector points at the position, before any request") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages", "1",
                       "--items", "li:nth-child(2n+)", "--field", "name=h2"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("position") != std::string::npos);
  CHECK(fx.Stat("requests") == 0);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
