// --proxy-list end to end through two real loopback proxies (Debian's
// tinyproxy, started by the test in a temp dir): requests spread across
// both; one killed mid-run, its requests move to the other and every row is
// stored once.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace forage::testing {
namespace {

// tinyproxy in the foreground on a free loopback port, its config and log
// in a temp dir; killed (SIGKILL) when it goes out of scope.
class TinyProxy {
 public:
  explicit TinyProxy(const std::string& name) : dir_(TempDir(name)), port_(ClosedPort()) {
    WriteFile(dir_ + "/tinyproxy.conf",
              "Port " + std::to_string(port_) +
                  "\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nMaxClients 200\n"
                  "LogFile \"" + dir_ + "/tinyproxy.log\"\nLogLevel Info\n"
                  "PidFile \"" + dir_ + "/tinyproxy.pid\"\n");
    proc_ = std::make_unique<Background>(
        std::vector<std::string>{"/usr/bin/tinyproxy", "-d", "-c", dir_ + "/tinyproxy.conf"});
    REQUIRE(WaitUntil([&] { return PortAnswers(port_); }));
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Requests it has taken, from its log ("Request (file descriptor N): GET ...").
  long Requests() const {
    std::istringstream log(FileExists(dir_ + "/tinyproxy.log") ? ReadFile(dir_ + "/tinyproxy.log")
                                                               : "");
    long n = 0;
    for (std::string line; std::getline(log, line);) {
      n += line.find("]: Request (file descriptor") != std::string::npos ? 1 : 0;
    }
    return n;
  }
  void Kill() {
    proc_->Signal(SIGKILL);
    proc_->Wait();
  }

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<Background> proc_;
};

nlohmann::json Report(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

TEST_SUITE("e2e.proxy") {

TEST_CASE("--proxy-list rotate spreads the requests over both proxies") {
  Fixture fx;
  TinyProxy a("proxy_rotate_a");
  TinyProxy b("proxy_rotate_b");
  const std::string dir = TempDir("proxy_rotate");
  WriteFile(dir + "/proxies.txt", "# two local proxies\n" + a.url() + "\n\n" + b.url() + "\n");
  auto argv = SeedJob(fx, "1-48");
  argv.insert(argv.end(), {"--workers", "2", "--proxy-list", dir + "/proxies.txt", "-o",
                           dir + "/out.csv", "--report", dir + "/report.json"});
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
  // robots.txt goes through the first proxy; each worker alternates.
  CHECK(a.Requests() + b.Requests() == 1 + 48);
  CHECK(fx.Stat("requests") == 1 + 48);
  CHECK(a.Requests() >= 20);
  CHECK(b.Requests() >= 20);
  auto rep = Report(dir + "/report.json");
  REQUIRE(rep["proxies"].size() == 2);
  CHECK(rep["proxies"][0]["url"] == a.url());
  CHECK(rep["proxies"][1]["url"] == b.url());
  CHECK(rep["proxies"][0]["requests"].get<long>() == a.Requests() - 1);
  CHECK(rep["proxies"][1]["requests"].get<long>() == b.Requests());
  CHECK(rep["proxies"][0]["failures"] == 0);
  CHECK(rep["proxies"][1]["benched"] == 0);
  CHECK(r.err.find("proxy " + b.url() + "   requests ") != std::string::npos);
}

TEST_CASE("--proxy-mode sticky keeps a host on one proxy") {
  Fixture fx;
  TinyProxy a("proxy_sticky_a");
  TinyProxy b("proxy_sticky_b");
  const std::string dir = TempDir("proxy_sticky");
  WriteFile(dir + "/proxies.txt", a.url() + "\n" + b.url() + "\n");
  auto argv = SeedJob(fx, "1-48");
  argv.insert(argv.end(), {"--workers", "2", "--proxy-list", dir + "/proxies.txt",
                           "--proxy-mode", "sticky", "-o", dir + "/out.csv", "--quiet"});
  auto r = RunProcess(argv);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/out.csv") == GoldenShopCsv(fx));
  CHECK(a.Requests() == 1 + 48);  // one host: each worker sticks to the first proxy
  CHECK(b.Requests() == 0);
}

TEST_CASE("a proxy killed mid-run: its requests move to the other, every row stored once") {
  // 300 pages at >= 20 ms each, 4 at a time; in the run through the proxies
  // the fixture holds every page after the 80th until /__release, so the
  // proxy dies with the run provably a quarter done.
  Fixture fx({"--pages", "300", "--delay", "20", "--hold-after", "80"});
  const std::string dir = TempDir("proxy_killed");
  auto job = [&](const std::string& name) {
    auto argv = SeedJob(fx, "1-300");
    argv.insert(argv.end(), {"--workers", "2", "--concurrency", "4", "-o",
                             dir + "/" + name + ".csv", "--report", dir + "/" + name + ".json",
                             "--quiet"});
    return argv;
  };
  fx.Get("__release");  // the reference run is not held
  auto reference = RunProcess(job("reference"));
  REQUIRE(reference.exit_code == 0);
  fx.Get("__reset");  // armed again: the 81st page of the next run is held

  TinyProxy a("proxy_killed_a");
  TinyProxy b("proxy_killed_b");
  WriteFile(dir + "/proxies.txt", a.url() + "\n" + b.url() + "\n");
  auto argv = job("through");
  argv.insert(argv.end(), {"--proxy-list", dir + "/proxies.txt"});
  Background run(argv);
  // Killed once 80 pages are answered (about 40 through it) and the rest
  // wait: a quarter of the job.
  REQUIRE(WaitUntil([&] { return fx.Stat("held") > 0; }));
  b.Kill();
  const long b_at_kill = b.Requests();
  fx.Get("__release");
  auto r = run.Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(ReadFile(dir + "/through.csv") == ReadFile(dir + "/reference.csv"));
  CHECK(b_at_kill < 150);  // it was killed mid-run, not after it
  CHECK(a.Requests() + b_at_kill >= 1 + 300);
  auto rep = Report(dir + "/through.json");
  CHECK(rep["pages_ok"] == 300);
  CHECK(rep["pages_failed"] == 0);
  // Only the requests under way through it when it died (at most the 4 in
  // flight) cost a retry; every later one moved to the other proxy at once.
  CHECK(rep["retries"].get<long>() <= 4);
  CHECK(rep["items"] == Report(dir + "/reference.json")["items"]);
  REQUIRE(rep["proxies"].size() == 2);
  CHECK(rep["proxies"][0]["failures"] == 0);
  CHECK(rep["proxies"][1]["failures"].get<long>() >= 3);
  CHECK(rep["proxies"][1]["benched"].get<long>() >= 1);
}

TEST_CASE("a bad --proxy-list line is refused naming the file and line") {
  Fixture fx;
  const std::string dir = TempDir("proxy_bad_list");
  WriteFile(dir + "/proxies.txt", "http://127.0.0.1:3128\n# fine\nftp://127.0.0.1:21\n");
  auto argv = SeedJob(fx, "1");
  argv.insert(argv.end(), {"--proxy-list", dir + "/proxies.txt", "-o", dir + "/out.csv"});
  auto r = RunProcess(argv);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(dir + "/proxies.txt:3:") != std::string::npos);
  CHECK(fx.Stat("requests") == 0);
  for (const auto& [flags, message] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--proxy-list", dir + "/none.txt"}, dir + "/none.txt"},
           {{"--proxy-list", dir + "/proxies.txt", "--proxy-mode", "random"},
            "--proxy-mode 'random': expected rotate or sticky"},
           {{"--proxy-list", dir + "/proxies.txt", "--proxy", "http://127.0.0.1:1"},
            "--proxy and --proxy-list exclude each other"}}) {
    auto bad = SeedJob(fx, "1");
    bad.insert(bad.end(), flags.begin(), flags.end());
    auto rr = RunProcess(bad);
    CHECK(rr.exit_code == 2);
    CHECK(rr.err.find(message) != std::string::npos);
  }
}

}  // TEST_SUITE

}  // namespace
}  // namespace forage::testing
