#include "parser/json_path.h"

#include <utility>

#include <fmt/format.h>

namespace forage::parser {
namespace {

class PathParser {
 public:
  explicit PathParser(std::string_view text) : text_(text) {}

  Result<std::vector<JsonPath::Segment>> Parse() {
    if (Peek() != '$') return Fail(0, "expected '$' (a path starts at the document's root)");
    pos_ = 1;
    std::vector<JsonPath::Segment> segments;
    while (pos_ < text_.size()) {
      JsonPath::Segment segment;
      if (Peek() == '.' && Peek(1) == '.') {
        segment.descendant = true;
        pos_ += 2;
        if (Peek() == '[') {
          if (Status s = ParseBracket(&segment.selector); !s) return s.error();
        } else if (Status s = ParseDotted(&segment.selector); !s) {
          return s.error();
        }
      } else if (Peek() == '.') {
        ++pos_;
        if (Status s = ParseDotted(&segment.selector); !s) return s.error();
      } else if (Peek() == '[') {
        if (Status s = ParseBracket(&segment.selector); !s) return s.error();
      } else {
        return Fail(pos_, fmt::format("expected '.', '..' or '[', not {}", Describe()));
      }
      segments.push_back(std::move(segment));
    }
    return segments;
  }

 private:
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  std::string Describe() const {
    if (pos_ >= text_.size()) return "the end";
    return fmt::format("'{}'", text_[pos_]);
  }
  Error Fail(size_t at, std::string_view reason) const {
    return Err(ErrorCode::kInvalidArgument, "JSONPath '{}': {} at position {}", text_, reason, at);
  }
  void SkipBlank() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  static bool NameFirst(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  }
  bool ParseName(std::string* out) {
    size_t start = pos_;
    if (!NameFirst(Peek())) return false;
    while (pos_ < text_.size() && (NameFirst(text_[pos_]) || (text_[pos_] >= '0' && text_[pos_] <= '9'))) {
      ++pos_;
    }
    *out = std::string(text_.substr(start, pos_ - start));
    return true;
  }

  // After '.' or '..': a member name or '*'.
  Status ParseDotted(JsonPath::Selector* out) {
    if (Peek() == '*') {
      ++pos_;
      out->kind = JsonPath::Selector::Kind::kWildcard;
      return OkStatus();
    }
    out->kind = JsonPath::Selector::Kind::kName;
    if (!ParseName(&out->name)) return Fail(pos_, "expected a member name or '*'");
    return OkStatus();
  }

  Status ParseQuoted(std::string* out) {
    char quote = Peek();
    size_t open = pos_;
    for (++pos_;; ++pos_) {
      if (pos_ >= text_.size()) return Fail(open, "unterminated string");
      char c = text_[pos_];
      if (c == quote) break;
      if (c == '\\') {
        if (++pos_ >= text_.size()) return Fail(open, "unterminated string");
        c = text_[pos_];
        switch (c) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case 'r': c = '\r'; break;
          case 'b': c = '\b'; break;
          case 'f': c = '\f'; break;
          case '/': case '\\': case '\'': case '"': break;
          default: return Fail(pos_ - 1, "unsupported escape in a string");
        }
      }
      out->push_back(c);
    }
    ++pos_;
    return OkStatus();
  }

  Status ParseInteger(int64_t* out) {
    size_t start = pos_;
    if (Peek() == '-') ++pos_;
    size_t digits = pos_;
    while (Peek() >= '0' && Peek() <= '9') ++pos_;
    if (pos_ == digits || pos_ - digits > 15) return Fail(start, "expected an index");
    *out = std::stoll(std::string(text_.substr(start, pos_ - start)));
    return OkStatus();
  }

  // '[' selector ']'
  Status ParseBracket(JsonPath::Selector* out) {
    ++pos_;  // '['
    SkipBlank();
    char c = Peek();
    if (c == '*') {
      ++pos_;
      out->kind = JsonPath::Selector::Kind::kWildcard;
    } else if (c == '\'' || c == '"') {
      out->kind = JsonPath::Selector::Kind::kName;
      if (Status s = ParseQuoted(&out->name); !s) return s;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      out->kind = JsonPath::Selector::Kind::kIndex;
      if (Status s = ParseInteger(&out->index); !s) return s;
    } else if (c == '?') {
      ++pos_;
      out->kind = JsonPath::Selector::Kind::kFilter;
      if (Status s = ParseFilter(out); !s) return s;
    } else {
      return Fail(pos_, "expected an index, '*', a quoted name or '?' (a filter)");
    }
    SkipBlank();
    if (Peek() != ']') return Fail(pos_, fmt::format("expected ']', not {}", Describe()));
    ++pos_;
    return OkStatus();
  }

  // After '?': @.a.b [== literal | != literal]
  Status ParseFilter(JsonPath::Selector* out) {
    SkipBlank();
    if (Peek() != '@') return Fail(pos_, "expected '@' (the filter tests the current node)");
    ++pos_;
    for (;;) {
      if (Peek() == '.' && Peek(1) != '.') {
        ++pos_;
        std::string name;
        if (!ParseName(&name)) return Fail(pos_, "expected a member name");
        out->subpath.push_back(std::move(name));
      } else if (Peek() == '[' && (Peek(1) == '\'' || Peek(1) == '"')) {
        ++pos_;
        std::string name;
        if (Status s = ParseQuoted(&name); !s) return s;
        if (Peek() != ']') return Fail(pos_, "expected ']'");
        ++pos_;
        out->subpath.push_back(std::move(name));
      } else {
        break;
      }
    }
    if (out->subpath.empty()) return Fail(pos_, "expected '.name' after '@'");
    SkipBlank();
    if (Peek() == ']') {
      out->op = JsonPath::Selector::Op::kExists;
      return OkStatus();
    }
    if ((Peek() == '=' || Peek() == '!') && Peek(1) == '=') {
      out->op = Peek() == '=' ? JsonPath::Selector::Op::kEquals : JsonPath::Selector::Op::kNotEquals;
      pos_ += 2;
    } else {
      return Fail(pos_, "expected '==', '!=' or ']' (supported filters: @.k, @.k == v, @.k != v)");
    }
    SkipBlank();
    char c = Peek();
    if (c == '\'' || c == '"') {
      std::string value;
      if (Status s = ParseQuoted(&value); !s) return s;
      out->literal = std::move(value);
      return OkStatus();
    }
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ']' && text_[pos_] != ' ') ++pos_;
    std::string_view token = text_.substr(start, pos_ - start);
    out->literal = Json::parse(token.begin(), token.end(), nullptr, /*allow_exceptions=*/false);
    if (out->literal.is_discarded() || out->literal.is_structured() || out->literal.is_string()) {
      return Fail(start, "expected a string, a number, true, false or null");
    }
    return OkStatus();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

bool FilterHolds(const JsonPath::Selector& s, const Json& node) {
  const Json* v = &node;
  for (const std::string& name : s.subpath) {
    if (!v->is_object()) return s.op == JsonPath::Selector::Op::kNotEquals;
    auto it = v->find(name);
    if (it == v->end()) return s.op == JsonPath::Selector::Op::kNotEquals;
    v = &*it;
  }
  switch (s.op) {
    case JsonPath::Selector::Op::kExists: return true;
    case JsonPath::Selector::Op::kEquals: return *v == s.literal;
    case JsonPath::Selector::Op::kNotEquals: return *v != s.literal;
  }
  return false;
}

// The children of `node` the selector picks, in order.
void Apply(const JsonPath::Selector& s, const Json& node, std::vector<const Json*>* out) {
  using Kind = JsonPath::Selector::Kind;
  switch (s.kind) {
    case Kind::kName:
      if (node.is_object()) {
        auto it = node.find(s.name);
        if (it != node.end()) out->push_back(&*it);
      }
      return;
    case Kind::kIndex:
      if (node.is_array()) {
        int64_t size = static_cast<int64_t>(node.size());
        int64_t i = s.index < 0 ? s.index + size : s.index;
        if (i >= 0 && i < size) out->push_back(&node[static_cast<size_t>(i)]);
      }
      return;
    case Kind::kWildcard:
    case Kind::kFilter:
      if (node.is_structured()) {
        for (const Json& child : node) {
          if (s.kind == Kind::kWildcard || FilterHolds(s, child)) out->push_back(&child);
        }
      }
      return;
  }
}

// Counts nesting before nlohmann-json parses: its serialiser recurses.
bool TooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

Result<JsonPath> JsonPath::Compile(std::string_view text) {
  auto segments = PathParser(text).Parse();
  if (!segments) return segments.error();
  JsonPath path;
  path.text_ = std::string(text);
  path.segments_ = std::move(*segments);
  return path;
}

void JsonPath::Select(const Json& root, std::vector<const Json*>* out) const {
  std::vector<const Json*> current{&root};
  std::vector<const Json*> next;
  std::vector<const Json*> stack;
  for (const Segment& segment : segments_) {
    next.clear();
    for (const Json* node : current) {
      if (!segment.descendant) {
        Apply(segment.selector, *node, &next);
        continue;
      }
      // The node and every node below it, a node before its children.
      stack.assign(1, node);
      while (!stack.empty()) {
        const Json* v = stack.back();
        stack.pop_back();
        Apply(segment.selector, *v, &next);
        if (v->is_structured()) {
          for (auto it = v->rbegin(); it != v->rend(); ++it) stack.push_back(&*it);
        }
      }
    }
    std::swap(current, next);
  }
  out->insert(out->end(), current.begin(), current.end());
}

Result<Json> ParseJson(std::string_view text) {
  if (TooDeep(text)) {
    return Err(ErrorCode::kInvalidArgument, "JSON nested deeper than {} levels", kMaxJsonDepth);
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    std::string_view what = e.what();
    size_t at = what.find("] ");
    if (at != std::string_view::npos) what.remove_prefix(at + 2);
    return Err(ErrorCode::kInvalidArgument, "invalid JSON: {}", what);
  }
}

std::string JsonCellText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

}  // namespace forage::parser
