#include "parser/extract.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_set>

#include <gumbo.h>
#include <re2/re2.h>

#include "parser/cpu_budget.h"
#include "parser/field_value.h"
#include "parser/html_document.h"
#include "parser/json_path.h"
#include "parser/node_walk.h"
#include "parser/selector.h"
#include "parser/selector_match.h"
#include "parser/text.h"
#include "parser/url.h"

namespace forage::parser {
namespace {

struct CompiledField {
  FieldSelector selector;
  FieldOptions options;
  std::unique_ptr<RE2> regex;  // null without `re:`
  FieldValue default_value;    // already in the field's type
  // `json:PATH` as the selector (JSON items) or as the `| json:` option.
  std::optional<JsonPath> json;
  bool json_selector = false;  // the field's selector is `json:PATH`
  // Whether options turn a JSON value into text (re, trim, url, int, float);
  // without, the field keeps JSON values as they are (ValueFormat::kJson).
  bool converts = false;
};

constexpr std::string_view kJsonPrefix = "json:";

// `text` without leading ASCII whitespace starts with `json:`.
std::optional<std::string_view> JsonRule(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\n\r\f");
  if (start == std::string_view::npos) return std::nullopt;
  text.remove_prefix(start);
  if (text.substr(0, kJsonPrefix.size()) != kJsonPrefix) return std::nullopt;
  text.remove_prefix(kJsonPrefix.size());
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  return text;
}

// Converts `text` to the field's type: nullopt if it holds no number.
FieldValue Typed(std::string_view text, FieldType type) {
  if (type == FieldType::kString) return std::string(text);
  std::optional<double> number = ParseNumber(text);
  if (!number) return std::nullopt;
  if (type == FieldType::kFloat) return FormatNumber(*number);
  // Beyond +-2^63 a double has no exact integer; such values are not counts.
  double truncated = std::trunc(*number);
  if (!(truncated > -9.2e18 && truncated < 9.2e18)) return std::nullopt;
  return fmt::format("{}", static_cast<int64_t>(truncated));
}

Result<CompiledField> CompileField(std::string_view name, std::string_view text) {
  Result<ParsedField> parsed = ParseFieldText(name, text);
  if (!parsed) return parsed.error();
  CompiledField field;
  field.options = std::move(parsed->options);
  const FieldOptions& options = field.options;
  std::optional<std::string_view> json_rule = JsonRule(parsed->selector);
  if (json_rule && !options.json_path.empty()) {
    return Err(ErrorCode::kInvalidArgument, "field '{}': 'json:' twice (as the selector and as "
               "an option)", name);
  }
  if (json_rule || !options.json_path.empty()) {
    Result<JsonPath> path = JsonPath::Compile(json_rule ? *json_rule : options.json_path);
    if (!path) return Err(ErrorCode::kInvalidArgument, "field '{}': {}", name, path.error().message);
    field.json = std::move(*path);
    field.json_selector = json_rule.has_value();
  }
  if (!json_rule) {
    Result<FieldSelector> selector = CompileFieldSelector(parsed->selector);
    if (!selector) {
      return Err(ErrorCode::kInvalidArgument, "field '{}': {}", name, selector.error().message);
    }
    field.selector = std::move(*selector);
  }
  field.converts = !options.regex.empty() || options.trim || options.url ||
                   options.type != FieldType::kString;
  if (!options.regex.empty()) {
    RE2::Options re_options;
    re_options.set_log_errors(false);
    field.regex = std::make_unique<RE2>(options.regex, re_options);
    if (!field.regex->ok()) {
      return Err(ErrorCode::kInvalidArgument, "field '{}': re:{}: {}", name, options.regex,
                 field.regex->error());
    }
  }
  if (options.default_value && field.json && !field.converts) {
    // A JSON field's default is JSON when it reads as JSON, else a string.
    Result<Json> value = ParseJson(*options.default_value);
    std::string text;
    if (value) {
      text = value->dump();
    } else {
      AppendJsonString(*options.default_value, &text);
    }
    field.default_value = std::move(text);
  } else if (options.default_value) {
    field.default_value = Typed(*options.default_value, options.type);
    if (!field.default_value) {
      return Err(ErrorCode::kInvalidArgument, "field '{}': default '{}' is not a number", name,
                 *options.default_value);
    }
  }
  return field;
}

// The match's value before the options: what the pseudo-element selects.
// In a list with a pseudo-element per alternative, the first alternative that
// matches the element (below `scope`) says which.
FieldValue RawValue(const GumboNode* target, const FieldSelector& selector,
                    const GumboNode* scope) {
  PseudoElement pseudo = selector.pseudo;
  const std::string* attr_name = &selector.attr_name;
  for (const FieldAlternative& alternative : selector.alternatives) {
    if (alternative.selector.Matches(target, scope)) {
      pseudo = alternative.pseudo;
      attr_name = &alternative.attr_name;
      break;
    }
  }
  switch (pseudo) {
    case PseudoElement::kNone:
      return TextContent(target);
    case PseudoElement::kText:
      return OwnText(target);
    case PseudoElement::kHtml:
      return OuterHtml(target);
    case PseudoElement::kAttr: {
      std::optional<std::string_view> value = AttributeValue(target, *attr_name);
      if (!value) return std::nullopt;
      return std::string(*value);
    }
  }
  return std::nullopt;
}

// The options, in the order docs/selectors.md gives: re, trim, url, type.
FieldValue Processed(FieldValue value, const CompiledField& field, std::string_view base_url) {
  if (!value) return value;
  if (field.regex != nullptr) {
    int groups = std::min(field.regex->NumberOfCapturingGroups(), 1);
    re2::StringPiece match[2];
    if (!field.regex->Match(*value, 0, value->size(), RE2::UNANCHORED, match, groups + 1)) {
      return std::nullopt;
    }
    const re2::StringPiece& wanted = match[groups];
    if (wanted.data() == nullptr) return std::nullopt;  // the group did not take part
    value = std::string(wanted.data(), wanted.size());
  }
  if (field.options.trim) value = std::string(TrimSpaces(*value));
  if (field.options.url) {
    // As a browser's a.href: the value as written when it does not resolve.
    if (std::optional<std::string> url = ResolveUrl(base_url, *value)) value = std::move(*url);
  }
  if (field.options.type != FieldType::kString) return Typed(*value, field.options.type);
  return value;
}

// A node a JSONPath selected, as the field's value: JSON text, or with
// converting options the text through them. JSON null is a missing value.
FieldValue JsonNodeValue(const Json& node, const CompiledField& field, std::string_view base_url) {
  if (node.is_null()) return std::nullopt;
  if (field.converts) return Processed(JsonCellText(node), field, base_url);
  return node.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The values the field's JSONPath selects below `item`, at most one with
// `first_only`; missing ones dropped.
void JsonValues(const Json& item, const CompiledField& field, std::string_view base_url,
                bool first_only, std::vector<FieldValue>* out) {
  std::vector<const Json*> nodes;
  field.json->Select(item, &nodes);
  for (const Json* node : nodes) {
    FieldValue value = JsonNodeValue(*node, field, base_url);
    if (!value) continue;
    out->push_back(std::move(value));
    if (first_only) return;
  }
}

// `| json:PATH` on an element's value: the text read as JSON (nothing when
// it is not JSON), then the path.
void JsonOptionValues(const FieldValue& raw, const CompiledField& field,
                      std::string_view base_url, bool first_only, std::vector<FieldValue>* out) {
  if (!raw) return;
  Result<Json> json = ParseJson(*raw);
  if (!json) return;
  JsonValues(*json, field, base_url, first_only, out);
}

// Every match of the field below `scope`; the scope itself for a lone
// pseudo-element.
std::vector<const GumboNode*> Targets(const GumboNode* scope, const FieldSelector& selector,
                                      SiblingPositions* positions) {
  std::vector<const GumboNode*> targets;
  if (selector.selector) {
    selector.selector->SelectAll(scope, &targets, positions);
  } else {
    targets.push_back(scope);
  }
  return targets;
}

// An `all` field's values: missing ones dropped, the default if none is left.
std::vector<FieldValue> AllValues(const GumboNode* scope, const CompiledField& field,
                                  std::string_view base_url, SiblingPositions* positions) {
  std::vector<FieldValue> values;
  for (const GumboNode* target : Targets(scope, field.selector, positions)) {
    if (field.json) {
      JsonOptionValues(RawValue(target, field.selector, scope), field, base_url, false, &values);
      continue;
    }
    FieldValue value = Processed(RawValue(target, field.selector, scope), field, base_url);
    if (value) values.push_back(std::move(value));
  }
  if (values.empty() && field.default_value) values.push_back(field.default_value);
  return values;
}

// The JSON array of a kList value (or of a kJson `all` field's values,
// which are JSON texts already).
FieldValue EncodedList(const std::vector<FieldValue>& values, FieldType type, bool json = false) {
  std::string out = "[";
  for (const FieldValue& value : values) {
    if (out.size() > 1) out.push_back(',');
    if (type == FieldType::kString && !json) {
      AppendJsonString(*value, &out);
    } else {
      out.append(*value);
    }
  }
  out.push_back(']');
  return out;
}

FieldValue ExtractField(const GumboNode* item, const CompiledField& field,
                        std::string_view base_url, SiblingPositions* positions) {
  if (field.options.all) {
    std::vector<FieldValue> values = AllValues(item, field, base_url, positions);
    if (values.empty() && field.options.required) return std::nullopt;
    return EncodedList(values, field.options.type, field.json && !field.converts);
  }
  if (field.json) {
    // The first value in document order: an element whose text is not JSON,
    // or lacks the path, is passed over (pages have several JSON-LD scripts).
    std::vector<FieldValue> values;
    for (const GumboNode* target : Targets(item, field.selector, positions)) {
      JsonOptionValues(RawValue(target, field.selector, item), field, base_url, true, &values);
      if (!values.empty()) return std::move(values.front());
    }
    return field.default_value;
  }
  const GumboNode* target =
      field.selector.selector ? field.selector.selector->SelectFirst(item, positions) : item;
  FieldValue value;
  if (target != nullptr) value = Processed(RawValue(target, field.selector, item), field,
                                                    base_url);
  return value ? value : field.default_value;
}

// A `json:PATH` field of a JSON item.
FieldValue ExtractJsonField(const Json& item, const CompiledField& field,
                            std::string_view base_url) {
  std::vector<FieldValue> values;
  JsonValues(item, field, base_url, !field.options.all, &values);
  if (field.options.all) {
    if (values.empty() && field.default_value) values.push_back(field.default_value);
    if (values.empty() && field.options.required) return std::nullopt;
    return EncodedList(values, field.options.type, !field.converts);
  }
  return values.empty() ? field.default_value : std::move(values.front());
}

ValueFormat FormatOf(const CompiledField& field) {
  if (field.json && !field.converts) return ValueFormat::kJson;
  if (field.options.all) return ValueFormat::kList;
  return field.options.type != FieldType::kString ? ValueFormat::kNumber : ValueFormat::kString;
}

const GumboNode* RootElement(const HtmlDocument& doc) { return doc.root(); }

}  // namespace

struct Rules::Impl {
  std::optional<Selector> items;       // CSS items
  std::optional<JsonPath> json_items;  // `json:PATH` items
  std::vector<CompiledField> fields;  // in the order of field_names_
  bool resolves_urls = false;
};

// Lets this file's free functions read the private rules.
struct ExtractAccess {
  static const Rules::Impl& Of(const Rules& rules) { return *rules.impl_; }
};

Rules::Rules() = default;
Rules::~Rules() = default;
Rules::Rules(Rules&&) noexcept = default;
Rules& Rules::operator=(Rules&&) noexcept = default;

Result<Rules> CompileRules(std::string_view items, const std::vector<FieldSpec>& fields) {
  Rules rules;
  rules.impl_ = std::make_unique<Rules::Impl>();
  if (std::optional<std::string_view> path = JsonRule(items)) {
    Result<JsonPath> json_items = JsonPath::Compile(*path);
    if (!json_items) {
      return Err(ErrorCode::kInvalidArgument, "items: {}", json_items.error().message);
    }
    rules.impl_->json_items = std::move(*json_items);
  } else {
    Result<Selector> items_selector = Selector::Compile(items);
    if (!items_selector) {
      return Err(ErrorCode::kInvalidArgument, "items: {}", items_selector.error().message);
    }
    rules.impl_->items = std::move(*items_selector);
  }
  const bool json_items = rules.impl_->json_items.has_value();
  std::unordered_set<std::string_view> seen;
  for (const FieldSpec& spec : fields) {
    if (spec.name.empty()) return Err(ErrorCode::kInvalidArgument, "field '': empty field name");
    if (!seen.insert(spec.name).second) {
      return Err(ErrorCode::kInvalidArgument, "field '{}': duplicate field name", spec.name);
    }
    Result<CompiledField> field = CompileField(spec.name, spec.selector);
    if (!field) return field.error();
    if (json_items && !field->json_selector) {
      return Err(ErrorCode::kInvalidArgument,
                 "field '{}': the items are JSON (--items 'json:...'), so the field must be "
                 "json:PATH too, e.g. json:$.name",
                 spec.name);
    }
    if (!json_items && field->json_selector) {
      return Err(ErrorCode::kInvalidArgument,
                 "field '{}': json:PATH needs JSON items (--items 'json:$...'); on an HTML "
                 "page write SELECTOR | json:PATH",
                 spec.name);
    }
    const FieldOptions& options = field->options;
    rules.formats_.push_back(FormatOf(*field));
    rules.impl_->resolves_urls = rules.impl_->resolves_urls || options.url;
    rules.impl_->fields.push_back(std::move(*field));
    rules.field_names_.push_back(spec.name);
  }
  return rules;
}

// One record per item, a value per field (`value(item, field)`), for HTML
// and JSON alike: an item missing a `required` field is dropped and counted;
// a spent --page-cpu-limit ends the loop (the caller discards the result).
template <typename Item, typename ValueFn>
ExtractResult RecordsOf(const std::vector<Item>& items, const std::vector<CompiledField>& fields,
                        ValueFn value) {
  ExtractResult result;
  result.records.reserve(items.size());
  for (const Item& item : items) {
    if (CpuBudgetSpent()) break;
    Record record;
    record.values.reserve(fields.size());
    bool keep = true;
    for (const CompiledField& field : fields) {
      record.values.push_back(value(item, field));
      if (field.options.required && !record.values.back()) {
        keep = false;
        break;
      }
    }
    if (keep) {
      result.records.push_back(std::move(record));
    } else {
      ++result.dropped;
    }
  }
  return result;
}

bool Rules::json_items() const { return impl_->json_items.has_value(); }

Result<ExtractResult> ExtractJson(std::string_view body, const Rules& rules,
                                  std::string_view page_url) {
  const auto& impl = ExtractAccess::Of(rules);
  if (!impl.json_items) return ExtractResult{};
  Result<Json> root = ParseJson(body);
  if (!root) return root.error();
  std::string base_url;
  if (impl.resolves_urls) {
    if (std::optional<std::string> page = ResolveUrl(page_url, "")) base_url = std::move(*page);
  }
  std::vector<const Json*> items;
  impl.json_items->Select(*root, &items);
  return RecordsOf(items, impl.fields, [&](const Json* item, const CompiledField& field) {
    return ExtractJsonField(*item, field, base_url);
  });
}

Result<std::vector<FieldValue>> SelectJsonFieldValues(std::string_view body,
                                                      std::string_view name,
                                                      std::string_view field_text,
                                                      std::string_view page_url) {
  Result<CompiledField> field = CompileField(name, field_text);
  if (!field) return field.error();
  if (!field->json_selector) {
    return Err(ErrorCode::kInvalidArgument,
               "field '{}': the page is JSON, so the selector must be json:PATH, e.g. json:$.name",
               name);
  }
  Result<Json> root = ParseJson(body);
  if (!root) return root.error();
  std::string base_url;
  if (field->options.url) {
    if (std::optional<std::string> page = ResolveUrl(page_url, "")) base_url = std::move(*page);
  }
  std::vector<FieldValue> values;
  JsonValues(*root, *field, base_url, false, &values);
  if (values.empty() && field->default_value) values.push_back(field->default_value);
  return values;
}

ExtractResult Extract(const HtmlDocument& doc, const Rules& rules, std::string_view page_url) {
  const auto& impl = ExtractAccess::Of(rules);
  if (!impl.items) return {};  // JSON rules on an HTML page: see ExtractJson
  std::string base_url = impl.resolves_urls ? DocumentBaseUrl(doc, page_url) : std::string();
  // One document, one pass: sibling counts are made once for all queries.
  SiblingPositions positions;
  std::vector<const GumboNode*> items;
  impl.items->SelectAll(doc.document(), &items, &positions);
  return RecordsOf(items, impl.fields, [&](const GumboNode* item, const CompiledField& field) {
    return ExtractField(item, field, base_url, &positions);
  });
}

std::vector<Record> Extract(const HtmlDocument& doc, const Rules& rules) {
  return Extract(doc, rules, std::string_view()).records;
}

std::vector<FieldValue> SelectValues(const HtmlDocument& doc, const FieldSelector& field) {
  std::vector<const GumboNode*> targets =
      field.selector ? Targets(doc.document(), field, nullptr) : std::vector{RootElement(doc)};
  std::vector<FieldValue> values;
  values.reserve(targets.size());
  for (const GumboNode* target : targets) values.push_back(RawValue(target, field, doc.document()));
  return values;
}

Result<std::vector<FieldValue>> SelectFieldValues(const HtmlDocument& doc, std::string_view name,
                                                  std::string_view field_text,
                                                  std::string_view page_url) {
  Result<CompiledField> field = CompileField(name, field_text);
  if (!field) return field.error();
  if (field->json_selector) {
    return Err(ErrorCode::kInvalidArgument,
               "field '{}': json:PATH needs a JSON page; on an HTML page write SELECTOR | "
               "json:PATH",
               name);
  }
  std::string base_url = field->options.url ? DocumentBaseUrl(doc, page_url) : std::string();
  const GumboNode* scope = field->selector.selector ? doc.document() : RootElement(doc);
  return AllValues(scope, *field, base_url, nullptr);
}

std::string DocumentBaseUrl(const HtmlDocument& doc, std::string_view page_url) {
  const GumboNode* document = doc.document();
  for (const GumboNode* n = NextInPreOrder(document, document); n != nullptr;
       n = NextInPreOrder(n, document)) {
    if (n->type != GUMBO_NODE_ELEMENT || n->v.element.tag != GUMBO_TAG_BASE ||
        n->v.element.tag_namespace != GUMBO_NAMESPACE_HTML) {
      continue;
    }
    std::optional<std::string_view> href = AttributeValue(n, "href");
    if (!href) continue;
    // Only the first <base href> counts; if it does not parse, the page URL does.
    if (std::optional<std::string> base = ResolveUrl(page_url, *href)) return *base;
    break;
  }
  if (std::optional<std::string> page = ResolveUrl(page_url, "")) return *page;
  return {};
}

}  // namespace forage::parser

namespace forage::parser {

bool IsJsonContentType(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  size_t start = type.find_first_not_of(" \t");
  if (start == std::string::npos) return false;
  for (char& c : type) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  std::string_view t = std::string_view(type).substr(start);
  return t == "application/json" || t == "text/json" ||
         (t.size() > 5 && t.substr(t.size() - 5) == "+json");
}

ValueFormat JsonFieldFormat(std::string_view field_text) {
  Result<CompiledField> field = CompileField("", field_text);
  if (!field) return ValueFormat::kString;
  return FormatOf(*field);
}

JsonCell ParseJsonCell(std::string_view json_text) {
  JsonCell cell;
  Json value = Json::parse(json_text.begin(), json_text.end(), nullptr,
                           /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    cell.text = std::string(json_text);
    return cell;
  }
  switch (value.type()) {
    case Json::value_t::null:
      cell.type = JsonCell::Type::kNull;
      break;
    case Json::value_t::boolean:
      cell.type = JsonCell::Type::kBool;
      cell.integer = value.get<bool>() ? 1 : 0;
      cell.text = value.dump();
      break;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      if (value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX) {
        cell.type = JsonCell::Type::kFloat;
        cell.number = value.get<double>();
      } else {
        cell.type = JsonCell::Type::kInt;
        cell.integer = value.get<int64_t>();
      }
      cell.text = std::string(json_text);
      break;
    case Json::value_t::number_float:
      cell.type = JsonCell::Type::kFloat;
      cell.number = value.get<double>();
      cell.text = std::string(json_text);
      break;
    case Json::value_t::string:
      cell.type = JsonCell::Type::kString;
      cell.text = value.get<std::string>();
      break;
    default:
      cell.type = JsonCell::Type::kStructured;
      cell.text = std::string(json_text);
      break;
  }
  return cell;
}

}  // namespace forage::parser
