// Bad input stops before any work: one line naming the problem, exit 2, no
// output file, and not one request reaches the site.

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

TEST_SUITE("e2e.bad_input") {

TEST_CASE("bad flags, URLs, ranges and selectors exit 2 before any request") {
  Fixture fx;
  std::string dir = TempDir("bad_input");
  std::string out = dir + "/out.csv";
  const std::string url = fx.url() + "shop/page/{page}/";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--url", fx.url() + "shop/page/1/", "--pages", "1-2"}, "has no {page} placeholder"},
      {{"--url", url, "--pages", "5-1"}, "range '5-1' runs backwards"},
      {{"--url", url, "--pages", "1-x"}, "'x' is not a page number"},
      {{"--url", url, "--pages", "0-3"}, "pages start at 1"},
      {{"--url", "ftp://127.0.0.1/{page}", "--pages", "1"}, "only http and https"},
      {{"--url", url, "--pages", "1", "--itmes", ".x"}, "unknown flag '--itmes' (did you mean --items?)"},
      {{"--url", url, "--pages", "1", "--timeout", "30"}, "duration '30': no unit"},
      {{"--url", url, "--pages", "1", "--workers", "many"}, "--workers 'many'"},
      {{"--url", url, "--pages", "1", "--rate", "nan"}, "--rate 'nan'"},
      {{"--url", url, "--pages", "1", "--rate", "inf"}, "--rate 'inf'"},
      {{"--url", url, "--pages", "1", "--max-body", "17592186044416"}, "--max-body: size"},
      {{"--url", url, "--pages", "1", "--worker-max-rss", "2GB!"}, "--worker-max-rss: size"},
      {{"--url", url, "--pages", "1", "--page-cpu-limit", "-1s"}, "--page-cpu-limit: duration"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {ForageBin(), "run"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    bool has_items = false;
    for (const auto& a : c.args) has_items |= a == "--itmes";
    if (!has_items) argv.insert(argv.end(), {"--items", ".product"});
    argv.insert(argv.end(), {"--field", "name=h2", "-o", out});
    CAPTURE(c.message);
    auto r = RunProcess(argv);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("forage: error: ") == 0);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK_FALSE(FileExists(out));
    CHECK_FALSE(FileExists(out + ".part"));
    CHECK_FALSE(FileExists(out + ".state"));
  }
  CHECK(fx.Stat("requests") == 0);
}

TEST_CASE("empty, unparsable and malformed selectors and fields exit 2") {
  Fixture fx;
  std::string dir = TempDir("bad_selectors");
  std::string out = dir + "/out.csv";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--items", "", "--field", "name=h2"}, "items"},
      {{"--items", "li..x", "--field", "name=h2"}, "li..x"},
      {{"--items", ".product", "--field", "name="}, "field 'name'"},
      {{"--items", ".product", "--field", "price=.price::attr("}, "field 'price'"},
      {{"--items", ".product", "--field", "=h2"}, "--field '=h2': expected NAME=SELECTOR"},
      {{"--items", ".product", "--field", "h2"}, "--field 'h2': expected NAME=SELECTOR"},
      {{"--items", ".product"}, "at least one --field"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv = {ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/",
                                     "--pages", "1-3", "-o", out};
    argv.insert(argv.end(), args.begin(), args.end());
    CAPTURE(message);
    auto r = RunProcess(argv);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(message) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') <= 2);
    CHECK_FALSE(FileExists(out));
  }
  CHECK(fx.Stat("requests") == 0);
}

TEST_CASE("an output path in a missing directory exits 2 before any request") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages",
                       "1", "--items", ".product", "--field", "name=h2", "-o",
                       "/nonexistent-dir/x.csv"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("open output '/nonexistent-dir/x.csv.part'") != std::string::npos);
  CHECK(fx.Stat("requests") == 0);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
