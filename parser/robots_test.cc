#include "parser/robots.h"

#include <doctest/doctest.h>

#include <string>

namespace forage::parser {
namespace {

TEST_CASE("robots: the forage group applies alone, else *, token case-insensitive") {
  const char* body =
      "User-agent: *\n"
      "Disallow: /\n"
      "\n"
      "User-agent: Forage/2.0\n"
      "User-agent: other\n"
      "Disallow: /private/\n";
  RobotsRules r = ParseRobots(body, "forage");
  CHECK(r.Allowed("/shop/"));
  CHECK_FALSE(r.Allowed("/private/x"));
  RobotsRules star = ParseRobots(body, "nobody");
  CHECK_FALSE(star.Allowed("/shop/"));
  // "forage-bot" is another product token, not ours.
  CHECK(ParseRobots("User-agent: forage-bot\nDisallow: /\n", "forage").Allowed("/"));
}

TEST_CASE("robots: groups for the same token are merged - rules before any group ignored") {
  const char* body =
      "Disallow: /early\n"
      "user-agent: forage\n"
      "disallow: /a\n"
      "user-agent: x\n"
      "disallow: /b\n"
      "USER-AGENT: FORAGE\n"
      "DISALLOW: /c\n";
  RobotsRules r = ParseRobots(body, "forage");
  CHECK(r.rule_count() == 2);
  CHECK_FALSE(r.Allowed("/a"));
  CHECK(r.Allowed("/b"));
  CHECK_FALSE(r.Allowed("/c/d"));
  CHECK(r.Allowed("/early"));
}

TEST_CASE("robots: longest match wins, Allow on a tie (RFC 9309 5.2 example)") {
  const char* body =
      "User-agent: *\n"
      "Allow: /p\n"
      "Disallow: /\n"
      "Disallow: /folder/\n"
      "Allow: /folder/page\n"
      "Allow: /tie\n"
      "Disallow: /tie\n";
  RobotsRules r = ParseRobots(body, "forage");
  CHECK(r.Allowed("/page"));
  CHECK_FALSE(r.Allowed("/other"));
  CHECK_FALSE(r.Allowed("/folder/x"));
  CHECK(r.Allowed("/folder/page.html"));
  CHECK(r.Allowed("/tie"));
  CHECK(r.Allowed("/robots.txt"));  // always
}

TEST_CASE("robots: * and $ (RFC 9309 2.2.3)") {
  RobotsRules r = ParseRobots(
      "User-agent: *\nDisallow: /*.php$\nDisallow: /fish*.gif\nAllow: /$\nDisallow: /\n"
      "Allow: /ok*\n",
      "forage");
  CHECK(r.Allowed("/"));
  CHECK_FALSE(r.Allowed("/index.html"));
  CHECK(r.Allowed("/ok/anything"));
  CHECK(RobotsPatternMatches("/*.php$", "/a/b.php"));
  CHECK_FALSE(RobotsPatternMatches("/*.php$", "/a/b.php?x=1"));
  CHECK_FALSE(RobotsPatternMatches("/*.php$", "/a/b.phps"));
  CHECK(RobotsPatternMatches("/fish*.gif", "/fish/salmon.gif"));
  CHECK(RobotsPatternMatches("/fish*.gif", "/fishheads.gif?x"));
  CHECK_FALSE(RobotsPatternMatches("/fish*.gif", "/Fish.gif"));
  CHECK(RobotsPatternMatches("/*", "/"));
  CHECK(RobotsPatternMatches("*$", "/anything"));
  CHECK(RobotsPatternMatches("/a*b*c$", "/a-b-b-c"));
  CHECK_FALSE(RobotsPatternMatches("/a*b*c$", "/a-b-b-cd"));
  CHECK(RobotsPatternMatches("/x", "/x/y"));
  CHECK_FALSE(RobotsPatternMatches("/x/", "/x"));
}

TEST_CASE("robots: percent-encoding (RFC 9309 2.2.2 table)") {
  CHECK(NormalizeRobotsPath("/foo/bar/\xE3\x83\x84") == "/foo/bar/%E3%83%84");
  CHECK(NormalizeRobotsPath("/a%e3%83%84") == "/a%E3%83%84");
  RobotsRules r = ParseRobots(
      "User-agent: *\nDisallow: /foo/bar?baz=quz\nDisallow: /foo/bar/\xE3\x83\x84\n"
      "Disallow: /e/%E3%83%84\nDisallow: /x/%62%61%7A\n",
      "forage");
  CHECK_FALSE(r.Allowed("/foo/bar?baz=quz"));
  CHECK(r.Allowed("/foo/bar?baz=other"));
  CHECK_FALSE(r.Allowed("/foo/bar/%E3%83%84"));
  CHECK_FALSE(r.Allowed("/foo/bar/%e3%83%84"));
  CHECK_FALSE(r.Allowed("/e/\xE3\x83\x84"));
  CHECK_FALSE(r.Allowed("/x/%62%61%7A"));
  CHECK(r.Allowed("/x/baz"));  // an escape is never decoded
}

TEST_CASE("robots: comments, blanks, CRLF, BOM, empty Disallow, unknown keys") {
  const char* body =
      "\xEF\xBB\xBFUser-agent: * # everyone\r\n"
      "Foo: bar\r\n"
      "Disallow:\r\n"
      "Disallow: /no # not here\r\n"
      "no colon line\r\n"
      "Crawl-delay: 2.5\r\n"
      "Sitemap: http://h/s.xml\r\n";
  RobotsRules r = ParseRobots(body, "forage");
  CHECK(r.rule_count() == 1);
  CHECK(r.Allowed("/yes"));
  CHECK_FALSE(r.Allowed("/no/x"));
  REQUIRE(r.crawl_delay().has_value());
  CHECK(*r.crawl_delay() == 2.5);
  REQUIRE(r.sitemaps().size() == 1);
  CHECK(r.sitemaps()[0] == "http://h/s.xml");
  CHECK_FALSE(ParseRobots("User-agent: *\nCrawl-delay: soon\n", "forage").crawl_delay());
}

TEST_CASE("robots: Crawl-delay of the selected group only - sitemaps anywhere") {
  const char* body =
      "Sitemap: http://h/a.xml\n"
      "User-agent: *\nCrawl-delay: 9\n"
      "User-agent: forage\nCrawl-delay: 1\nDisallow: /d\nSitemap: http://h/b.xml\n";
  RobotsRules r = ParseRobots(body, "forage");
  CHECK(*r.crawl_delay() == 1);
  CHECK(r.sitemaps().size() == 2);
  CHECK(*ParseRobots(body, "zz").crawl_delay() == 9);
}

TEST_CASE("robots: AllowAll, DisallowAll, and only the first 500 KiB is parsed") {
  CHECK(RobotsRules::AllowAll().Allowed("/x"));
  CHECK_FALSE(RobotsRules::DisallowAll().Allowed("/x"));
  CHECK(RobotsRules::DisallowAll().Allowed("/robots.txt"));
  std::string body = "User-agent: *\nDisallow: /early\n";
  body += std::string(kRobotsMaxBytes, '#');
  body += "\nDisallow: /late\n";
  RobotsRules r = ParseRobots(body, "forage");
  CHECK_FALSE(r.Allowed("/early"));
  CHECK(r.Allowed("/late"));
}

TEST_CASE("robots: a hostile pattern is matched without blowing up") {
  std::string pattern = "/";
  for (int i = 0; i < 200; ++i) pattern += "a*";
  pattern += "b$";
  std::string path = "/" + std::string(5000, 'a');
  CHECK_FALSE(RobotsPatternMatches(pattern, path));
}

}  // namespace
}  // namespace forage::parser
