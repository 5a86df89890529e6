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
};

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
  Result<FieldSelector> selector = CompileFieldSelector(parsed->selector);
  if (!selector) {
    return Err(ErrorCode::kInvalidArgument, "field '{}': {}", name, selector.error().message);
  }
  CompiledField field{std::move(*selector), std::move(parsed->options), nullptr, std::nullopt};
  const FieldOptions& options = field.options;
  if (!options.regex.empty()) {
    RE2::Options re_options;
    re_options.set_log_errors(false);
    field.regex = std::make_unique<RE2>(options.regex, re_options);
    if (!field.regex->ok()) {
      return Err(ErrorCode::kInvalidArgument, "field '{}': re:{}: {}", name, options.regex,
                 field.regex->error());
    }
  }
  if (options.default_value) {
    field.default_value = Typed(*options.default_value, options.type);
    if (!field.default_value) {
      return Err(ErrorCode::kInvalidArgument, "field '{}': default '{}' is not a number", name,
                 *options.default_value);
    }
  }
  return field;
}

// The match's value before the options: what the pseudo-element selects.
FieldValue RawValue(const GumboNode* target, const FieldSelector& selector) {
  switch (selector.pseudo) {
    case PseudoElement::kNone:
      return TextContent(target);
    case PseudoElement::kText:
      return OwnText(target);
    case PseudoElement::kHtml:
      return OuterHtml(target);
    case PseudoElement::kAttr: {
      std::optional<std::string_view> value = AttributeValue(target, selector.attr_name);
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
    FieldValue value = Processed(RawValue(target, field.selector), field, base_url);
    if (value) values.push_back(std::move(value));
  }
  if (values.empty() && field.default_value) values.push_back(field.default_value);
  return values;
}

// The JSON array of a kList value.
FieldValue EncodedList(const std::vector<FieldValue>& values, FieldType type) {
  std::string out = "[";
  for (const FieldValue& value : values) {
    if (out.size() > 1) out.push_back(',');
    if (type == FieldType::kString) {
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
    return EncodedList(values, field.options.type);
  }
  const GumboNode* target =
      field.selector.selector ? field.selector.selector->SelectFirst(item, positions) : item;
  FieldValue value;
  if (target != nullptr) value = Processed(RawValue(target, field.selector), field, base_url);
  return value ? value : field.default_value;
}

const GumboNode* RootElement(const HtmlDocument& doc) { return doc.root(); }

}  // namespace

struct Rules::Impl {
  explicit Impl(Selector items_selector) : items(std::move(items_selector)) {}

  Selector items;
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
  Result<Selector> items_selector = Selector::Compile(items);
  if (!items_selector) {
    return Err(ErrorCode::kInvalidArgument, "items: {}", items_selector.error().message);
  }
  Rules rules;
  rules.impl_ = std::make_unique<Rules::Impl>(std::move(*items_selector));
  std::unordered_set<std::string_view> seen;
  for (const FieldSpec& spec : fields) {
    if (spec.name.empty()) return Err(ErrorCode::kInvalidArgument, "field '': empty field name");
    if (!seen.insert(spec.name).second) {
      return Err(ErrorCode::kInvalidArgument, "field '{}': duplicate field name", spec.name);
    }
    Result<CompiledField> field = CompileField(spec.name, spec.selector);
    if (!field) return field.error();
    const FieldOptions& options = field->options;
    rules.formats_.push_back(options.all                          ? ValueFormat::kList
                             : options.type != FieldType::kString ? ValueFormat::kNumber
                                                                  : ValueFormat::kString);
    rules.impl_->resolves_urls = rules.impl_->resolves_urls || options.url;
    rules.impl_->fields.push_back(std::move(*field));
    rules.field_names_.push_back(spec.name);
  }
  return rules;
}

ExtractResult Extract(const HtmlDocument& doc, const Rules& rules, std::string_view page_url) {
  const auto& impl = ExtractAccess::Of(rules);
  std::string base_url = impl.resolves_urls ? DocumentBaseUrl(doc, page_url) : std::string();
  // One document, one pass: sibling counts are made once for all queries.
  SiblingPositions positions;
  std::vector<const GumboNode*> items;
  impl.items.SelectAll(doc.document(), &items, &positions);
  ExtractResult result;
  result.records.reserve(items.size());
  for (const GumboNode* item : items) {
    if (CpuBudgetSpent()) break;  // --page-cpu-limit: the caller discards the result
    Record record;
    record.values.reserve(impl.fields.size());
    bool keep = true;
    for (const CompiledField& field : impl.fields) {
      record.values.push_back(ExtractField(item, field, base_url, &positions));
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

std::vector<Record> Extract(const HtmlDocument& doc, const Rules& rules) {
  return Extract(doc, rules, std::string_view()).records;
}

std::vector<FieldValue> SelectValues(const HtmlDocument& doc, const FieldSelector& field) {
  std::vector<const GumboNode*> targets =
      field.selector ? Targets(doc.document(), field, nullptr) : std::vector{RootElement(doc)};
  std::vector<FieldValue> values;
  values.reserve(targets.size());
  for (const GumboNode* target : targets) values.push_back(RawValue(target, field));
  return values;
}

Result<std::vector<FieldValue>> SelectFieldValues(const HtmlDocument& doc, std::string_view name,
                                                  std::string_view field_text,
                                                  std::string_view page_url) {
  Result<CompiledField> field = CompileField(name, field_text);
  if (!field) return field.error();
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
