#pragma once
// What the parser micro-benchmarks share: thread CPU time, reading the page
// given on the command line, and the seed's extraction rules.

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "parser/extract.h"

namespace forage::bench {

inline double CpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The bytes of argv[1]; nullopt (after a message naming `tool`) when the
// arguments are wrong or the file cannot be read.
inline std::optional<std::string> ReadPageArg(const char* tool, int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [ITERATIONS]\n", tool);
    return std::nullopt;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read %s\n", tool, argv[1]);
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// SEEDS.md section 1: items .product, fields id, name, price, url.
inline Result<parser::Rules> SeedRules() {
  return parser::CompileRules(".product",
                              {{"id", ".add_to_cart_button::attr(data-product_id)"},
                               {"name", "h2"},
                               {"price", ".price"},
                               {"url", ".woocommerce-loop-product__link::attr(href)"}});
}

}  // namespace forage::bench
