#include "engine/plan.h"

#include <doctest/doctest.h>

namespace forage::engine {
namespace {

TEST_SUITE("engine.plan") {

TEST_CASE("page lists: ranges, single pages and mixes, in the order given") {
  CHECK(*ParsePageList("1-3") == std::vector<uint64_t>{1, 2, 3});
  CHECK(*ParsePageList("7") == std::vector<uint64_t>{7});
  CHECK(*ParsePageList("1-2,15,20-21") == std::vector<uint64_t>{1, 2, 15, 20, 21});
  CHECK(*ParsePageList(" 4 - 5 , 9 ") == std::vector<uint64_t>{4, 5, 9});
}

TEST_CASE("bad page lists name the problem") {
  auto msg = [](const char* spec) { return ParsePageList(spec).error().message; };
  CHECK(msg("") == "page list is empty");
  CHECK(msg("5-1").find("runs backwards") != std::string::npos);
  CHECK(msg("1-x").find("'x' is not a page number") != std::string::npos);
  CHECK(msg("0").find("pages start at 1") != std::string::npos);
  CHECK(msg("1,,2").find("'' is not a page number") != std::string::npos);
  CHECK(msg("1-3,2").find("page 2 is listed twice") != std::string::npos);
  CHECK(msg("1-999999999999").find("more than") != std::string::npos);
  CHECK(ParsePageList("-3").error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("origins are the per-host key, only http and https are accepted") {
  CHECK(*UrlOrigin("http://127.0.0.1:8080/shop/page/1/") == "http://127.0.0.1:8080");
  CHECK(*UrlOrigin("HTTPS://Example.COM/x?y") == "https://example.com");
  CHECK(*UrlOrigin("http://user:pw@host:1/") == "http://host:1");
  CHECK_FALSE(UrlOrigin("ftp://host/").has_value());
  CHECK_FALSE(UrlOrigin("file:///etc/passwd").has_value());
  CHECK_FALSE(UrlOrigin("http:///path").has_value());
  CHECK_FALSE(UrlOrigin("no scheme").has_value());
}

TEST_CASE("a plan expands every {page} and numbers hosts") {
  Config c;
  c.url_template = "http://h:1/p/{page}/?again={page}";
  c.pages = "2-3";
  auto plan = BuildPlan(c);
  REQUIRE(plan.has_value());
  REQUIRE(plan->size() == 2);
  CHECK(plan->url(0) == "http://h:1/p/2/?again=2");
  CHECK(plan->page(1).page_number == 3);
  CHECK(plan->page(1).url == "http://h:1/p/3/?again=3");
  CHECK(plan->hosts() == std::vector<std::string>{"http://h:1"});

  c.url_template = "http://h:1/p/";
  CHECK(BuildPlan(c).error().message.find("no {page} placeholder") != std::string::npos);
}

TEST_CASE("{page} in the host gives each page its own origin, follow-ups append") {
  Config c;
  c.url_template = "http://s{page}.example/p/";
  c.pages = "1-2";
  auto plan = BuildPlan(c);
  REQUIRE(plan.has_value());
  CHECK(plan->hosts() == std::vector<std::string>{"http://s1.example", "http://s2.example"});
  CHECK(plan->host_id(1) == 1);
  uint64_t id = plan->Add(PageTask{2, "http://other/x", plan->InternHost("http://other")});
  CHECK(id == 2);
  CHECK(plan->url(2) == "http://other/x");
  CHECK(plan->host_id(2) == 2);
  CHECK(plan->InternHost("http://s1.example") == 0);
}

TEST_CASE("a million template pages, and --limit-pages keeps the first ones") {
  Config c;
  c.url_template = "http://h/{page}";
  c.pages = "1-1000000";
  auto plan = BuildPlan(c);
  REQUIRE(plan.has_value());
  CHECK(plan->size() == 1000000);
  CHECK(plan->url(999999) == "http://h/1000000");
  c.limit_pages = 3;
  CHECK(BuildPlan(c)->size() == 3);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
