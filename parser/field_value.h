#pragma once
// The steps a field value goes through after it is read from the tree:
// numbers out of price-like text, whitespace trimming. Internal to parser/.

#include <optional>
#include <string>
#include <string_view>

namespace forage::parser {

// The first number in `text`, read as prices are written: currency signs and
// words around it are ignored, and ',' '.' ' ' '\'' U+00A0 U+202F between
// digits are grouping or decimal separators: "£1,234.50" -> 1234.5,
// "1.234,50 €" -> 1234.5, "12 345,6" -> 12345.6, "1,234" -> 1234, "0,5" ->
// 0.5, "-£3" -> -3. When both '.' and ',' appear, the last one is the
// decimal point; a lone ',' followed by exactly three digits groups, any
// other lone ',' or '.' is a decimal point; a repeated one groups. nullopt
// when there is no digit.
std::optional<double> ParseNumber(std::string_view text);

// `text` without leading and trailing whitespace: ASCII whitespace and the
// Unicode space separators (U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
// U+202F, U+205F, U+3000) and U+FEFF.
std::string_view TrimSpaces(std::string_view text);

// The shortest text that reads back as `value`, as JSON writes numbers:
// 1234.5 -> "1234.5", 63.0 -> "63".
std::string FormatNumber(double value);

}  // namespace forage::parser
