// Fuzz target: the decoder (parser/encoding.h): byte order marks, the HTTP
// charset, the <meta> prescan, and the conversion to UTF-8 (glibc's iconv,
// and our own windows-1252, UTF-16 and x-user-defined).
//
// Input: "CONTENT-TYPE\nBODY": the first line is the Content-Type header
// value (no line: an empty header), the rest the response body. The first
// byte of the body also picks one encoding to decode the body with directly.
//
// Properties beyond "no memory error, no hang":
// - DecodeHtml's result is valid UTF-8 and names
//   an encoding that is its own label (EncodingForLabel(name) == name);
// - the source it names is consistent: kBom only with a BOM; kHttp only with
//   a charset in the header; kUtf8Valid only for valid UTF-8;
// - DecodeToUtf8 into any encoding gives valid UTF-8.

#include <cstdint>
#include <string>

#include "parser/encoding.h"
#include "tests/fuzz/fuzz_check.h"

namespace forage::parser {
namespace {

constexpr std::string_view kEncodings[] = {
    "UTF-8",        "IBM866",       "ISO-8859-2",   "ISO-8859-3",     "ISO-8859-4",
    "ISO-8859-5",   "ISO-8859-6",   "ISO-8859-7",   "ISO-8859-8",     "ISO-8859-8-I",
    "ISO-8859-10",  "ISO-8859-13",  "ISO-8859-14",  "ISO-8859-15",    "ISO-8859-16",
    "KOI8-R",       "KOI8-U",       "macintosh",    "windows-874",    "windows-1250",
    "windows-1251", "windows-1252", "windows-1253", "windows-1254",   "windows-1255",
    "windows-1256", "windows-1257", "windows-1258", "x-mac-cyrillic", "GBK",
    "gb18030",      "Big5",         "EUC-JP",       "ISO-2022-JP",    "Shift_JIS",
    "EUC-KR",       "replacement",  "UTF-16BE",     "UTF-16LE",       "x-user-defined",
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool HasBom(std::string_view body) {
  return StartsWith(body, "\xEF\xBB\xBF") || StartsWith(body, "\xFE\xFF") ||
         StartsWith(body, "\xFF\xFE");
}

}  // namespace
}  // namespace forage::parser

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace forage::parser;
  auto [content_type, body] = forage::fuzz::SplitLine(forage::fuzz::AsText(data, size));

  // The pieces, each on its own.
  std::string_view charset = CharsetFromContentType(content_type);
  std::string_view http = EncodingForLabel(charset);
  (void)EncodingForLabel(content_type);
  std::string_view meta = PrescanMetaCharset(body);
  FUZZ_CHECK(meta.empty() || EncodingForLabel(meta) == meta, std::string(meta));
  bool valid = IsValidUtf8(body);

  DecodedHtml decoded = DecodeHtml(std::string(body), content_type);
  std::string what = std::string(EncodingSourceName(decoded.source)) + " " +
                     std::string(decoded.encoding);
  FUZZ_CHECK(!decoded.encoding.empty(), what);
  FUZZ_CHECK(EncodingForLabel(decoded.encoding) == decoded.encoding, what);
  FUZZ_CHECK(IsValidUtf8(decoded.utf8), "not UTF-8 after decoding: " + what);
  switch (decoded.source) {
    case EncodingSource::kBom:
      FUZZ_CHECK(HasBom(body), what);
      break;
    case EncodingSource::kHttp:
      FUZZ_CHECK(!HasBom(body) && !http.empty(), what);
      break;
    case EncodingSource::kMeta:
      FUZZ_CHECK(!HasBom(body) && http.empty() && !meta.empty(), what);
      break;
    case EncodingSource::kUtf8Valid:
      FUZZ_CHECK(!HasBom(body) && http.empty() && meta.empty() && valid, what);
      break;
    case EncodingSource::kDefault:
      FUZZ_CHECK(!HasBom(body) && http.empty() && meta.empty() && !valid, what);
      break;
    case EncodingSource::kCaller:
      FUZZ_CHECK(false, "DecodeHtml says the caller chose: " + what);
      break;
  }

  // Straight into one encoding, picked by the body's first byte.
  if (!body.empty()) {
    constexpr size_t n = sizeof kEncodings / sizeof kEncodings[0];
    std::string_view encoding = kEncodings[static_cast<uint8_t>(body[0]) % n];
    std::string utf8 = DecodeToUtf8(body.substr(1), encoding);
    FUZZ_CHECK(IsValidUtf8(utf8), "DecodeToUtf8 gave bad UTF-8 from " + std::string(encoding));
  }
  return 0;
}
