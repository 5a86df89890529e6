#pragma once
// The text syntax of one field: a field selector followed by options, each
// after a '|' (docs/selectors.md, "Field options"):
//
//   .price | re:([0-9.,]+) | float | default:0 | required
//   .tag::text | all
//   a::attr(href) | url
//
// Options: `first` (the default) or `all`; `re:PATTERN` (RE2; the first
// capture group, or the whole match without groups); `trim`; `url`; `int`
// or `float`; `default:VALUE`; `required`; `json:PATH` (the value read as
// JSON, PATH selects in it). A VALUE runs to the next '|'
// outside parentheses and brackets, or is quoted ('...' or "...", where a
// backslash escapes the quote or a backslash). The selector part ends at
// the first '|' outside brackets, parentheses and strings, so `[lang|=en]`
// and `:is(a, b)` are fine, and namespace syntax (`*|a`) is not available in
// fields.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace forage::parser {

enum class FieldType {
  kString,
  kInt,    // the number in the text, its fraction cut off: "1,234.9 kg" -> 1234
  kFloat,  // the number in the text: "£1,234.50" -> 1234.5, "1.234,50 €" -> 1234.5
};

struct FieldOptions {
  bool all = false;   // every match, as a list; else the first match
  std::string regex;  // RE2 pattern; empty for none
  bool trim = false;  // strip leading and trailing whitespace (ASCII and Unicode spaces)
  bool url = false;   // resolve as a link against the page's base URL
  FieldType type = FieldType::kString;
  std::optional<std::string> default_value;  // when the value is missing
  bool required = false;                     // a record without a value is dropped
  // `json:PATH`: the value is read as JSON and PATH (a JSONPath starting
  // with '$') selects in it; empty for none. Applied before every other option.
  std::string json_path;
};

struct ParsedField {
  std::string selector;  // the field selector, leading whitespace kept (for positions)
  FieldOptions options;
};

// Splits and parses one field's text. Errors are kInvalidArgument and name
// the field and the 0-based byte position in `text`: "field 'price': unknown
// option 'flaot' at position 10". The selector itself is not compiled here.
Result<ParsedField> ParseFieldText(std::string_view name, std::string_view text);

}  // namespace forage::parser
