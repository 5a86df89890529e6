#include "engine/offline.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "engine/store.h"
#include "parser/extract.h"
#include "parser/html_document.h"
#include "parser/selector.h"

namespace forage::engine {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

// The file's bytes, refused once they pass `max_bytes`: read in pieces, never
// more than the cap plus one piece, so a 200 MB file (or an endless pipe) costs
// no more memory than a page `run` would accept.
Result<std::string> ReadCapped(const std::string& path, uint64_t max_bytes) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (f == nullptr) {
    return Err(ErrorCode::kInvalidArgument, "read '{}': {}", path, std::strerror(errno));
  }
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    size_t n = std::fread(buffer, 1, sizeof buffer, f.get());
    bytes.append(buffer, n);
    if (bytes.size() > max_bytes) {
      return Err(ErrorCode::kInvalidArgument,
                 "'{}' is larger than --max-body ({} MiB); nothing read. Raise --max-body to "
                 "read it",
                 path, max_bytes >> 20);
    }
    if (n < sizeof buffer) break;
  }
  // A directory opens, then fails to read (EISDIR): an error, not an empty page.
  if (std::ferror(f.get())) {
    return Err(ErrorCode::kInvalidArgument, "read '{}': {}", path, std::strerror(errno));
  }
  return bytes;
}

Result<parser::HtmlDocument> LoadFile(const std::string& path, uint64_t max_bytes) {
  auto bytes = ReadCapped(path, max_bytes);
  if (!bytes) return bytes.error();
  // No HTTP header: the BOM, the <meta> prescan, then UTF-8 or windows-1252.
  return parser::HtmlDocument::Parse(*std::move(bytes), "");
}

}  // namespace

Result<std::string> SelectInFile(const std::string& path, const std::string& selector,
                                 const std::string& attr, uint64_t max_body_bytes) {
  std::string text = attr.empty() ? selector : selector + "::attr(" + attr + ")";
  auto field = parser::CompileFieldSelector(text);
  if (!field) return field.error();
  auto doc = LoadFile(path, max_body_bytes);
  if (!doc) return doc.error();
  std::string out;
  for (const parser::FieldValue& v : parser::SelectValues(*doc, *field)) {
    if (v) {
      parser::AppendJsonString(*v, &out);
    } else {
      out += "null";
    }
    out += '\n';
  }
  return out;
}

Result<std::string> ExtractFiles(const std::vector<std::string>& paths, const Config& config,
                                 const std::string& base_url) {
  std::vector<parser::FieldSpec> fields;
  for (const auto& f : config.fields) fields.push_back(parser::FieldSpec{f.name, f.selector});
  auto rules = parser::CompileRules(config.items, fields);
  if (!rules) return rules.error();
  // Records are written exactly as a run writes JSON Lines.
  std::string out;
  for (const auto& path : paths) {
    auto doc = LoadFile(path, config.max_body_bytes);
    if (!doc) return doc.error();
    parser::ExtractResult result = parser::Extract(*doc, *rules, base_url);
    for (const auto& r : result.records) AppendJsonRecord(r, rules->field_names(), rules->formats(), &out);
  }
  return out;
}

}  // namespace forage::engine
