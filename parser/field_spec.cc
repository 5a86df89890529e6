#include "parser/field_spec.h"

#include "parser/ascii.h"

namespace forage::parser {
namespace {

// The end of the part of `text` that starts at `pos` and runs to the next
// '|' outside brackets, parentheses and quotes; text.size() if none.
// Backslashes escape the next byte, as in CSS and in regular expressions.
size_t EndOfPart(std::string_view text, size_t pos, bool quotes_nest) {
  int depth = 0;
  char quote = '\0';
  for (size_t i = pos; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      ++i;
    } else if (quote != '\0') {
      if (c == quote) quote = '\0';
    } else if (quotes_nest && (c == '"' || c == '\'')) {
      quote = c;
    } else if (c == '(' || c == '[') {
      ++depth;
    } else if ((c == ')' || c == ']') && depth > 0) {
      --depth;
    } else if (c == '|' && depth == 0) {
      return i;
    }
  }
  return text.size();
}

class FieldTextParser {
 public:
  FieldTextParser(std::string_view name, std::string_view text) : name_(name), text_(text) {}

  Result<ParsedField> Parse();

 private:
  Status ParseOption(size_t start, size_t* next);
  Status ParseValue(size_t start, std::string* out, size_t* next);
  Error Fail(size_t at, std::string_view reason) const {
    return Err(ErrorCode::kInvalidArgument, "field '{}': {} at position {}", name_, reason, at);
  }

  std::string_view name_;
  std::string_view text_;
  ParsedField out_;
  bool saw_first_or_all_ = false;
  bool saw_type_ = false;
  bool saw_default_ = false;
};

Result<ParsedField> FieldTextParser::Parse() {
  size_t bar = EndOfPart(text_, 0, /*quotes_nest=*/true);
  std::string_view selector = text_.substr(0, bar);
  while (!selector.empty() && IsAsciiWhitespace(selector.back())) selector.remove_suffix(1);
  out_.selector = std::string(selector);
  size_t pos = bar;
  while (pos < text_.size()) {
    ++pos;  // '|'
    if (Status s = ParseOption(pos, &pos); !s) return s.error();
  }
  return std::move(out_);
}

Status FieldTextParser::ParseOption(size_t start, size_t* next) {
  size_t pos = start;
  while (pos < text_.size() && IsAsciiWhitespace(text_[pos])) ++pos;
  size_t word_start = pos;
  while (pos < text_.size() &&
         ((text_[pos] >= 'a' && text_[pos] <= 'z') || (text_[pos] >= 'A' && text_[pos] <= 'Z'))) {
    ++pos;
  }
  std::string word = AsciiLowered(text_.substr(word_start, pos - word_start));
  FieldOptions& options = out_.options;
  if (pos < text_.size() && text_[pos] == ':') {
    if (word == "json") {
      if (!options.json_path.empty()) return Fail(word_start, "more than one 'json:'");
      if (Status s = ParseValue(pos + 1, &options.json_path, next); !s) return s;
      if (options.json_path.empty()) return Fail(pos + 1, "empty path after 'json:'");
      return OkStatus();
    }
    if (word != "re" && word != "default") {
      return Fail(word_start, fmt::format("unknown option '{}:' (options with a value: re:, "
                                          "default:, json:)",
                                          word));
    }
    std::string* value = word == "re" ? &options.regex : &options.default_value.emplace();
    if (word == "re" && !options.regex.empty()) return Fail(word_start, "more than one 're:'");
    if (word == "default" && saw_default_) return Fail(word_start, "more than one 'default:'");
    saw_default_ = saw_default_ || word == "default";
    if (Status s = ParseValue(pos + 1, value, next); !s) return s;
    if (word == "re" && options.regex.empty()) return Fail(pos + 1, "empty pattern after 're:'");
    return OkStatus();
  }
  size_t end = pos;
  while (pos < text_.size() && IsAsciiWhitespace(text_[pos])) ++pos;
  if (pos < text_.size() && text_[pos] != '|') {
    return Fail(pos, fmt::format("expected '|' after option '{}'",
                                 text_.substr(word_start, end - word_start)));
  }
  *next = pos;
  if (word.empty()) return Fail(word_start, "expected an option after '|'");
  if (word == "all" || word == "first") {
    if (saw_first_or_all_) return Fail(word_start, "'all' and 'first' may appear only once");
    saw_first_or_all_ = true;
    options.all = word == "all";
  } else if (word == "int" || word == "float") {
    if (saw_type_) return Fail(word_start, "more than one type ('int', 'float')");
    saw_type_ = true;
    options.type = word == "int" ? FieldType::kInt : FieldType::kFloat;
  } else if (word == "trim") {
    options.trim = true;
  } else if (word == "url") {
    options.url = true;
  } else if (word == "required") {
    options.required = true;
  } else {
    return Fail(word_start, fmt::format("unknown option '{}' (options: all, first, re:, trim, "
                                        "url, int, float, default:, required, json:)",
                                        text_.substr(word_start, end - word_start)));
  }
  return OkStatus();
}

// A quoted value, or an unquoted one up to the next top-level '|'.
Status FieldTextParser::ParseValue(size_t start, std::string* out, size_t* next) {
  size_t pos = start;
  while (pos < text_.size() && text_[pos] == ' ') ++pos;
  char quote = pos < text_.size() ? text_[pos] : '\0';
  if (quote == '"' || quote == '\'') {
    size_t open = pos;
    for (++pos;; ++pos) {
      if (pos >= text_.size()) return Fail(open, "unterminated quoted value");
      char c = text_[pos];
      if (c == quote) break;
      if (c == '\\' && pos + 1 < text_.size() &&
          (text_[pos + 1] == quote || text_[pos + 1] == '\\')) {
        c = text_[++pos];
      }
      out->push_back(c);
    }
    ++pos;
    while (pos < text_.size() && IsAsciiWhitespace(text_[pos])) ++pos;
    if (pos < text_.size() && text_[pos] != '|')
      return Fail(pos, "expected '|' after the quoted value");
    *next = pos;
    return OkStatus();
  }
  size_t end = EndOfPart(text_, start, /*quotes_nest=*/false);
  std::string_view value = text_.substr(start, end - start);
  while (!value.empty() && IsAsciiWhitespace(value.front())) value.remove_prefix(1);
  while (!value.empty() && IsAsciiWhitespace(value.back())) value.remove_suffix(1);
  *out = std::string(value);
  *next = end;
  return OkStatus();
}

}  // namespace

Result<ParsedField> ParseFieldText(std::string_view name, std::string_view text) {
  return FieldTextParser(name, text).Parse();
}

}  // namespace forage::parser
