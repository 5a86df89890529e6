// forage bench and forage tune on a small fixture job.

#include <doctest/doctest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>

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

// Big-endian 32 bits of a PNG header.
uint32_t Be32(const std::string& s, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// The line of `text` that starts with `prefix`, or empty.
std::string LineOf(const std::string& text, const std::string& prefix) {
  size_t at = text.rfind("\n" + prefix);
  if (text.rfind(prefix, 0) == 0) at = 0; else if (at != std::string::npos) ++at;
  if (at == std::string::npos) return {};
  return text.substr(at, text.find('\n', at) - at);
}

// Renders `svg` with rsvg-convert (librsvg2-bin): a chart it cannot draw
// fails the test. Checks the PNG's size against the SVG's own.
void CheckRenders(const std::string& svg, const std::string& dir, int width, int height) {
  const std::string png_path = dir + "/chart.png";
  auto render = RunProcess({"/usr/bin/env", "rsvg-convert", "-o", png_path, svg});
  INFO(render.err);
  REQUIRE(render.exit_code == 0);
  CHECK(render.err.empty());
  const std::string png = ReadFile(png_path);
  REQUIRE(png.size() > 5000);  // bars, text and lines, not an empty canvas
  CHECK(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  CHECK(png.compare(12, 4, "IHDR") == 0);
  CHECK(Be32(png, 16) == static_cast<uint32_t>(width));
  CHECK(Be32(png, 20) == static_cast<uint32_t>(height));
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
  CHECK(Count(svg, "class=\"whisker\"") == 4);
  CHECK(Count(svg, "<g class=\"setting recommended\">") == 1);
  CHECK(svg.find("job: job.toml (" + fx.url() + "shop/page/{page}/ pages 1-6)</text>") !=
        std::string::npos);
  CheckRenders(dir + "/b.svg", dir, 680, 440);
}

TEST_CASE("forage tune sweeps and recommends flags") {
  Fixture fx({"--delay", "20"});
  std::string dir = TempDir("tune");
  auto r = RunProcess({ForageBin(), "tune", SmallJob(fx, dir), "--max-workers", "2", "--sample",
                       "4", "--repeat", "2"});
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

TEST_CASE("forage tune takes run's flags without a job file and writes a chart rsvg-convert renders") {
  Fixture fx({"--delay", "10"});
  std::string dir = TempDir("tune_flags");
  const std::string url = fx.url() + "shop?page={page}";
  auto r = RunProcess({ForageBin(), "tune", "--url", url, "--pages", "1-48", "--items", ".product",
                       "--field", "id=.add_to_cart_button::attr(data-product_id)", "--field",
                       "name=h2", "--sample", "3", "--workers-list", "1,2", "--concurrency-list",
                       "2,16", "--repeat", "2", "--svg", dir + "/t.svg", "--json", dir + "/t.json",
                       "--md", dir + "/t.md"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Two runs of each of the four settings, interleaved.
  CHECK(Count(r.err, "forage tune: run 1 of 2: ") == 4);
  CHECK(Count(r.err, "forage tune: run 2 of 2: ") == 4);
  CHECK(r.err.find("forage tune: run 2 of 2: workers 1 concurrency 2\n") >
        r.err.find("forage tune: run 1 of 2: workers 2 concurrency 16\n"));

  auto j = nlohmann::json::parse(ReadFile(dir + "/t.json"));
  REQUIRE(j["rows"].size() == 4);
  for (auto& row : j["rows"]) {
    CHECK(row["runs"] == 2);
    CHECK(row["pages"] == 3);
    CHECK(row["items"] == 48);
    CHECK(row["wall_min_s"].get<double>() <= row["wall_s"].get<double>());
    CHECK(row["wall_s"].get<double>() <= row["wall_max_s"].get<double>());
  }
  CHECK(j["job"] == url + " pages 1-48");
  CHECK(j["per_host_raised"] == true);
  const int workers = j["recommended"]["workers"], concurrency = j["recommended"]["concurrency"];
  const std::string flags = fmt::format("--workers {} --concurrency {}{}", workers, concurrency,
                                        concurrency > 8 ? " --per-host 16" : "");
  CHECK(j["recommended"]["flags"] == flags);
  CHECK(LineOf(r.out, "recommended: ").rfind("recommended: " + flags + "   (job file: workers = ", 0) ==
        0);
  CHECK(LineOf(r.out, "why: median ") != "");
  CHECK(LineOf(r.out, "rule: faster beyond the noise = a lower median wall time by more than both "
                      "min-max spreads together and by more than 5%") != "");
  const std::string scaling = LineOf(r.out, "scaling: ");
  CHECK((scaling.rfind("scaling: more workers help: ", 0) == 0 ||
         scaling.rfind("scaling: the job is IO-bound: ", 0) == 0 ||
         scaling.rfind("scaling: the job is CPU-heavy ", 0) == 0));
  CHECK(j["scaling"] != "unknown");
  CHECK(LineOf(r.out, "per-host: raised with the swept concurrency (the job's per-host cap of 8 "
                      "would hold it back); give --per-host to sweep under a fixed cap") != "");
  CHECK(ReadFile(dir + "/t.md").find(LineOf(r.out, "recommended: ")) != std::string::npos);

  const std::string svg = ReadFile(dir + "/t.svg");
  CHECK(Count(svg, "class=\"whisker\"") == 4);
  CHECK(Count(svg, "<g class=\"setting recommended\">") == 1);
  CHECK(Count(svg, ">recommended setting</text>") == 1);
  CHECK(Count(svg, ">time (seconds)</text>") == 1);
  CHECK(svg.find("job: " + url + " pages 1-48</text>") != std::string::npos);
  CHECK(svg.find(" usable core") != std::string::npos);
  // The recommended group is the one of the recommended setting.
  const size_t mark = svg.find("<g class=\"setting recommended\">");
  CHECK(svg.find(fmt::format("<title>{} workers, concurrency {}: wall", workers, concurrency), mark) ==
        svg.find("<title>", mark));
  auto xml = RunProcess({"/usr/bin/env", "python3", "-c",
                         "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])", dir + "/t.svg"});
  CHECK(xml.exit_code == 0);
  CheckRenders(dir + "/t.svg", dir, 680, 440);
}

TEST_CASE("forage tune with a job file: flags override it, and a given per-host is kept") {
  Fixture fx;
  std::string dir = TempDir("tune_job");
  auto r = RunProcess({ForageBin(), "tune", SmallJob(fx, dir), "--pages", "2-3", "--per-host", "2",
                       "--workers-list", "1", "--concurrency-list", "1,4", "--repeat", "1",
                       "--json", dir + "/t.json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(ReadFile(dir + "/t.json"));
  REQUIRE(j["rows"].size() == 2);
  CHECK(j["rows"][0]["pages"] == 2);
  CHECK(j["rows"][0]["items"] == 32);
  CHECK(j["job"] == "job.toml (" + fx.url() + "shop/page/{page}/ pages 2-3)");
  CHECK(j["per_host_raised"] == false);
  CHECK(j["scaling"] == "unknown");
  CHECK(LineOf(r.out, "per-host: ") ==
        "per-host: capped at 2 as given: on one host, concurrency above 2 cannot be faster");
  CHECK(LineOf(r.out, "scaling: ") ==
        "scaling: only one worker count was measured; give --max-workers 2 or more to see whether "
        "workers help");
}

TEST_CASE("forage bench takes run's flags without a job file") {
  Fixture fx;
  std::string dir = TempDir("bench_flags");
  auto r = RunProcess({ForageBin(), "bench", "--url", fx.url() + "shop/page/{page}/", "--pages",
                       "1-2", "--items", ".product", "--field", "name=h2", "-c", "4",
                       "--workers-list", "2", "--repeat", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("| async | 1 | 4 |") != std::string::npos);
  CHECK(r.out.find("every mode produced the same 32 records from 2 pages") != std::string::npos);
  CHECK(LineOf(r.out, "recommended: --workers ") != "");
}

TEST_CASE("forage tune flag errors point at tune's help") {
  auto r = RunProcess({ForageBin(), "tune", "--url", "http://127.0.0.1:9/{page}", "--items", "li",
                       "--field", "a=b"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "forage: error: --pages is required with --url\n"
                 "forage: see 'forage tune --help' and docs/cli.md\n");
  auto typo = RunProcess({ForageBin(), "tune", "--url", "http://127.0.0.1:9/{page}", "--pages",
                          "1", "--items", "li", "--field", "a=b", "--repat", "2"});
  CHECK(typo.exit_code == 2);
  CHECK(typo.err == "forage: error: unknown flag '--repat' (did you mean --repeat?)\n"
                    "forage: see 'forage tune --help' and docs/cli.md\n");
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
