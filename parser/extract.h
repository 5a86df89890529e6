#pragma once
// Extraction rules (items + fields) compiled once, applied to many documents.
// Pure: no I/O. Safe to use from one thread at a time per Rules object (Rules
// are immutable after compilation, so sharing const Rules across threads is fine).
//
// A field is written in the field syntax of field_spec.h and
// docs/selectors.md: a field selector, then options after '|':
//   {"price", ".price | re:([0-9.,]+) | float | default:0 | required"}
//   {"tags", ".tag::text | all"}
//   {"link", "a::attr(href) | url"}
//
// How values travel. A Record keeps one FieldValue (optional<string>) per
// field, so records cross the worker pipe unchanged. Rules::formats() says
// how a sink must write each field:
//   kString  the value is text. JSON: a string; CSV: as is.
//   kNumber  the value is a JSON number in text form ("1234.5", "42").
//            JSON: written bare; CSV: as is.
//   kList    (`all` fields) the value is a JSON array in text form, whose
//            items are strings, or numbers for `all | int` and `all | float`:
//            `["a","b"]`, `[1,2.5]`. JSON: written bare; CSV: the items
//            joined, e.g. with JoinListItems(value, ",") (Scrapy's CSV
//            exporter joins with ',' too).
//   kJson    (`json:PATH` fields, and `| json:PATH` without re/trim/url/
//            int/float) the value is any JSON value in text form, as the
//            document had it: `"a"`, `42`, `2.5`, `true`, `[1,"b"]`,
//            `{"k":1}` (an `all` field: the array of the values). JSON:
//            written bare; CSV: a string's characters, anything else its
//            JSON text (JsonCell); SQLite: by the value's type (JsonCell).
// nullopt is a missing value in every format (JSON null, empty CSV cell);
// a JSON null that a path selects is a missing value too.
//
// JSON pages. Items `json:PATH` (a JSONPath, json_path.h) make the rules JSON
// rules: every field is then `json:PATH` too, relative to the item ($ is the
// item), and pages go to ExtractJson, not through Gumbo.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "parser/field_spec.h"
#include "parser/gumbo_fwd.h"
#include "parser/selector.h"

namespace forage::parser {

class HtmlDocument;

// One field value: nullopt when the field's selector matched nothing or the
// attribute is missing (CSV writes an empty cell, JSON writes null).
using FieldValue = std::optional<std::string>;

// One record: values in the order the fields were given.
struct Record {
  std::vector<FieldValue> values;
};

struct FieldSpec {
  std::string name;
  // A field selector (may end in ::attr(NAME), ::text or ::html) optionally
  // followed by options: "SELECTOR | option | ...", see field_spec.h.
  std::string selector;
};

// How a field's values are written; see the top of this file.
enum class ValueFormat { kString, kNumber, kList, kJson };

// Compiled rules. Move-only; immutable after CompileRules.
class Rules {
 public:
  ~Rules();
  Rules(Rules&&) noexcept;
  Rules& operator=(Rules&&) noexcept;

  const std::vector<std::string>& field_names() const { return field_names_; }
  // One per field, in the order of field_names().
  const std::vector<ValueFormat>& formats() const { return formats_; }
  // The items are `json:PATH`: pages are JSON documents (ExtractJson).
  bool json_items() const;

 private:
  friend Result<Rules> CompileRules(std::string_view, const std::vector<FieldSpec>&);
  friend struct ExtractAccess;
  struct Impl;
  Rules();
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> field_names_;
  std::vector<ValueFormat> formats_;
};

// Compiles `items` (one record per match) and the fields (relative to each
// item). Errors are kInvalidArgument and name the bad part: "items: selector
// ...", "field 'price': selector '.price::attr(': expected an attribute name
// at position 13", "field 'price': unknown option 'flaot' at position 9",
// "field 'price': re:([0-9]+: missing ): ([0-9]+".
Result<Rules> CompileRules(std::string_view items, const std::vector<FieldSpec>& fields);

struct ExtractResult {
  std::vector<Record> records;  // one per item kept, in document order
  size_t dropped = 0;           // items dropped because a `required` field had no value
};

// Applies the rules: one Record per item match, in document order, minus the
// items a `required` field drops. `page_url` is the absolute URL the page was
// fetched from; `url` fields resolve against it and the document's first
// <base href>. Without it (empty), relative links resolve against an absolute
// <base href> only, and otherwise stay as written.
ExtractResult Extract(const HtmlDocument& doc, const Rules& rules, std::string_view page_url);

// JSON rules (json_items()) applied to a JSON document: one Record per node
// the items path selects, in document order. `page_url` resolves `url`
// fields. Errors (kInvalidArgument): the body is not JSON ("invalid JSON:
// ..."), or nested deeper than kMaxJsonDepth. HTML rules give no records.
//
// A URL out of a JSON page (e.g. pagination's `next`): compile rules with
// items `json:$` and a field `json:$.next | url`; the record's value is the
// link resolved against `page_url` (ValueFormat::kString), nullopt if absent.
Result<ExtractResult> ExtractJson(std::string_view body, const Rules& rules,
                                  std::string_view page_url);

// Whether a response with this Content-Type is JSON: application/json or any
// type ending in +json (application/ld+json ...), parameters ignored.
bool IsJsonContentType(std::string_view content_type);

// For `forage select` on a JSON page: every value of a `json:PATH` field
// (with options) applied to the document's root, as SelectFieldValues gives
// them for HTML; kJson values are JSON text unless options convert them.
Result<std::vector<FieldValue>> SelectJsonFieldValues(std::string_view body,
                                                      std::string_view name,
                                                      std::string_view field_text,
                                                      std::string_view page_url);

// The format SelectJsonFieldValues's values have for `field_text`.
ValueFormat JsonFieldFormat(std::string_view field_text);

// A kJson value split for stores: its type, and its text (a string's
// characters unescaped; an array's or object's JSON text; a number as
// written). A value that is not JSON is kString with the value as its text.
struct JsonCell {
  enum class Type { kNull, kBool, kInt, kFloat, kString, kStructured };
  Type type = Type::kString;
  std::string text;
  int64_t integer = 0;  // kInt, and kBool (1 or 0)
  double number = 0;    // kFloat
};
JsonCell ParseJsonCell(std::string_view json_text);

// The same without a page URL, and without the dropped count.
std::vector<Record> Extract(const HtmlDocument& doc, const Rules& rules);

// For `forage select`: every match of `field` in the whole document, in
// document order, each as an option-less field would give it: its text
// content, own text (::text), outer HTML (::html), or attribute value
// (::attr(NAME); nullopt where the element lacks it). A lone pseudo-element
// (no selector) applies to the root element.
std::vector<FieldValue> SelectValues(const HtmlDocument& doc, const FieldSelector& field);

// For `forage select` / `forage extract` with the full field syntax
// ("a::attr(href) | url | all"): the values of one field applied to the whole
// document. The result is always the list of every match's value after the
// options, as `all` gives it (missing values dropped; with `default:` and no
// value, a one-item list). Errors as in CompileRules, with `name` as the
// field's name.
Result<std::vector<FieldValue>> SelectFieldValues(const HtmlDocument& doc, std::string_view name,
                                                  std::string_view field_text,
                                                  std::string_view page_url);

// The document's base URL: its first <base href> resolved against
// `page_url`, or `page_url` itself; empty when neither gives an absolute URL.
std::string DocumentBaseUrl(const HtmlDocument& doc, std::string_view page_url);

// The items of a kList value (a JSON array of strings, numbers and nulls as
// written by Extract), decoded: strings unescaped, numbers as written.
// Returns an empty list for text that is not such an array.
std::vector<FieldValue> ListItems(std::string_view json_array);

// The items of a kList value joined with `separator`, nulls as empty: the
// CSV form of a list.
std::string JoinListItems(std::string_view json_array, std::string_view separator);

// Appends `text` as a JSON string (quotes included) to `out`, escaping '"',
// '\\' and control characters; UTF-8 passes through.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace forage::parser
