#pragma once
// Helpers shared by parser/'s selector tests (test-only).

#include <doctest/doctest.h>
#include <gumbo.h>

#include <string>
#include <string_view>
#include <vector>

#include "parser/html_document.h"
#include "parser/selector.h"
#include "parser/text.h"

namespace forage::parser::testing {

// A match's label: its id, or its tag name when it has none.
inline std::string Label(const GumboNode* node) {
  if (auto id = AttributeValue(node, "id")) return std::string(*id);
  return gumbo_normalized_tagname(node->v.element.tag);
}

inline std::string Labels(const std::vector<const GumboNode*>& nodes) {
  std::string out;
  for (const GumboNode* node : nodes) {
    if (!out.empty()) out += ' ';
    out += Label(node);
  }
  return out;
}

inline Selector MustCompile(std::string_view text) {
  Result<Selector> selector = Selector::Compile(text);
  INFO("selector: ", std::string(text));
  if (!selector) INFO("error: ", selector.error().message);
  REQUIRE(selector.has_value());
  return *std::move(selector);
}

// Labels of `selector`'s matches in `doc` below the element with id
// `scope_id`, or below the document when `scope_id` is empty.
inline std::string SelectIn(const HtmlDocument& doc, std::string_view selector,
                            std::string_view scope_id = "") {
  const GumboNode* scope = doc.document();
  if (!scope_id.empty()) {
    // Not "#" + std::string(...): GCC 12 at -O3 warns falsely (-Wrestrict, PR 105651).
    std::string by_id = "#";
    by_id.append(scope_id);
    scope = MustCompile(by_id).SelectFirst(doc.document());
    REQUIRE(scope != nullptr);
  }
  std::vector<const GumboNode*> matches;
  MustCompile(selector).SelectAll(scope, &matches);
  return Labels(matches);
}

inline std::string Select(std::string_view html, std::string_view selector,
                          std::string_view scope_id = "") {
  return SelectIn(HtmlDocument::Parse(std::string(html)), selector, scope_id);
}

inline std::string CompileError(std::string_view text) {
  Result<Selector> selector = Selector::Compile(text);
  INFO("selector: ", std::string(text));
  REQUIRE_FALSE(selector.has_value());
  CHECK(selector.error().code == ErrorCode::kInvalidArgument);
  return selector.error().message;
}

}  // namespace forage::parser::testing
