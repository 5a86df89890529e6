#pragma once
// Character encodings of HTML documents: which one a page uses (the HTML
// standard's "determining the character encoding"), and conversion to UTF-8.
// Labels and names are the WHATWG Encoding Standard's. Pure functions; safe
// from any thread.

#include <string>
#include <string_view>

namespace forage::parser {

// Where the encoding of a document came from, in the order they are tried.
enum class EncodingSource {
  kBom,        // a UTF-8 or UTF-16 byte order mark
  kHttp,       // the charset parameter of the HTTP Content-Type
  kMeta,       // a <meta charset> or <meta http-equiv=content-type> in the first 1024 bytes
  kUtf8Valid,  // nothing declared, and the bytes are valid UTF-8
  kDefault,    // nothing declared, and the bytes are not UTF-8: windows-1252
  kCaller,     // the caller said the bytes are UTF-8 (HtmlDocument::Parse(body))
};

// "bom", "http", "meta", "utf8-valid", "default", "caller".
std::string_view EncodingSourceName(EncodingSource source);

// The WHATWG name of the encoding `label` stands for ("gb2312" -> "GBK",
// "latin1" -> "windows-1252", " UTF8 " -> "UTF-8"); empty for unknown labels.
// The view points at static data.
std::string_view EncodingForLabel(std::string_view label);

// The charset parameter of a Content-Type header value, unquoted:
// `text/html; charset="gbk"` -> "gbk". Empty when there is none.
std::string_view CharsetFromContentType(std::string_view content_type);

// The HTML standard's "prescan a byte stream to determine its encoding" over
// the first 1024 bytes of `bytes`: the WHATWG name of the encoding a <meta>
// declares, with UTF-16 read as UTF-8 and x-user-defined as windows-1252, as
// the standard says. Empty when there is no usable declaration.
std::string_view PrescanMetaCharset(std::string_view bytes);

// Whether `bytes` are valid UTF-8. A sequence cut off by the end of the input
// counts as valid: bodies may be truncated by a size cap.
bool IsValidUtf8(std::string_view bytes);

// `bytes` in the encoding named `encoding` (a WHATWG name, as returned by
// EncodingForLabel), converted to UTF-8. Never fails: invalid or unmappable
// byte sequences become U+FFFD. A byte order mark is not removed here.
std::string DecodeToUtf8(std::string_view bytes, std::string_view encoding);

struct DecodedHtml {
  std::string utf8;           // the document in UTF-8, without a byte order mark
  std::string_view encoding;  // WHATWG name of the encoding it was decoded from
  EncodingSource source = EncodingSource::kUtf8Valid;
};

// Decodes an HTML document in the HTML standard's order: byte order mark,
// then the charset of `content_type` (the HTTP header value; may be empty),
// then the <meta> prescan, then UTF-8 if the bytes are valid UTF-8, else
// windows-1252. GBK is decoded as GB18030, as browsers do. Valid UTF-8 input
// is moved through without a copy.
DecodedHtml DecodeHtml(std::string bytes, std::string_view content_type);

}  // namespace forage::parser
