#pragma once
// Extraction rules (items + fields) compiled once, applied to many documents.
// Pure: no I/O. Safe to use from one thread at a time per Rules object (Rules
// are immutable after compilation, so sharing const Rules across threads is fine).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace forage::parser {

class Selector;
class HtmlDocument;

// One field value: nullopt when the field's selector matched nothing or the
// attribute is missing (CSV writes an empty cell, JSON writes null).
using FieldValue = std::optional<std::string>;

// One record: values in the order the fields were given.
struct Record {
  std::vector<FieldValue> values;
};

struct FieldSpec {
  std::string name;
  std::string selector;  // may end in ::attr(NAME) or ::text
};

// Compiled rules. Move-only; immutable after CompileRules.
class Rules {
 public:
  ~Rules();
  Rules(Rules&&) noexcept;
  Rules& operator=(Rules&&) noexcept;

  const std::vector<std::string>& field_names() const { return field_names_; }

 private:
  friend Result<Rules> CompileRules(std::string_view, const std::vector<FieldSpec>&);
  friend std::vector<Record> Extract(const HtmlDocument&, const Rules&);
  struct Impl;
  Rules();
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> field_names_;
};

// Compiles `items` (one record per match) and the fields (relative to each
// item). Errors name the bad field and selector, kInvalidArgument.
Result<Rules> CompileRules(std::string_view items, const std::vector<FieldSpec>& fields);

// Applies the rules: one Record per item match, in document order.
std::vector<Record> Extract(const HtmlDocument& doc, const Rules& rules);

}  // namespace forage::parser
