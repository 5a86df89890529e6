#include "engine/page_book.h"

#include <doctest/doctest.h>

#include "engine/engine_fakes.h"

namespace forage::engine {
namespace {

using testing::Recs;

TEST_SUITE("engine.page_book") {

TEST_CASE("a page goes pending, fetching, processing, done, each plan page is its own root") {
  PageBook book(3);
  CHECK(book.size() == 3);
  CHECK(book.root(2) == 2);
  CHECK(book.state(1) == PageState::kPending);
  book.Lease(1, 4);
  CHECK(book.state(1) == PageState::kFetching);
  CHECK(book.owner(1) == 4);
  book.MarkFetched(1);
  CHECK(book.state(1) == PageState::kProcessing);
  book.Hold(1, Recs({{"a"}}));
  book.Hold(1, Recs({{"b"}}));  // a page may send its records in several frames
  auto held = book.TakeHeld(1);
  REQUIRE(held.size() == 2);
  CHECK(*held[1].values[0] == "b");
  book.Settle(1, true);
  CHECK(book.state(1) == PageState::kDone);
  CHECK(book.owner(1) == -1);
  CHECK(book.settled_count() == 1);
  book.Settle(1, false);  // settling twice changes nothing
  CHECK(book.state(1) == PageState::kDone);
  CHECK(book.settled_count() == 1);
  CHECK_FALSE(book.all_settled());
  book.Settle(0, false);
  book.Settle(2, true);
  CHECK(book.all_settled());
}

TEST_CASE("Requeue forgets what the page sent: its next attempt starts empty") {
  PageBook book(1);
  book.Lease(0, 0);
  book.Hold(0, Recs({{"half"}}));
  CHECK(book.holding() == 1);
  book.Requeue(0, false);  // its worker died
  CHECK(book.state(0) == PageState::kPending);
  CHECK(book.owner(0) == -1);
  CHECK(book.holding() == 0);
  book.Lease(0, 1);
  book.Hold(0, Recs({{"whole"}}));
  auto held = book.TakeHeld(0);
  REQUIRE(held.size() == 1);
  CHECK(*held[0].values[0] == "whole");

  SUBCASE("a retry waits, and counts its attempt") {
    book.Requeue(0, true);
    CHECK(book.state(0) == PageState::kWaiting);
    CHECK(book.CountAttempt(0) == 1);
    CHECK(book.attempts(0) == 1);
  }
}

TEST_CASE("records of a page not leased are ignored, settling drops what a page held") {
  PageBook book(2);
  book.Hold(0, Recs({{"stray"}}));
  CHECK(book.holding() == 0);
  book.Lease(1, 0);
  book.Hold(1, Recs({{"x"}}));
  book.Settle(1, false);
  CHECK(book.holding() == 0);
  CHECK(book.TakeHeld(1).empty());
}

TEST_CASE("follow-ups carry their root, depth and the linking item's fields") {
  PageBook book(2);
  uint64_t id = book.Add(1, 1, {std::string("item")});
  CHECK(id == 2);
  CHECK(book.root(id) == 1);
  CHECK(book.depth(id) == 1);
  REQUIRE(book.carried(id).size() == 1);
  CHECK(*book.carried(id)[0] == "item");
  CHECK(book.carried(0).empty());
  CHECK(book.CountCrash(id) == 1);
  CHECK(book.crashes(id) == 1);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
