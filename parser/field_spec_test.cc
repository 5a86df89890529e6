#include "parser/field_spec.h"

#include <string>

#include <doctest/doctest.h>

#include "parser/extract.h"
#include "parser/field_value.h"

namespace forage::parser {
namespace {

ParsedField MustParse(std::string_view text) {
  Result<ParsedField> field = ParseFieldText("f", text);
  INFO("text: ", std::string(text));
  if (!field) INFO("error: ", field.error().message);
  REQUIRE(field.has_value());
  return *std::move(field);
}

std::string ParseError(std::string_view text) {
  Result<ParsedField> field = ParseFieldText("price", text);
  INFO("text: ", std::string(text));
  REQUIRE_FALSE(field.has_value());
  CHECK(field.error().code == ErrorCode::kInvalidArgument);
  return field.error().message;
}

std::string Number(std::string_view text) {
  std::optional<double> number = ParseNumber(text);
  return number ? FormatNumber(*number) : "none";
}

TEST_SUITE("parser.field_spec") {

TEST_CASE("a bare selector has default options") {
  ParsedField field = MustParse(".price");
  CHECK(field.selector == ".price");
  CHECK_FALSE(field.options.all);
  CHECK(field.options.regex.empty());
  CHECK(field.options.type == FieldType::kString);
  CHECK_FALSE(field.options.default_value.has_value());
  CHECK_FALSE(field.options.required);
}

TEST_CASE("every option") {
  ParsedField price = MustParse(".price | re:([0-9.]+) | float | default:0 | required");
  CHECK(price.selector == ".price");
  CHECK(price.options.regex == "([0-9.]+)");
  CHECK(price.options.type == FieldType::kFloat);
  CHECK(price.options.default_value == "0");
  CHECK(price.options.required);

  ParsedField tags = MustParse(".tag::text|all");
  CHECK(tags.selector == ".tag::text");
  CHECK(tags.options.all);

  ParsedField link = MustParse("a::attr(href) | url | trim | first | int");
  CHECK(link.options.url);
  CHECK(link.options.trim);
  CHECK_FALSE(link.options.all);
  CHECK(link.options.type == FieldType::kInt);

  CHECK(MustParse("h2 | ALL | Required").options.required);
}

TEST_CASE("the selector ends at the first '|' outside brackets, parentheses and strings") {
  CHECK(MustParse("[lang|=en] | all").selector == "[lang|=en]");
  CHECK(MustParse("a[title='x | y'] | all").selector == "a[title='x | y']");
  CHECK(MustParse("a[title=\"x | y\"]").selector == "a[title=\"x | y\"]");
  CHECK(MustParse(":is(a, b):contains('|') | all").selector == ":is(a, b):contains('|')");
  CHECK(MustParse("a.x\\|y | all").selector == "a.x\\|y");
  CHECK(MustParse("  li > a  ").selector == "  li > a");
}

TEST_CASE("values: unquoted up to the next top-level '|', or quoted") {
  CHECK(MustParse("p | re:(a|b)c | all").options.regex == "(a|b)c");
  CHECK(MustParse("p | re:[|]+").options.regex == "[|]+");
  CHECK(MustParse("p | re:a\\|b").options.regex == "a\\|b");
  CHECK(MustParse("p | re: \\d+ ").options.regex == "\\d+");
  CHECK(MustParse("p | re:'a|b' | all").options.regex == "a|b");
  CHECK(MustParse("p | re:\"\\d+ \\\"x\\\"\"").options.regex == "\\d+ \"x\"");
  CHECK(MustParse("p | default:n/a").options.default_value == "n/a");
  CHECK(MustParse("p | default:'a | b'").options.default_value == "a | b");
  CHECK(MustParse("p | default:''").options.default_value == "");
  CHECK(MustParse("p | default:").options.default_value == "");
  CHECK(MustParse("p | default:it's").options.default_value == "it's");
}

TEST_CASE("json:PATH is an option with a value, kept as written") {
  ParsedField f = MustParse("script[type=\"application/ld+json\"] | json:$.offers[?@.a == 'x|y'].price | float");
  CHECK(f.selector == "script[type=\"application/ld+json\"]");
  CHECK(f.options.json_path == "$.offers[?@.a == 'x|y'].price");
  CHECK(f.options.type == FieldType::kFloat);
  CHECK(ParseError("s | json:") == "field 'price': empty path after 'json:' at position 9");
  CHECK(ParseError("s | json:$.a | json:$.b") == "field 'price': more than one 'json:' at position 15");
}

TEST_CASE("errors name the field and the position") {
  CHECK(ParseError(".price | flaot") ==
        "field 'price': unknown option 'flaot' (options: all, first, re:, trim, url, int, "
        "float, default:, required, json:) at position 9");
  CHECK(ParseError(".price |") == "field 'price': expected an option after '|' at position 8");
  CHECK(ParseError(".price || all") ==
        "field 'price': expected an option after '|' at position 8");
  CHECK(ParseError(".price | all first") ==
        "field 'price': expected '|' after option 'all' at position 13");
  CHECK(ParseError(".price | all | first") ==
        "field 'price': 'all' and 'first' may appear only once at position 15");
  CHECK(ParseError(".price | int | float") ==
        "field 'price': more than one type ('int', 'float') at position 15");
  CHECK(ParseError(".price | re:") == "field 'price': empty pattern after 're:' at position 12");
  CHECK(ParseError(".price | re:a | re:b") ==
        "field 'price': more than one 're:' at position 16");
  CHECK(ParseError(".price | default:a | default:b") ==
        "field 'price': more than one 'default:' at position 21");
  CHECK(ParseError(".price | re:'abc") ==
        "field 'price': unterminated quoted value at position 12");
  CHECK(ParseError(".price | re:'a' b") ==
        "field 'price': expected '|' after the quoted value at position 16");
  CHECK(ParseError(".price | regex:x") ==
        "field 'price': unknown option 'regex:' (options with a value: re:, default:, json:) "
        "at "
        "position 9");
  CHECK(ParseError(".price | re:a|b") ==
        "field 'price': unknown option 'b' (options: all, first, re:, trim, url, int, float, "
        "default:, required, json:) at position 14");
}

TEST_CASE("numbers are read out of price-like text") {
  CHECK(Number("£1,234.50") == "1234.5");
  CHECK(Number("1.234,50 €") == "1234.5");
  CHECK(Number("$ 12") == "12");
  CHECK(Number("63.00") == "63");
  CHECK(Number("12 345,67 ₽") == "12345.67");
  CHECK(Number("12\xC2\xA0"
               "345,67") == "12345.67");
  CHECK(Number("CHF 1'234.50") == "1234.5");
  CHECK(Number("1,234") == "1234");
  CHECK(Number("1,234,567") == "1234567");
  CHECK(Number("1.234.567,8") == "1234567.8");
  CHECK(Number("0,5") == "0.5");
  CHECK(Number("12,5") == "12.5");
  CHECK(Number("0,123") == "0.123");
  CHECK(Number("1.5") == "1.5");
  CHECK(Number(".5 kg") == "0.5");
  CHECK(Number("-£3.10") == "-3.1");
  CHECK(Number("− 7") == "-7");
  CHECK(Number("Price: 12.99 - 15.99") == "12.99");
  CHECK(Number("Buy 2 get 1 free") == "2");
  CHECK(Number("4.5 out of 5 stars") == "4.5");
  CHECK(Number("rated 4/5") == "4");
  CHECK(Number("item-42") == "42");  // a hyphen after a word is not a sign
  CHECK(Number("(-5)") == "-5");
  CHECK(Number("Free") == "none");
  CHECK(Number("") == "none");
}

TEST_CASE("trimming removes ASCII and Unicode spaces at both ends only") {
  CHECK(TrimSpaces("  a b \n") == "a b");
  CHECK(TrimSpaces("\xC2\xA0\xE3\x80\x80"
                   "a\xC2\xA0"
                   "b\xE2\x80\xAF\xEF\xBB\xBF") ==
        "a\xC2\xA0"
        "b");
  CHECK(TrimSpaces("\xE2\x80\x8B"
                   "a") ==
        "\xE2\x80\x8B"
        "a");  // U+200B is not a space
  CHECK(TrimSpaces(" \t ") == "");
}

TEST_CASE("list values are JSON arrays that ListItems and JoinListItems read back") {
  std::string json = "[";
  AppendJsonString("a \"q\" \\ \n \x01 é", &json);
  json += ",12.5,null,\"\"]";
  CHECK(json == "[\"a \\\"q\\\" \\\\ \\n \\u0001 é\",12.5,null,\"\"]");
  std::vector<FieldValue> items = ListItems(json);
  REQUIRE(items.size() == 4);
  CHECK(items[0] == "a \"q\" \\ \n \x01 é");
  CHECK(items[1] == "12.5");
  CHECK(items[2] == std::nullopt);
  CHECK(items[3] == "");
  CHECK(ListItems("[]").empty());
  CHECK(ListItems("[\"\\u00e9\\ud83d\\ude00\"]") == std::vector<FieldValue>{"é\U0001F600"});
  CHECK(ListItems("not json").empty());
  CHECK(JoinListItems("[\"a\",\"b\",null,1]", ",") == "a,b,,1");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::parser
