// --sitemap: urlset and sitemapindex documents, nested, gzip, the robots.txt
// Sitemap: lines, the protocol's limits, and what is not a sitemap.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

nlohmann::json Report(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

nlohmann::json Paths(const Fixture& fx) {
  return nlohmann::json::parse(fx.Get("/__stats"))["paths"];
}

std::string Urlset(const Fixture& fx, const std::vector<std::string>& paths) {
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (const auto& p : paths) s += "  <url><loc>" + fx.url() + p + "</loc></url>\n";
  return s + "</urlset>\n";
}

std::string Index(const Fixture& fx, const std::vector<std::string>& paths) {
  std::string s = "<?xml version=\"1.0\"?>\n<sitemapindex "
                  "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (const auto& p : paths) s += "  <sitemap><loc>" + fx.url() + p + "</loc></sitemap>\n";
  return s + "</sitemapindex>\n";
}

std::vector<std::string> Job(const std::string& dir, std::vector<std::string> extra) {
  std::vector<std::string> argv = {ForageBin(), "run", "--items", ".product", "--field",
                                   "name=h2", "--workers", "2", "-o", dir + "/out.csv",
                                   "--report", dir + "/report.json", "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

TEST_SUITE("e2e.sitemap") {

TEST_CASE("a sitemap index with a gzip child and a nested index yields every page, once, in "
          "sitemap order") {
  std::string dir = TempDir("sitemap_index");
  Fixture fx({"--serve", "/sitemap.xml=file:" + dir + "/index.xml",          //
              "--serve", "/sm/a.xml=file:" + dir + "/a.xml",                 //
              "--serve", "/sm/b.xml.gz=file:" + dir + "/b.xml.gz",           //
              "--serve", "/sm/nested.xml=file:" + dir + "/nested.xml",       //
              "--serve", "/sm/c.xml=file:" + dir + "/c.xml"});
  WriteFile(dir + "/index.xml", Index(fx, {"sm/a.xml", "sm/b.xml.gz", "sm/nested.xml"}));
  WriteFile(dir + "/a.xml", Urlset(fx, {"shop/page/5/", "shop/page/1/"}));
  WriteFile(dir + "/b.xml", Urlset(fx, {"shop/page/3/", "shop/page/1/"}));
  REQUIRE(RunProcess({"/usr/bin/gzip", "-kf", dir + "/b.xml"}).exit_code == 0);
  WriteFile(dir + "/nested.xml", Index(fx, {"sm/c.xml"}));
  WriteFile(dir + "/c.xml", Urlset(fx, {"shop/page/2/"}));
  auto r = RunProcess(Job(dir, {"--sitemap", fx.url() + "sitemap.xml"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 4);
  CHECK(rep["pages_failed"] == 0);
  nlohmann::json expected = {{"/robots.txt", 1},   {"/shop/page/1/", 1}, {"/shop/page/2/", 1},
                             {"/shop/page/3/", 1}, {"/shop/page/5/", 1}, {"/sitemap.xml", 1},
                             {"/sm/a.xml", 1},     {"/sm/b.xml.gz", 1},  {"/sm/c.xml", 1},
                             {"/sm/nested.xml", 1}};
  CHECK(Paths(fx) == expected);
  // The same pages through --urls, in the sitemap's order: the same CSV.
  WriteFile(dir + "/urls.txt", fx.url() + "shop/page/5/\n" + fx.url() + "shop/page/1/\n" +
                                   fx.url() + "shop/page/3/\n" + fx.url() + "shop/page/2/\n");
  std::string from_sitemap = ReadFile(dir + "/out.csv");
  CHECK(ParseCsv(from_sitemap).size() == 1 + 4 * 16);
  REQUIRE(RunProcess(Job(dir, {"--urls", dir + "/urls.txt", "--overwrite"})).exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == from_sitemap);
}

TEST_CASE("an index's sitemaps are read ahead, 4 at a time, and still give their pages in "
          "sitemap order") {
  std::string dir = TempDir("sitemap_ahead");
  std::vector<std::string> args;
  const std::vector<std::string> names = {"a", "b", "c", "d", "e", "f"};
  args.insert(args.end(), {"--serve", "/sitemap.xml=file:" + dir + "/index.xml"});
  for (const auto& n : names) {
    args.insert(args.end(), {"--serve", "/sm/" + n + ".xml=file:" + dir + "/" + n + ".xml"});
  }
  Fixture fx(args);
  // Each sitemap takes 300 ms to answer: read one after the other, no two
  // are ever in service at once.
  std::vector<std::string> children;
  for (const auto& n : names) children.push_back("sm/" + n + ".xml?delay=300");
  WriteFile(dir + "/index.xml", Index(fx, children));
  const std::vector<int> pages = {5, 1, 3, 6, 2, 4};
  for (size_t i = 0; i < names.size(); ++i) {
    WriteFile(dir + "/" + names[i] + ".xml",
              Urlset(fx, {"shop/page/" + std::to_string(pages[i]) + "/"}));
  }
  auto r = RunProcess(Job(dir, {"--sitemap", fx.url() + "sitemap.xml", "--workers", "1",
                                "--concurrency", "1"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 6);
  CHECK(fx.Stat("peak_inflight") == 4);  // MasterFetch::kReadAhead
  for (const auto& c : children) CHECK(Paths(fx)["/" + c] == 1);
  // In sitemap order: the CSV of the same pages through --urls.
  std::string list;
  for (int p : pages) list += fx.url() + "shop/page/" + std::to_string(p) + "/\n";
  WriteFile(dir + "/urls.txt", list);
  std::string from_sitemap = ReadFile(dir + "/out.csv");
  CHECK(ParseCsv(from_sitemap).size() == 1 + 6 * 16);
  REQUIRE(RunProcess(Job(dir, {"--urls", dir + "/urls.txt", "--overwrite"})).exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == from_sitemap);
}

TEST_CASE("--allow and --deny filter a sitemap's pages") {
  std::string dir = TempDir("sitemap_filter");
  Fixture fx({"--serve", "/sitemap.xml=file:" + dir + "/s.xml"});
  WriteFile(dir + "/s.xml", Urlset(fx, {"shop/page/1/", "shop/page/2/", "shop/page/3/",
                                        "shop/page/12/"}));
  auto r = RunProcess(Job(dir, {"--sitemap", fx.url() + "sitemap.xml", "--allow", "/page/1",
                                "--deny", "/page/12/$"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 1);
  nlohmann::json expected = {{"/robots.txt", 1}, {"/shop/page/1/", 1}, {"/sitemap.xml", 1}};
  CHECK(Paths(fx) == expected);

  auto bad = RunProcess(Job(dir, {"--sitemap", fx.url() + "sitemap.xml", "--deny", "(", "--overwrite"}));
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--deny '('") != std::string::npos);
}

TEST_CASE("--sitemap robots: the Sitemap: lines of the host's robots.txt, which is read once") {
  std::string dir = TempDir("sitemap_robots");
  Fixture fx({"--serve", "/robots.txt=file:" + dir + "/robots.txt", "--serve",
              "/sm/a.xml=file:" + dir + "/a.xml"});
  WriteFile(dir + "/robots.txt", "User-agent: *\nDisallow: /shop/page/7/\nSitemap: " + fx.url() +
                                     "sm/a.xml\n");
  WriteFile(dir + "/a.xml", Urlset(fx, {"shop/page/6/", "shop/page/7/"}));
  WriteFile(dir + "/urls.txt", fx.url() + "shop/page/4/\n");
  auto r = RunProcess(Job(dir, {"--urls", dir + "/urls.txt", "--sitemap", "robots"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 2);
  CHECK(rep["pages_blocked"] == 1);
  nlohmann::json expected = {{"/robots.txt", 1}, {"/shop/page/4/", 1}, {"/shop/page/6/", 1},
                             {"/sm/a.xml", 1}};
  CHECK(Paths(fx) == expected);
}

TEST_CASE("a sitemap of 50001 URLs and one that is not XML fail clearly and the good one still "
          "gives its pages") {
  std::string dir = TempDir("sitemap_bad");
  Fixture fx({"--serve", "/big.xml=file:" + dir + "/big.xml", "--serve",
              "/text.xml=file:" + dir + "/text.xml", "--serve",
              "/good.xml=file:" + dir + "/good.xml"});
  std::vector<std::string> many;
  for (int i = 0; i < 50'001; ++i) many.push_back("shop/page/1/?n=" + std::to_string(i));
  WriteFile(dir + "/big.xml", Urlset(fx, many));
  WriteFile(dir + "/text.xml", "this is not a sitemap\n");
  WriteFile(dir + "/good.xml", Urlset(fx, {"shop/page/2/"}));
  auto r = RunProcess(Job(dir, {"--sitemap", fx.url() + "big.xml", "--sitemap",
                                fx.url() + "text.xml", "--sitemap", fx.url() + "good.xml"}));
  INFO(r.err);
  CHECK(r.exit_code == 1);  // failures, as a failed page makes
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 1);
  CHECK(rep["pages_failed"] == 2);
  REQUIRE(rep["failures"].size() == 2);
  CHECK(rep["failures"][0]["url"] == fx.url() + "big.xml");
  CHECK(rep["failures"][0]["reason"] == "sitemap: more than 50000 URLs (the protocol's limit)");
  CHECK(rep["failures"][1]["url"] == fx.url() + "text.xml");
  CHECK(rep["failures"][1]["reason"] == "sitemap: not a sitemap (not XML)");
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")).size() == 1 + 16);
}

TEST_CASE("--sitemap robots without a host to ask is a usage error") {
  std::string dir = TempDir("sitemap_usage");
  auto r = RunProcess(Job(dir, {"--sitemap", "robots"}));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--sitemap robots needs --url or --urls") != std::string::npos);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
