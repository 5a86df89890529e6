#include "engine/merger.h"

#include <doctest/doctest.h>

namespace forage::engine {
namespace {

std::vector<parser::Record> Recs(std::initializer_list<const char*> values) {
  std::vector<parser::Record> out;
  for (const char* v : values) out.push_back(parser::Record{{std::string(v)}});
  return out;
}

struct Collected {
  std::vector<std::string> values;
  std::vector<std::pair<uint64_t, bool>> pages;  // every page emitted, in order
  Merger::EmitFn Fn() {
    return [this](uint64_t page, bool ok, std::vector<parser::Record>&& rs) -> Status {
      pages.emplace_back(page, ok);
      for (auto& r : rs) values.push_back(*r.values[0]);
      return OkStatus();
    };
  }
};

TEST_SUITE("engine.merger") {

TEST_CASE("page order: later pages wait for earlier ones, failed pages are skipped") {
  Collected c;
  Merger m(Order::kPage, 4, c.Fn());
  REQUIRE(m.Commit(2, Recs({"c1", "c2"})));
  CHECK(c.values.empty());
  CHECK(m.held_pages() == 1);
  REQUIRE(m.Commit(0, Recs({"a1"})));
  CHECK(c.values == std::vector<std::string>{"a1"});
  REQUIRE(m.Skip(1));
  CHECK(c.values == std::vector<std::string>{"a1", "c1", "c2"});
  CHECK(m.cursor() == 3);
  REQUIRE(m.Commit(3, Recs({"d1", "d2"})));
  CHECK(c.values == std::vector<std::string>{"a1", "c1", "c2", "d1", "d2"});
  CHECK(m.held_pages() == 0);
  // Every page, the failed one too, was emitted once, in page order.
  CHECK(c.pages == std::vector<std::pair<uint64_t, bool>>{{0, true}, {1, false}, {2, true}, {3, true}});
}

TEST_CASE("pages stored by an earlier run are resolved without being emitted") {
  Collected c;
  Merger m(Order::kPage, 3, c.Fn());
  REQUIRE(m.Preresolve(0));
  REQUIRE(m.Preresolve(1));
  CHECK(m.cursor() == 2);
  REQUIRE(m.Commit(2, Recs({"c"})));
  CHECK(c.pages == std::vector<std::pair<uint64_t, bool>>{{2, true}});
}

TEST_CASE("arrival order writes at commit, a page is written once only") {
  Collected c;
  Merger m(Order::kArrival, 3, c.Fn());
  REQUIRE(m.Commit(2, Recs({"z"})));
  REQUIRE(m.Commit(1, Recs({"b"})));
  REQUIRE(m.Commit(1, Recs({"b"})));  // a duplicate commit writes nothing twice
  CHECK(c.values == std::vector<std::string>{"z", "b"});
  CHECK(m.cursor() == 0);
}

TEST_CASE("a sink error stops the merge and is returned") {
  Merger m(Order::kPage, 1, [](uint64_t, bool, std::vector<parser::Record>&&) -> Status {
    return Err(ErrorCode::kIo, "disk full");
  });
  auto st = m.Commit(0, Recs({"x"}));
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message == "disk full");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
