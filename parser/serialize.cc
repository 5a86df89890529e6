// OuterHtml (text.h): the HTML standard's "serialising HTML fragments",
// iteratively, since pages nest deeper than the stack should.

#include <string>
#include <string_view>

#include <gumbo.h>

#include "parser/ascii.h"
#include "parser/node_walk.h"
#include "parser/text.h"

namespace forage::parser {
namespace {

bool IsVoid(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_BASEFONT:
    case GUMBO_TAG_BGSOUND:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_KEYGEN:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_META:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_WBR:
      return true;
    default:
      return false;
  }
}

// Elements whose text children are written unescaped. <noscript> is not
// among them: Gumbo parses with scripting off, so its contents are nodes.
bool IsRawText(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_XMP:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_NOEMBED:
    case GUMBO_TAG_NOFRAMES:
    case GUMBO_TAG_PLAINTEXT:
      return true;
    default:
      return false;
  }
}

std::string TagName(const GumboElement& element) {
  if (element.tag != GUMBO_TAG_UNKNOWN && element.tag_namespace == GUMBO_NAMESPACE_HTML) {
    return gumbo_normalized_tagname(element.tag);
  }
  GumboStringPiece piece = element.original_tag;
  gumbo_tag_from_original_text(&piece);
  if (element.tag_namespace == GUMBO_NAMESPACE_SVG) {
    if (const char* adjusted = gumbo_normalize_svg_tagname(&piece)) return adjusted;
  }
  if (piece.length == 0 && element.tag != GUMBO_TAG_UNKNOWN) {
    return gumbo_normalized_tagname(element.tag);
  }
  return AsciiLowered(std::string_view(piece.data, piece.length));
}

void AppendEscaped(std::string_view text, bool attribute, std::string* out) {
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '&') {
      out->append("&amp;");
    } else if (c == '<') {
      out->append("&lt;");
    } else if (c == '>') {
      out->append("&gt;");
    } else if (c == '"' && attribute) {
      out->append("&quot;");
    } else if (c == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
      out->append("&nbsp;");
      ++i;
    } else {
      out->push_back(c);
    }
  }
}

void AppendAttributeName(const GumboAttribute& attribute, std::string* out) {
  switch (attribute.attr_namespace) {
    case GUMBO_ATTR_NAMESPACE_XLINK:
      out->append("xlink:");
      break;
    case GUMBO_ATTR_NAMESPACE_XML:
      out->append("xml:");
      break;
    case GUMBO_ATTR_NAMESPACE_XMLNS:
      if (std::string_view(attribute.name) != "xmlns") out->append("xmlns:");
      break;
    case GUMBO_ATTR_NAMESPACE_NONE:
      break;
  }
  out->append(attribute.name);
}

void AppendStartTag(const GumboNode* node, std::string* out) {
  const GumboElement& element = node->v.element;
  out->push_back('<');
  out->append(TagName(element));
  for (unsigned int i = 0; i < element.attributes.length; ++i) {
    const auto* attribute = static_cast<const GumboAttribute*>(element.attributes.data[i]);
    out->push_back(' ');
    AppendAttributeName(*attribute, out);
    out->append("=\"");
    AppendEscaped(attribute->value, /*attribute=*/true, out);
    out->push_back('"');
  }
  out->push_back('>');
}

bool HasEndTag(const GumboNode* node) {
  return !(node->v.element.tag_namespace == GUMBO_NAMESPACE_HTML && IsVoid(node->v.element.tag));
}

void AppendLeaf(const GumboNode* node, std::string* out) {
  switch (node->type) {
    case GUMBO_NODE_COMMENT:
      out->append("<!--").append(node->v.text.text).append("-->");
      return;
    case GUMBO_NODE_TEXT:
    case GUMBO_NODE_WHITESPACE:
    case GUMBO_NODE_CDATA: {
      const GumboNode* parent = node->parent;
      bool raw = parent != nullptr && IsElement(parent) &&
                 parent->v.element.tag_namespace == GUMBO_NAMESPACE_HTML &&
                 IsRawText(parent->v.element.tag);
      if (raw) {
        out->append(node->v.text.text);
      } else {
        AppendEscaped(node->v.text.text, /*attribute=*/false, out);
      }
      return;
    }
    default:
      return;
  }
}

// Children as serialised here: a <template>'s contents count (see ChildrenOf).
const GumboVector* SerialisedChildren(const GumboNode* node) {
  if (IsElement(node) && HasEndTag(node)) return &node->v.element.children;
  return nullptr;
}

}  // namespace

std::string OuterHtml(const GumboNode* root) {
  std::string out;
  if (!IsElement(root)) {
    AppendLeaf(root, &out);
    return out;
  }
  // Pre-order walk with end tags written on the way back up.
  const GumboNode* node = root;
  for (;;) {
    if (IsElement(node)) {
      AppendStartTag(node, &out);
      const GumboVector* children = SerialisedChildren(node);
      if (children != nullptr && children->length > 0) {
        node = ChildAt(children, 0);
        continue;
      }
      if (HasEndTag(node)) out.append("</").append(TagName(node->v.element)).append(">");
    } else {
      AppendLeaf(node, &out);
    }
    // Climb until a node with a next sibling, closing elements on the way.
    while (node != root) {
      const GumboNode* parent = node->parent;
      const GumboVector* siblings = SerialisedChildren(parent);
      size_t next = node->index_within_parent + 1;
      if (next < siblings->length) {
        node = ChildAt(siblings, static_cast<unsigned int>(next));
        break;
      }
      node = parent;
      out.append("</").append(TagName(node->v.element)).append(">");
    }
    if (node == root) return out;
  }
}

}  // namespace forage::parser
