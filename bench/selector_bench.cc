// selector_bench: what CSS matching costs next to parsing, on one page.
//
//   selector_bench FILE [ITERATIONS]
//
// Parses FILE once, then times, best and mean of ITERATIONS runs (thread
// CPU time), the seed's extraction (items .product, four fields) against
// Gumbo's parse of the same bytes, and prints their ratio. The target is a
// ratio under 10%: selectors must never be where a scrape's time goes.


#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "parser/extract.h"
#include "parser/html_document.h"

using forage::bench::CpuNow;

int main(int argc, char** argv) {
  auto read = forage::bench::ReadPageArg("selector_bench", argc, argv);
  if (!read) return 2;
  const std::string page = std::move(*read);
  const int iterations = argc > 2 ? std::max(1, std::atoi(argv[2])) : 500;
  auto rules = forage::bench::SeedRules();
  if (!rules) {
    std::fprintf(stderr, "selector_bench: %s\n", rules.error().message.c_str());
    return 2;
  }
  std::vector<double> parse, match;
  size_t items = 0;
  auto doc = forage::parser::HtmlDocument::Parse(page, "");
  for (int i = 0; i < iterations; ++i) {
    std::string copy = page;
    double t0 = CpuNow();
    auto d = forage::parser::HtmlDocument::Parse(std::move(copy), "");
    double t1 = CpuNow();
    items = forage::parser::Extract(doc, *rules, "").records.size();
    double t2 = CpuNow();
    parse.push_back(t1 - t0);
    match.push_back(t2 - t1);
  }
  std::sort(parse.begin(), parse.end());
  std::sort(match.begin(), match.end());
  double p = parse.front(), m = match.front();
  double pm = parse[parse.size() / 2], mm = match[match.size() / 2];
  std::printf("page %s: %zu bytes, %zu items, %d iterations\n", argv[1], page.size(), items,
              iterations);
  std::printf("parse    best %.3f ms  median %.3f ms\n", p * 1e3, pm * 1e3);
  std::printf("selectors (4 fields on every item)  best %.4f ms  median %.4f ms\n", m * 1e3,
              mm * 1e3);
  std::printf("matching / parse: %.1f%% (best), %.1f%% (median); target under 10%%\n",
              100 * m / p, 100 * mm / pm);
  return 0;
}
