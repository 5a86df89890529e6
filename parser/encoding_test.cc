#include "parser/encoding.h"

#include <string>

#include <doctest/doctest.h>

#include "parser/html_document.h"
#include "parser/selector.h"
#include "parser/text.h"

namespace forage::parser {
namespace {

// The text of the first <p> of a document parsed from `bytes`.
std::string FirstParagraph(const HtmlDocument& doc) {
  Result<Selector> p = Selector::Compile("p");
  REQUIRE(p.has_value());
  const GumboNode* node = p->SelectFirst(doc.document());
  REQUIRE(node != nullptr);
  return TextContent(node);
}

TEST_SUITE("parser.encoding") {

TEST_CASE("labels map to WHATWG encodings, trimmed and case-insensitively") {
  CHECK(EncodingForLabel("utf-8") == "UTF-8");
  CHECK(EncodingForLabel(" UTF8 ") == "UTF-8");
  CHECK(EncodingForLabel("unicode-1-1-utf-8") == "UTF-8");
  CHECK(EncodingForLabel("gbk") == "GBK");
  CHECK(EncodingForLabel("GB2312") == "GBK");
  CHECK(EncodingForLabel("x-gbk") == "GBK");
  CHECK(EncodingForLabel("chinese") == "GBK");
  CHECK(EncodingForLabel("gb18030") == "gb18030");
  CHECK(EncodingForLabel("iso-8859-1") == "windows-1252");
  CHECK(EncodingForLabel("Latin1") == "windows-1252");
  CHECK(EncodingForLabel("us-ascii") == "windows-1252");
  CHECK(EncodingForLabel("ascii") == "windows-1252");
  CHECK(EncodingForLabel("shift_jis") == "Shift_JIS");
  CHECK(EncodingForLabel("sjis") == "Shift_JIS");
  CHECK(EncodingForLabel("x-sjis") == "Shift_JIS");
  CHECK(EncodingForLabel("windows-31j") == "Shift_JIS");
  CHECK(EncodingForLabel("euc-jp") == "EUC-JP");
  CHECK(EncodingForLabel("euc-kr") == "EUC-KR");
  CHECK(EncodingForLabel("ks_c_5601-1987") == "EUC-KR");
  CHECK(EncodingForLabel("big5") == "Big5");
  CHECK(EncodingForLabel("big5-hkscs") == "Big5");
  CHECK(EncodingForLabel("cp1251") == "windows-1251");
  CHECK(EncodingForLabel("iso-8859-9") == "windows-1254");
  CHECK(EncodingForLabel("iso-8859-15") == "ISO-8859-15");
  CHECK(EncodingForLabel("koi8-r") == "KOI8-R");
  CHECK(EncodingForLabel("tis-620") == "windows-874");
  CHECK(EncodingForLabel("utf-16") == "UTF-16LE");
  CHECK(EncodingForLabel("utf-16be") == "UTF-16BE");
  CHECK(EncodingForLabel("iso-2022-kr") == "replacement");
  CHECK(EncodingForLabel("utf-32") == "");
  CHECK(EncodingForLabel("") == "");
  CHECK(EncodingForLabel("no-such") == "");
}

TEST_CASE("the charset of a Content-Type value") {
  CHECK(CharsetFromContentType("text/html; charset=gbk") == "gbk");
  CHECK(CharsetFromContentType("text/html;charset=\"Shift_JIS\"") == "Shift_JIS");
  CHECK(CharsetFromContentType("text/html; foo=bar; CHARSET=utf-8 ") == "utf-8");
  CHECK(CharsetFromContentType("text/html; q=\"a;b\"; charset=euc-jp") == "euc-jp");
  CHECK(CharsetFromContentType("text/html") == "");
  CHECK(CharsetFromContentType("") == "");
  CHECK(CharsetFromContentType("text/html; charset=") == "");
}

TEST_CASE("the <meta> prescan follows the HTML standard") {
  CHECK(PrescanMetaCharset("<meta charset=gbk>") == "GBK");
  CHECK(PrescanMetaCharset("<META CHARSET='Shift_JIS'>") == "Shift_JIS");
  CHECK(PrescanMetaCharset(
            "<meta http-equiv=Content-Type content='text/html; charset=euc-jp'>") == "EUC-JP");
  CHECK(PrescanMetaCharset(
            "<meta content=\"text/html;charset=big5\" http-equiv=\"content-type\">") == "Big5");
  SUBCASE("content= needs http-equiv=content-type") {
    CHECK(PrescanMetaCharset("<meta content='text/html; charset=gbk'>") == "");
    CHECK(PrescanMetaCharset("<meta http-equiv=refresh content='charset=gbk'>") == "");
    // ITmedia's saved page: value= is not content=.
    CHECK(PrescanMetaCharset(
              "<meta http-equiv=\"content-type\" value=\"text/html;charset=shift_jis\">") == "");
  }
  SUBCASE("the first declaration wins, and later duplicates of an attribute are ignored") {
    CHECK(PrescanMetaCharset("<meta charset=koi8-r charset=gbk>") == "KOI8-R");
    CHECK(PrescanMetaCharset("<meta charset=nonsense><meta charset=gbk>") == "GBK");
    CHECK(PrescanMetaCharset("<meta charset=gbk><meta charset=big5>") == "GBK");
  }
  SUBCASE("comments, other tags and their attributes are skipped") {
    CHECK(PrescanMetaCharset("<!-- <meta charset=big5> --><meta charset=gbk>") == "GBK");
    CHECK(PrescanMetaCharset("<!--><meta charset=gbk>") == "GBK");
    CHECK(PrescanMetaCharset("<div title='<meta charset=big5>'><meta charset=gbk>") == "GBK");
    CHECK(PrescanMetaCharset("<?xml version='1.0'?><!DOCTYPE html><meta charset=gbk>") == "GBK");
    CHECK(PrescanMetaCharset("<metal charset=big5><meta/charset=gbk>") == "GBK");
  }
  SUBCASE("UTF-16 is read as UTF-8, x-user-defined as windows-1252") {
    CHECK(PrescanMetaCharset("<meta charset=utf-16le>") == "UTF-8");
    CHECK(PrescanMetaCharset("<meta charset=x-user-defined>") == "windows-1252");
  }
  SUBCASE("only the first 1024 bytes count, and a cut-off tag declares nothing") {
    std::string late(1100, ' ');
    late += "<meta charset=gbk>";
    CHECK(PrescanMetaCharset(late) == "");
    std::string straddling(1015, ' ');
    straddling += "<meta charset=gbk>";
    CHECK(PrescanMetaCharset(straddling) == "");
    CHECK(PrescanMetaCharset("<meta charset=gbk") == "");
  }
}

TEST_CASE("UTF-8 validity, with a cut-off final sequence allowed") {
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(
      IsValidUtf8("\xC2\xA3"
                  "63 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK(IsValidUtf8("cut \xE2\x82"));
  CHECK_FALSE(
      IsValidUtf8("\xA3"
                  "63"));
  CHECK_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80 x"));    // surrogate
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xE2\x82 x"));
}

TEST_CASE("decoders turn bytes into UTF-8, invalid sequences into U+FFFD") {
  CHECK(DecodeToUtf8("\x80\x93\xA3\xFF", "windows-1252") == "\u20AC\u201C\u00A3\u00FF");
  CHECK(DecodeToUtf8("\x81\x8D", "windows-1252") == "\u0081\u008D");
  CHECK(DecodeToUtf8("\xC4\xE3\xBA\xC3", "GBK") == "\u4F60\u597D");
  CHECK(DecodeToUtf8("\x81\x30\x81\x30", "gb18030") == "\u0080");
  CHECK(DecodeToUtf8("a\x80"
                     "b",
                     "GBK") ==
        "a\u20AC"
        "b");
  CHECK(DecodeToUtf8("\x82\xA0\x82\xA2", "Shift_JIS") == "\u3042\u3044");
  CHECK(DecodeToUtf8("\x87\x40", "Shift_JIS") == "\u2460");  // a CP932 extension
  CHECK(DecodeToUtf8("\xA4\xA2", "EUC-JP") == "\u3042");
  CHECK(DecodeToUtf8("\xB0\xA1", "EUC-KR") == "\uAC00");
  CHECK(DecodeToUtf8("\xA4\x40", "Big5") == "\u4E00");
  CHECK(DecodeToUtf8("\xC1\xC2", "windows-1251") == "\u0411\u0412");
  CHECK(DecodeToUtf8("\xA4", "ISO-8859-15") == "\u20AC");
  CHECK(DecodeToUtf8("\x1B$B$\"\x1B(B!", "ISO-2022-JP") == "\u3042!");
  CHECK(DecodeToUtf8(std::string("a\0b\0", 4), "UTF-16LE") == "ab");
  CHECK(DecodeToUtf8(std::string("\0a\xD8\x3D\xDE\0", 6), "UTF-16BE") == "a\U0001F600");
  CHECK(DecodeToUtf8(std::string("\x3D\xD8"
                                 "a\0",
                                 4),
                     "UTF-16LE") ==
        "\uFFFD"
        "a");
  CHECK(DecodeToUtf8(std::string("a\0b", 3), "UTF-16LE") == "a\uFFFD");
  CHECK(DecodeToUtf8("\xF7", "x-user-defined") == "\uF7F7");
  CHECK(DecodeToUtf8("anything", "replacement") == "\uFFFD");
  SUBCASE("invalid input") {
    CHECK(DecodeToUtf8("a\xFF"
                       "b",
                       "GBK") ==
          "a\uFFFD"
          "b");
    CHECK(DecodeToUtf8("a\x82", "Shift_JIS") == "a\uFFFD");
    CHECK(DecodeToUtf8("\x82 a", "Shift_JIS") == "\uFFFD a");  // the ASCII byte survives
    // UTF-8: one U+FFFD per maximal invalid subpart, as the WHATWG decoder.
    CHECK(DecodeToUtf8("a\xE2\x82"
                       "b",
                       "UTF-8") ==
          "a\uFFFD"
          "b");
    CHECK(DecodeToUtf8("\xC0\xAF", "UTF-8") == "\uFFFD\uFFFD");
    CHECK(DecodeToUtf8("\xED\xA0\x80", "UTF-8") == "\uFFFD\uFFFD\uFFFD");
    CHECK(DecodeToUtf8("\xF0\x9F\x98", "UTF-8") == "\uFFFD");
  }
}

TEST_CASE("DecodeHtml tries BOM, HTTP charset, <meta>, then UTF-8, then windows-1252") {
  SUBCASE("a byte order mark wins over everything, and is removed") {
    DecodedHtml d =
        DecodeHtml("\xEF\xBB\xBF<meta charset=gbk>\xC2\xA3", "text/html; charset=big5");
    CHECK(d.encoding == "UTF-8");
    CHECK(d.source == EncodingSource::kBom);
    CHECK(d.utf8 == "<meta charset=gbk>\u00A3");
    DecodedHtml le = DecodeHtml(std::string("\xFF\xFEh\0i\0", 6), "");
    CHECK(le.encoding == "UTF-16LE");
    CHECK(le.utf8 == "hi");
    DecodedHtml be = DecodeHtml(std::string("\xFE\xFF\0h\0i", 6), "");
    CHECK(be.encoding == "UTF-16BE");
    CHECK(be.utf8 == "hi");
  }
  SUBCASE("then the HTTP charset, over <meta>") {
    DecodedHtml d = DecodeHtml("<meta charset=utf-8>\xC4\xE3", "text/html; charset=GB2312");
    CHECK(d.encoding == "GBK");
    CHECK(d.source == EncodingSource::kHttp);
    CHECK(d.utf8 == "<meta charset=utf-8>\u4F60");
  }
  SUBCASE("an unknown HTTP label is ignored") {
    DecodedHtml d = DecodeHtml("<meta charset=gbk>\xC4\xE3", "text/html; charset=bogus");
    CHECK(d.encoding == "GBK");
    CHECK(d.source == EncodingSource::kMeta);
  }
  SUBCASE("then UTF-8 if valid, else windows-1252") {
    DecodedHtml utf8 = DecodeHtml(
        "<p>\xC2\xA3"
        "63</p>",
        "");
    CHECK(utf8.encoding == "UTF-8");
    CHECK(utf8.source == EncodingSource::kUtf8Valid);
    DecodedHtml latin = DecodeHtml(
        "<p>\xA3"
        "63</p>",
        "text/html");
    CHECK(latin.encoding == "windows-1252");
    CHECK(latin.source == EncodingSource::kDefault);
    CHECK(latin.utf8 ==
          "<p>\u00A3"
          "63</p>");
  }
  SUBCASE("declared UTF-8 that is not valid gets U+FFFD, never an error") {
    DecodedHtml d = DecodeHtml(
        "<p>\xA3"
        "63</p>",
        "text/html; charset=utf-8");
    CHECK(d.encoding == "UTF-8");
    CHECK(d.utf8 ==
          "<p>\uFFFD"
          "63</p>");
  }
  SUBCASE("a sequence cut off by a size cap is replaced") {
    DecodedHtml d = DecodeHtml("<p>ok\xE2\x82", "");
    CHECK(d.source == EncodingSource::kUtf8Valid);
    CHECK(d.utf8 == "<p>ok\uFFFD");
  }
  CHECK(EncodingSourceName(EncodingSource::kMeta) == "meta");
}

TEST_CASE("HtmlDocument::Parse(bytes, content_type) decodes before parsing") {
  HtmlDocument gbk = HtmlDocument::Parse("<meta charset=gb2312><p>\xC4\xE3\xBA\xC3</p>", "");
  CHECK(gbk.encoding() == "GBK");
  CHECK(gbk.encoding_source() == EncodingSource::kMeta);
  CHECK(FirstParagraph(gbk) == "\u4F60\u597D");
  CHECK(gbk.body() == "<meta charset=gb2312><p>\u4F60\u597D</p>");

  HtmlDocument sjis = HtmlDocument::Parse("<p>\x82\xA0</p>", "text/html; charset=Shift_JIS");
  CHECK(sjis.encoding() == "Shift_JIS");
  CHECK(FirstParagraph(sjis) == "\u3042");

  HtmlDocument plain = HtmlDocument::Parse("<p>x</p>");
  CHECK(plain.encoding() == "UTF-8");
  CHECK(plain.encoding_source() == EncodingSource::kCaller);

  HtmlDocument moved = std::move(gbk);
  CHECK(moved.encoding() == "GBK");
  plain = std::move(moved);
  CHECK(plain.encoding() == "GBK");
  CHECK(FirstParagraph(plain) == "\u4F60\u597D");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::parser
