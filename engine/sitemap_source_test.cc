#include "engine/sitemap_source.h"

#include "parser/robots.h"
#include "parser/sitemap.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

namespace forage::engine {
namespace {

struct FakeSite {
  std::map<std::string, std::string> docs;
  std::vector<std::string> fetched;
  SitemapFetch Fetch() {
    return [this](const std::string& url, uint64_t cap) {
      fetched.push_back(url);
      worker::BlockingFetchResult r;
      r.transport_ok = true;
      auto it = docs.find(url);
      r.http_status = it == docs.end() ? 404 : 200;
      if (it != docs.end()) {
        r.body = it->second.substr(0, cap);
        r.truncated = it->second.size() > cap;
      }
      return r;
    };
  }
};

std::string Urlset(const std::vector<std::string>& locs) {
  std::string s = "<?xml version=\"1.0\"?><urlset>";
  for (const auto& l : locs) s += "<url><loc>" + l + "</loc></url>";
  return s + "</urlset>";
}

std::string Index(const std::vector<std::string>& locs) {
  std::string s = "<sitemapindex>";
  for (const auto& l : locs) s += "<sitemap><loc>" + l + "</loc></sitemap>";
  return s + "</sitemapindex>";
}

TEST_SUITE("engine.sitemap_source") {

TEST_CASE("nested indexes expand depth-first in document order - each page once") {
  FakeSite site;
  site.docs["http://h/index.xml"] = Index({"http://h/a.xml", "http://h/sub.xml", "http://h/c.xml"});
  site.docs["http://h/sub.xml"] = Index({"http://h/b.xml", "http://h/index.xml"});
  site.docs["http://h/a.xml"] = Urlset({"http://h/1", "http://h/2"});
  site.docs["http://h/b.xml"] = Urlset({"http://h/3", "http://h/1", "mailto:x@y"});
  site.docs["http://h/c.xml"] = Urlset({"http://h/4"});
  SitemapPages p = ExpandSitemaps({"http://h/index.xml"}, site.Fetch());
  CHECK(p.urls == std::vector<std::string>{"http://h/1", "http://h/2", "http://h/3", "http://h/4"});
  CHECK(p.failures.empty());
  CHECK(p.documents == 5);
}

TEST_CASE("the prefetch is told each list before it is read: new documents only, with their caps") {
  FakeSite site;
  site.docs["http://h/index.xml"] =
      Index({"http://h/a.xml", "http://h/sub.xml", "http://h/a.xml", "ftp://h/x.xml"});
  site.docs["http://h/sub.xml"] = Index({"http://h/b.xml", "http://h/index.xml", "http://h/robots.txt"});
  site.docs["http://h/a.xml"] = Urlset({"http://h/1"});
  site.docs["http://h/b.xml"] = Urlset({"http://h/2"});
  site.docs["http://h/robots.txt"] = "Sitemap: http://h/c.xml\n";
  site.docs["http://h/c.xml"] = Urlset({"http://h/3"});
  std::vector<std::vector<std::pair<std::string, uint64_t>>> told;
  SitemapPages p = ExpandSitemaps(
      {"http://h/index.xml"}, site.Fetch(), nullptr,
      [&](const std::vector<std::pair<std::string, uint64_t>>& docs) { told.push_back(docs); });
  CHECK(p.urls == std::vector<std::string>{"http://h/1", "http://h/2", "http://h/3"});
  const uint64_t map_cap = parser::kSitemapMaxBytes + 1;
  using Docs = std::vector<std::pair<std::string, uint64_t>>;
  REQUIRE(told.size() == 4);
  CHECK(told[0] == Docs{{"http://h/index.xml", map_cap}});
  // Each once, an http(s) URL only; what was read already is not told again.
  CHECK(told[1] == Docs{{"http://h/a.xml", map_cap}, {"http://h/sub.xml", map_cap}});
  CHECK(told[2] ==
        Docs{{"http://h/b.xml", map_cap}, {"http://h/robots.txt", parser::kRobotsMaxBytes}});
  CHECK(told[3] == Docs{{"http://h/c.xml", map_cap}});
  // What the fetch was asked, the same as without the prefetch.
  CHECK(site.fetched == std::vector<std::string>{"http://h/index.xml", "http://h/a.xml",
                                                 "http://h/sub.xml", "http://h/b.xml",
                                                 "http://h/robots.txt", "http://h/c.xml"});
}

TEST_CASE("failures are per sitemap: missing, not XML, too big - the rest still count") {
  FakeSite site;
  site.docs["http://h/index.xml"] =
      Index({"http://h/gone.xml", "http://h/html.xml", "http://h/big.xml", "http://h/ok.xml"});
  site.docs["http://h/html.xml"] = "<html><body>no</body></html>";
  site.docs["http://h/big.xml"] = std::string(parser::kSitemapMaxBytes + 10, ' ');
  site.docs["http://h/ok.xml"] = Urlset({"http://h/1"});
  SitemapPages p = ExpandSitemaps({"http://h/index.xml"}, site.Fetch());
  CHECK(p.urls == std::vector<std::string>{"http://h/1"});
  REQUIRE(p.failures.size() == 3);
  CHECK(p.failures[0].url == "http://h/gone.xml");
  CHECK(p.failures[0].reason == "sitemap: HTTP 404");
  CHECK(p.failures[1].reason == "sitemap: not a sitemap (root element <html>)");
  CHECK(p.failures[2].reason == "sitemap: larger than 52428800 bytes (the protocol's limit)");
}

TEST_CASE("robots.txt: its Sitemap: lines - and the keep filter") {
  FakeSite site;
  site.docs["http://h/robots.txt"] = "User-agent: *\nSitemap: http://h/a.xml\n";
  site.docs["http://h/a.xml"] = Urlset({"http://h/keep/1", "http://h/drop/2"});
  SitemapPages p = ExpandSitemaps({"http://h/robots.txt"}, site.Fetch(),
                                  [](const std::string& u) { return u.find("drop") == std::string::npos; });
  CHECK(p.urls == std::vector<std::string>{"http://h/keep/1"});
}

TEST_CASE("indexes nested deeper than 5 stop with a failure") {
  FakeSite site;
  for (int i = 0; i < 8; ++i) {
    site.docs["http://h/" + std::to_string(i) + ".xml"] =
        Index({"http://h/" + std::to_string(i + 1) + ".xml"});
  }
  SitemapPages p = ExpandSitemaps({"http://h/0.xml"}, site.Fetch());
  CHECK(p.urls.empty());
  REQUIRE(p.failures.size() == 1);
  CHECK(p.failures[0].url == "http://h/6.xml");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
