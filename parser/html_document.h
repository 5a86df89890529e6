#pragma once
// HtmlDocument: one parsed HTML page.

#include <memory>
#include <string>
#include <string_view>

#include "parser/gumbo_fwd.h"

namespace forage::parser {

// Owns a page's UTF-8 bytes and the Gumbo tree built from them. Gumbo nodes
// point into the bytes (original_text, original_tag), so both live and die
// together. Move-only; node pointers stay valid across moves and until the
// document is destroyed. Immutable after Parse, so a const document may be
// read from several threads.
class HtmlDocument {
 public:
  // Parses `body` as UTF-8 HTML. Never fails: like a browser, Gumbo builds a
  // tree from any input, broken markup and binary garbage included.
  static HtmlDocument Parse(std::string body);

  HtmlDocument(HtmlDocument&&) noexcept;
  HtmlDocument& operator=(HtmlDocument&&) noexcept;
  ~HtmlDocument();

  // The document node (GUMBO_NODE_DOCUMENT): the scope for document-wide
  // selection, so that `html` itself can match.
  const GumboNode* document() const;
  // The <html> element; Gumbo always creates one.
  const GumboNode* root() const;
  std::string_view body() const { return *body_; }

 private:
  struct OutputDeleter {
    void operator()(GumboOutput* output) const noexcept;
  };

  HtmlDocument(std::unique_ptr<const std::string> body,
               std::unique_ptr<GumboOutput, OutputDeleter> output);

  // Declared first: the tree points into it. Held by pointer because moving a
  // short std::string copies its bytes (small-string optimisation), which
  // would leave the tree pointing at the old buffer.
  std::unique_ptr<const std::string> body_;
  std::unique_ptr<GumboOutput, OutputDeleter> output_;
};

}  // namespace forage::parser
