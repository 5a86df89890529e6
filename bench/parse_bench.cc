// parse_bench: what one core can do with one page, the physical limit of S3.
//
//   parse_bench FILE [ITERATIONS]
//
// Prints, best and mean of ITERATIONS runs, the CPU time to
//   decode   find the encoding and make UTF-8 (DecodeHtml; no HTTP header)
//   parse    Gumbo alone (HtmlDocument::Parse, into the reused arena)
//   extract  the seed's four fields on the parsed page
//   free     destroying the document (an arena reset)
//   both     parse + extract + free: what a worker does per page
// and the pages per second per core that each allows; then the same parse
// with Gumbo's default allocator (malloc, and gumbo_destroy_output to free),
// which is how pages were parsed before the arena.


#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <gumbo.h>

#include "bench/bench_util.h"
#include "parser/arena.h"
#include "parser/encoding.h"
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
  std::printf("%-15s best %7.3f ms  mean %7.3f ms  -> %7.0f pages/s per core (best)\n", name,
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

  Stat decode, parse, extract, free, both, malloc_parse, malloc_free, malloc_both;
  size_t items = 0;
  forage::parser::Arena arena;  // reused from page to page, as a worker does
  for (int i = 0; i < iterations; ++i) {
    // The copies are outside the timed regions, as the worker owns its body.
    std::string copy = page;
    double t0 = CpuNow();
    auto decoded = forage::parser::DecodeHtml(std::move(copy), "");
    decode.samples.push_back(CpuNow() - t0);

    copy = page;
    t0 = CpuNow();
    double t1 = 0, t2 = 0;
    {
      auto doc = forage::parser::HtmlDocument::Parse(std::move(copy), &arena);
      t1 = CpuNow();
      auto records = forage::parser::Extract(doc, *rules);
      t2 = CpuNow();
      items = records.size();
    }
    double t3 = CpuNow();
    parse.samples.push_back(t1 - t0);
    extract.samples.push_back(t2 - t1);
    free.samples.push_back(t3 - t2);
    both.samples.push_back(t3 - t0);

    GumboOptions options = kGumboDefaultOptions;
    options.max_errors = 0;
    t0 = CpuNow();
    GumboOutput* output = gumbo_parse_with_options(&options, page.data(), page.size());
    t1 = CpuNow();
    gumbo_destroy_output(&options, output);
    t2 = CpuNow();
    malloc_parse.samples.push_back(t1 - t0);
    malloc_free.samples.push_back(t2 - t1);
    malloc_both.samples.push_back(t2 - t0);
  }
  std::printf("page: %s, %zu bytes, %zu items, %d iterations\n", argv[1], page.size(), items,
              iterations);
  Print("decode", decode);
  Print("parse", parse);
  Print("extract", extract);
  Print("free", free);
  Print("both", both);
  Print("malloc parse", malloc_parse);
  Print("malloc free", malloc_free);
  Print("malloc p+free", malloc_both);
  std::printf("extract / parse: %.1f%% (best), %.1f%% (mean)\n",
              100.0 * extract.best() / parse.best(), 100.0 * extract.mean() / parse.mean());
  std::printf("arena parse+free / malloc parse+free: %.3f (best), %.3f (mean)\n",
              (parse.best() + free.best()) / malloc_both.best(),
              (parse.mean() + free.mean()) / malloc_both.mean());
  return 0;
}
