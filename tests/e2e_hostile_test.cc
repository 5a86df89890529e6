// forage select / extract on hostile files: a nesting bomb, files over
// --max-body, a path that is not a file.

#include <string>

#include <doctest/doctest.h>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

TEST_SUITE("e2e") {

std::string Repeat(const std::string& piece, size_t n) {
  std::string out;
  out.reserve(piece.size() * n);
  for (size_t i = 0; i < n; ++i) out += piece;
  return out;
}

TEST_CASE("forage select and extract read the <noscript><!DOCTYPE> nesting bomb like any page") {
  std::string dir = TempDir("bomb");
  // 15.7 MB, 786,000 levels deep: it crashed the parser's cleanup (a stack
  // overflow in a recursive walk) before anything was printed.
  WriteFile(dir + "/bomb.html", "<p>ok</p>" + Repeat("<noscript><!DOCTYPE>", 786000));
  auto select = RunProcess({ForageBin(), "select", dir + "/bomb.html", "p"});
  INFO(select.err);
  CHECK(select.exit_code == 0);
  CHECK(select.out == "\"ok\"\n");
  auto extract = RunProcess(
      {ForageBin(), "extract", dir + "/bomb.html", "--items", "body", "--field", "p=p"});
  INFO(extract.err);
  CHECK(extract.exit_code == 0);
  CHECK(extract.out == "{\"p\":\"ok\"}\n");
}

TEST_CASE("forage select and extract refuse a file over --max-body (16 MiB by default)") {
  std::string dir = TempDir("max_body");
  std::string page = "<p>ok</p>";
  WriteFile(dir + "/big.html", page + std::string((16u << 20) + 1 - page.size(), ' '));
  WriteFile(dir + "/2mib.html", page + std::string((2u << 20) - page.size(), ' '));
  auto big = RunProcess({ForageBin(), "select", dir + "/big.html", "p"});
  CHECK(big.exit_code == 2);
  CHECK(big.out.empty());
  CHECK(big.err.find("big.html' is larger than --max-body (16 MiB)") != std::string::npos);
  auto raised = RunProcess({ForageBin(), "select", "--max-body", "17", dir + "/big.html", "p"});
  CHECK(raised.exit_code == 0);
  CHECK(raised.out == "\"ok\"\n");

  // Exactly at the cap is accepted; one MiB lower it is refused, and extract
  // prints nothing, not the records of the files before it.
  auto at_cap = RunProcess({ForageBin(), "select", "--max-body", "2", dir + "/2mib.html", "p"});
  CHECK(at_cap.exit_code == 0);
  CHECK(at_cap.out == "\"ok\"\n");
  WriteFile(dir + "/small.html", page);
  auto extract = RunProcess({ForageBin(), "extract", "--max-body", "1", dir + "/small.html",
                             dir + "/2mib.html", "--items", "p", "--field", "t=::text"});
  CHECK(extract.exit_code == 2);
  CHECK(extract.out.empty());
  CHECK(extract.err.find("2mib.html' is larger than --max-body (1 MiB)") != std::string::npos);

  auto zero = RunProcess({ForageBin(), "select", "--max-body", "0", dir + "/small.html", "p"});
  CHECK(zero.exit_code == 2);
  CHECK(zero.err.find("--max-body must be > 0") != std::string::npos);
}

TEST_CASE("forage select on a path it cannot read exits 2 with the reason, not 0 with nothing") {
  std::string dir = TempDir("not_a_file");
  auto directory = RunProcess({ForageBin(), "select", dir, "p"});
  CHECK(directory.exit_code == 2);
  CHECK(directory.out.empty());
  CHECK(directory.err.find("Is a directory") != std::string::npos);
  auto missing = RunProcess({ForageBin(), "select", dir + "/missing.html", "p"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("No such file or directory") != std::string::npos);
}

TEST_CASE("selectors past a limit exit 2 with the position, before any work") {
  std::string dir = TempDir("selector_limits");
  WriteFile(dir + "/list.html", "<ul><li>a</li></ul>");
  auto nth = RunProcess({ForageBin(), "select", dir + "/list.html", "li:nth-child(99999999999n)"});
  CHECK(nth.exit_code == 2);
  CHECK(nth.out.empty());
  CHECK(nth.err.find("an+b value out of range (at most 2147483647 either way) at position 13") !=
        std::string::npos);
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += ":is(";
  deep += "li" + std::string(40, ')');
  auto nested = RunProcess({ForageBin(), "extract", dir + "/list.html", "--items", deep,
                            "--field", "t=::text"});
  CHECK(nested.exit_code == 2);
  CHECK(nested.err.find("nested too deeply") != std::string::npos);
  CHECK(nested.err.find("at position 128") != std::string::npos);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
