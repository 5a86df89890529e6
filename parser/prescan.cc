#include "parser/encoding.h"

#include <string>
#include <utility>

#include "parser/ascii.h"

// The HTML standard's encoding sniffing up to the <meta> prescan (section
// "Determining the character encoding"), and the charset of a Content-Type.

namespace forage::parser {
namespace {

bool IsPrescanSpace(char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }

// "Algorithm for extracting a character encoding from a meta element" (HTML
// standard), on a content attribute's value: the label after "charset=".
std::string_view CharsetFromMetaContent(std::string_view content) {
  size_t pos = 0;
  for (;;) {
    size_t found = std::string_view::npos;
    for (size_t i = pos; i + 7 <= content.size(); ++i) {
      if (EqualsIgnoreAsciiCase(content.substr(i, 7), "charset")) {
        found = i;
        break;
      }
    }
    if (found == std::string_view::npos) return {};
    pos = found + 7;
    while (pos < content.size() && IsAsciiWhitespace(content[pos])) ++pos;
    if (pos >= content.size() || content[pos] != '=') continue;
    ++pos;
    while (pos < content.size() && IsAsciiWhitespace(content[pos])) ++pos;
    if (pos >= content.size()) return {};
    char c = content[pos];
    if (c == '"' || c == '\'') {
      size_t close = content.find(c, pos + 1);
      if (close == std::string_view::npos) return {};
      return content.substr(pos + 1, close - pos - 1);
    }
    size_t end = pos;
    while (end < content.size() && !IsAsciiWhitespace(content[end]) && content[end] != ';') ++end;
    return content.substr(pos, end - pos);
  }
}

// One attribute for the prescan: the standard's "get an attribute", with
// names and values ASCII-lowercased as it specifies.
class PrescanAttributes {
 public:
  explicit PrescanAttributes(std::string_view bytes) : bytes_(bytes) {}

  // Reads the next attribute at `pos`; false at '>' or the end of input
  // (check at_end()).
  bool Next(size_t& pos, std::string* name, std::string* value);
  bool at_end(size_t pos) const { return pos >= bytes_.size(); }

 private:
  std::string_view bytes_;
};

bool PrescanAttributes::Next(size_t& pos, std::string* name, std::string* value) {
  name->clear();
  value->clear();
  auto at = [&](size_t i) { return i < bytes_.size() ? bytes_[i] : '\0'; };
  while (pos < bytes_.size() && (IsPrescanSpace(bytes_[pos]) || bytes_[pos] == '/')) ++pos;
  if (pos >= bytes_.size() || bytes_[pos] == '>') return false;
  for (;; ++pos) {  // the name
    if (pos >= bytes_.size()) return false;
    char c = bytes_[pos];
    if (c == '=' && !name->empty()) {
      ++pos;
      break;
    }
    if (IsPrescanSpace(c)) {
      while (pos < bytes_.size() && IsPrescanSpace(bytes_[pos])) ++pos;
      if (at(pos) != '=') return pos < bytes_.size();
      ++pos;
      break;
    }
    if (c == '/' || c == '>') return true;
    name->push_back(AsciiLower(c));
  }
  while (pos < bytes_.size() && IsPrescanSpace(bytes_[pos])) ++pos;
  if (pos >= bytes_.size()) return false;
  char quote = bytes_[pos];
  if (quote == '"' || quote == '\'') {
    for (++pos; pos < bytes_.size(); ++pos) {
      if (bytes_[pos] == quote) {
        ++pos;
        return true;
      }
      value->push_back(AsciiLower(bytes_[pos]));
    }
    return false;
  }
  if (quote == '>') return true;
  for (; pos < bytes_.size(); ++pos) {
    char c = bytes_[pos];
    if (IsPrescanSpace(c) || c == '>') return true;
    value->push_back(AsciiLower(c));
  }
  return false;
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool StartsWithIgnoreCase(std::string_view s, size_t pos, std::string_view prefix) {
  return s.size() - pos >= prefix.size() &&
         EqualsIgnoreAsciiCase(s.substr(pos, prefix.size()), prefix);
}

// The attributes of one <meta>; `pos` is just past "<meta". Returns the
// encoding it declares, or empty.
std::string_view PrescanMeta(std::string_view bytes, size_t& pos) {
  PrescanAttributes attributes(bytes);
  std::string name, value;
  bool seen_http_equiv = false, seen_content = false, seen_charset = false;
  bool got_pragma = false;
  enum class NeedPragma { kUnset, kYes, kNo } need_pragma = NeedPragma::kUnset;
  std::string_view charset;
  while (attributes.Next(pos, &name, &value)) {
    if (name == "http-equiv") {
      if (std::exchange(seen_http_equiv, true)) continue;
      if (value == "content-type") got_pragma = true;
    } else if (name == "content") {
      if (std::exchange(seen_content, true) || !charset.empty()) continue;
      std::string_view label = CharsetFromMetaContent(value);
      if (label.empty()) continue;
      charset = EncodingForLabel(label);
      need_pragma = NeedPragma::kYes;
    } else if (name == "charset") {
      if (std::exchange(seen_charset, true)) continue;
      charset = EncodingForLabel(value);
      need_pragma = NeedPragma::kNo;
    }
  }
  if (attributes.at_end(pos)) return {};
  if (need_pragma == NeedPragma::kUnset) return {};
  if (need_pragma == NeedPragma::kYes && !got_pragma) return {};
  if (charset.empty()) return {};
  if (charset == "UTF-16BE" || charset == "UTF-16LE") return "UTF-8";
  if (charset == "x-user-defined") return "windows-1252";
  return charset;
}

}  // namespace

std::string_view CharsetFromContentType(std::string_view content_type) {
  size_t pos = content_type.find(';');
  while (pos != std::string_view::npos) {
    ++pos;
    while (pos < content_type.size() && IsAsciiWhitespace(content_type[pos])) ++pos;
    size_t eq = content_type.find_first_of("=;", pos);
    if (eq == std::string_view::npos) return {};
    if (content_type[eq] == ';') {
      pos = eq;
      continue;
    }
    std::string_view key = content_type.substr(pos, eq - pos);
    size_t value_start = eq + 1;
    size_t value_end;
    std::string_view value;
    if (value_start < content_type.size() && content_type[value_start] == '"') {
      value_end = content_type.find('"', value_start + 1);
      if (value_end == std::string_view::npos) value_end = content_type.size();
      value = content_type.substr(value_start + 1, value_end - value_start - 1);
      value_end = content_type.find(';', value_end);
    } else {
      value_end = content_type.find(';', value_start);
      value = content_type.substr(value_start, value_end == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : value_end - value_start);
      while (!value.empty() && IsAsciiWhitespace(value.back())) value.remove_suffix(1);
    }
    if (EqualsIgnoreAsciiCase(key, "charset")) return value;
    pos = value_end;
  }
  return {};
}

std::string_view PrescanMetaCharset(std::string_view bytes) {
  bytes = bytes.substr(0, 1024);
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.substr(pos, 4) == "<!--") {
      // The comment ends at the first "-->", which may share the dashes of
      // "<!--" ("<!-->").
      size_t end = bytes.find("-->", pos + 2);
      if (end == std::string_view::npos) return {};
      pos = end + 3;
      continue;
    }
    if (StartsWithIgnoreCase(bytes, pos, "<meta") && pos + 5 < bytes.size() &&
        (IsPrescanSpace(bytes[pos + 5]) || bytes[pos + 5] == '/')) {
      pos += 5;
      std::string_view charset = PrescanMeta(bytes, pos);
      if (!charset.empty()) return charset;
    } else if (bytes[pos] == '<' && pos + 1 < bytes.size() &&
               (IsAsciiAlpha(bytes[pos + 1]) || (bytes[pos + 1] == '/' && pos + 2 < bytes.size() &&
                                                 IsAsciiAlpha(bytes[pos + 2])))) {
      // Another tag: skip its name and attributes, which may hold a '>'.
      while (pos < bytes.size() && !IsPrescanSpace(bytes[pos]) && bytes[pos] != '>') ++pos;
      PrescanAttributes attributes(bytes);
      std::string name, value;
      while (attributes.Next(pos, &name, &value)) {
      }
    } else if (bytes[pos] == '<' && pos + 1 < bytes.size() &&
               (bytes[pos + 1] == '!' || bytes[pos + 1] == '/' || bytes[pos + 1] == '?')) {
      size_t end = bytes.find('>', pos + 2);
      if (end == std::string_view::npos) return {};
      pos = end;
    }
    ++pos;
  }
  return {};
}

}  // namespace forage::parser
