// parse_bench: what one core can do with one page, the physical limit of S3.
//
//   parse_bench FILE [ITERATIONS]
//
// Prints, best and mean of ITERATIONS runs, the CPU time to
//   parse    Gumbo alone (HtmlDocument::Parse)
//   extract  the seed's four fields on the parsed page
//   both     what a worker does per page
// and the pages per second per core that each allows.


#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "parser/extract.h"
#include "parser/html_document.h"

namespace {

using forage::bench::CpuNow;

struct Stat {
  std::vector<double> samples;
  double best() const { return *std::min_element(samples.begin(), samples.end()); }
  double mean() const {
    double s = 0;
    for (double v : samples) s += v;
    return s / static_cast<double>(samples.size());
  }
};

void Print(const char* name, const Stat& s) {
  std::printf("%-8s best %7.3f ms  mean %7.3f ms  -> %7.0f pages/s per core (best)\n", name,
              s.best() * 1e3, s.mean() * 1e3, 1.0 / s.best());
}

}  // namespace

int main(int argc, char** argv) {
  auto read = forage::bench::ReadPageArg("parse_bench", argc, argv);
  if (!read) return 2;
  const std::string page = std::move(*read);
  const int iterations = argc > 2 ? std::max(1, std::atoi(argv[2])) : 200;

  auto rules = forage::bench::SeedRules();
  if (!rules) {
    std::fprintf(stderr, "parse_bench: %s\n", rules.error().message.c_str());
    return 2;
  }

  Stat parse, extract, both;
  size_t items = 0;
  for (int i = 0; i < iterations; ++i) {
    std::string copy = page;  // outside the timed region, as the worker owns its body
    double t0 = CpuNow();
    auto doc = forage::parser::HtmlDocument::Parse(std::move(copy));
    double t1 = CpuNow();
    auto records = forage::parser::Extract(doc, *rules);
    double t2 = CpuNow();
    items = records.size();
    parse.samples.push_back(t1 - t0);
    extract.samples.push_back(t2 - t1);
    both.samples.push_back(t2 - t0);
  }
  std::printf("page: %s, %zu bytes, %zu items, %d iterations\n", argv[1], page.size(), items,
              iterations);
  Print("parse", parse);
  Print("extract", extract);
  Print("both", both);
  std::printf("extract / parse: %.1f%% (best), %.1f%% (mean)\n",
              100.0 * extract.best() / parse.best(), 100.0 * extract.mean() / parse.mean());
  return 0;
}
