#include "cmd/duration.h"

#include <doctest/doctest.h>

namespace forage::cmd {
namespace {

TEST_SUITE("cmd.duration") {

TEST_CASE("durations carry a unit") {
  CHECK(*ParseDuration("250ms") == doctest::Approx(0.25));
  CHECK(*ParseDuration("2s") == doctest::Approx(2.0));
  CHECK(*ParseDuration("1.5s") == doctest::Approx(1.5));
  CHECK(*ParseDuration("1m") == doctest::Approx(60.0));
  CHECK(*ParseDuration("0s") == 0.0);
}

TEST_CASE("a bare number, a bad unit or junk is an error that shows the syntax") {
  for (const char* bad : {"30", "", "s", "1.s", ".5s", "2 s", "1x", "-1s", "1e3s", "ms",
                          "nan", "nans", "infs", "-nan", "99999999999999999999h"}) {
    CAPTURE(bad);
    auto r = ParseDuration(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("250ms, 2s, 1.5s, 1m") != std::string::npos);
  }
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::cmd
