#include "engine/recorder.h"

#include <doctest/doctest.h>

#include "engine/engine_fakes.h"

namespace forage::engine {
namespace {

using testing::FakeSink;
using testing::Recs;

TEST_SUITE("engine.recorder") {

TEST_CASE("each record is written once, a checkpoint carries the marks of the pages stored since "
          "the last one") {
  FakeSink sink;
  Recorder rec(&sink, {});
  REQUIRE(rec.Store(0, PageTask{1, "u1", 0}, true, Recs({{"a"}, {"b"}})));
  REQUIRE(rec.Store(1, PageTask{2, "u2", 0}, false, {}));
  CHECK(sink.rows == std::vector<std::string>{"a", "b"});
  CHECK(sink.pages == std::vector<uint64_t>{1, 1});
  CHECK(rec.unsaved() == 2);
  REQUIRE(rec.Checkpoint());
  REQUIRE(sink.marks.size() == 2);
  CHECK(sink.marks[0].page == 0);
  CHECK(sink.marks[0].ok);
  CHECK(sink.marks[1].page == 1);
  CHECK_FALSE(sink.marks[1].ok);
  CHECK(rec.unsaved() == 0);
  REQUIRE(rec.Checkpoint());  // nothing new: no mark twice
  CHECK(sink.marks.size() == 2);
  CHECK(sink.checkpoints == 2);
  CHECK(rec.items() == 2);
}

TEST_CASE("--key drops records seen before, and counts them") {
  FakeSink sink;
  Recorder rec(&sink, {0});
  REQUIRE(rec.Store(0, PageTask{1, "u", 0}, true, Recs({{"1", "x"}, {"2", "y"}})));
  REQUIRE(rec.Store(1, PageTask{2, "u", 0}, true, Recs({{"2", "z"}, {"3", "w"}})));
  CHECK(sink.rows == std::vector<std::string>{"1|x", "2|y", "3|w"});
  CHECK(rec.duplicates() == 1);
  CHECK(rec.items() == 3);

  SUBCASE("keys are length-prefixed: (ab, c) and (a, bc) differ") {
    FakeSink s2;
    Recorder r2(&s2, {0, 1});
    REQUIRE(r2.Store(0, PageTask{1, "u", 0}, true, Recs({{"ab", "c"}, {"a", "bc"}})));
    CHECK(r2.duplicates() == 0);
  }
}

TEST_CASE("fill rates: per column, the stored records with a non-empty value (duplicates not "
          "counted)") {
  FakeSink sink;
  Recorder rec(&sink, {0});
  auto recs = Recs({{"1", "x", "[]"}, {"2", "", "[\"a\"]"}, {"1", "dup", "[\"b\"]"}});
  recs[1].values[0] = std::nullopt;  // a missing value
  REQUIRE(rec.Store(0, PageTask{1, "u", 0}, true, recs));
  CHECK(rec.items() == 2);
  CHECK(rec.duplicates() == 1);
  CHECK(rec.filled() == std::vector<uint64_t>{1, 1, 1});
}

TEST_CASE("a sink error is returned and the page's mark is not recorded") {
  FakeSink sink;
  sink.fail_write_at = 2;
  Recorder rec(&sink, {});
  auto st = rec.Store(0, PageTask{1, "u", 0}, true, Recs({{"a"}, {"b"}}));
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message == "disk full");
  CHECK(rec.unsaved() == 0);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
