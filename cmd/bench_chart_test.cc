#include "cmd/bench_chart.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

namespace forage::cmd {
namespace {

BenchRow Row(const char* mode, int workers, int concurrency, double wall, double lo, double hi) {
  BenchRow r;
  r.mode = mode;
  r.workers = workers;
  r.concurrency = concurrency;
  r.wall_s = wall;
  r.wall_min_s = lo;
  r.wall_max_s = hi;
  r.user_s = wall * 0.4;
  r.sys_s = wall * 0.1;
  r.pages = 48;
  r.runs = 3;
  return r;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::vector<BenchRow> Rows() {
  return {Row("sequential", 1, 1, 4.2, 4.0, 4.6), Row("async", 1, 16, 0.52, 0.50, 0.61),
          Row("hybrid", 2, 16, 0.47, 0.40, 0.58)};
}

const ChartContext kContext{"forage tune", "shop.toml (http://127.0.0.1:8080/shop/page/{page}/ "
                            "pages 1-48)", 2, "2026-11-27 12:34 UTC", 1};

// Big-endian 32 bits at `at`.
uint32_t Be32(const std::string& s, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

TEST_SUITE("cmd.bench_chart") {

TEST_CASE("the chart has axis units, a whisker per setting, a caption and the recommended mark") {
  const std::string svg = BenchSvg(Rows(), kContext);
  CHECK(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                  "version=\"1.1\" width=\"680\" height=\"440\"", 0) == 0);
  CHECK(Count(svg, ">time (seconds)</text>") == 1);
  CHECK(Count(svg, "setting (mode, workers, concurrency)") == 1);
  CHECK(Count(svg, "class=\"whisker\"") == 3);
  // The hybrid whisker runs from 0.58 s up to 0.40 s; axis 0-5 s over 230 px.
  CHECK(svg.find("d=\"M295.0 263.3 V271.6 M290.0 263.3 H300.0 M290.0 271.6 H300.0\"") !=
        std::string::npos);
  CHECK(Count(svg, "<g class=\"setting recommended\">") == 1);
  CHECK(Count(svg, ">recommended</text>") == 1);
  CHECK(Count(svg, ">recommended setting</text>") == 1);
  CHECK(svg.find("<text id=\"caption\" x=\"80\" y=\"406\" fill=\"#444\">job: shop.toml "
                 "(http://127.0.0.1:8080/shop/page/{page}/ pages 1-48)</text>\n"
                 "<text id=\"caption-machine\" x=\"80\" y=\"424\" fill=\"#444\">2 usable cores"
                 "   |   measured 2026-11-27 12:34 UTC</text>") != std::string::npos);
  CHECK(svg.find("concurrency 16: wall 0.520 s median, 0.500-0.610 s over 3 runs, 92.3 pages/s") !=
        std::string::npos);
  // No recommendation: no mark, no legend entry.
  ChartContext plain = kContext;
  plain.recommended = -1;
  const std::string unmarked = BenchSvg(Rows(), plain);
  CHECK(Count(unmarked, "recommended") == 0);
}

TEST_CASE("the chart escapes the job text and shortens a long one") {
  ChartContext c = kContext;
  c.job = "http://127.0.0.1:1/a?x=1&y=<2>" + std::string(300, 'z') + "/end";
  const std::string svg = BenchSvg(Rows(), c);
  CHECK(svg.find("x=1&amp;y=&lt;2&gt;") != std::string::npos);
  CHECK(svg.find("...") != std::string::npos);
  CHECK(svg.find("zz/end</text>") != std::string::npos);
  CHECK(svg.find(std::string(200, 'z')) == std::string::npos);
}

TEST_CASE("rsvg-convert renders the chart to a PNG of the chart's size") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("forage_chart_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<BenchRow> rows = Rows();
  for (int w = 3; w <= 9; ++w) rows.push_back(Row("hybrid", w, 64, 0.4, 0.3, 0.9));
  {
    std::ofstream(dir / "chart.svg") << BenchSvg(rows, kContext);
  }
  const std::string cmd = "rsvg-convert -o '" + (dir / "chart.png").string() + "' '" +
                          (dir / "chart.svg").string() + "' 2>'" + (dir / "err").string() + "'";
  const int rc = std::system(cmd.c_str());
  std::ifstream err_in(dir / "err");
  const std::string err((std::istreambuf_iterator<char>(err_in)), {});
  INFO(err);
  REQUIRE(rc == 0);
  std::ifstream png_in(dir / "chart.png", std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(png_in)), {});
  REQUIRE(png.size() > 5000);
  CHECK(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  CHECK(png.compare(12, 4, "IHDR") == 0);
  CHECK(Be32(png, 16) == static_cast<uint32_t>(ChartWidth(rows.size())));
  CHECK(Be32(png, 16) == 80 + 50 + 84 * 10);
  CHECK(Be32(png, 20) == static_cast<uint32_t>(kChartHeight));
  fs::remove_all(dir);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::cmd
