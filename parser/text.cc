#include "parser/text.h"

#include <gumbo.h>

#include "parser/ascii.h"
#include "parser/node_walk.h"

namespace forage::parser {
namespace {

// Appends text pieces with whitespace runs collapsed and ends trimmed. It
// works across pieces, because one run may span two text nodes ("a " + " b").
class CollapsingWriter {
 public:
  explicit CollapsingWriter(std::string* out) : out_(out) {}

  void Append(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
      if (IsAsciiWhitespace(text[i])) {
        // A space is written only once a non-space follows it, which trims
        // the end; none is owed at the start, which trims that end.
        pending_space_ = !out_->empty();
        while (i < text.size() && IsAsciiWhitespace(text[i])) ++i;
        continue;
      }
      size_t word_end = i;
      while (word_end < text.size() && !IsAsciiWhitespace(text[word_end])) ++word_end;
      if (pending_space_) out_->push_back(' ');
      pending_space_ = false;
      out_->append(text.substr(i, word_end - i));
      i = word_end;
    }
  }

 private:
  std::string* out_;
  bool pending_space_ = false;
};

}  // namespace

std::string TextContent(const GumboNode* node) {
  std::string out;
  CollapsingWriter writer(&out);
  if (IsText(node)) {
    writer.Append(TextOf(node));
    return out;
  }
  for (const GumboNode* n = NextInPreOrder(node, node); n != nullptr; n = NextInPreOrder(n, node)) {
    if (IsText(n)) writer.Append(TextOf(n));
  }
  return out;
}

std::string OwnText(const GumboNode* node) {
  std::string out;
  const GumboVector* children = ChildrenOf(node);
  if (children == nullptr) return IsText(node) ? TextContent(node) : out;
  CollapsingWriter writer(&out);
  for (unsigned int i = 0; i < children->length; ++i) {
    const GumboNode* child = ChildAt(children, i);
    if (IsText(child)) writer.Append(TextOf(child));
  }
  return out;
}

std::optional<std::string_view> AttributeValue(const GumboNode* node, std::string_view name) {
  if (!IsElement(node)) return std::nullopt;
  const GumboAttribute* attribute = FindAttribute(node, name);
  if (attribute == nullptr) return std::nullopt;
  return std::string_view(attribute->value);
}

}  // namespace forage::parser
