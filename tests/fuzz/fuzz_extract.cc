// Fuzz target: extraction (parser/extract.h) over arbitrary HTML. The input
// is a page's raw bytes: decoded (encoding.h), parsed by Gumbo, and extracted
// with fixed rules that use most of the field syntax: :nth-child and its
// family, :has, :is/:not, ::text, ::html, ::attr, `all`, `re:`, int, float,
// url, default, required. Then `forage select`'s paths (SelectValues,
// SelectFieldValues) on the same document.
//
// Properties beyond "no memory error, no hang, no leak":
// - every record has one value per field;
// - records + dropped == the number of item matches;
// - an `all` field's value is a JSON array that ListItems reads back.
//
// Run with -max_len=65536 (scripts/fuzz.sh does): a bigger page only tests
// Gumbo's and our own speed on size, which bench/ measures.
// Gumbo 0.10.1 leaks on `<noscript><!DOCTYPE` (issue 11): tests/fuzz/lsan.supp
// suppresses leaks allocated inside libgumbo only, until Gumbo runs on the
// per-page arena.

#include <cstdint>
#include <string>
#include <vector>

#include "parser/extract.h"
#include "parser/html_document.h"
#include "parser/selector.h"
#include "tests/fuzz/fuzz_check.h"

namespace forage::parser {
namespace {

constexpr std::string_view kPageUrl = "https://fuzz.test/dir/page.html?q=1#f";

struct RuleSet {
  Selector items;
  Rules rules;
};

RuleSet MustCompileRules(std::string_view items, const std::vector<FieldSpec>& fields) {
  auto selector = Selector::Compile(items);
  FUZZ_CHECK(selector.has_value(), "items: " + std::string(items));
  auto rules = CompileRules(items, fields);
  FUZZ_CHECK(rules.has_value(), rules ? std::string() : rules.error().message);
  return RuleSet{*std::move(selector), *std::move(rules)};
}

const std::vector<RuleSet>& Sets() {
  static const auto* sets = new std::vector<RuleSet>([] {
    std::vector<RuleSet> v;
    v.push_back(MustCompileRules(
        "li, tr:nth-child(2n+1), div:has(> a), article, .item",
        {{"text", "::text"},
         {"html", "::html"},
         {"link", "a::attr(href) | url"},
         {"links", "a::attr(href) | url | all"},
         {"words", "p::text | all | trim"},
         {"num", "span, b | re:([0-9]+) | int | default:0"},
         {"price", ".price, td | re:([0-9.,]+) | float"},
         {"last", ":nth-last-child(-n+3)::text | all"},
         {"id", "::attr(id)"}}));
    v.push_back(MustCompileRules(
        ":root",
        {{"title", "title | trim"},
         {"odd", "li:nth-of-type(odd)::text | all"},
         {"has", ":is(div, section):has(p + p, img):not(:empty)::html | all"},
         {"lang", ":lang(en)::attr(lang) | all"},
         {"contains", "p:-soup-contains(\"a\") | all | re:(?i)([a-z]+)"},
         {"base", "base::attr(href) | url"},
         {"floats", "td, span | float | all"},
         {"nth", ":nth-child(3n+1 of .x, p):only-of-type::html"},
         {"h1", "h1 | required"}}));
    return v;
  }());
  return *sets;
}

void CheckExtract(const HtmlDocument& doc, const RuleSet& set) {
  ExtractResult result = Extract(doc, set.rules, kPageUrl);
  std::vector<const GumboNode*> items;
  set.items.SelectAll(doc.document(), &items);
  FUZZ_CHECK(result.records.size() + result.dropped == items.size(),
             "records + dropped != item matches");
  const auto& formats = set.rules.formats();
  for (const Record& record : result.records) {
    FUZZ_CHECK(record.values.size() == formats.size(), "a record's value count");
    for (size_t i = 0; i < formats.size(); ++i) {
      if (formats[i] != ValueFormat::kList || !record.values[i]) continue;
      const std::string& value = *record.values[i];
      FUZZ_CHECK(value.size() >= 2 && value.front() == '[' && value.back() == ']',
                 "a list value is not a JSON array: " + value);
      std::vector<FieldValue> list = ListItems(value);
      FUZZ_CHECK(value == "[]" || !list.empty(), "ListItems lost a list: " + value);
      (void)JoinListItems(value, ",");
    }
  }
}

}  // namespace
}  // namespace forage::parser

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace forage::parser;
  const auto& sets = Sets();
  HtmlDocument doc =
      HtmlDocument::Parse(std::string(forage::fuzz::AsText(data, size)), std::string_view());
  for (const RuleSet& set : sets) CheckExtract(doc, set);
  (void)DocumentBaseUrl(doc, kPageUrl);
  (void)Extract(doc, sets[0].rules);  // without a page URL
  auto values = SelectFieldValues(doc, "f", "img::attr(src) | url", kPageUrl);
  FUZZ_CHECK(values.has_value(), "SelectFieldValues on fixed rules failed");
  static const auto* field = new FieldSelector(*CompileFieldSelector("p ~ *::text"));
  (void)SelectValues(doc, *field);
  return 0;
}
