#include "engine/crawl.h"

#include <doctest/doctest.h>

namespace forage::engine {

TEST_CASE("NormaliseUrl: case, default port, dot segments, fragment, query kept") {
  CHECK(NormaliseUrl("HTTP://Example.COM:80/a/./b/../c?Q=1&b=2#frag") ==
        std::optional<std::string>("http://example.com/a/c?Q=1&b=2"));
  CHECK(NormaliseUrl("https://example.com:443/") == std::optional<std::string>("https://example.com/"));
  CHECK(NormaliseUrl("http://example.com:8080/x#") ==
        std::optional<std::string>("http://example.com:8080/x"));
  CHECK(NormaliseUrl("http://example.com") == std::optional<std::string>("http://example.com/"));
  CHECK_FALSE(NormaliseUrl("mailto:a@example.com"));
  CHECK_FALSE(NormaliseUrl("javascript:void(0)"));
  CHECK_FALSE(NormaliseUrl("tel:+441234"));
  CHECK_FALSE(NormaliseUrl("ftp://example.com/x"));
  CHECK_FALSE(NormaliseUrl("/relative"));
}

TEST_CASE("InScope: host is scheme, host and port") {
  const char* start = "http://a.test:8080/";
  CHECK(InScope(Scope::kHost, start, "http://a.test:8080/x?y"));
  CHECK_FALSE(InScope(Scope::kHost, start, "https://a.test:8080/x"));
  CHECK_FALSE(InScope(Scope::kHost, start, "http://a.test/x"));
  CHECK_FALSE(InScope(Scope::kHost, start, "http://b.a.test:8080/x"));
  CHECK(InScope(Scope::kAny, start, "https://elsewhere.test/"));
}

TEST_CASE("InScope: domain is the start's host (www. left out) or a subdomain") {
  const char* start = "https://www.example.com/";
  CHECK(InScope(Scope::kDomain, start, "http://example.com/x"));
  CHECK(InScope(Scope::kDomain, start, "https://shop.example.com:8443/x"));
  CHECK(InScope(Scope::kDomain, start, "https://www.example.com/y"));
  CHECK_FALSE(InScope(Scope::kDomain, start, "https://badexample.com/"));
  CHECK_FALSE(InScope(Scope::kDomain, start, "https://example.com.evil.test/"));
  CHECK_FALSE(InScope(Scope::kDomain, "http://127.0.0.1:8/", "http://127.0.0.2:8/"));
}

TEST_CASE("CheckDiscoveryFlags: bad regex, --next without a URL, bad scope") {
  Config c;
  c.crawl = true;
  c.allow = {"(unclosed"};
  auto st = CheckDiscoveryFlags(c);
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("--allow '(unclosed'") == 0);
  c.allow.clear();
  c.deny = {"[z-a]"};
  CHECK_FALSE(CheckDiscoveryFlags(c));
  c.deny.clear();
  CHECK(CheckDiscoveryFlags(c));
  c.crawl = false;
  c.next = "a.next";
  st = CheckDiscoveryFlags(c);
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("::attr(NAME)") != std::string::npos);
  c.next = "a.next::attr(href)";
  CHECK(CheckDiscoveryFlags(c));
  c.scope = "planet";
  CHECK_FALSE(CheckDiscoveryFlags(c));
}

TEST_CASE("Discovery: a --next chain is one root, ends at a revisit, records in chain order") {
  Config c;
  c.next = "a::attr(href)";
  Plan plan;
  plan.Add(PageTask{1, "http://h.test/1", plan.InternHost("http://h.test")});
  PageBook book(1);
  Discovery d(&plan, &book, c);
  std::vector<uint64_t> added;
  std::vector<RootRecords::Completed> completed;
  auto run = [&](uint64_t page, std::string value, std::vector<std::string> links) {
    book.Lease(page, 0);
    parser::Record r;
    r.values.push_back(std::move(value));
    book.Hold(page, {r});
    book.HoldLinks(page, std::move(links));
    d.Finish(page, true, &added, &completed);
    book.Settle(page, true);
  };
  run(0, "one", {"mailto:x", "http://h.test/2#top", "http://h.test/9"});
  REQUIRE(added == std::vector<uint64_t>{1});  // the first http link only
  CHECK(plan.url(1) == "http://h.test/2");
  CHECK(book.root(1) == 0);
  run(1, "two", {"http://H.test:80/1"});  // back to the start: the chain ends
  CHECK(added.size() == 1);
  REQUIRE(completed.size() == 1);
  CHECK(completed[0].root == 0);
  REQUIRE(completed[0].records.size() == 2);
  CHECK(completed[0].records[0].values[0] == "one");
  CHECK(completed[0].records[1].values[0] == "two");
}

TEST_CASE("Discovery: --crawl keeps scope, allow/deny, depth and max-pages") {
  Config c;
  c.crawl = true;
  c.deny = {"/private"};
  c.max_depth = 1;
  c.max_pages = 4;
  Plan plan;
  plan.Add(PageTask{1, "http://h.test/", plan.InternHost("http://h.test")});
  PageBook book(1);
  Discovery d(&plan, &book, c);
  std::vector<uint64_t> added;
  std::vector<RootRecords::Completed> completed;
  book.Lease(0, 0);
  parser::Record r;
  r.values.push_back(std::string("root"));
  book.Hold(0, {r});
  book.HoldLinks(0, {"http://h.test/a", "http://other.test/b", "http://h.test/private/x",
                     "http://h.test/a#again", "http://h.test/c", "http://h.test/d",
                     "http://h.test/e"});
  d.Finish(0, true, &added, &completed);
  book.Settle(0, true);
  REQUIRE(added.size() == 3);  // a, c, d: then 4 pages in all
  CHECK(plan.url(1) == "http://h.test/a");
  CHECK(plan.url(2) == "http://h.test/c");
  CHECK(plan.url(3) == "http://h.test/d");
  CHECK(book.depth(3) == 1);
  // A crawl's page goes out on its own, at once (not when its root's tree
  // is done): that is what lets --resume work page by page.
  REQUIRE(completed.size() == 1);
  CHECK(completed[0].root == 0);
  CHECK(completed[0].ok);
  REQUIRE(completed[0].records.size() == 1);
  CHECK(completed[0].records[0].values[0] == "root");
  // Depth 1 reached: a page at depth 1 registers nothing.
  book.Lease(1, 0);
  book.HoldLinks(1, {"http://h.test/zzz"});
  d.Finish(1, true, &added, &completed);
  CHECK(added.size() == 3);
  REQUIRE(completed.size() == 2);
  CHECK(completed[1].root == 1);  // the page itself, without records
  CHECK(completed[1].records.empty());
}

}  // namespace forage::engine
