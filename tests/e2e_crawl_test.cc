// Start URLs, --next pagination and --crawl against the fixture's /crawl/
// pages (bench/fixture/crawl_pages.h): what is fetched (the fixture's request
// log), what is written, and in which order.

#include <signal.h>
#include <sqlite3.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

// The fixture's request log: requests per target ("/crawl/graph/a": 1),
// robots.txt (fetched once per origin before its first page) left out.
std::map<std::string, long> Paths(const Fixture& fx) {
  auto stats = nlohmann::json::parse(fx.Get("__stats"));
  std::map<std::string, long> out;
  for (auto& [k, v] : stats["paths"].items()) out[k] = v.get<long>();
  out.erase("/robots.txt");
  return out;
}

// What the fixture's second address (127.0.0.2, the crawl graph's "other
// host") was asked for, per target.
std::map<std::string, long> SecondHostPaths(const Fixture& fx) {
  auto stats = nlohmann::json::parse(fx.Get("__stats"));
  std::map<std::string, long> out;
  if (!stats["addresses"].contains("127.0.0.2")) return out;
  for (auto& [k, v] : stats["addresses"]["127.0.0.2"].items()) out[k] = v.get<long>();
  return out;
}

// How often robots.txt was fetched (the fixture serves one per host name).
long RobotsFetches(const Fixture& fx) {
  auto stats = nlohmann::json::parse(fx.Get("__stats"));
  return stats["paths"].contains("/robots.txt") ? stats["paths"]["/robots.txt"].get<long>() : 0;
}

std::vector<std::string> Names(const std::string& jsonl) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < jsonl.size()) {
    size_t nl = jsonl.find('\n', start);
    auto j = nlohmann::json::parse(jsonl.substr(start, nl - start));
    out.push_back(j["name"].get<std::string>());
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

std::vector<std::string> Job(const Fixture& fx, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {ForageBin(), "run", "--items", "li.item", "--field",
                                   "name=::text", "-o", "-", "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  (void)fx;
  return argv;
}

const std::map<std::string, long> kGraph = {
    {"/crawl/graph/", 1},         {"/crawl/graph/a", 1},          {"/crawl/graph/b", 1},
    {"/crawl/graph/c", 1},        {"/crawl/graph/d", 1},          {"/crawl/graph/e", 1},
    {"/crawl/graph/deep", 1},     {"/crawl/graph/area", 1},       {"/crawl/graph/q?x=1", 1},
    {"/crawl/graph/q?x=2", 1},    {"/crawl/graph/private/p1", 1}, {"/crawl/graph/private/p2", 1}};

std::multiset<std::string> Set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

TEST_SUITE("e2e.crawl") {

TEST_CASE("--url without {page} fetches that page, repeated --url fetches each, in order") {
  Fixture fx;
  auto r = RunProcess(Job(fx, {"--url", fx.url() + "crawl/chain/4", "--url",
                               fx.url() + "crawl/cycle/2", "--url", fx.url() + "crawl/chain/4",
                               "--workers", "2"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Names(r.out) == std::vector<std::string>{"chain-4", "cycle-2"});
  CHECK(Paths(fx) == std::map<std::string, long>{{"/crawl/chain/4", 1}, {"/crawl/cycle/2", 1}});
}

TEST_CASE("--next: a chain of 7 pages gives its records in chain order, each page once") {
  Fixture fx;
  auto r = RunProcess(Job(fx, {"--url", fx.url() + "crawl/chain/1", "--next",
                               "a.next::attr(href)", "--workers", "2"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Relative, absolute with a fragment, and dot-segment links alike.
  CHECK(Names(r.out) == std::vector<std::string>{"chain-1", "chain-2", "chain-3", "chain-4",
                                                 "chain-5", "chain-6", "chain-7"});
  std::map<std::string, long> expected;
  for (int i = 1; i <= 7; ++i) expected["/crawl/chain/" + std::to_string(i)] = 1;
  CHECK(Paths(fx) == expected);
}

TEST_CASE("--next: a cycle ends at the first page seen again, --max-pages ends a chain") {
  Fixture fx;
  auto r = RunProcess(Job(fx, {"--url", fx.url() + "crawl/cycle/1", "--next",
                               "a.next::attr(href)"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Names(r.out) == std::vector<std::string>{"cycle-1", "cycle-2", "cycle-3"});
  CHECK(Paths(fx) == std::map<std::string, long>{
                         {"/crawl/cycle/1", 1}, {"/crawl/cycle/2", 1}, {"/crawl/cycle/3", 1}});
  auto m = RunProcess(Job(fx, {"--url", fx.url() + "crawl/chain/1", "--next",
                               "a.next::attr(href)", "--max-pages", "4"}));
  REQUIRE(m.exit_code == 0);
  CHECK(Names(m.out) == std::vector<std::string>{"chain-1", "chain-2", "chain-3", "chain-4"});
  auto d = RunProcess(Job(fx, {"--url", fx.url() + "crawl/chain/1", "--next",
                               "a.next::attr(href)", "--depth", "2"}));
  REQUIRE(d.exit_code == 0);
  CHECK(Names(d.out) == std::vector<std::string>{"chain-1", "chain-2", "chain-3"});
}

TEST_CASE("--crawl: every reachable in-scope page once, never the other host or non-http links") {
  Fixture fx;
  auto r = RunProcess(Job(fx, {"--url", fx.url() + "crawl/graph/", "--crawl", "--workers", "2",
                               "--concurrency", "8"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // 127.0.0.2:PORT/crawl/graph/offhost is the same server on another
  // address: another host, never requested. "d" has no items: it writes
  // nothing.
  CHECK(Paths(fx) == kGraph);
  CHECK(SecondHostPaths(fx).empty());
  CHECK(RobotsFetches(fx) == 1);  // one origin, asked once, 2 workers and 8 in flight
  CHECK(Set(Names(r.out)) == Set({"index", "a", "b", "c", "e", "deep", "area", "q?x=1", "q?x=2",
                                   "p1", "p2"}));
  CHECK(Names(r.out).front() == "index");
}

TEST_CASE("--crawl --scope: any reaches the other host, domain does not") {
  Fixture fx;
  // 127.0.0.2:PORT is the fixture again, on its second address.
  auto any = RunProcess(Job(fx, {"--url", fx.url() + "crawl/graph/", "--crawl", "--scope", "any"}));
  INFO(any.err);
  REQUIRE(any.exit_code == 0);
  auto expected = kGraph;
  expected["/crawl/graph/offhost"] = 1;
  CHECK(Paths(fx) == expected);
  // Asked on the second address: the offhost page, after that host's own
  // robots.txt.
  CHECK(SecondHostPaths(fx) ==
        std::map<std::string, long>{{"/crawl/graph/offhost", 1}, {"/robots.txt", 1}});
  fx.Get("__reset");
  auto domain =
      RunProcess(Job(fx, {"--url", fx.url() + "crawl/graph/", "--crawl", "--scope", "domain"}));
  REQUIRE(domain.exit_code == 0);
  CHECK(Paths(fx) == kGraph);
  CHECK(SecondHostPaths(fx).empty());
}

TEST_CASE("--crawl: a worker that dies on a page loses no link and writes no record twice") {
  Fixture fx;
  auto argv = Job(fx, {"--url", fx.url() + "crawl/graph/", "--crawl", "--workers", "2"});
  argv[0] = ForageTestHooksBin();
  auto r = RunProcess(argv, {{"FORAGE_TEST_CRASH_URL", "/crawl/graph/c"}});
  INFO(r.err);
  REQUIRE(r.exit_code == 1);  // a page failed
  // c kills every worker that parses it: it fails, and what only it links
  // (e, then deep) is never found. Everything else is written exactly once,
  // whatever the dead workers held.
  CHECK(Set(Names(r.out)) ==
        Set({"index", "a", "b", "area", "q?x=1", "q?x=2", "p1", "p2"}));
  auto paths = Paths(fx);
  CHECK(paths.count("/crawl/graph/e") == 0);
  CHECK(paths.count("/crawl/graph/deep") == 0);
  CHECK(paths["/crawl/graph/c"] == 2);
}

TEST_CASE("--crawl --depth and --max-pages fetch exact counts") {
  Fixture fx;
  auto r = RunProcess(Job(fx, {"--url", fx.url() + "crawl/graph/", "--crawl", "--depth", "1",
                               "--workers", "2"}));
  REQUIRE(r.exit_code == 0);
  CHECK(Paths(fx) == std::map<std::string, long>{
                         {"/crawl/graph/", 1}, {"/crawl/graph/a", 1}, {"/crawl/graph/b", 1},
                         {"/crawl/graph/c", 1}, {"/crawl/graph/q?x=1", 1},
                         {"/crawl/graph/area", 1}, {"/crawl/graph/private/p1", 1}});
  fx.Get("__reset");
  auto m = RunProcess(Job(fx, {"--url", fx.url() + "crawl/graph/", "--crawl", "--max-pages", "5",
                               "--workers", "2"}));
  REQUIRE(m.exit_code == 0);
  // The index's in-scope links in document order: a, b, c, q?x=1.
  CHECK(Paths(fx) == std::map<std::string, long>{{"/crawl/graph/", 1},
                                                 {"/crawl/graph/a", 1},
                                                 {"/crawl/graph/b", 1},
                                                 {"/crawl/graph/c", 1},
                                                 {"/crawl/graph/q?x=1", 1}});
  CHECK(Names(m.out) == std::vector<std::string>{"index", "a", "b", "c", "q?x=1"});
}

TEST_CASE("--crawl --allow and --deny") {
  Fixture fx;
  auto r = RunProcess(Job(fx, {"--url", fx.url() + "crawl/graph/", "--crawl", "--deny",
                               "/private/", "--deny", "x=2$"}));
  REQUIRE(r.exit_code == 0);
  auto expected = kGraph;
  expected.erase("/crawl/graph/private/p1");
  expected.erase("/crawl/graph/private/p2");
  expected.erase("/crawl/graph/q?x=2");
  CHECK(Paths(fx) == expected);
  fx.Get("__reset");
  auto a = RunProcess(Job(fx, {"--url", fx.url() + "crawl/graph/", "--crawl", "--allow",
                               "/graph/(a|d)$"}));
  REQUIRE(a.exit_code == 0);
  CHECK(Paths(fx) == std::map<std::string, long>{
                         {"/crawl/graph/", 1}, {"/crawl/graph/a", 1}, {"/crawl/graph/d", 1}});
}

TEST_CASE("bad input: exit 2 with the message, and not one request") {
  Fixture fx;
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string start = fx.url() + "crawl/graph/";
  for (const Case& c : std::vector<Case>{
           {{"--url", start, "--crawl", "--allow", "(unclosed"}, "--allow '(unclosed'"},
           {{"--url", start, "--crawl", "--deny", "[z-a]"}, "--deny '[z-a]'"},
           {{"--url", start, "--next", "a.next"}, "must give a URL"},
           {{"--url", start, "--next", "a.next::text"}, "must give a URL"},
           {{"--url", start, "--pages", "1-3"}, "--urls"},
           {{"--url", start, "--crawl", "--scope", "planet"}, "--scope 'planet'"},
           {{"--url", start, "--max-pages", "3"}, "--max-pages needs --crawl or --next"},
           {{"--url", start, "--crawl", "--next", "a::attr(href)"}, "cannot be combined"},
       }) {
    CAPTURE(c.message);
    auto r = RunProcess(Job(fx, c.args));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(c.message) != std::string::npos);
  }
  CHECK(fx.Stat("requests") == 0);
}

// The pages a crawl's state marks as stored, as request targets: the
// state's marks are plan indexes, the journal says which URL each index is
// (index 0: the start URL).
std::set<std::string> StoredTargets(const Fixture& fx, const std::string& state,
                                    const std::string& journal) {
  std::map<uint64_t, std::string> urls{{0, fx.url() + "crawl/graph/"}};
  std::string text = ReadFile(journal);
  size_t at = text.find('\n') + 1;  // after the header
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    std::string line = text.substr(at, nl - at);
    urls[std::stoull(line)] = line.substr(line.rfind(' ') + 1);
    at = nl + 1;
  }
  std::set<std::string> out;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(state.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT page FROM pages", -1, &q, nullptr) == SQLITE_OK);
  while (sqlite3_step(q) == SQLITE_ROW) {
    auto page = static_cast<uint64_t>(sqlite3_column_int64(q, 0));
    REQUIRE(urls.count(page) == 1);  // a mark always has its page in the journal
    out.insert(urls[page].substr(fx.url().size() - 1));
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  return out;
}

// Slow answers, one at a time (300 ms a page, 12 pages: 3.6 s): the crawl
// is stopped once a checkpoint (one a second) stored 3 pages, mid-crawl.
struct SlowCrawl {
  Fixture fx{{"--delay", "300", "--max-inflight", "1"}};
  std::string dir;
  std::string out;
  explicit SlowCrawl(const std::string& name) : dir(TempDir(name)), out(dir + "/out.jsonl") {}
  std::vector<std::string> Job(bool resume) const {
    std::vector<std::string> argv = {ForageBin(), "run", "--url", fx.url() + "crawl/graph/",
                                     "--crawl", "--items", "li.item", "--field", "name=::text",
                                     "--workers", "2", "--concurrency", "1", "-o", out,
                                     "--quiet"};
    if (resume) argv.push_back("--resume");
    return argv;
  }
  std::multiset<std::string> Records() const { return Set(Names(ReadFile(out))); }
};

const std::multiset<std::string> kGraphRecords = {"index", "a",     "b",     "c",  "e", "deep",
                                                  "area",  "q?x=1", "q?x=2", "p1", "p2"};

TEST_CASE("SIGINT mid-crawl, then --resume: every page fetched once across both runs") {
  SlowCrawl c("crawl_resume_sigint");
  Background first(c.Job(false));
  // Four pages asked for: a third of the crawl.
  REQUIRE(WaitUntil([&] { return Paths(c.fx).size() >= 4; }, 60));
  first.Signal(SIGINT);
  auto r1 = first.Wait();
  INFO(r1.err);
  REQUIRE(r1.exit_code == 130);
  auto before = Paths(c.fx);
  CHECK(before.size() < kGraph.size());  // interrupted mid-crawl
  CHECK(FileExists(c.out + ".frontier"));
  // The pages in flight at the SIGINT were finished and stored: nothing of
  // the first run is fetched again, only what it had not reached.
  auto r2 = RunProcess(c.Job(true));
  INFO(r2.err);
  REQUIRE(r2.exit_code == 0);
  CHECK(Paths(c.fx) == kGraph);
  CHECK(c.Records() == kGraphRecords);
  CHECK_FALSE(FileExists(c.out + ".state"));
  CHECK_FALSE(FileExists(c.out + ".frontier"));
}

TEST_CASE("kill -9 mid-crawl, then --resume: only unstored pages again, every record once") {
  SlowCrawl c("crawl_resume_kill");
  Background first(c.Job(false));
  REQUIRE(WaitUntil([&] { return StatePages(c.out + ".state") >= 3; }, 60));
  first.Signal(SIGKILL);
  first.Wait();
  auto before = Paths(c.fx);
  auto stored = StoredTargets(c.fx, c.out + ".state", c.out + ".frontier");
  CAPTURE(stored.size());
  CHECK(stored.size() >= 3);
  CHECK(before.size() < kGraph.size());  // killed mid-crawl
  auto r = RunProcess(c.Job(true));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto after = Paths(c.fx);
  // A stored page is never fetched again; a page the first run fetched but
  // no checkpoint stored (in flight, or written after the last checkpoint)
  // is fetched once more; the rest once.
  for (const auto& [target, once] : kGraph) {
    CAPTURE(target);
    CHECK(before[target] <= 1);
    if (stored.count(target) != 0) {
      CHECK(before[target] == 1);
      CHECK(after[target] == 1);
    } else {
      CHECK(after[target] == before[target] + 1);
    }
  }
  CHECK(after.size() == kGraph.size());
  CHECK(c.Records() == kGraphRecords);
  CHECK_FALSE(FileExists(c.out + ".state"));
  CHECK_FALSE(FileExists(c.out + ".frontier"));
}

TEST_CASE("--resume of a crawl without its journal, or with another job's: exit 2, nothing fetched") {
  SlowCrawl c("crawl_resume_journal");
  Background first(c.Job(false));
  REQUIRE(WaitUntil([&] { return Paths(c.fx).size() >= 2; }, 60));
  first.Signal(SIGINT);
  REQUIRE(first.Wait().exit_code == 130);
  const std::string journal = c.out + ".frontier";
  const std::string kept = ReadFile(journal);
  REQUIRE(!kept.empty());
  c.fx.Get("__reset");
  std::filesystem::remove(journal);
  auto missing = RunProcess(c.Job(true));
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("crawl's journal '" + journal + "' cannot be opened") !=
        std::string::npos);
  WriteFile(journal, "forage-crawl-journal 1 0123456789abcdef-1\n");
  auto other = RunProcess(c.Job(true));
  CHECK(other.exit_code == 2);
  CHECK(other.err.find("is not the crawl journal of this job") != std::string::npos);
  CHECK(c.fx.Stat("requests") == 0);
  // With its own journal back, the crawl completes.
  WriteFile(journal, kept);
  auto r = RunProcess(c.Job(true));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(c.Records() == kGraphRecords);
}

TEST_CASE("--next chains resume by start URL: a stored chain is not fetched again") {
  // One page at a time, 300 ms each: the cycle (first start URL, 3 pages)
  // is stored by the checkpoint after 0.9 s; the chain (7 pages) goes on
  // to 3 s, so the kill lands in it.
  Fixture fx({"--delay", "300", "--max-inflight", "1"});
  std::string dir = TempDir("next_resume");
  std::string out = dir + "/out.jsonl";
  auto job = [&](bool resume) {
    std::vector<std::string> argv = {ForageBin(), "run", "--url", fx.url() + "crawl/cycle/1",
                                     "--url", fx.url() + "crawl/chain/1", "--next",
                                     "a.next::attr(href)", "--items", "li.item", "--field",
                                     "name=::text", "--workers", "2", "--concurrency", "1",
                                     "-o", out, "--quiet"};
    if (resume) argv.push_back("--resume");
    return argv;
  };
  Background first(job(false));
  REQUIRE(WaitUntil([&] { return StatePages(out + ".state") >= 1; }, 60));
  first.Signal(SIGKILL);
  first.Wait();
  auto r = RunProcess(job(true));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto after = Paths(fx);
  for (int i = 1; i <= 3; ++i) CHECK(after["/crawl/cycle/" + std::to_string(i)] == 1);
  // Every record once, in chain order, the first start URL's chain first.
  CHECK(Names(ReadFile(out)) == std::vector<std::string>{"cycle-1", "cycle-2", "cycle-3",
                                                         "chain-1", "chain-2", "chain-3",
                                                         "chain-4", "chain-5", "chain-6",
                                                         "chain-7"});
  CHECK_FALSE(FileExists(out + ".state"));
  CHECK_FALSE(FileExists(out + ".frontier"));  // --next keeps no journal
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::testing
