#pragma once
// JSONPath (RFC 9535), the subset forage rules use (docs/selectors.md,
// "JSON"): the root `$`, child segments `.name`, `['name']`, `[n]` (negative
// counts from the end), `[*]` and `.*`, descendant segments `..name`,
// `..*`, `..[n]`, `..['name']`, and the filter `[?@.k == 'v']` (also `!=`,
// a relative path of names on the left, a string, number, true, false or
// null on the right, or `[?@.k]` for "has k"). Internal to parser/ (includes
// nlohmann/json). Evaluation is iterative: no recursion over the document.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace forage::parser {

// Object members keep the document's order.
using Json = nlohmann::ordered_json;

// JSON nested deeper than this is refused (the page fails): values are
// serialised recursively by nlohmann-json.
inline constexpr int kMaxJsonDepth = 512;

class JsonPath {
 public:
  // `text` starts with '$'. Errors are kInvalidArgument: "JSONPath '$.a[':
  // expected an index, '*', a quoted name or '?' at position 4" (0-based
  // byte position in `text`).
  static Result<JsonPath> Compile(std::string_view text);

  // Appends every node the path selects in `root`, in document order
  // (RFC 9535's order for descendants: a node before its children).
  void Select(const Json& root, std::vector<const Json*>* out) const;

  const std::string& text() const { return text_; }

  struct Selector {
    enum class Kind { kName, kIndex, kWildcard, kFilter };
    Kind kind = Kind::kName;
    std::string name;                  // kName
    int64_t index = 0;                 // kIndex
    std::vector<std::string> subpath;  // kFilter: @.a.b
    enum class Op { kExists, kEquals, kNotEquals } op = Op::kExists;
    Json literal;  // kFilter with == or !=
  };
  struct Segment {
    bool descendant = false;
    Selector selector;
  };

 private:
  std::string text_;
  std::vector<Segment> segments_;
};

// Parses `text` as one JSON document. Errors (kInvalidArgument): "invalid
// JSON at byte 12: ...", "JSON nested deeper than 512 levels".
Result<Json> ParseJson(std::string_view text);

// The cell text of a JSON value for CSV: a string's characters, anything
// else its JSON text.
std::string JsonCellText(const Json& value);

}  // namespace forage::parser
