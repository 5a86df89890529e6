#pragma once
// HtmlDocument: one parsed HTML page.

#include <memory>
#include <string>
#include <string_view>

#include "parser/arena.h"
#include "parser/encoding.h"
#include "parser/gumbo_fwd.h"

namespace forage::parser {

// Owns a page's UTF-8 bytes and the Gumbo tree built from them. Gumbo nodes
// point into the bytes (original_text, original_tag), so both live and die
// together. The tree lives in an Arena (arena.h): the caller's, reused from
// page to page, or one of the document's own; destroying the document resets
// the arena, without walking the tree. Move-only; node pointers stay valid
// across moves and until the document is destroyed. Immutable after Parse,
// so a const document may be read from several threads.
class HtmlDocument {
 public:
  // Parses `body` as UTF-8 HTML. Never fails: like a browser, Gumbo builds a
  // tree from any input, broken markup and binary garbage included. Under a
  // ScopedCpuBudget (cpu_budget.h) the parse is abandoned once the budget is
  // spent (see abandoned()).
  //
  // With `arena`, the tree is built there; the arena must be empty (no other
  // document in it) and outlive the document, which resets it when
  // destroyed. Without, the document has an arena of its own.
  static HtmlDocument Parse(std::string body, Arena* arena = nullptr);

  // Parses raw response bytes: decodes them to UTF-8 first, finding the
  // encoding as the HTML standard says (byte order mark, then the charset of
  // `content_type`, the HTTP Content-Type value, which may be empty; then the
  // <meta> prescan; then UTF-8 if the bytes are valid UTF-8, else
  // windows-1252). See DecodeHtml in encoding.h. Never fails; undecodable
  // bytes become U+FFFD.
  static HtmlDocument Parse(std::string bytes, std::string_view content_type,
                            Arena* arena = nullptr);

  HtmlDocument(HtmlDocument&&) noexcept;
  HtmlDocument& operator=(HtmlDocument&&) noexcept;
  ~HtmlDocument();

  // The parse ran out of the calling thread's CPU budget (cpu_budget.h) and
  // was abandoned: there is no tree, and nothing below may be asked but
  // body() and the encoding. Never true without a budget.
  bool abandoned() const { return output_ == nullptr; }

  // The document node (GUMBO_NODE_DOCUMENT): the scope for document-wide
  // selection, so that `html` itself can match.
  const GumboNode* document() const;
  // The <html> element; Gumbo always creates one.
  const GumboNode* root() const;
  // The document's text, always UTF-8 (decoded, without a byte order mark).
  std::string_view body() const { return *body_; }
  // The WHATWG name of the encoding the bytes were decoded from ("UTF-8",
  // "GBK", "Shift_JIS", "windows-1252" ...), and how it was found.
  std::string_view encoding() const { return encoding_; }
  EncodingSource encoding_source() const { return encoding_source_; }

 private:
  HtmlDocument() = default;
  void Release() noexcept;

  // The tree points into it. Held by pointer because moving a short
  // std::string copies its bytes (small-string optimisation), which would
  // leave the tree pointing at the old buffer.
  std::unique_ptr<const std::string> body_;
  std::unique_ptr<Arena> own_arena_;  // when the caller gave none
  Arena* arena_ = nullptr;            // holds the tree; reset by Release
  const GumboOutput* output_ = nullptr;
  std::string_view encoding_ = "UTF-8";  // static data (encoding.h)
  EncodingSource encoding_source_ = EncodingSource::kCaller;
};

}  // namespace forage::parser
