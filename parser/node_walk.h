#pragma once
// Walking Gumbo trees without recursion and without allocating. Internal to
// parser/ (includes <gumbo.h>).
//
// Pages can nest elements thousands deep, so walks climb back up through
// `parent` and `index_within_parent` instead of recursing.

#include <cassert>
#include <string_view>

#include <gumbo.h>

#include "parser/ascii.h"

namespace forage::parser {

// Gumbo 0.10 gives <template> its own node type; it is an element in every
// other respect (v.element), and its contents are its children.
inline bool IsElement(const GumboNode* node) {
  return node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE;
}

// Nodes whose text counts as text content (comments do not).
inline bool IsText(const GumboNode* node) {
  return node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
         node->type == GUMBO_NODE_CDATA;
}

inline std::string_view TextOf(const GumboNode* text_node) { return text_node->v.text.text; }

// Children of an element or the document; null for other nodes. The DOM
// keeps a <template>'s contents in a separate document fragment, so they are
// not its children there: selectors do not see them, and they are not part of
// its text. Gumbo 0.10 makes them children; we hide them here.
inline const GumboVector* ChildrenOf(const GumboNode* node) {
  if (node->type == GUMBO_NODE_ELEMENT) return &node->v.element.children;
  if (node->type == GUMBO_NODE_DOCUMENT) return &node->v.document.children;
  return nullptr;
}

inline const GumboNode* ChildAt(const GumboVector* children, unsigned int i) {
  return static_cast<const GumboNode*>(children->data[i]);
}

// The attribute `name` (compared ASCII case-insensitively, as HTML does) of
// an element, or null.
inline const GumboAttribute* FindAttribute(const GumboNode* element, std::string_view name) {
  const GumboVector& attributes = element->v.element.attributes;
  for (unsigned int i = 0; i < attributes.length; ++i) {
    const auto* attribute = static_cast<const GumboAttribute*>(attributes.data[i]);
    if (EqualsIgnoreAsciiCase(attribute->name, name)) return attribute;
  }
  return nullptr;
}

// Whether an element is in the HTML namespace (not SVG or MathML).
inline bool IsHtml(const GumboNode* element) {
  return element->v.element.tag_namespace == GUMBO_NAMESPACE_HTML;
}

inline bool IsHtmlTag(const GumboNode* element, GumboTag tag) {
  return element->v.element.tag == tag && IsHtml(element);
}

inline bool HasAttribute(const GumboNode* element, std::string_view name) {
  return FindAttribute(element, name) != nullptr;
}

// The tag name as written in the source: "<My-Tag a=b>" -> "My-Tag". Only
// needed for tags Gumbo has no enum for, which always come from source text.
inline std::string_view SourceTagName(const GumboElement& element) {
  std::string_view tag(element.original_tag.data, element.original_tag.length);
  if (!tag.empty() && tag.front() == '<') tag.remove_prefix(1);
  if (!tag.empty() && tag.front() == '/') tag.remove_prefix(1);
  size_t end = 0;
  while (end < tag.size() && !IsAsciiWhitespace(tag[end]) && tag[end] != '/' && tag[end] != '>') {
    ++end;
  }
  return tag.substr(0, end);
}

// The parent if it is an element; null at the top (the document node), and
// for a <template>'s contents (see ChildrenOf).
inline const GumboNode* ParentElement(const GumboNode* node) {
  const GumboNode* parent = node->parent;
  return parent != nullptr && parent->type == GUMBO_NODE_ELEMENT ? parent : nullptr;
}

// The element siblings before and after `node`, or null.
inline const GumboNode* PreviousElementSibling(const GumboNode* node) {
  const GumboVector* siblings = node->parent != nullptr ? ChildrenOf(node->parent) : nullptr;
  if (siblings == nullptr) return nullptr;
  for (size_t i = node->index_within_parent; i > 0; --i) {
    const GumboNode* sibling = ChildAt(siblings, static_cast<unsigned int>(i - 1));
    if (IsElement(sibling)) return sibling;
  }
  return nullptr;
}

inline const GumboNode* NextElementSibling(const GumboNode* node) {
  const GumboVector* siblings = node->parent != nullptr ? ChildrenOf(node->parent) : nullptr;
  if (siblings == nullptr) return nullptr;
  for (size_t i = node->index_within_parent + 1; i < siblings->length; ++i) {
    const GumboNode* sibling = ChildAt(siblings, static_cast<unsigned int>(i));
    if (IsElement(sibling)) return sibling;
  }
  return nullptr;
}

// The node after `node` in document order (pre-order) among the descendants of
// `scope`, or null when the walk is done. Start with NextInPreOrder(scope,
// scope). With `skip_children`, the walk does not enter `node`'s subtree.
inline const GumboNode* NextInPreOrder(const GumboNode* node, const GumboNode* scope,
                                       bool skip_children = false) {
  if (!skip_children) {
    const GumboVector* children = ChildrenOf(node);
    if (children != nullptr && children->length > 0) return ChildAt(children, 0);
  }
  while (node != scope && node->parent != nullptr) {
    const GumboNode* parent = node->parent;
    const GumboVector* siblings = ChildrenOf(parent);
    if (siblings == nullptr) return nullptr;  // a walk started inside a <template>
    unsigned int next = static_cast<unsigned int>(node->index_within_parent) + 1;
    assert(ChildAt(siblings, next - 1) == node);
    if (next < siblings->length) return ChildAt(siblings, next);
    node = parent;
  }
  return nullptr;
}

}  // namespace forage::parser
