// Acceptance: the CLI exactly as issues 12, 13 and 15 write it (flag names,
// job-file keys, report keys, exit codes), where an audit found the product
// differing from the words. Each case names the sentence it
// holds.

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

std::vector<std::string> ShopJob(const std::string& dir, std::vector<std::string> extra) {
  std::vector<std::string> argv = {ForageBin(), "run", "--items", ".product", "--field",
                                   "name=h2", "--workers", "2", "-o", dir + "/out.csv",
                                   "--report", dir + "/report.json", "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

TEST_SUITE("e2e.acceptance") {

// Issue 12: "--url URL without {page} fetches that one page"; cli.md: a
// sitemap's pages are fetched after the pages of --url/--urls.
TEST_CASE("--url start pages with --sitemap: both the start page and the sitemap's pages") {
  std::string dir = TempDir("acc_url_sitemap");
  Fixture fx({"--serve", "/sm.xml=file:" + dir + "/sm.xml"});
  WriteFile(dir + "/sm.xml", Urlset(fx, {"shop/page/2/", "shop/page/3/"}));
  auto r = RunProcess(ShopJob(dir, {"--url", fx.url() + "shop/page/5/", "--sitemap",
                                    fx.url() + "sm.xml"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Report(dir + "/report.json")["pages_ok"] == 3);
  nlohmann::json expected = {{"/robots.txt", 1},   {"/shop/page/2/", 1}, {"/shop/page/3/", 1},
                             {"/shop/page/5/", 1}, {"/sm.xml", 1}};
  CHECK(Paths(fx) == expected);
  // The start page's records come first.
  auto rows = ParseCsv(ReadFile(dir + "/out.csv"));
  REQUIRE(rows.size() == 1 + 3 * 16);
  auto page5 = ParseCsv(RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/5/",
                                    "--items", ".product", "--field", "name=h2", "-o", "-",
                                    "--format", "csv", "--quiet"})
                            .out);
  REQUIRE(page5.size() == 17);
  CHECK(rows[1] == page5[1]);
}

// Issue 12: "the Sitemap: lines of a host's robots.txt with --sitemap robots".
TEST_CASE("--sitemap robots with a --url start page reads that host's robots.txt") {
  std::string dir = TempDir("acc_sitemap_robots_url");
  Fixture fx({"--serve", "/robots.txt=file:" + dir + "/robots.txt", "--serve",
              "/sm.xml=file:" + dir + "/sm.xml"});
  WriteFile(dir + "/robots.txt", "User-agent: *\nAllow: /\nSitemap: " + fx.url() + "sm.xml\n");
  WriteFile(dir + "/sm.xml", Urlset(fx, {"shop/page/6/"}));
  auto r = RunProcess(ShopJob(dir, {"--sitemap", "robots", "--url", fx.url() + "shop/page/4/"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Report(dir + "/report.json")["pages_ok"] == 2);
  nlohmann::json expected = {{"/robots.txt", 1}, {"/shop/page/4/", 1}, {"/shop/page/6/", 1},
                             {"/sm.xml", 1}};
  CHECK(Paths(fx) == expected);
}

// Issue 13: "--next 'json:$.next' / --follow 'json:$.items[*].url' (with the
// pagination issue's --next)".
TEST_CASE("--next json:$.next follows a JSON API's next links in chain order") {
  std::string dir = TempDir("acc_json_next");
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "api/products?page=1", "--items",
                       "json:$.products[*]", "--field", "id=json:$.id", "--next", "json:$.next",
                       "-o", "-", "--report", dir + "/report.json", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string expected;
  for (int i = 1; i <= 9; ++i) expected += "{\"id\":" + std::to_string(i) + "}\n";
  CHECK(r.out == expected);
  CHECK(Report(dir + "/report.json")["pages_ok"] == 3);
  // A JSON next link must still be a link: a path that is not one is exit 2.
  auto bad = RunProcess({ForageBin(), "run", "--url", fx.url() + "api/products?page=1",
                         "--items", "json:$.products[*]", "--field", "id=json:$.id", "--next",
                         "json:$.next[", "-o", "-", "--quiet"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--next 'json:$.next['") != std::string::npos);
}

// Issue 13: "no reference to --report unless one was written".
TEST_CASE("the blocked-by-robots line names the report only when one was written") {
  std::string dir = TempDir("acc_blocked_line");
  Fixture fx({"--serve", "/robots.txt=file:" + dir + "/robots.txt"});
  WriteFile(dir + "/robots.txt", "User-agent: *\nDisallow: /shop/page/2/\n");
  std::vector<std::string> job = {ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/",
                                  "--pages", "1-2", "--items", ".product", "--field", "name=h2",
                                  "-o", "/dev/null"};
  auto plain = RunProcess(job);
  INFO(plain.err);
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.err.find("--report") == std::string::npos);
  CHECK(plain.err.find("  blocked by robots.txt: 1 pages (not fetched)\n    " + fx.url() +
                       "shop/page/2/\n") != std::string::npos);
  job.insert(job.end(), {"--report", dir + "/r.json"});
  auto reported = RunProcess(job);
  CHECK(reported.err.find("  blocked by robots.txt: 1 pages (not fetched; listed in " + dir +
                          "/r.json)\n") != std::string::npos);
  // The report's robots entry: no Crawl-delay is null, not a sentinel.
  CHECK(Report(dir + "/r.json")["robots"][0]["crawl_delay_s"].is_null());
}

// Issue 12's flags in a job file, written as one value where the flag is
// repeatable (`sitemap = "..."`, `allow = "..."`): one value is a list of one.
TEST_CASE("job file: sitemap, allow, deny and header take a string as well as an array") {
  std::string dir = TempDir("acc_job_strings");
  Fixture fx({"--serve", "/sm.xml=file:" + dir + "/sm.xml"});
  WriteFile(dir + "/sm.xml", Urlset(fx, {"shop/page/1/", "shop/page/2/", "shop/page/3/"}));
  WriteFile(dir + "/job.toml", "sitemap = \"" + fx.url() + "sm.xml\"\nitems = \".product\"\n"
                               "allow = \"/shop/\"\ndeny = \"/page/3/\"\n"
                               "header = \"X-Audit: 1\"\n[fields]\nname = \"h2\"\n");
  auto r = RunProcess({ForageBin(), "run", dir + "/job.toml", "-o", dir + "/out.csv", "--report",
                       dir + "/report.json", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Report(dir + "/report.json")["pages_ok"] == 2);
}

// Issue 13: "--format csv|jsonl|json|sqlite overrides the extension (which
// stays the default, case-insensitive)": the value is as forgiving as the
// extension.
TEST_CASE("--format takes its value in any case") {
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/1/", "--items",
                       ".product", "--field", "name=h2", "-o", "-", "--format", "CSV", "--quiet"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("name\r\nKromupod\r\n", 0) == 0);
}

// PRODUCT.md writes the node as `forage worker --queue redis://...`, issue
// 14 as `forage worker --redis URL`: both spellings are one flag.
TEST_CASE("forage worker takes --queue as another name of --redis") {
  const std::string url = "redis://127.0.0.1:" + std::to_string(ClosedPort());
  auto r = RunProcess({ForageBin(), "worker", "--queue", url, "--exit-when-idle", "1s"}, {}, 60);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("waiting for Redis") != std::string::npos);
  // A usage error points at the command's own help.
  auto bad = RunProcess({ForageBin(), "worker", "--redis", url, "--wrokers", "2"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("see 'forage worker --help' and docs/distributed.md") != std::string::npos);
  auto status = RunProcess({ForageBin(), "status"});
  CHECK(status.exit_code == 2);
  CHECK(status.err.find("--redis is required") != std::string::npos);
  CHECK(status.err.find("see 'forage status --help' and docs/distributed.md") !=
        std::string::npos);
}

// Issue 13: select and extract "take a URL (fetched with the run's fetcher
// settings: headers, user agent, timeouts, robots)".
TEST_CASE("select and extract on a URL obey robots.txt, and --ignore-robots fetches anyway") {
  std::string dir = TempDir("acc_select_robots");
  Fixture fx({"--serve", "/robots.txt=file:" + dir + "/robots.txt"});
  WriteFile(dir + "/robots.txt", "User-agent: *\nDisallow: /shop/page/2/\n");
  auto ok = RunProcess({ForageBin(), "select", fx.url() + "shop/page/1/", "li.product h2"});
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  CHECK(ok.out.rfind("\"Kromupod\"\n", 0) == 0);
  auto blocked = RunProcess({ForageBin(), "select", fx.url() + "shop/page/2/", "li.product h2"});
  CHECK(blocked.exit_code == 3);
  CHECK(blocked.out.empty());
  CHECK(blocked.err.find("forage: error: GET " + fx.url() + "shop/page/2/: blocked by " +
                         fx.url() + "robots.txt (--ignore-robots to fetch it anyway)") !=
        std::string::npos);
  auto extract = RunProcess({ForageBin(), "extract", fx.url() + "shop/page/2/", "--items",
                             ".product", "--field", "name=h2"});
  CHECK(extract.exit_code == 3);
  CHECK(extract.err.find("blocked by " + fx.url() + "robots.txt") != std::string::npos);
  nlohmann::json paths = Paths(fx);
  CHECK(paths.value("/shop/page/2/", 0) == 0);
  auto ignored = RunProcess(
      {ForageBin(), "select", fx.url() + "shop/page/2/", "li.product h2", "--ignore-robots"});
  CHECK(ignored.exit_code == 0);
  CHECK(ignored.out.find('"') == 0);
}

// Bad input gets a clear message and exit 2 before any work (PRODUCT.md):
// a negative --depth/--max-pages is not "no limit", and a --sitemap that is
// no URL is a usage error, not a failed page.
TEST_CASE("--depth -1, --max-pages -1 or 0 and a --sitemap that is no URL are exit 2") {
  Fixture fx;
  const std::string dir = TempDir("acc_bad_limits");
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--crawl", "--depth", "-1"}, "forage: error: --depth '-1': expected 0 or more levels"},
      {{"--crawl", "--max-pages", "-1"},
       "forage: error: --max-pages '-1': expected 1 or more pages (for no limit, leave it out)"},
      {{"--crawl", "--max-pages", "0"},
       "forage: error: --max-pages '0': expected 1 or more pages (for no limit, leave it out)"},
      {{"--sitemap", ""}, "forage: error: --sitemap '': expected an http(s) URL or robots"},
      {{"--sitemap", "sitemap.xml"},
       "forage: error: --sitemap 'sitemap.xml': expected an http(s) URL or robots"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {ForageBin(), "run", "--url", fx.url() + "crawl/graph/",
                                     "--items", "li.item", "--field", "name=::text", "-o",
                                     dir + "/out.csv"};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    auto r = RunProcess(argv);
    CAPTURE(c.message);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK_FALSE(FileExists(dir + "/out.csv"));
  }
  CHECK(fx.Stat("requests") == 0);
}

// PRODUCT.md: a bad URL is exit 2 before any work, not a failed page.
TEST_CASE("a malformed start URL is exit 2 naming it") {
  const std::string dir = TempDir("acc_bad_url");
  for (const std::string url : {"http://[::1/x", "http://127.0.0.1:99999/", "http://a b:80/"}) {
    CAPTURE(url);
    auto r = RunProcess({ForageBin(), "run", "--url", url, "--items", "li", "--field", "x=a",
                         "-o", dir + "/out.csv"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("forage: error: url '" + url + "': not a valid URL") != std::string::npos);
    CHECK_FALSE(FileExists(dir + "/out.csv"));
  }
  WriteFile(dir + "/urls.txt", "http://127.0.0.1:1/ok\nhttp://[::1/x\n");
  auto r = RunProcess({ForageBin(), "run", "--urls", dir + "/urls.txt", "--items", "li", "--field",
                       "x=a", "-o", dir + "/out.csv"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("url 'http://[::1/x': not a valid URL") != std::string::npos);
}

// A cache flag without --cache would do nothing: say so rather than run.
TEST_CASE("--cache-max or --cache-mode revalidate without --cache is exit 2") {
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--cache-max", "10MB"},
        std::vector<std::string>{"--cache-mode", "revalidate"}}) {
    std::vector<std::string> argv = {ForageBin(), "run", "--url", "http://127.0.0.1:1/",
                                     "--items", "li", "--field", "x=a", "-o", "-"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto r = RunProcess(argv);
    CAPTURE(flags[0]);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("forage: error: " + flags[0] + " needs --cache DIR") != std::string::npos);
  }
}

// --proxy-mode sticky without --proxy-list would do nothing either.
TEST_CASE("--proxy-mode sticky without --proxy-list is exit 2") {
  auto r = RunProcess({ForageBin(), "run", "--url", "http://127.0.0.1:1/", "--items", "li",
                       "--field", "x=a", "-o", "-", "--proxy-mode", "sticky"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("forage: error: --proxy-mode sticky needs --proxy-list FILE") !=
        std::string::npos);
}

// PRODUCT.md's --report keys, and every key the report has is explained in
// docs/cli.md.
TEST_CASE("--report has PRODUCT.md's keys and docs/cli.md explains every key") {
  const std::string dir = TempDir("acc_report_keys");
  Fixture fx;
  auto r = RunProcess({ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages",
                       "1,99999", "--items", ".product", "--field", "name=h2", "-o",
                       dir + "/out.csv", "--report", dir + "/r.json", "--workers", "2"});
  INFO(r.err);
  REQUIRE(r.exit_code == 1);  // page 99999 does not exist
  auto rep = Report(dir + "/r.json");
  for (const char* key : {"wall_s", "user_s", "sys_s", "pages_ok", "pages_failed", "items",
                          "requests", "retries", "workers", "per_worker", "failures",
                          "pages_blocked", "pages_without_items", "fields", "throttle"}) {
    CAPTURE(key);
    CHECK(rep.contains(key));
  }
  REQUIRE(rep["per_worker"].size() == 2);
  for (const char* key : {"pid", "pages", "items", "user_s", "sys_s"}) {
    CHECK(rep["per_worker"][0].contains(key));
  }
  REQUIRE(rep["failures"].size() == 1);
  CHECK(rep["failures"][0]["url"] == fx.url() + "shop/page/99999/");
  CHECK(rep["failures"][0]["reason"] == "HTTP 404");
  CHECK(rep["fields"]["name"]["filled"] == 16);
  CHECK(rep["fields"]["name"]["empty"] == 0);
  const std::string doc = ReadFile(SourcePath("docs/cli.md"));
  for (const auto& [key, value] : rep.items()) {
    CAPTURE(key);
    CHECK(doc.find("`" + key + "`") != std::string::npos);
  }
}

// `forage help [COMMAND]` is how git, cargo and go users ask; an empty
// --attr is a usage error, not an attribute called "".
TEST_CASE("forage help COMMAND prints that command's help, and --attr '' is exit 2") {
  auto top = RunProcess({ForageBin(), "help"});
  CHECK(top.exit_code == 0);
  CHECK(top.out.find("\n  select ") != std::string::npos);
  auto run = RunProcess({ForageBin(), "help", "run"});
  CHECK(run.exit_code == 0);
  CHECK(run.out == RunProcess({ForageBin(), "run", "--help"}).out);
  auto worker = RunProcess({ForageBin(), "help", "worker"});
  CHECK(worker.exit_code == 0);
  CHECK(worker.out.find("--exit-when-idle") != std::string::npos);
  const std::string dir = TempDir("acc_attr");
  WriteFile(dir + "/p.html", "<a href=x>1</a>");
  auto attr = RunProcess({ForageBin(), "select", dir + "/p.html", "a", "--attr", ""});
  CHECK(attr.exit_code == 2);
  CHECK(attr.err.find("forage: error: --attr '': expected an attribute name") !=
        std::string::npos);
}

}  // TEST_SUITE

}  // namespace
}  // namespace forage::testing
