// forage bench and forage tune on a small fixture job.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

std::string SmallJob(const Fixture& fx, const std::string& dir) {
  std::string job = dir + "/job.toml";
  WriteFile(job, "url = \"" + fx.url() + "shop/page/{page}/\"\n"
                 "pages = \"1-6\"\n"
                 "items = \".product\"\n"
                 "concurrency = 8\n"
                 "[fields]\n"
                 "id = \".add_to_cart_button::attr(data-product_id)\"\n"
                 "name = \"h2\"\n");
  return job;
}

TEST_SUITE("e2e.bench") {

TEST_CASE("forage bench writes Markdown, JSON and SVG with every mode and equal counts") {
  Fixture fx({"--delay", "20"});
  std::string dir = TempDir("bench");
  auto r = RunProcess({ForageBin(), "bench", SmallJob(fx, dir), "--workers-list", "2,3",
                       "--repeat", "2", "--md", dir + "/b.md", "--json", dir + "/b.json",
                       "--svg", dir + "/b.svg"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("every mode produced the same 96 records from 6 pages") != std::string::npos);

  auto j = nlohmann::json::parse(ReadFile(dir + "/b.json"));
  REQUIRE(j["rows"].size() == 4);
  std::vector<std::string> modes;
  for (auto& row : j["rows"]) {
    modes.push_back(row["mode"]);
    CHECK(row["items"] == 96);
    CHECK(row["pages"] == 6);
    CHECK(row["wall_s"].get<double>() > 0);
  }
  CHECK(modes == std::vector<std::string>{"sequential", "async", "hybrid", "hybrid"});
  CHECK(j["rows"][0]["concurrency"] == 1);
  CHECK(j["rows"][1]["concurrency"] == 8);
  CHECK(j["rows"][3]["workers"] == 3);

  std::string md = ReadFile(dir + "/b.md");
  CHECK(md.find("| sequential | 1 | 1 |") != std::string::npos);
  CHECK(md.find("| hybrid | 3 | 8 |") != std::string::npos);

  // The chart is well-formed XML (checked by Python's parser) with a bar per
  // figure: wall and CPU for each of the four rows.
  std::string svg = ReadFile(dir + "/b.svg");
  auto xml = RunProcess({"/usr/bin/env", "python3", "-c",
                         "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); "
                         "print(len([r for r in d.getElementsByTagName('rect') "
                         "if r.getElementsByTagName('title')]))",
                         dir + "/b.svg"});
  REQUIRE(xml.exit_code == 0);
  CHECK(xml.out == "8\n");
}

TEST_CASE("forage tune sweeps and recommends flags") {
  Fixture fx({"--delay", "20"});
  std::string dir = TempDir("tune");
  auto r = RunProcess({ForageBin(), "tune", SmallJob(fx, dir), "--max-workers", "2", "--sample",
                       "4"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("recommended: --workers ") != std::string::npos);
  CHECK(r.out.find("(job file: workers = ") != std::string::npos);
  // Worker counts 1 and 2, by concurrencies 4, 8 (the job's), 16 and 64:
  // one table row per run (the header opens the output; the separator is |---).
  size_t runs = 0;
  for (size_t at = 0; (at = r.out.find("\n| ", at)) != std::string::npos; ++at) ++runs;
  CHECK(runs == 2 * 4);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
