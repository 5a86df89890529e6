// Polite, robust fetching: rates, retries, timeouts, caps.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

nlohmann::json Report(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

TEST_SUITE("e2e.fetch") {

TEST_CASE("--rate 20: 48 pages take at least 47 intervals of 50 ms, with every row") {
  Fixture fx;
  std::string dir = TempDir("rate");
  auto argv = SeedJob(fx);
  argv.insert(argv.end(), {"--rate", "20", "--workers", "2", "-o", dir + "/out.csv", "--report",
                           dir + "/report.json", "--quiet"});
  auto r = RunProcess(argv);
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  // Leases to one host are spaced by 1/rate at least: 47 gaps of 50 ms.
  CHECK(rep["wall_s"].get<double>() >= 2.35);
  CHECK(rep["items"] == 755);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == ParseCsv(GoldenShopCsv(fx)));
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
