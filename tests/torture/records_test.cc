// The torture's judge must be able to fail: duplicates, losses, foreign
// records and reordering are each told apart, and plans are reproducible.

#include "tests/torture/records.h"

#include <doctest/doctest.h>

#include "tests/test_support.h"
#include "tests/torture/plan.h"

namespace forage::torture {
namespace {

Records Rows(std::vector<std::string> rows) {
  Records r;
  r.readable = true;
  r.header = {"a", "b"};
  r.rows = std::move(rows);
  for (const auto& row : r.rows) r.bytes += row + "\n";
  return r;
}

TEST_SUITE("torture.records") {

TEST_CASE("the same rows in the same order are the same output") {
  CHECK(Compare(Rows({"1", "2", "3"}), Rows({"1", "2", "3"}), true).Same());
}

TEST_CASE("a duplicate, a loss and a foreign record are each counted") {
  Diff d = Compare(Rows({"1", "2", "3"}), Rows({"1", "2", "2", "9"}), false);
  CHECK(d.duplicates == 1);
  CHECK(d.missing == 1);
  CHECK(d.foreign == 1);
  CHECK_FALSE(d.Same());
}

TEST_CASE("order counts only when asked") {
  CHECK(Compare(Rows({"1", "2"}), Rows({"2", "1"}), false).Same());
  Diff d = Compare(Rows({"1", "2"}), Rows({"2", "1"}), true);
  CHECK(d.first_difference == 0);
  CHECK(d.duplicates == 0);
  CHECK_FALSE(d.Same());
}

TEST_CASE("rows repeated in the clean output must be repeated as often") {
  CHECK(Compare(Rows({"x", "x"}), Rows({"x", "x"}), false).Same());
  CHECK(Compare(Rows({"x", "x"}), Rows({"x"}), false).missing == 1);
  CHECK(Compare(Rows({"x", "x"}), Rows({"x", "x", "x"}), false).duplicates == 1);
}

TEST_CASE("an interrupted run's output must be a prefix or a sub-multiset") {
  CHECK(CheckPart(Rows({"1", "2", "3"}), Rows({"1", "2"}), true).empty());
  CHECK_FALSE(CheckPart(Rows({"1", "2", "3"}), Rows({"2"}), true).empty());
  CHECK(CheckPart(Rows({"1", "2", "3"}), Rows({"3", "1"}), false).empty());
  CHECK_FALSE(CheckPart(Rows({"1", "2", "3"}), Rows({"1", "1"}), false).empty());
}

TEST_CASE("CSV is read as records: a quoted CRLF stays inside its field") {
  std::string dir = testing::TempDir("torture_records");
  testing::WriteFile(dir + "/o.csv", "a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n");
  Records r = ReadRecords(dir + "/o.csv", Sink::kCsv, "o");
  REQUIRE(r.readable);
  CHECK(r.header == std::vector<std::string>{"a", "b"});
  CHECK(r.rows == std::vector<std::string>{"1\x1fx\r\ny", "2\x1fz"});
}

TEST_CASE("a cut JSONL line is a record of its own, so it shows up as foreign") {
  std::string dir = testing::TempDir("torture_records_jsonl");
  testing::WriteFile(dir + "/o.jsonl", "{\"a\":1}\n{\"a\":");
  Records r = ReadRecords(dir + "/o.jsonl", Sink::kJsonl, "o");
  CHECK(r.rows == std::vector<std::string>{"{\"a\":1}", "{\"a\":"});
}

TEST_CASE("a seed and an index give the same plan every time") {
  Plan a = DrawPlan(IterationSeed(77, 14), 30);
  Plan b = DrawPlan(IterationSeed(77, 14), 30);
  CHECK(a.Describe() == b.Describe());
  CHECK(a.Describe() != DrawPlan(IterationSeed(77, 15), 30).Describe());
  CHECK_FALSE(a.faults.empty());
  CHECK(a.faults.size() <= 3);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::torture
