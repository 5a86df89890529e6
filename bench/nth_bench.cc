// nth_bench: :nth-child() and its kin on long sibling lists.
//
//   nth_bench [MAX_SIBLINGS]
//
// For 10,000, 100,000 and 1,000,000 <li> under one <ul> (up to
// MAX_SIBLINGS), times SelectAll of `li:nth-child(2n+1)` and its kin
// (thread CPU time) and prints the cost per sibling, which must stay flat:
// counting siblings per element made it grow with the list (50,000
// siblings took 64 s, 1,000,000 never finished). Also :lang() on a page
// that declares no language: one look for <meta http-equiv=content-language>
// per query, not one walk of the document per element (20,000 elements took
// 3.5 s).

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "parser/html_document.h"
#include "parser/selector.h"

using forage::bench::CpuNow;

int main(int argc, char** argv) {
  const long max = argc > 1 ? std::atol(argv[1]) : 1000000;
  const char* selectors[] = {"li:nth-child(2n+1)", "li:nth-last-child(3n)",
                             "li:nth-of-type(odd)", "li:last-of-type",
                             "li:nth-child(odd of .x)", "li:lang(en)"};
  for (long n = 10000; n <= max; n *= 10) {
    std::string html = "<ul>";
    for (long i = 0; i < n; ++i) html += i % 3 == 0 ? "<li class=x>" : "<li>";
    auto doc = forage::parser::HtmlDocument::Parse(html);
    for (const char* text : selectors) {
      auto selector = forage::parser::Selector::Compile(text);
      if (!selector) return 2;
      std::vector<const GumboNode*> out;
      double t0 = CpuNow();
      selector->SelectAll(doc.document(), &out);
      double t = CpuNow() - t0;
      std::printf("%8ld siblings  %-26s %8zu matches  %8.1f ms  %6.1f ns/sibling\n", n, text,
                  out.size(), t * 1e3, t * 1e9 / static_cast<double>(n));
    }
  }
  return 0;
}
