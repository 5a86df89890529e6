#include "parser/html_document.h"

#include <cassert>
#include <utility>

#include <gumbo.h>

namespace forage::parser {

void HtmlDocument::OutputDeleter::operator()(GumboOutput* output) const noexcept {
  // Gumbo 0.10.1 (Debian 12) takes the options; 0.12+ drops that argument.
  gumbo_destroy_output(&kGumboDefaultOptions, output);
}

HtmlDocument HtmlDocument::Parse(std::string body) {
  auto owned = std::make_unique<const std::string>(std::move(body));
  GumboOptions options = kGumboDefaultOptions;
  // We never read parse errors, and recording them allocates one object per
  // error; real pages have hundreds. The deleter may still use the default
  // options: they differ only in this field, not in the allocator.
  options.max_errors = 0;
  GumboOutput* output = gumbo_parse_with_options(&options, owned->data(), owned->size());
  // Gumbo returns null only if its allocator fails, and the default one aborts.
  assert(output != nullptr);
  return HtmlDocument(std::move(owned), std::unique_ptr<GumboOutput, OutputDeleter>(output));
}

HtmlDocument HtmlDocument::Parse(std::string bytes, std::string_view content_type) {
  DecodedHtml decoded = DecodeHtml(std::move(bytes), content_type);
  HtmlDocument doc = Parse(std::move(decoded.utf8));
  doc.encoding_ = decoded.encoding;
  doc.encoding_source_ = decoded.source;
  return doc;
}

HtmlDocument::HtmlDocument(std::unique_ptr<const std::string> body,
                           std::unique_ptr<GumboOutput, OutputDeleter> output)
    : body_(std::move(body)), output_(std::move(output)) {}

HtmlDocument::HtmlDocument(HtmlDocument&&) noexcept = default;

HtmlDocument& HtmlDocument::operator=(HtmlDocument&& other) noexcept {
  // Release the old tree before the old bytes it points into.
  output_ = std::move(other.output_);
  body_ = std::move(other.body_);
  encoding_ = other.encoding_;
  encoding_source_ = other.encoding_source_;
  return *this;
}

HtmlDocument::~HtmlDocument() = default;

const GumboNode* HtmlDocument::document() const { return output_->document; }

const GumboNode* HtmlDocument::root() const { return output_->root; }

}  // namespace forage::parser
