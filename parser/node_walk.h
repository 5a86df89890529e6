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

// Children of an element or the document; null for other nodes.
inline const GumboVector* ChildrenOf(const GumboNode* node) {
  if (IsElement(node)) return &node->v.element.children;
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

// The parent if it is an element; null at the top (the document node).
inline const GumboNode* ParentElement(const GumboNode* node) {
  const GumboNode* parent = node->parent;
  return parent != nullptr && IsElement(parent) ? parent : nullptr;
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
    unsigned int next = static_cast<unsigned int>(node->index_within_parent) + 1;
    assert(ChildAt(siblings, next - 1) == node);
    if (next < siblings->length) return ChildAt(siblings, next);
    node = parent;
  }
  return nullptr;
}

}  // namespace forage::parser
