// selector_agreement: forage's side of the differential selector check
// (bench/selector_agreement.py compares it with soupsieve on html5lib trees).
//
//   selector_agreement PAGE SELECTORS
//
// Parses PAGE as forage does (its own decoding), numbers every element in
// document order (0 = <html>), and prints:
//   tags NAME NAME ...          the elements' tag names in that order, so the
//                               caller can check both trees are the same
//   then one line per line of SELECTORS:
//   ok N N ...                  the numbers of the matches, in document order
//   error MESSAGE               the selector did not compile

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <gumbo.h>

#include "parser/html_document.h"
#include "parser/selector.h"

namespace {

void Number(const GumboNode* node, std::unordered_map<const GumboNode*, size_t>* index,
            std::string* tags) {
  if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) {
    index->emplace(node, index->size());
    const GumboElement& e = node->v.element;
    std::string name = e.tag == GUMBO_TAG_UNKNOWN
                           ? std::string(e.original_tag.data, e.original_tag.length)
                           : std::string(gumbo_normalized_tagname(e.tag));
    if (e.tag == GUMBO_TAG_UNKNOWN) {
      // The original tag text is "<name attrs...>": keep the name, lowercased.
      size_t start = name.rfind('<', 0) == 0 ? 1 : 0;
      size_t end = name.find_first_of(" \t\n\r\f/>", start);
      name = name.substr(start, end - start);
      for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    *tags += ' ';
    *tags += name;
  }
  const GumboVector* children = node->type == GUMBO_NODE_DOCUMENT
                                    ? &node->v.document.children
                                    : (node->type == GUMBO_NODE_ELEMENT ||
                                       node->type == GUMBO_NODE_TEMPLATE)
                                          ? &node->v.element.children
                                          : nullptr;
  if (children == nullptr) return;
  for (unsigned i = 0; i < children->length; ++i) {
    Number(static_cast<const GumboNode*>(children->data[i]), index, tags);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: selector_agreement PAGE SELECTORS\n");
    return 2;
  }
  std::ifstream page_in(argv[1], std::ios::binary);
  std::ifstream selectors_in(argv[2], std::ios::binary);
  if (!page_in || !selectors_in) {
    std::fprintf(stderr, "selector_agreement: cannot read %s or %s\n", argv[1], argv[2]);
    return 2;
  }
  std::stringstream bytes;
  bytes << page_in.rdbuf();
  auto doc = forage::parser::HtmlDocument::Parse(bytes.str(), "");
  std::unordered_map<const GumboNode*, size_t> index;
  std::string tags = "tags";
  Number(doc.document(), &index, &tags);
  std::printf("%s\n", tags.c_str());
  std::string line;
  std::vector<const GumboNode*> matches;
  while (std::getline(selectors_in, line)) {
    auto selector = forage::parser::Selector::Compile(line);
    if (!selector) {
      std::string message = selector.error().message;
      for (char& c : message) c = c == '\n' ? ' ' : c;
      std::printf("error %s\n", message.c_str());
      continue;
    }
    matches.clear();
    selector->SelectAll(doc.document(), &matches);
    std::string out = "ok";
    for (const GumboNode* m : matches) {
      out += ' ';
      out += std::to_string(index.at(m));
    }
    std::printf("%s\n", out.c_str());
  }
  return 0;
}
