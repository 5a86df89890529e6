#include "parser/json_path.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace forage::parser {
namespace {

// The selected nodes' JSON texts, joined with ' '.
std::string Eval(const std::string& path, const std::string& json) {
  auto compiled = JsonPath::Compile(path);
  REQUIRE_MESSAGE(compiled, compiled.error().message);
  auto doc = ParseJson(json);
  REQUIRE_MESSAGE(doc, doc.error().message);
  std::vector<const Json*> out;
  compiled->Select(*doc, &out);
  std::string joined;
  for (const Json* j : out) joined += (joined.empty() ? "" : " ") + j->dump();
  return joined;
}

std::string CompileError(const std::string& path) {
  auto compiled = JsonPath::Compile(path);
  REQUIRE(!compiled);
  return compiled.error().message;
}

const char* kShop = R"({"products":[{"name":"a","price":1.5,"tags":["x","y"],"k":"v"},
  {"name":"b","price":2,"stock":null,"k":"w"},{"name":"c","in":{"name":"deep"},"k":"v"}],
  "next":"/api?page=2","name":"top"})";

TEST_CASE("child segments: names, quoted names, indexes, wildcards") {
  CHECK(Eval("$", "[1]") == "[1]");
  CHECK(Eval("$.next", kShop) == R"("/api?page=2")");
  CHECK(Eval("$['next']", kShop) == R"("/api?page=2")");
  CHECK(Eval("$[\"next\"]", kShop) == R"("/api?page=2")");
  CHECK(Eval("$.products[0].name", kShop) == R"("a")");
  CHECK(Eval("$.products[-1].name", kShop) == R"("c")");
  CHECK(Eval("$.products[3].name", kShop) == "");
  CHECK(Eval("$.products[*].price", kShop) == "1.5 2");
  CHECK(Eval("$.products[0].tags.*", kShop) == R"("x" "y")");
  CHECK(Eval("$.products[1].stock", kShop) == "null");
  CHECK(Eval("$.missing.name", kShop) == "");
  CHECK(Eval("$.products.name", kShop) == "");  // an array has no members
  // Members in the document's order, not sorted.
  CHECK(Eval("$.*", R"({"b":1,"a":2})") == "1 2");
}

TEST_CASE("descendants come in document order, a node before its children") {
  CHECK(Eval("$..name", kShop) == R"("top" "a" "b" "c" "deep")");
  CHECK(Eval("$.products..name", kShop) == R"("a" "b" "c" "deep")");
  CHECK(Eval("$..[0]", R"([[1,2],[3]])") == "[1,2] 1 3");
  CHECK(Eval("$..*", R"({"a":{"b":1}})") == R"({"b":1} 1)");
}

TEST_CASE("filters") {
  CHECK(Eval("$.products[?@.k == 'v'].name", kShop) == R"("a" "c")");
  CHECK(Eval("$.products[?@.k != 'v'].name", kShop) == R"("b")");
  CHECK(Eval("$.products[?@.price == 2].name", kShop) == R"("b")");
  CHECK(Eval("$.products[?@.price].name", kShop) == R"("a" "b")");
  CHECK(Eval("$.products[?@.in.name == \"deep\"].k", kShop) == R"("v")");
  CHECK(Eval("$.products[?@['k']=='w'].name", kShop) == R"("b")");
}

TEST_CASE("a deep document is iterated, not recursed") {
  std::string deep;
  for (int i = 0; i < 500; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 500; ++i) deep += "}";
  CHECK(Eval("$..a", deep).size() > 0);
  std::string too_deep(kMaxJsonDepth + 1, '[');
  auto doc = ParseJson(too_deep);
  REQUIRE(!doc);
  CHECK(doc.error().message == "JSON nested deeper than 512 levels");
}

TEST_CASE("errors give the position") {
  CHECK(CompileError("products") ==
        "JSONPath 'products': expected '$' (a path starts at the document's root) at position 0");
  CHECK(CompileError("$.a[") ==
        "JSONPath '$.a[': expected an index, '*', a quoted name or '?' (a filter) at position 4");
  CHECK(CompileError("$.a[0") == "JSONPath '$.a[0': expected ']', not the end at position 5");
  CHECK(CompileError("$.") == "JSONPath '$.': expected a member name or '*' at position 2");
  CHECK(CompileError("$a") == "JSONPath '$a': expected '.', '..' or '[', not 'a' at position 1");
  CHECK(CompileError("$['a") == "JSONPath '$['a': unterminated string at position 2");
  CHECK(CompileError("$[?@.k = 'v']") ==
        "JSONPath '$[?@.k = 'v']': expected '==', '!=' or ']' (supported filters: @.k, @.k == v, "
        "@.k != v) at position 7");
  CHECK(CompileError("$[?@.k == v]") ==
        "JSONPath '$[?@.k == v]': expected a string, a number, true, false or null at position "
        "10");
}

TEST_CASE("invalid JSON names the place") {
  auto doc = ParseJson("{\"a\": }");
  REQUIRE(!doc);
  CHECK(doc.error().message.rfind("invalid JSON: parse error at line 1, column 7", 0) == 0);
}

}  // namespace
}  // namespace forage::parser
