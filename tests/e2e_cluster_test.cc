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

// The name a node process owns (its liveness key forage:node:NAME holds its
// pid): one of HOSTNAME-1..8, the default names; empty if none yet.
std::string NodeNameOf(const RedisServer& redis, pid_t pid) {
  for (int n = 1; n <= 8; ++n) {
    const std::string name = Hostname() + "-" + std::to_string(n);
    auto owner = nlohmann::json::parse(redis.Cli({"GET", "forage:node:" + name}), nullptr, false);
    if (owner.is_object() && owner.value("pid", 0) == pid) return name;
  }
  return "";
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
  // Each node's last figures (posted once its workers stopped) are in.
  CHECK(Sum(rep["nodes"], "requests") == 48);
  CHECK(rep["requests"] == 48 + 1);  // and robots.txt, by the collector
  CHECK(rep["http_versions"]["1.1"] == 48 + 1);
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
  // The node's workers' transport counters join the collector's own.
  CHECK(rep["http_versions"]["1.1"] == 48 + 1);
  CHECK(rep["connections_opened"].get<long>() >= 2);  // the collector's, the worker's
}

TEST_CASE("kill -9 of a node mid-job: the same rows exactly once, its pages reclaimed") {
  // 4 at a time, 100 ms each; from the 13th page on the fixture holds every
  // page request until /__release: the job is provably half done when the
  // node dies, however the machine schedules it.
  Fixture fx({"--delay", "100", "--max-inflight", "4", "--hold-after", "12"});
  RedisServer redis("kill_node");
  std::string dir = TempDir("cluster_kill_node");
  // --max-deliveries 100: a live node starved of CPU past the 1 s lease
  // loses its lease too (a delivery); the poison limit is not tested here.
  Background collector(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", redis.url(),
                                          "--workers", "0", "--lease-timeout", "1s",
                                          "--max-deliveries", "100", "--concurrency", "4",
                                          "--report", dir + "/report.json", "--quiet"}));
  REQUIRE(WaitUntil([&] { return Submitted(redis, "out"); }));
  std::vector<std::unique_ptr<Background>> nodes;
  for (int i = 0; i < 3; ++i) nodes.push_back(StartNode(redis));
  // Every node owns its name before one dies. A node that came later would
  // take the dead one's name over at once (a process of this machine that
  // is gone) and re-read its leases: a rescue, but not the reaper's, which
  // is what this test is about (the re-read has its own test below).
  std::vector<std::string> names(nodes.size());
  REQUIRE(WaitUntil([&] {
    bool all = true;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (names[i].empty()) names[i] = NodeNameOf(redis, nodes[i]->pid());
      all = all && !names[i].empty();
    }
    return all;
  }));
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  // The victim: a node that holds leases (pending entries under its name),
  // stopped while it is looked at, so it cannot answer them meanwhile.
  pid_t victim = -1;
  std::string victim_name;
  long victim_held = 0;
  REQUIRE(WaitUntil([&] {
    for (size_t i = 0; i < nodes.size(); ++i) {
      kill(nodes[i]->pid(), SIGSTOP);
      std::string pending = redis.Cli({"XPENDING", "forage:{out}:pages", "nodes", "-", "+", "10",
                                       names[i]});
      if (!pending.empty()) {
        victim = nodes[i]->pid();
        victim_name = names[i];
        // --raw: 4 lines per entry (id, consumer, idle ms, deliveries).
        victim_held = (static_cast<long>(std::count(pending.begin(), pending.end(), '\n')) + 1) / 4;
        return true;
      }
      kill(nodes[i]->pid(), SIGCONT);
    }
    return false;
  }));
  REQUIRE(kill(victim, SIGKILL) == 0);
  fx.Get("__release");
  auto r = collector.Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 48);
  CHECK(rep["items"] == 755);
  CHECK(rep["pages_failed"] == 0);
  // The victim's leases, each reclaimed by the collector's reaper (a
  // starved live node may lose one too), and none re-read by another node.
  INFO("victim ", victim_name, " held ", victim_held);
  CHECK(victim_held >= 1);
  CHECK(rep["deliveries_lost"].get<long>() >= victim_held);
  for (const auto& n : rep["nodes"]) CHECK(n["reread"] == 0);
  for (const auto& f : rep["failures"]) CHECK(f["reason"] == "");  // none
  CHECK(fx.Stat("requests") >= 48 + 1);
  for (auto& n : nodes) {
    if (n->pid() == victim) continue;
    auto e = n->Wait(30);
    CHECK(e.exit_code == 0);
  }
}

// The nodes group's pending entries (leases delivered, not answered), by
// XPENDING's summary form.
long PendingLeases(const RedisServer& redis) {
  std::string out = redis.Cli({"XPENDING", "forage:{out}:pages", "nodes"});
  return std::stol(out.substr(0, out.find('\n')));
}

TEST_CASE("kill -9 of a node, then a new forage worker on the same machine: it takes over the "
          "dead node's name and re-reads its pending leases first, every row exactly once") {
  // 4 at a time, 100 ms each, and from the 13th page on held until
  // /__release: the node dies mid-job. --lease-timeout 10m: the collector's
  // reaper cannot be the one that rescues the pages.
  Fixture fx({"--delay", "100", "--max-inflight", "4", "--hold-after", "12"});
  RedisServer redis("restart_node");
  std::string dir = TempDir("cluster_restart_node");
  Background collector(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", redis.url(),
                                          "--workers", "0", "--lease-timeout", "10m",
                                          "--concurrency", "4", "--report",
                                          dir + "/report.json", "--quiet"}));
  REQUIRE(WaitUntil([&] { return Submitted(redis, "out"); }));
  auto first = StartNode(redis);
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  // Killed while it holds leases: stopped while they are counted, so it
  // cannot answer them meanwhile.
  long held = 0;
  REQUIRE(WaitUntil([&] {
    kill(first->pid(), SIGSTOP);
    held = PendingLeases(redis);
    if (held == 0) kill(first->pid(), SIGCONT);
    return held > 0;
  }));
  REQUIRE(kill(first->pid(), SIGKILL) == 0);
  fx.Get("__release");  // before the Wait: its worker shares its stderr
  first->Wait();
  // Nobody else can take them before their lease ends (10 minutes).
  REQUIRE(PendingLeases(redis) == held);
  auto second = StartNode(redis);
  // Bounded: without the re-read the job would wait 10 minutes for the reaper.
  auto r = collector.Wait(60);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_ok"] == 48);
  CHECK(rep["items"] == 755);
  CHECK(rep["deliveries_lost"] == 0);  // no lease expired: the new node answered them
  // One name across both lives: the default name, HOSTNAME-1.
  REQUIRE(rep["nodes"].size() == 1);
  CHECK(rep["nodes"][0]["node"] == Hostname() + "-1");
  CHECK(rep["nodes"][0]["pages"] == 48);
  CHECK(rep["nodes"][0]["items"] == 755);
  CHECK(rep["nodes"][0]["reread"] == held);
  CHECK(rep["nodes"][0]["pid"] == second->pid());
  auto e = second->Wait(30);
  INFO(e.err);
  CHECK(e.exit_code == 0);
  auto status = RunProcess({ForageBin(), "status", "--redis", redis.url(), "out"});
  INFO(status.out);
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("node " + Hostname() + "-1 ") != std::string::npos);
  CHECK(status.out.find("re-read " + std::to_string(held) + "\n") != std::string::npos);
}

TEST_CASE("a node that takes over a dead node's name serves first the job where leases are "
          "pending under it") {
  // From the 13th page on held until /__release: the node dies mid-job.
  Fixture fx({"--delay", "100", "--max-inflight", "4", "--hold-after", "12"});
  RedisServer redis("pending_first");
  std::string dir = TempDir("cluster_pending_first");
  // Job "b" first, served by the node that dies holding some of its pages.
  Background b(With(SeedJob(fx), {"-o", dir + "/b.csv", "--redis", redis.url(), "--workers", "0",
                                  "--lease-timeout", "10m", "--concurrency", "4", "--quiet"}));
  REQUIRE(WaitUntil([&] { return Submitted(redis, "b"); }));
  auto first = StartNode(redis);
  const std::string pages = "forage:{b}:pages";
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  REQUIRE(WaitUntil([&] {
    kill(first->pid(), SIGSTOP);
    const bool held = redis.Cli({"XPENDING", pages, "nodes", "-", "+", "1"}) != "";
    if (!held) kill(first->pid(), SIGCONT);
    return held;
  }));
  const pid_t dead = first->pid();
  REQUIRE(kill(dead, SIGKILL) == 0);
  fx.Get("__release");  // before the Wait: its worker shares its stderr
  first->Wait();
  // Job "a" comes before "b" by name: a new node would serve it first.
  Background a(With(SeedJob(fx), {"-o", dir + "/a.csv", "--redis", redis.url(), "--workers", "0",
                                  "--quiet"}));
  REQUIRE(WaitUntil([&] { return Submitted(redis, "a"); }));
  Background second({ForageBin(), "worker", "--redis", redis.url(), "--workers", "1",
                     "--exit-when-idle", "1s"});
  const std::string seen = second.ReadErrUntil("serving job");
  CHECK(seen.find("took over the name of a dead node (pid " + std::to_string(dead)) !=
        std::string::npos);
  CHECK(seen.find("serving job b ") != std::string::npos);
  auto rb = b.Wait(60);
  INFO(rb.err);
  CHECK(rb.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/b.csv")) == GoldenRows(fx));
  auto ra = a.Wait(60);
  CHECK(ra.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/a.csv")) == GoldenRows(fx));
  CHECK(second.Wait(30).exit_code == 0);
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
  // From the 25th page on held until /__release: the collector dies with
  // the job half done.
  Fixture fx({"--delay", "100", "--max-inflight", "4", "--hold-after", "24"});
  RedisServer redis("kill_collector");
  std::string dir = TempDir("cluster_kill_collector");
  auto argv = With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", redis.url(), "--workers",
                                 "1", "--concurrency", "4", "--quiet"});
  {
    Background collector(argv);
    // Some pages stored and checkpointed (the state records them).
    REQUIRE(WaitUntil([&] { return StatePages(dir + "/out.csv.state") > 0; }));
    REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
    REQUIRE(kill(collector.pid(), SIGKILL) == 0);
    // Before the Wait, which reads its stderr to the end: its own node (and
    // that one's worker) share it, and drain what they hold.
    fx.Get("__release");
    collector.Wait();
  }
  REQUIRE(FileExists(dir + "/out.csv.state"));
  auto r = RunProcess(With(argv, {"--resume", "--report", dir + "/report.json"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  auto rep = Report(dir + "/report.json");
  CHECK(rep["pages_resumed"].get<int>() > 0);
  CHECK(rep["pages_resumed"].get<int>() <= 24);  // at most what the fixture answered
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
  // From the 13th page on held until /__release: the node is interrupted
  // while it holds pages, however the machine schedules it.
  Fixture fx({"--delay", "100", "--max-inflight", "4", "--hold-after", "12"});
  RedisServer redis("drain");
  std::string dir = TempDir("cluster_drain");
  Cluster c(redis, With(SeedJob(fx), {"-o", dir + "/out.csv", "--concurrency", "4", "--report",
                                      dir + "/report.json", "--quiet"}),
            0);
  // Two nodes, not --quiet: the victim says when it has taken the SIGINT.
  for (int i = 0; i < 2; ++i) {
    c.nodes.push_back(std::make_unique<Background>(std::vector<std::string>{
        ForageBin(), "worker", "--redis", redis.url(), "--workers", "1", "--exit-when-idle",
        "1s"}));
  }
  std::vector<std::string> names(c.nodes.size());
  REQUIRE(WaitUntil([&] {
    bool all = true;
    for (size_t i = 0; i < c.nodes.size(); ++i) {
      if (names[i].empty()) names[i] = NodeNameOf(redis, c.nodes[i]->pid());
      all = all && !names[i].empty();
    }
    return all;
  }));
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  // The victim: a node holding leases (while pages are held, what the nodes
  // hold no longer changes; one of them holds some).
  Background* victim_node = nullptr;
  std::string consumer;
  REQUIRE(WaitUntil([&] {
    for (size_t i = 0; i < c.nodes.size(); ++i) {
      if (!redis.Cli({"XPENDING", "forage:{out}:pages", "nodes", "-", "+", "10", names[i]})
               .empty()) {
        victim_node = c.nodes[i].get();
        consumer = names[i];
        return true;
      }
    }
    return false;
  }));
  Background& victim = *victim_node;
  victim.Signal(SIGINT);
  // Draining (it said so), it finishes what it holds: the held pages go on.
  REQUIRE(victim.ReadErrUntil("finishing its pages").find("finishing its pages") !=
          std::string::npos);
  fx.Get("__release");
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
  // From the 13th page on held until /__release: Redis stops mid-job.
  Fixture fx({"--delay", "100", "--max-inflight", "4", "--hold-after", "12"});
  RedisServer redis("restart");
  std::string dir = TempDir("cluster_restart");
  Cluster c(redis, With(SeedJob(fx), {"-o", dir + "/out.csv", "--concurrency", "4", "--report",
                                      dir + "/report.json", "--quiet"}),
            2);
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  redis.Stop();
  // The held pages finish during the outage: their answers wait in the nodes.
  fx.Get("__release");
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
  for (auto& n : c.nodes) {
    auto e = n->Wait(30);
    INFO(e.err);
    CHECK(e.exit_code == 0);
  }
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
  CHECK(bad.err.find("--redis 'http://127.0.0.1:1': expected "
                     "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]") != std::string::npos);
  auto tls =
      RunProcess(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", "rediss://127.0.0.1:1"}));
  CHECK(tls.exit_code == 2);
  CHECK(tls.err.find(
            "TLS to Redis is not supported by this build: Debian 12's hiredis has no SSL") !=
        std::string::npos);
  // A bad URL's message never shows its password.
  auto port = RunProcess({ForageBin(), "worker", "--redis", "redis://u:topsecret@127.0.0.1:99999"});
  CHECK(port.exit_code == 2);
  CHECK(port.err.find("'redis://u:***@127.0.0.1:99999': port '99999' is not a port") !=
        std::string::npos);
  CHECK(port.err.find("topsecret") == std::string::npos);
  auto name = RunProcess({ForageBin(), "worker", "--redis", "redis://127.0.0.1:1", "--node-name",
                          "a b"});
  CHECK(name.exit_code == 2);
  CHECK(name.err.find("--node-name 'a b': only letters, digits") != std::string::npos);
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

TEST_CASE("node names: live nodes never share one, defaults are HOSTNAME-1 and -2, a name in "
          "use exits 3, and a node that exits gives its name back") {
  RedisServer redis("node_names");
  Background a({ForageBin(), "worker", "--redis", redis.url(), "--workers", "1"});
  Background b({ForageBin(), "worker", "--redis", redis.url(), "--workers", "1"});
  REQUIRE(WaitUntil([&] { return !NodeNameOf(redis, a.pid()).empty(); }));
  REQUIRE(WaitUntil([&] { return !NodeNameOf(redis, b.pid()).empty(); }));
  CHECK(std::set<std::string>{NodeNameOf(redis, a.pid()), NodeNameOf(redis, b.pid())} ==
        std::set<std::string>{Hostname() + "-1", Hostname() + "-2"});
  Background named({ForageBin(), "worker", "--redis", redis.url(), "--workers", "1",
                    "--node-name", "alpha"});
  REQUIRE(WaitUntil([&] { return !redis.Cli({"GET", "forage:node:alpha"}).empty(); }));
  auto twin = RunProcess({ForageBin(), "worker", "--redis", redis.url(), "--workers", "1",
                          "--node-name", "alpha"});
  CHECK(twin.exit_code == 3);
  CHECK(twin.err.find("node name 'alpha' is in use by a live node (host " + Hostname() + " pid " +
                      std::to_string(named.pid()) + ")") != std::string::npos);
  // A clean exit frees the name at once (no wait for the key to expire).
  named.Signal(SIGINT);
  CHECK(named.Wait(30).exit_code == 130);
  CHECK(redis.Cli({"EXISTS", "forage:node:alpha"}) == "0");
  // A name held by a node of another machine: waited for until its key
  // expires (that node may be dead), then taken.
  const std::string elsewhere =
      R"({"host":"elsewhere","pid":1,"start":"1","boot":"x","pidns":"pid:[1]"})";
  REQUIRE(redis.Cli({"SET", "forage:node:beta", elsewhere, "PX", "1500"}) == "OK");
  Background beta({ForageBin(), "worker", "--redis", redis.url(), "--workers", "1",
                   "--node-name", "beta"});
  CHECK(beta.ReadErrUntil("waiting up to").find("node name 'beta' is in use by a node on host "
                                                "elsewhere pid 1") != std::string::npos);
  REQUIRE(WaitUntil([&] {
    auto owner = nlohmann::json::parse(redis.Cli({"GET", "forage:node:beta"}), nullptr, false);
    return owner.is_object() && owner.value("pid", 0) == beta.pid();
  }));
  // Held by another machine's node that is alive: it renews its key, and
  // the node that waited gives up (exit 3).
  REQUIRE(redis.Cli({"SET", "forage:node:gamma", elsewhere, "PX", "3000"}) == "OK");
  Background gamma({ForageBin(), "worker", "--redis", redis.url(), "--workers", "1",
                    "--node-name", "gamma"});
  gamma.ReadErrUntil("waiting up to");
  REQUIRE(redis.Cli({"SET", "forage:node:gamma", elsewhere, "PX", "20000"}) == "OK");
  auto renewed = gamma.Wait(30);
  CHECK(renewed.exit_code == 3);
  CHECK(renewed.err.find("node name 'gamma' is in use by a node on host elsewhere pid 1 (its key "
                         "was renewed: that node is alive)") != std::string::npos);
  // Its key overwritten by another owner (as after an outage that let it
  // expire): the node gives up the name and exits 3.
  REQUIRE(redis.Cli({"SET", "forage:node:beta", elsewhere}) == "OK");
  auto lost = beta.Wait(30);
  CHECK(lost.exit_code == 3);
  CHECK(lost.err.find("its name is another node's now") != std::string::npos);
  CHECK(redis.Cli({"GET", "forage:node:beta"}) == elsewhere);  // not deleted by the loser
  a.Signal(SIGINT);
  b.Signal(SIGINT);
  CHECK(a.Wait(30).exit_code == 130);
  CHECK(b.Wait(30).exit_code == 130);
}

TEST_CASE("Redis AUTH with a password: a job completes through it, percent-encoded in the URL, "
          "and neither the report nor status nor stderr shows it") {
  Fixture fx;
  const std::string password = "s3cr@t:pw/x";
  RedisServer redis("auth_password", {"", password});
  const std::string url =
      "redis://:s3cr%40t%3Apw%2Fx@127.0.0.1:" + std::to_string(redis.port());
  std::string dir = TempDir("cluster_auth_password");
  auto r = RunProcess(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", url, "--workers", "1",
                                         "--report", dir + "/report.json"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  CHECK(Report(dir + "/report.json")["items"] == 755);
  auto status = RunProcess({ForageBin(), "status", "--redis", url, "out"});
  INFO(status.err);
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("job out: done") != std::string::npos);
  for (const std::string& secret : {std::string("s3cr"), std::string("%40t")}) {
    CHECK(r.err.find(secret) == std::string::npos);
    CHECK(r.out.find(secret) == std::string::npos);
    CHECK(ReadFile(dir + "/report.json").find(secret) == std::string::npos);
    CHECK(status.out.find(secret) == std::string::npos);
  }
  // A wrong password, and none at all: exit 3, "authentication failed", and
  // the password given is never echoed.
  const std::string wrong = "redis://:wr0ng-pw@127.0.0.1:" + std::to_string(redis.port());
  auto bad = RunProcess(With(SeedJob(fx), {"-o", dir + "/bad.csv", "--redis", wrong}));
  CHECK(bad.exit_code == 3);
  CHECK(bad.err.find("authentication failed") != std::string::npos);
  CHECK(bad.err.find("redis://:***@127.0.0.1:" + std::to_string(redis.port())) !=
        std::string::npos);
  CHECK(bad.err.find("wr0ng") == std::string::npos);
  auto node = RunProcess({ForageBin(), "worker", "--redis", wrong, "--workers", "1"}, {}, 30);
  CHECK(node.exit_code == 3);
  CHECK(node.err.find("authentication failed") != std::string::npos);
  CHECK(node.err.find("wr0ng") == std::string::npos);
  auto st = RunProcess({ForageBin(), "status", "--redis", wrong});
  CHECK(st.exit_code == 3);
  CHECK(st.err.find("authentication failed") != std::string::npos);
  CHECK(st.err.find("wr0ng") == std::string::npos);
  auto none = RunProcess({ForageBin(), "status", "--redis", redis.url()});
  CHECK(none.exit_code == 3);
  CHECK(none.err.find("authentication failed: the server requires a password") !=
        std::string::npos);
}

TEST_CASE("Redis AUTH as an ACL user: a collector and a node complete the job through it, and a "
          "wrong password for the user exits 3") {
  Fixture fx;
  RedisServer redis("auth_acl", {"forager", "acl-pw"});
  const std::string url = "redis://forager:acl-pw@127.0.0.1:" + std::to_string(redis.port());
  std::string dir = TempDir("cluster_auth_acl");
  Background collector(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", url, "--workers",
                                          "0", "--quiet"}));
  REQUIRE(WaitUntil([&] { return Submitted(redis, "out"); }));
  Background node({ForageBin(), "worker", "--redis", url, "--workers", "1", "--exit-when-idle",
                   "1s", "--quiet"});
  auto r = collector.Wait(60);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  CHECK(node.Wait(30).exit_code == 0);
  auto status = RunProcess({ForageBin(), "status", "--redis", url});
  CHECK(status.out.find("node " + Hostname() + "-1 ") != std::string::npos);
  // The default user is off: the user's name is needed, and its password.
  auto bad = RunProcess({ForageBin(), "status", "--redis",
                         "redis://forager:nope-pw@127.0.0.1:" + std::to_string(redis.port())});
  CHECK(bad.exit_code == 3);
  CHECK(bad.err.find("authentication failed as user 'forager'") != std::string::npos);
  CHECK(bad.err.find("nope-pw") == std::string::npos);
  CHECK(bad.err.find("redis://forager:***@127.0.0.1:") != std::string::npos);
}

TEST_CASE("--redis URL/DB: the job's keys are in that database only") {
  Fixture fx;
  RedisServer redis("select_db");
  const std::string url = redis.url() + "/3";
  std::string dir = TempDir("cluster_select_db");
  auto r = RunProcess(With(SeedJob(fx), {"-o", dir + "/out.csv", "--redis", url, "--workers", "1",
                                         "--quiet"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ParseCsv(ReadFile(dir + "/out.csv")) == GoldenRows(fx));
  CHECK(redis.Cli({"-n", "3", "HGET", "forage:{out}:meta", "state"}) == "done");
  CHECK(redis.Cli({"-n", "3", "SISMEMBER", "forage:jobs", "out"}) == "1");
  CHECK(redis.Cli({"DBSIZE"}) == "0");  // database 0 has nothing
  auto status = RunProcess({ForageBin(), "status", "--redis", url});
  CHECK(status.out.find("job out: done") != std::string::npos);
  auto db0 = RunProcess({ForageBin(), "status", "--redis", redis.url()});
  CHECK(db0.out == "no jobs\n");
}

}  // TEST_SUITE

}  // namespace forage::testing
