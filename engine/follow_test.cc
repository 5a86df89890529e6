#include "engine/follow.h"

#include <doctest/doctest.h>

#include "engine/engine_fakes.h"

namespace forage::engine {
namespace {

using testing::Recs;

Plan ListPlan(int pages) {
  Plan plan;
  uint32_t host = plan.InternHost("http://h");
  for (int i = 1; i <= pages; ++i) plan.Add(PageTask{static_cast<uint64_t>(i), "http://h/list/" + std::to_string(i), host});
  return plan;
}

TEST_SUITE("engine.follow") {

TEST_CASE("a list page registers its links once, a root completes when all below it are done") {
  Plan plan = ListPlan(2);
  PageBook book(plan.size());
  FollowTree tree(&plan, &book, 1, 1);  // records: [name, link]
  CHECK(tree.RulesFor(0) == 0);
  book.Lease(0, 0);
  book.Hold(0, Recs({{"A", R"(["http://h/d/1#top"])"}, {"B", R"(["http://h/d/2"])"}, {"C", R"(["http://h/d/1"])"},
                     {"D", R"(["http://h/list/2"])"}}));  // a fragment, a repeat, a plan page
  std::vector<uint64_t> added;
  std::vector<FollowTree::Completed> done;
  tree.Finish(0, true, &added, &done);
  book.Settle(0, true);
  CHECK(added == std::vector<uint64_t>{2, 3});
  CHECK(plan.url(2) == "http://h/d/1");
  CHECK(plan.page_number(2) == 1);  // a follow-up carries its root's page number
  CHECK(book.root(3) == 0);
  CHECK(tree.RulesFor(3) == 1);
  CHECK(done.empty());  // two detail pages still open

  book.Lease(3, 0);
  book.Hold(3, Recs({{"d2"}}));
  tree.Finish(3, true, &added, &done);
  book.Settle(3, true);
  CHECK(done.empty());
  book.Lease(2, 0);
  book.Hold(2, Recs({{"d1"}}));
  tree.Finish(2, true, &added, &done);
  book.Settle(2, true);
  REQUIRE(done.size() == 1);
  CHECK(done[0].root == 0);
  CHECK(done[0].ok);
  // In the order the pages were found, each prefixed with its item's fields.
  REQUIRE(done[0].records.size() == 2);
  CHECK(*done[0].records[0].values[0] == "A");
  CHECK(*done[0].records[0].values[1] == "d1");
  CHECK(*done[0].records[1].values[0] == "B");
  CHECK(*done[0].records[1].values[1] == "d2");
}

TEST_CASE("issue 10: a detail page whose worker died holds only its last attempt's records") {
  Plan plan = ListPlan(1);
  PageBook book(plan.size());
  FollowTree tree(&plan, &book, 1, 1);
  std::vector<uint64_t> added;
  std::vector<FollowTree::Completed> done;
  book.Lease(0, 0);
  book.Hold(0, Recs({{"A", R"(["http://h/d/1"])"}}));
  tree.Finish(0, true, &added, &done);
  book.Settle(0, true);
  REQUIRE(added == std::vector<uint64_t>{1});
  book.Lease(1, 0);
  book.Hold(1, Recs({{"d1"}}));
  book.Requeue(1, false);  // the worker died before the page was done
  book.Lease(1, 1);
  book.Hold(1, Recs({{"d1"}}));
  tree.Finish(1, true, &added, &done);
  book.Settle(1, true);
  REQUIRE(done.size() == 1);
  CHECK(done[0].records.size() == 1);
}

TEST_CASE("a failed root completes without records, a failed detail page drops only its own") {
  Plan plan = ListPlan(2);
  PageBook book(plan.size());
  FollowTree tree(&plan, &book, 1, 1);
  std::vector<uint64_t> added;
  std::vector<FollowTree::Completed> done;
  tree.Finish(1, false, &added, &done);
  REQUIRE(done.size() == 1);
  CHECK(done[0].root == 1);
  CHECK_FALSE(done[0].ok);
  done.clear();
  book.Lease(0, 0);
  book.Hold(0, Recs({{"A", R"(["http://h/d/1"])"}, {"B", R"(["http://h/d/2"])"}}));
  tree.Finish(0, true, &added, &done);
  tree.Finish(2, false, &added, &done);
  book.Lease(3, 0);
  book.Hold(3, Recs({{"d2"}}));
  tree.Finish(3, true, &added, &done);
  REQUIRE(done.size() == 1);
  REQUIRE(done[0].records.size() == 1);
  CHECK(*done[0].records[0].values[0] == "B");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
