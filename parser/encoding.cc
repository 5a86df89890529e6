#include "parser/encoding.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include <errno.h>
#include <iconv.h>

#include "parser/ascii.h"
#include "parser/utf8.h"

namespace forage::parser {
namespace {

struct EncodingEntry {
  std::string_view name;    // WHATWG name
  std::string_view labels;  // space-separated, lower case
  const char* iconv_name;   // glibc iconv's name; null where we decode ourselves
};

// The WHATWG Encoding Standard's label table (encoding.spec.whatwg.org,
// "Names and labels"), with the glibc converter for each. Where the WHATWG
// decoder is a superset of the legacy standard, the converter is the
// Microsoft code page it follows: Shift_JIS is CP932, EUC-KR is CP949, Big5
// is Big5-HKSCS, and GBK is GB18030 (the WHATWG gbk decoder is the gb18030
// decoder).
constexpr EncodingEntry kEncodings[] = {
    {"UTF-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8", nullptr},
    {"IBM866", "866 cp866 csibm866 ibm866", "IBM866"},
    {"ISO-8859-2",
     "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
     "ISO-8859-2"},
    {"ISO-8859-3",
     "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
     "ISO-8859-3"},
    {"ISO-8859-4",
     "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
     "ISO-8859-4"},
    {"ISO-8859-5",
     "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 "
     "iso_8859-5:1988",
     "ISO-8859-5"},
    {"ISO-8859-6",
     "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e "
     "iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
     "ISO-8859-6"},
    {"ISO-8859-7",
     "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 "
     "iso_8859-7 iso_8859-7:1987 sun_eu_greek",
     "ISO-8859-7"},
    {"ISO-8859-8",
     "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 "
     "iso_8859-8 iso_8859-8:1988 visual",
     "ISO-8859-8"},
    {"ISO-8859-8-I", "csiso88598i iso-8859-8-i logical", "ISO-8859-8"},
    {"ISO-8859-10", "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
     "ISO-8859-10"},
    {"ISO-8859-13", "iso-8859-13 iso8859-13 iso885913", "ISO-8859-13"},
    {"ISO-8859-14", "iso-8859-14 iso8859-14 iso885914", "ISO-8859-14"},
    {"ISO-8859-15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9", "ISO-8859-15"},
    {"ISO-8859-16", "iso-8859-16", "ISO-8859-16"},
    {"KOI8-R", "cskoi8r koi koi8 koi8-r koi8_r", "KOI8-R"},
    {"KOI8-U", "koi8-ru koi8-u", "KOI8-U"},
    {"macintosh", "csmacintosh mac macintosh x-mac-roman", "MACINTOSH"},
    {"windows-874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874", "CP874"},
    {"windows-1250", "cp1250 windows-1250 x-cp1250", "CP1250"},
    {"windows-1251", "cp1251 windows-1251 x-cp1251", "CP1251"},
    {"windows-1252",
     "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 "
     "iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
     nullptr},
    {"windows-1253", "cp1253 windows-1253 x-cp1253", "CP1253"},
    {"windows-1254",
     "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 "
     "latin5 windows-1254 x-cp1254",
     "CP1254"},
    {"windows-1255", "cp1255 windows-1255 x-cp1255", "CP1255"},
    {"windows-1256", "cp1256 windows-1256 x-cp1256", "CP1256"},
    {"windows-1257", "cp1257 windows-1257 x-cp1257", "CP1257"},
    {"windows-1258", "cp1258 windows-1258 x-cp1258", "CP1258"},
    {"x-mac-cyrillic", "x-mac-cyrillic x-mac-ukrainian", "MAC-CYRILLIC"},
    {"GBK", "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
     "GB18030"},
    {"gb18030", "gb18030", "GB18030"},
    {"Big5", "big5 big5-hkscs cn-big5 csbig5 x-x-big5", "BIG5-HKSCS"},
    {"EUC-JP", "cseucpkdfmtjapanese euc-jp x-euc-jp", "EUC-JP"},
    {"ISO-2022-JP", "csiso2022jp iso-2022-jp", "ISO-2022-JP"},
    {"Shift_JIS", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis", "CP932"},
    {"EUC-KR",
     "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 "
     "ksc_5601 windows-949",
     "CP949"},
    {"replacement", "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr replacement",
     nullptr},
    {"UTF-16BE", "unicodefffe utf-16be", nullptr},
    {"UTF-16LE", "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le", nullptr},
    {"x-user-defined", "x-user-defined", nullptr},
};

constexpr std::string_view kUtf8 = "UTF-8";
constexpr std::string_view kWindows1252 = "windows-1252";

// windows-1252's bytes 0x80..0x9F; the rest is ISO-8859-1. The five bytes
// Microsoft leaves undefined map to the C1 controls, as in the WHATWG index.
constexpr uint16_t kWindows1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

const EncodingEntry* FindEncoding(std::string_view name) {
  for (const EncodingEntry& entry : kEncodings) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

// Length of the valid UTF-8 sequence at the start of `s` (1..4), 0 if the
// bytes there are invalid, or -1 if they are a valid but cut-off prefix.
// Follows the WHATWG UTF-8 decoder's ranges (no overlongs, no surrogates).
int Utf8SequenceLength(std::string_view s, uint32_t* cp) {
  auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  int needed;
  unsigned char lower = 0x80, upper = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    needed = 1;
    *cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (b0 == 0xE0) lower = 0xA0;
    if (b0 == 0xED) upper = 0x9F;
    needed = 2;
    *cp = b0 & 0xF;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (b0 == 0xF0) lower = 0x90;
    if (b0 == 0xF4) upper = 0x8F;
    needed = 3;
    *cp = b0 & 0x7;
  } else {
    return 0;
  }
  for (int i = 1; i <= needed; ++i) {
    if (static_cast<size_t>(i) >= s.size()) return -1;
    auto b = static_cast<unsigned char>(s[static_cast<size_t>(i)]);
    if (b < lower || b > upper) return 0;
    lower = 0x80;
    upper = 0xBF;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  return needed + 1;
}

// The WHATWG UTF-8 decoder: each maximal invalid subpart becomes one U+FFFD.
std::string DecodeUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    uint32_t cp = 0;
    int length = Utf8SequenceLength(bytes.substr(i), &cp);
    if (length > 0) {
      out.append(bytes.substr(i, static_cast<size_t>(length)));
      i += static_cast<size_t>(length);
      continue;
    }
    AppendUtf8(kReplacementCharacter, &out);
    if (length < 0) break;  // cut off at the end
    // Skip the lead byte and the continuation bytes that were still valid.
    size_t j = i + 1;
    uint32_t ignored = 0;
    while (j < bytes.size() && j < i + 4 && (static_cast<unsigned char>(bytes[j]) & 0xC0) == 0x80 &&
           Utf8SequenceLength(bytes.substr(i, j - i + 1), &ignored) == -1) {
      ++j;
    }
    i = j;
  }
  return out;
}

std::string DecodeUtf16(std::string_view bytes, bool big_endian) {
  std::string out;
  out.reserve(bytes.size());
  auto unit_at = [&](size_t i) {
    auto a = static_cast<unsigned char>(bytes[i]);
    auto b = static_cast<unsigned char>(bytes[i + 1]);
    return static_cast<uint32_t>(big_endian ? (a << 8) | b : (b << 8) | a);
  };
  size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    uint32_t unit = unit_at(i);
    if (unit >= 0xD800 && unit <= 0xDBFF && i + 3 < bytes.size()) {
      uint32_t low = unit_at(i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        AppendUtf8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), &out);
        i += 2;
        continue;
      }
    }
    AppendUtf8(unit, &out);  // a lone surrogate becomes U+FFFD
  }
  if (i < bytes.size()) AppendUtf8(kReplacementCharacter, &out);
  return out;
}

std::string DecodeSingleByte(std::string_view bytes, bool user_defined) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out.push_back(c);
    } else if (user_defined) {
      AppendUtf8(0xF780 + b - 0x80, &out);
    } else {
      AppendUtf8(b < 0xA0 ? kWindows1252High[b - 0x80] : b, &out);
    }
  }
  return out;
}

// Converts with glibc's iconv, one invalid byte at a time to U+FFFD.
std::string DecodeWithIconv(std::string_view bytes, const char* iconv_name) {
  iconv_t cd = iconv_open("UTF-8", iconv_name);
  if (cd == reinterpret_cast<iconv_t>(-1)) return DecodeSingleByte(bytes, false);
  const bool gb18030 = std::string_view(iconv_name) == "GB18030";
  std::string out;
  out.resize(bytes.size() * 3 + 16);
  char* in = const_cast<char*>(bytes.data());  // iconv's API is not const-correct
  size_t in_left = bytes.size();
  size_t written = 0;
  while (in_left > 0) {
    char* out_ptr = out.data() + written;
    size_t out_left = out.size() - written;
    size_t rc = iconv(cd, &in, &in_left, &out_ptr, &out_left);
    written = out.size() - out_left;
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    std::string replacement;
    // The WHATWG gb18030 decoder reads a lone 0x80 as the euro sign (as
    // Windows' GBK does); glibc rejects it.
    AppendUtf8(gb18030 && static_cast<unsigned char>(*in) == 0x80 ? 0x20AC : kReplacementCharacter,
               &replacement);
    if (out.size() - written < replacement.size()) out.resize(out.size() * 2);
    out.replace(written, replacement.size(), replacement);
    written += replacement.size();
    if (errno == EINVAL) break;  // an incomplete sequence at the end
    ++in;                        // EILSEQ: skip one byte and resynchronise
    --in_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset any shift state
  }
  // Flush a stateful encoding's final shift sequence (ISO-2022-JP).
  char* out_ptr = out.data() + written;
  size_t out_left = out.size() - written;
  iconv(cd, nullptr, nullptr, &out_ptr, &out_left);
  written = out.size() - out_left;
  iconv_close(cd);
  out.resize(written);
  return out;
}

}  // namespace

std::string_view EncodingSourceName(EncodingSource source) {
  switch (source) {
    case EncodingSource::kBom:
      return "bom";
    case EncodingSource::kHttp:
      return "http";
    case EncodingSource::kMeta:
      return "meta";
    case EncodingSource::kUtf8Valid:
      return "utf8-valid";
    case EncodingSource::kDefault:
      return "default";
    case EncodingSource::kCaller:
      return "caller";
  }
  return "";
}

std::string_view EncodingForLabel(std::string_view label) {
  while (!label.empty() && IsAsciiWhitespace(label.front())) label.remove_prefix(1);
  while (!label.empty() && IsAsciiWhitespace(label.back())) label.remove_suffix(1);
  if (label.empty()) return {};
  for (const EncodingEntry& entry : kEncodings) {
    std::string_view labels = entry.labels;
    while (!labels.empty()) {
      size_t space = labels.find(' ');
      std::string_view candidate = labels.substr(0, space);
      if (EqualsIgnoreAsciiCase(candidate, label)) return entry.name;
      if (space == std::string_view::npos) break;
      labels.remove_prefix(space + 1);
    }
  }
  return {};
}

bool IsValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    // Runs of ASCII are the common case; skip them sixteen bytes at a time.
    while (i + 16 <= bytes.size()) {
      uint64_t words[2];
      std::memcpy(words, bytes.data() + i, sizeof words);
      if (((words[0] | words[1]) & 0x8080808080808080ULL) != 0) break;
      i += 16;
    }
    while (i < bytes.size() && static_cast<unsigned char>(bytes[i]) < 0x80) ++i;
    if (i >= bytes.size()) break;
    uint32_t cp = 0;
    int length = Utf8SequenceLength(bytes.substr(i), &cp);
    if (length == 0) return false;
    if (length < 0) return true;  // cut off at the end
    i += static_cast<size_t>(length);
  }
  return true;
}

std::string DecodeToUtf8(std::string_view bytes, std::string_view encoding) {
  if (encoding == kUtf8) return DecodeUtf8(bytes);
  if (encoding == kWindows1252) return DecodeSingleByte(bytes, false);
  if (encoding == "x-user-defined") return DecodeSingleByte(bytes, true);
  if (encoding == "UTF-16LE") return DecodeUtf16(bytes, false);
  if (encoding == "UTF-16BE") return DecodeUtf16(bytes, true);
  if (encoding == "replacement") {
    std::string out;
    if (!bytes.empty()) AppendUtf8(kReplacementCharacter, &out);
    return out;
  }
  const EncodingEntry* entry = FindEncoding(encoding);
  if (entry == nullptr || entry->iconv_name == nullptr) return DecodeUtf8(bytes);
  return DecodeWithIconv(bytes, entry->iconv_name);
}

namespace {

DecodedHtml Decoded(std::string utf8, std::string_view encoding, EncodingSource source) {
  return DecodedHtml{std::move(utf8), encoding, source};
}

// The number of bytes at the end of valid UTF-8 `s` that are a sequence cut
// off by the end of the input (IsValidUtf8 accepts those).
size_t CutOffTail(std::string_view s) {
  size_t i = s.size();
  while (i > 0 && s.size() - i < 3 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80) --i;
  if (i == 0) return 0;
  --i;  // the lead byte
  uint32_t ignored = 0;
  return Utf8SequenceLength(s.substr(i), &ignored) == -1 ? s.size() - i : 0;
}

// UTF-8 input is the common case: keep the buffer unless it needs repair.
DecodedHtml FromUtf8(std::string bytes, size_t skip, EncodingSource source) {
  std::string_view body = std::string_view(bytes).substr(skip);
  if (!IsValidUtf8(body)) return Decoded(DecodeUtf8(body), kUtf8, source);
  bytes.erase(0, skip);
  // Gumbo must not see a sequence cut off at the end: it becomes U+FFFD.
  if (size_t tail = CutOffTail(bytes); tail > 0) {
    bytes.resize(bytes.size() - tail);
    AppendUtf8(kReplacementCharacter, &bytes);
  }
  return Decoded(std::move(bytes), kUtf8, source);
}

}  // namespace

DecodedHtml DecodeHtml(std::string bytes, std::string_view content_type) {
  std::string_view view = bytes;
  if (view.substr(0, 3) == "\xEF\xBB\xBF")
    return FromUtf8(std::move(bytes), 3, EncodingSource::kBom);
  if (view.substr(0, 2) == "\xFE\xFF") {
    return Decoded(DecodeUtf16(view.substr(2), true), "UTF-16BE", EncodingSource::kBom);
  }
  if (view.substr(0, 2) == "\xFF\xFE") {
    return Decoded(DecodeUtf16(view.substr(2), false), "UTF-16LE", EncodingSource::kBom);
  }
  std::string_view encoding = EncodingForLabel(CharsetFromContentType(content_type));
  EncodingSource source = EncodingSource::kHttp;
  if (encoding.empty()) {
    encoding = PrescanMetaCharset(view);
    source = EncodingSource::kMeta;
  }
  if (encoding.empty()) {
    if (IsValidUtf8(view)) return FromUtf8(std::move(bytes), 0, EncodingSource::kUtf8Valid);
    return Decoded(DecodeSingleByte(view, false), kWindows1252, EncodingSource::kDefault);
  }
  if (encoding == kUtf8) return FromUtf8(std::move(bytes), 0, source);
  return Decoded(DecodeToUtf8(view, encoding), encoding, source);
}

}  // namespace forage::parser
