#include "cmd/size.h"

#include <doctest/doctest.h>

namespace forage::cmd {
namespace {

TEST_SUITE("cmd.size") {

TEST_CASE("a plain number is MiB, units in powers of 1000 and 1024") {
  CHECK(*ParseSize("16") == 16ull << 20);
  CHECK(*ParseSize("400MB") == 400'000'000ull);
  CHECK(*ParseSize("2GiB") == 2ull << 30);
  CHECK(*ParseSize("2gib") == 2ull << 30);
  CHECK(*ParseSize("1.5GB") == 1'500'000'000ull);
  CHECK(*ParseSize("512KiB") == 512ull << 10);
  CHECK(*ParseSize("4096B") == 4096ull);
  CHECK(*ParseSize("0") == 0ull);
}

TEST_CASE("overflow, NaN, negatives and junk are errors, never a wrapped value") {
  // 2^44 MiB is 2^64 bytes: it used to wrap to 0.
  for (const char* bad : {"17592186044416", "99999999999999999999999", "5EiB", "nan", "inf",
                          "-1", "-1MiB", "", "MiB", "1.", ".5", "1e3", "2 GiB", "3parsecs"}) {
    CAPTURE(bad);
    auto r = ParseSize(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("400MB, 2GiB") != std::string::npos);
  }
  CHECK(ParseSize("17592186044416").error().message.find("too large") != std::string::npos);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::cmd
