#include "engine/offline.h"

#include <fstream>
#include <sstream>

#include "engine/store.h"
#include "parser/extract.h"
#include "parser/html_document.h"
#include "parser/selector.h"

namespace forage::engine {
namespace {

Result<parser::HtmlDocument> LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err(ErrorCode::kInvalidArgument, "read '{}': cannot open it", path);
  std::stringstream bytes;
  bytes << in.rdbuf();
  // No HTTP header: the BOM, the <meta> prescan, then UTF-8 or windows-1252.
  return parser::HtmlDocument::Parse(bytes.str(), "");
}

}  // namespace

Result<std::string> SelectInFile(const std::string& path, const std::string& selector,
                                 const std::string& attr) {
  std::string text = attr.empty() ? selector : selector + "::attr(" + attr + ")";
  auto field = parser::CompileFieldSelector(text);
  if (!field) return field.error();
  auto doc = LoadFile(path);
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
    auto doc = LoadFile(path);
    if (!doc) return doc.error();
    parser::ExtractResult result = parser::Extract(*doc, *rules, base_url);
    for (const auto& r : result.records) AppendJsonRecord(r, rules->field_names(), rules->formats(), &out);
  }
  return out;
}

}  // namespace forage::engine
