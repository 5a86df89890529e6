#include "parser/sitemap.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

namespace forage::parser {
namespace {

std::string Gzip(const std::string& data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST_SUITE("parser.sitemap") {

TEST_CASE("a urlset: every <loc> of a <url>, in order, entities and CDATA decoded") {
  auto s = ParseSitemap(
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!-- a comment <url><loc>http://no/</loc></url> -->\n"
      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
      "  <url><loc> http://h/a?x=1&amp;y=2 </loc><lastmod>2024-01-01</lastmod></url>\n"
      "  <url>\n    <loc><![CDATA[http://h/b]]></loc>\n    <priority>0.5</priority>\n  </url>\n"
      "  <url><loc>http://h/&#x63;&#100;</loc></url>\n"
      "  <loc>http://outside/</loc>\n"
      "  <url><loc></loc></url>\n"
      "</urlset>\n");
  REQUIRE(s);
  CHECK(s->kind == SitemapKind::kUrlset);
  CHECK(s->locs == std::vector<std::string>{"http://h/a?x=1&y=2", "http://h/b", "http://h/cd"});
}

TEST_CASE("a sitemapindex, with namespace prefixes") {
  auto s = ParseSitemap(
      "<sm:sitemapindex xmlns:sm=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
      "<sm:sitemap><sm:loc>http://h/1.xml</sm:loc></sm:sitemap>"
      "<sm:sitemap><sm:loc>http://h/2.xml.gz</sm:loc><sm:lastmod>x</sm:lastmod></sm:sitemap>"
      "</sm:sitemapindex>");
  REQUIRE(s);
  CHECK(s->kind == SitemapKind::kIndex);
  CHECK(s->locs == std::vector<std::string>{"http://h/1.xml", "http://h/2.xml.gz"});
}

TEST_CASE("not a sitemap: HTML, text, JSON, empty") {
  auto html = ParseSitemap("<!doctype html><html><body>hi</body></html>");
  REQUIRE_FALSE(html);
  CHECK(html.error().message == "not a sitemap (root element <html>)");
  auto text = ParseSitemap("User-agent: *\nDisallow: /\n");
  REQUIRE_FALSE(text);
  CHECK(text.error().message == "not a sitemap (not XML)");
  CHECK_FALSE(ParseSitemap("{\"urls\": []}"));
  CHECK_FALSE(ParseSitemap(""));
  CHECK_FALSE(ParseSitemap("\x1f\x8b\x08\x00"));
}

TEST_CASE("50,000 URLs are fine - one more is refused") {
  std::string body = "<urlset>";
  for (size_t i = 0; i < kSitemapMaxUrls; ++i) body += "<url><loc>http://h/" + std::to_string(i) + "</loc></url>";
  auto ok = ParseSitemap(body + "</urlset>");
  REQUIRE(ok);
  CHECK(ok->locs.size() == kSitemapMaxUrls);
  auto over = ParseSitemap(body + "<url><loc>http://h/x</loc></url></urlset>");
  REQUIRE_FALSE(over);
  CHECK(over.error().message == "more than 50000 URLs (the protocol's limit)");
}

TEST_CASE("gzip: detected by magic, inflated, capped") {
  const std::string xml = "<urlset><url><loc>http://h/a</loc></url></urlset>";
  std::string gz = Gzip(xml);
  CHECK(IsGzip(gz));
  CHECK_FALSE(IsGzip(xml));
  auto out = Gunzip(gz, 1000);
  REQUIRE(out);
  CHECK(*out == xml);
  auto capped = Gunzip(gz, 10);
  REQUIRE_FALSE(capped);
  CHECK(capped.error().message.find("larger than 10 bytes") != std::string::npos);
  CHECK_FALSE(Gunzip(gz.substr(0, gz.size() / 2), 1000));
  CHECK_FALSE(Gunzip("\x1f\x8bnot really", 1000));
  // Two members in a row, as `cat a.gz b.gz` makes.
  auto two = Gunzip(Gzip("ab") + Gzip("cd"), 100);
  REQUIRE(two);
  CHECK(*two == "abcd");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::parser
