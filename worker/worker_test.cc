// A Worker driven in-process over a socketpair, the master's side played by
// a Channel, against the real fixture.

#include "worker/worker.h"

#include <sys/socket.h>

#include <algorithm>

#include <doctest/doctest.h>

#include "tests/test_support.h"
#include "worker/memory.h"

namespace forage::worker {
namespace {

using forage::testing::Fixture;

// Runs one worker over `urls` (leased at once), sends Stop once every page
// is done, and keeps what the worker sent.
struct Run {
  std::vector<PageDoneMsg> done;
  std::vector<RetireMsg> retires;
  size_t records = 0;
  int exit_code = -1;
  bool master_saw_eof = false;
};

Run RunWorker(WorkerConfig config, const std::vector<std::string>& urls) {
  NetworkScope network;
  REQUIRE(network.ok());
  UvLoop loop;
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  Run run;
  std::unique_ptr<Channel> master;
  auto ch = Channel::Open(
      loop.get(), UniqueFd(fds[0]),
      [&](Message&& m) {
        if (auto* d = std::get_if<PageDoneMsg>(&m)) {
          run.done.push_back(*d);
          if (run.done.size() == urls.size()) master->Send(StopMsg{});
        } else if (auto* r = std::get_if<RetireMsg>(&m)) {
          run.retires.push_back(*r);
        } else if (auto* p = std::get_if<PageRecordsMsg>(&m)) {
          run.records += p->records.size();
        }
      },
      [&](const Error* e) { run.master_saw_eof = e == nullptr; });
  REQUIRE(ch.has_value());
  master = std::move(*ch);
  auto w = Worker::Create(loop.get(), config, UniqueFd(fds[1]),
                          [&](int code) { run.exit_code = code; });
  REQUIRE(w.has_value());
  LeaseMsg lease;
  for (size_t i = 0; i < urls.size(); ++i) lease.items.push_back({i, urls[i], 0});
  master->Send(lease);
  uv_run(loop.get(), UV_RUN_DEFAULT);
  w->reset();
  master.reset();
  uv_run(loop.get(), UV_RUN_DEFAULT);
  return run;
}

TEST_SUITE("worker.worker") {

TEST_CASE("past --worker-max-rss the worker sends Retire once, finishes its pages, exits 0") {
  Fixture fx;
  auto rules = parser::CompileRules(".product", {{"name", "h2"}});
  REQUIRE(rules.has_value());
  WorkerConfig config;
  config.rules = &*rules;
  config.max_rss_bytes = 1 << 20;  // 1 MiB: passed after the first page
  std::vector<std::string> urls;
  for (int i = 1; i <= 6; ++i) urls.push_back(fx.url() + "shop/page/" + std::to_string(i) + "/");
  Run run = RunWorker(config, urls);
  REQUIRE(run.retires.size() == 1);
  CHECK(run.retires[0].rss_bytes > (1u << 20));
  REQUIRE(run.done.size() == 6);
  for (const auto& d : run.done) CHECK(d.ok);
  CHECK(run.records == 6 * 16);
  CHECK(run.exit_code == 0);
  CHECK(run.master_saw_eof);

  SUBCASE("under the limit, or with none, no Retire") {
    config.max_rss_bytes = 0;
    CHECK(RunWorker(config, urls).retires.empty());
    config.max_rss_bytes = 1ull << 40;
    CHECK(RunWorker(config, urls).retires.empty());
  }
}

TEST_CASE("a page over --page-cpu-limit fails 'too slow', not retryable, the next page is ok") {
  Fixture fx;
  // Each li.row scans every later sibling: quadratic in the 90,000 rows of
  // an 8 MiB page, about 18 s of CPU without a limit.
  auto rules = parser::CompileRules(".product, li.row:has(~ li.nomatch)", {{"name", "h2"}});
  REQUIRE(rules.has_value());
  WorkerConfig config;
  config.rules = &*rules;
  config.page_cpu_limit_s = 1;
  config.fetch.max_body_bytes = 16 << 20;
  Run run = RunWorker(config, {fx.url() + "huge/8", fx.url() + "shop/page/1/"});
  REQUIRE(run.done.size() == 2);
  std::sort(run.done.begin(), run.done.end(),
            [](const PageDoneMsg& a, const PageDoneMsg& b) { return a.page_id < b.page_id; });
  CHECK_FALSE(run.done[0].ok);
  CHECK(run.done[0].reason == "too slow");
  CHECK_FALSE(run.done[0].retryable);
  CHECK(run.done[1].ok);
  CHECK(run.done[1].items == 16);
  CHECK(run.records == 16);
  CHECK(run.exit_code == 0);
}

TEST_CASE("the default --worker-max-rss is half the RAM shared by the workers, bounded") {
  uint64_t total = TotalMemoryBytes();
  REQUIRE(total > 0);
  auto expect = [&](int workers) {
    return std::clamp<uint64_t>(total / 2 / static_cast<uint64_t>(workers), 256ull << 20,
                                4ull << 30);
  };
  CHECK(DefaultWorkerMaxRss(1) == expect(1));
  CHECK(DefaultWorkerMaxRss(8) == expect(8));
  CHECK(DefaultWorkerMaxRss(100000) == 256ull << 20);
  CHECK(ResidentBytes() > 0);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::worker
