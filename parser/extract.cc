#include "parser/extract.h"

#include <unordered_set>

#include "parser/html_document.h"
#include "parser/selector.h"
#include "parser/text.h"

namespace forage::parser {

struct Rules::Impl {
  explicit Impl(Selector items_selector) : items(std::move(items_selector)) {}

  Selector items;
  std::vector<FieldSelector> fields;  // in the order of field_names_
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
    Result<FieldSelector> field = CompileFieldSelector(spec.selector);
    if (!field) {
      return Err(ErrorCode::kInvalidArgument, "field '{}': {}", spec.name, field.error().message);
    }
    rules.impl_->fields.push_back(std::move(*field));
    rules.field_names_.push_back(spec.name);
  }
  return rules;
}

namespace {

FieldValue ExtractField(const GumboNode* item, const FieldSelector& field) {
  const GumboNode* target = field.selector ? field.selector->SelectFirst(item) : item;
  if (target == nullptr) return std::nullopt;
  switch (field.pseudo) {
    case PseudoElement::kNone:
      return TextContent(target);
    case PseudoElement::kText:
      return OwnText(target);
    case PseudoElement::kAttr: {
      std::optional<std::string_view> value = AttributeValue(target, field.attr_name);
      if (!value) return std::nullopt;
      return std::string(*value);
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<Record> Extract(const HtmlDocument& doc, const Rules& rules) {
  std::vector<const GumboNode*> items;
  rules.impl_->items.SelectAll(doc.document(), &items);
  std::vector<Record> records;
  records.reserve(items.size());
  for (const GumboNode* item : items) {
    Record record;
    record.values.reserve(rules.impl_->fields.size());
    for (const FieldSelector& field : rules.impl_->fields) {
      record.values.push_back(ExtractField(item, field));
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace forage::parser
