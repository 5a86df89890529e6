#include "parser/html_document.h"

#include <cassert>
#include <csetjmp>
#include <utility>

#include <gumbo.h>

namespace forage::parser {
namespace {

// Gumbo's parse, which the arena's allocator abandons (longjmp) once the
// calling thread's CPU budget is spent; null then. As setjmp requires, no
// object with a destructor lives in this frame, and nothing set after setjmp
// is read after the jump.
GumboOutput* ParseOrAbandon(const GumboOptions* options, const std::string* body, Arena* arena) {
  std::jmp_buf escape;
  if (setjmp(escape) != 0) {
    arena->set_escape(nullptr);
    return nullptr;
  }
  arena->set_escape(&escape);
  GumboOutput* output = gumbo_parse_with_options(options, body->data(), body->size());
  arena->set_escape(nullptr);
  return output;
}

}  // namespace

HtmlDocument HtmlDocument::Parse(std::string body, Arena* arena) {
  HtmlDocument doc;
  doc.body_ = std::make_unique<const std::string>(std::move(body));
  if (arena == nullptr) {
    doc.own_arena_ = std::make_unique<Arena>();
    arena = doc.own_arena_.get();
  }
  assert(arena->live_allocations() == 0);
  doc.arena_ = arena;
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &Arena::GumboAllocate;
  options.deallocator = &Arena::GumboDeallocate;
  options.userdata = arena;
  // We never read parse errors, and recording them allocates one object per
  // error; real pages have hundreds.
  options.max_errors = 0;
  // Never gumbo_destroy_output: the arena's Reset frees the tree, leaks
  // included, without Gumbo's recursive walk.
  // Null only when a CPU budget ran out (abandoned()): Gumbo returns null
  // only if its allocator fails, and the arena aborts instead.
  doc.output_ = ParseOrAbandon(&options, doc.body_.get(), arena);
  return doc;
}

HtmlDocument HtmlDocument::Parse(std::string bytes, std::string_view content_type,
                                 Arena* arena) {
  DecodedHtml decoded = DecodeHtml(std::move(bytes), content_type);
  HtmlDocument doc = Parse(std::move(decoded.utf8), arena);
  doc.encoding_ = decoded.encoding;
  doc.encoding_source_ = decoded.source;
  return doc;
}

HtmlDocument::HtmlDocument(HtmlDocument&& other) noexcept { *this = std::move(other); }

HtmlDocument& HtmlDocument::operator=(HtmlDocument&& other) noexcept {
  if (this == &other) return *this;
  Release();
  body_ = std::move(other.body_);
  own_arena_ = std::move(other.own_arena_);
  arena_ = std::exchange(other.arena_, nullptr);
  output_ = std::exchange(other.output_, nullptr);
  encoding_ = other.encoding_;
  encoding_source_ = other.encoding_source_;
  return *this;
}

HtmlDocument::~HtmlDocument() { Release(); }

// The tree first (it points into the bytes), then the bytes.
void HtmlDocument::Release() noexcept {
  if (arena_ != nullptr) arena_->Reset();
  arena_ = nullptr;
  output_ = nullptr;
  own_arena_.reset();
  body_.reset();
}

const GumboNode* HtmlDocument::document() const { return output_->document; }

const GumboNode* HtmlDocument::root() const { return output_->root; }

}  // namespace forage::parser
