// Distributed mode end to end (docs/distributed.md): the real forage
// collector and nodes, the real forage-fixture and a real redis-server, all
// over 127.0.0.1.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "tests/redis_server.h"
#include "tests/test_support.h"

namespace forage::testing {
namespace {

std::vector<std::string> With(std::vector<std::string> argv, const std::vector<std::string>& more) {
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

nlohmann::json Report(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

std::vector<std::vector<std::string>> GoldenRows(const Fixture& fx) {
  return ParseCsv(GoldenShopCsv(fx));
}

std::string Hostname() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

// A node: `forage worker` (or forage-testhooks) with one worker.
std::unique_ptr<Background> StartNode(const RedisServer& redis,
                                      const std::map<std::string, std::string>& env = {},
                                      const std::string& bin = ForageBin()) {
  return std::make_unique<Background>(
      std::vector<std::string>{bin, "worker", "--redis", redis.url(), "--workers", "1",
                               "--exit-when-idle", "1s", "--quiet"},
      env);
}

bool Submitted(const RedisServer& redis, const std::string& job) {
  return redis.Cli({"HGET", "forage:{" + job + "}:meta", "state"}) == "running";
}

uint64_t Sum(const nlohmann::json& nodes, const char* key) {
  uint64_t n = 0;
  for (const auto& node : nodes) n += node[key].get<uint64_t>();
  return n;
}

// The fixture's request log: requests per target, robots.txt left out.
std::map<std::string, long> Paths(const Fixture& fx) {
  auto stats = nlohmann::json::parse(fx.Get("__stats"));
  std::map<std::string, long> out;
  for (auto& [k, v] : stats["paths"].items()) out[k] = v.get<long>();
  out.erase("/robots.txt");
  return out;
}

// The collector alone (--workers 0), then `nodes` nodes once it submitted.
struct Cluster {
  Cluster(const RedisServer& redis, const std::vector<std::string>& job, int nodes,
          const std::map<std::string, std::string>& env = {}) {
    collector = std::make_unique<Background>(With(job, {"--redis", redis.url(), "--workers", "0"}));
    REQUIRE(WaitUntil([&] { return Submitted(redis, "out"); }));
    for (int i = 0; i < nodes; ++i) this->nodes.push_back(StartNode(redis, env));
  }
  std::unique_ptr<Background> collector;
  std::vector<std::unique_ptr<Background>> nodes;
};

}  // namespace

TEST_SUITE("e2e.cluster") {

TEST_CASE("a collector and 3 nodes store the 755 rows byte-identical to local mode, the nodes "
          "exit when the job completes, and forage status says so") {
  Fixture fx({"--delay", "20"});
  RedisServer redis("three_nodes");
  std::string dir = TempDir("cluster_three_nodes");
  auto local = RunProcess(With(SeedJob(fx), {"-o", dir + "/local.csv", "--workers", "1", "--quiet"}));
  REQUIRE(local.exit_code == 0);
  const long requests_before = fx.Stat("requests");

  Background collector(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", redis.url(),
                                          "--workers", "0", "--report", dir + "/report.json",
                                          "--quiet"}));
  REQUIRE(WaitUntil([&] { return Submitted(redis, "out"); }));
  std::vector<std::unique_ptr<Background>> nodes;
  for (int i = 0; i < 3; ++i) nodes.push_back(StartNode(redis));
  auto r = collector.Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == ReadFile(dir + "/local.csv"));
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 48);
  CHECK(rep["items"] == 755);
  CHECK(rep["pages_dead"] == 0);
  REQUIRE(rep["nodes"].size() >= 1);
  CHECK(rep["nodes"].size() <= 3);
  CHECK(Sum(rep["nodes"], "pages") == 48);
  CHECK(Sum(rep["nodes"], "items") == 755);
  for (const auto& n : rep["nodes"]) CHECK(n["host"] == Hostname());
  // --exit-when-idle 1s: every node ends by itself once the job is complete.
  for (auto& n : nodes) {
    auto e = n->Wait(30);
    INFO(e.err);
    CHECK(e.exit_code == 0);
  }
  auto status = RunProcess({ForageBin(), "status", "--redis", redis.url(), "out"});
  INFO(status.err);
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("job out: done") != std::string::npos);
  CHECK(status.out.find("48 total, 48 done, 0 failed, 0 dead, 0 to go; 755 items") !=
        std::string::npos);
  CHECK(status.out.find("in flight  0") != std::string::npos);
  CHECK(status.out.find("results    0 ") != std::string::npos);  // the collector left none
  // Every page was fetched once: nothing was lost, so nothing twice.
  CHECK(fx.Stat("requests") - requests_before == 48 + 1);  // and robots.txt, by the collector
}

TEST_CASE("the collector's own node: forage run --redis --workers 1 alone does the whole job") {
  Fixture fx;
  RedisServer redis("own_node");
  std::string dir = TempDir("cluster_own_node");
  auto r = RunProcess(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", redis.url(),
                                         "--workers", "1", "--report", dir + "/report.json",
                                         "--quiet"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  auto rep = Report(dir + "/report.json");
  REQUIRE(rep["nodes"].size() == 1);
  CHECK(rep["nodes"][0]["pages"] == 48);
  CHECK(rep["nodes"][0]["items"] == 755);
  CHECK(rep["nodes"][0]["requests"] == 48);
  CHECK(rep["requests"] == 48 + 1);  // and robots.txt, by the collector
  CHECK(rep["bytes"].get<long>() > 0);  // the node's workers' bytes
}

TEST_CASE("kill -9 of a node mid-job: the same rows exactly once, its pages reclaimed") {
  // 4 at a time, 100 ms each: the job takes over a second.
  Fixture fx({"--delay", "100", "--max-inflight", "4"});
  RedisServer redis("kill_node");
  std::string dir = TempDir("cluster_kill_node");
  Background collector(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", redis.url(),
                                          "--workers", "0", "--lease-timeout", "1s",
                                          "--concurrency", "4", "--report",
                                          dir + "/report.json", "--quiet"}));
  REQUIRE(WaitUntil([&] { return Submitted(redis, "out"); }));
  std::vector<std::unique_ptr<Background>> nodes;
  for (int i = 0; i < 3; ++i) nodes.push_back(StartNode(redis));
  // The victim: a node that holds leases (pending entries under its name).
  pid_t victim = -1;
  REQUIRE(WaitUntil([&] {
    for (auto& n : nodes) {
      std::string consumer = Hostname() + ":" + std::to_string(n->pid());
      std::string pending = redis.Cli({"XPENDING", "forage:{out}:pages", "nodes", "-", "+", "10",
                                       consumer});
      if (!pending.empty()) {
        victim = n->pid();
        return true;
      }
    }
    return false;
  }));
  REQUIRE(kill(victim, SIGKILL) == 0);
  auto r = collector.Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 48);
  CHECK(rep["items"] == 755);
  CHECK(rep["pages_failed"] == 0);
  CHECK(rep["deliveries_lost"].get<int>() >= 1);  // the victim's leases, reclaimed
  for (const auto& f : rep["failures"]) CHECK(f["reason"] == "");  // none
  CHECK(fx.Stat("requests") >= 48 + 1);
  for (auto& n : nodes) {
    if (n->pid() == victim) continue;
    auto e = n->Wait(30);
    CHECK(e.exit_code == 0);
  }
}

TEST_CASE("a page that crashes every worker that takes it is dead after 3 deliveries, reported, "
          "and every other row is stored") {
  Fixture fx;
  RedisServer redis("poison");
  std::string dir = TempDir("cluster_poison");
  Background collector(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", redis.url(),
                                          "--workers", "0", "--report", dir + "/report.json",
                                          "--quiet"}));
  REQUIRE(WaitUntil([&] { return Submitted(redis, "out"); }));
  std::vector<std::unique_ptr<Background>> nodes;
  for (int i = 0; i < 3; ++i) {
    // forage with fault injection: test-only.
    nodes.push_back(StartNode(redis, {{"FORAGE_TEST_CRASH_URL", "/shop/page/7/"}},
                              ForageTestHooksBin()));
  }
  auto r = collector.Wait();
  INFO(r.err);
  CHECK(r.exit_code == 1);
  auto golden = GoldenRows(fx);
  // Page 7 holds rows 97..112 (1-based, after the header).
  std::vector<std::vector<std::string>> expected(golden.begin(), golden.begin() + 1 + 96);
  expected.insert(expected.end(), golden.begin() + 1 + 112, golden.end());
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == expected);
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 47);
  CHECK(rep["pages_failed"] == 1);
  CHECK(rep["pages_dead"] == 1);
  // 3 for page 7; a crash may also be blamed on a page whose PageDone the
  // dying worker had not flushed (the blame heuristic of local mode too):
  // that page is leased again and stored.
  CHECK(rep["deliveries_lost"].get<int>() >= 3);
  REQUIRE(rep["failures"].size() == 1);
  CHECK(rep["failures"][0]["url"] == fx.url() + "shop/page/7/");
  const std::string reason = rep["failures"][0]["reason"];
  CHECK(reason.rfind("poison: worker crashed while processing on node ", 0) == 0);
  CHECK(reason.find("(3 deliveries)") != std::string::npos);
  CHECK(redis.Cli({"XLEN", "forage:{out}:dead"}) == "1");
  auto status = RunProcess({ForageBin(), "status", "--redis", redis.url()});
  INFO(status.out);
  CHECK(status.out.find("48 total, 47 done, 0 failed, 1 dead, 0 to go") != std::string::npos);
  for (auto& n : nodes) CHECK(n->Wait(30).exit_code == 0);
}

TEST_CASE("kill -9 of the collector, then --resume: the same rows exactly once") {
  Fixture fx({"--delay", "100", "--max-inflight", "4"});
  RedisServer redis("kill_collector");
  std::string dir = TempDir("cluster_kill_collector");
  auto argv = With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", redis.url(), "--workers",
                                 "1", "--concurrency", "4", "--quiet"});
  {
    Background collector(argv);
    // Some pages stored and checkpointed (the state records them).
    REQUIRE(WaitUntil([&] { return StatePages(dir + "/out.csv.state") > 0; }));
    REQUIRE(kill(collector.pid(), SIGKILL) == 0);
    collector.Wait();
  }
  REQUIRE(FileExists(dir + "/out.csv.state"));
  auto r = RunProcess(With(argv, {"--resume", "--report", dir + "/report.json"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_resumed"].get<int>() > 0);
  CHECK(rep["pages_ok"].get<int>() + rep["pages_resumed"].get<int>() == 48);
}

TEST_CASE("--crawl across 3 nodes: every reachable page fetched once, every record once") {
  Fixture fx;
  RedisServer redis("crawl");
  std::string dir = TempDir("cluster_crawl");
  Cluster c(redis, {ForageBin(), "run", "--url", fx.url() + "crawl/graph/", "--crawl", "--items",
                    "li.item", "--field", "name=::text", "-o", dir + "/out.jsonl", "--quiet"},
            3);
  auto r = c.collector->Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::map<std::string, long> graph = {
      {"/crawl/graph/", 1},         {"/crawl/graph/a", 1},          {"/crawl/graph/b", 1},
      {"/crawl/graph/c", 1},        {"/crawl/graph/d", 1},          {"/crawl/graph/e", 1},
      {"/crawl/graph/deep", 1},     {"/crawl/graph/area", 1},       {"/crawl/graph/q?x=1", 1},
      {"/crawl/graph/q?x=2", 1},    {"/crawl/graph/private/p1", 1}, {"/crawl/graph/private/p2", 1}};
  CHECK(Paths(fx) == graph);
  std::multiset<std::string> names;
  std::string out = ReadFile(dir + "/out.jsonl");
  for (size_t start = 0, nl; start < out.size(); start = nl + 1) {
    nl = out.find('\n', start);
    names.insert(nlohmann::json::parse(out.substr(start, nl - start))["name"].get<std::string>());
    if (nl == std::string::npos) break;
  }
  CHECK(names == std::multiset<std::string>{"index", "a", "b", "c", "e", "deep", "area", "q?x=1",
                                            "q?x=2", "p1", "p2"});
}

TEST_CASE("--follow across 3 nodes: 3 list pages and 48 detail pages, each fetched once") {
  Fixture fx;
  RedisServer redis("follow");
  std::string dir = TempDir("cluster_follow");
  Cluster c(redis, {ForageBin(), "run", "--url", fx.url() + "shop/page/{page}/", "--pages", "1-3",
                    "--items", ".product", "--field", "name=h2", "--field", "price=.price",
                    "--follow", ".woocommerce-loop-product__link::attr(href)", "--detail-field",
                    "title=h1.product_title", "-o", dir + "/out.csv", "--report",
                    dir + "/report.json", "--quiet"},
            3);
  auto r = c.collector->Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto rows = ParseCsv(ReadFile(dir + "/out.csv"));
  REQUIRE(rows.size() == 1 + 48);
  auto golden = GoldenRows(fx);
  for (size_t i = 1; i <= 48; ++i) {
    CAPTURE(i);
    CHECK(rows[i][0] == golden[i][1]);  // carried from the list page, in page order
    CHECK(rows[i][2] == golden[i][1]);  // the detail page's own title
  }
  CHECK(fx.Stat("requests") == 1 + 3 + 48);  // robots.txt, list, detail pages: each once
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 3 + 48);
}

TEST_CASE("--per-host 3 across 3 nodes: the site never sees more than 3 at once") {
  // --gather 3: the peak is the one forage allows, not the scheduling's.
  Fixture fx({"--delay", "50", "--gather", "3"});
  RedisServer redis("per_host");
  std::string dir = TempDir("cluster_per_host");
  Cluster c(redis, With(SeedJob(fx), {"-o", dir + "/out.csv", "--per-host", "3", "--quiet"}), 3);
  auto r = c.collector->Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(fx.Stat("peak_inflight") == 3);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
}

TEST_CASE("SIGINT to a node drains it: it finishes and acknowledges what it holds, exits 130") {
  Fixture fx({"--delay", "100", "--max-inflight", "4"});
  RedisServer redis("drain");
  std::string dir = TempDir("cluster_drain");
  Cluster c(redis, With(SeedJob(fx), {"-o", dir + "/out.csv", "--concurrency", "4", "--report",
                                      dir + "/report.json", "--quiet"}),
            2);
  Background& victim = *c.nodes[0];
  const std::string consumer = Hostname() + ":" + std::to_string(victim.pid());
  REQUIRE(WaitUntil([&] {
    return !redis.Cli({"XPENDING", "forage:{out}:pages", "nodes", "-", "+", "10", consumer})
                .empty();
  }));
  victim.Signal(SIGINT);
  auto v = victim.Wait(60);
  CHECK(v.exit_code == 130);
  // Nothing it held is left pending: each was answered before it exited.
  CHECK(redis.Cli({"XPENDING", "forage:{out}:pages", "nodes", "-", "+", "10", consumer}) == "");
  auto r = c.collector->Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["deliveries_lost"] == 0);
  CHECK(fx.Stat("requests") == 48 + 1);  // nothing fetched twice
}

TEST_CASE("Redis stopped for 3 s mid-job and restarted: the job completes with the same rows") {
  Fixture fx({"--delay", "100", "--max-inflight", "4"});
  RedisServer redis("restart");
  std::string dir = TempDir("cluster_restart");
  Cluster c(redis, With(SeedJob(fx), {"-o", dir + "/out.csv", "--concurrency", "4", "--report",
                                      dir + "/report.json", "--quiet"}),
            2);
  REQUIRE(WaitUntil([&] { return fx.Stat("requests") >= 12; }));
  redis.Stop();
  // The outage itself (not a wait for anything): 3 s without Redis.
  usleep(3'000'000);
  redis.Start();
  auto r = c.collector->Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 48);
  CHECK(rep["items"] == 755);
  for (auto& n : c.nodes) CHECK(n->Wait(30).exit_code == 0);
}

TEST_CASE("SIGINT to a collector whose leases no node took: it takes them back, exits 130, "
          "and --resume finishes the job") {
  Fixture fx;
  RedisServer redis("interrupt_collector");
  std::string dir = TempDir("cluster_interrupt_collector");
  auto argv = With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", redis.url(), "--quiet"});
  Background collector(With(argv, {"--workers", "0"}));
  REQUIRE(WaitUntil([&] { return redis.Cli({"XLEN", "forage:{out}:pages"}) == "8"; }));
  collector.Signal(SIGINT);
  auto r = collector.Wait(60);
  INFO(r.err);
  CHECK(r.exit_code == 130);
  CHECK(redis.Cli({"XLEN", "forage:{out}:pages"}) == "0");
  CHECK(redis.Cli({"HGET", "forage:{out}:meta", "state"}) == "stopped");
  CHECK(fx.Stat("requests") == 1);  // robots.txt only: no page was fetched
  auto resumed = RunProcess(With(argv, {"--workers", "1", "--resume"}));
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
}

TEST_CASE("bad --redis input: exit 2 before any request, and an unreachable Redis is exit 3") {
  Fixture fx;
  std::string dir = TempDir("cluster_bad_input");
  auto bad = RunProcess(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", "http://127.0.0.1:1"}));
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--redis 'http://127.0.0.1:1': expected redis://HOST[:PORT][/DB]") !=
        std::string::npos);
  auto deliveries = RunProcess(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis",
                                                  "redis://127.0.0.1:6379", "--max-deliveries",
                                                  "0"}));
  CHECK(deliveries.exit_code == 2);
  CHECK(deliveries.err.find("--max-deliveries 0 must be 1 or more") != std::string::npos);
  CHECK(fx.Stat("requests") == 0);
  const std::string closed = "redis://127.0.0.1:" + std::to_string(ClosedPort());
  auto status = RunProcess({ForageBin(), "status", "--redis", closed});
  CHECK(status.exit_code == 3);
  auto node = RunProcess({ForageBin(), "worker", "--redis", closed, "--workers", "x"});
  CHECK(node.exit_code == 2);
  CHECK(node.err.find("--workers 'x'") != std::string::npos);
  // A node that cannot reach Redis waits for it; --exit-when-idle still ends it.
  auto idle = RunProcess({ForageBin(), "worker", "--redis", closed, "--workers", "1",
                          "--exit-when-idle", "200ms"});
  CHECK(idle.exit_code == 0);
  CHECK(idle.err.find("waiting for Redis") != std::string::npos);
}

}  // TEST_SUITE

}  // namespace forage::testing
