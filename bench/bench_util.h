#pragma once
// What the parser micro-benchmarks share: thread CPU time (the worker's own
// clock), reading the page given on the command line, and the seed's rules.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "parser/extract.h"
#include "worker/cpu_clock.h"

namespace forage::bench {

inline double CpuNow() { return worker::ThreadCpuSeconds(); }

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
