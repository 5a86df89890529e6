#include "engine/router.h"

#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/engine_fakes.h"

namespace forage::engine {
namespace {

using testing::FakePort;
using testing::FakeSink;
using testing::Recs;

Plan UrlPlan(int pages) {
  Plan plan;
  uint32_t host = plan.InternHost("http://h");
  for (int i = 1; i <= pages; ++i) {
    plan.Add(PageTask{static_cast<uint64_t>(i), "http://h/p/" + std::to_string(i), host});
  }
  return plan;
}

Config TwoWorkers() {
  Config c;
  c.workers = 2;
  c.concurrency = 10;
  c.retries = 3;
  c.max_retry_wait_s = 1;
  return c;
}

// A router over fakes: the test plays the workers.
struct Harness {
  Harness(Config c, int pages, size_t follow_column = 0)
      : config(std::move(c)),
        plan(UrlPlan(pages)),
        recorder(&sink, {}),
        router(config, plan, &recorder, &port, &summary, follow_column) {}

  void Hello(int slot) { router.OnMessage(slot, worker::HelloMsg{1}); }
  void Fetched(int slot, uint64_t page) { router.OnMessage(slot, worker::FetchedMsg{page}); }
  void Records(int slot, uint64_t page, std::vector<parser::Record> r) {
    router.OnMessage(slot, worker::PageRecordsMsg{page, std::move(r)});
  }
  void Done(int slot, uint64_t page, bool ok = true, bool retryable = false) {
    worker::PageDoneMsg d;
    d.page_id = page;
    d.ok = ok;
    d.retryable = retryable;
    d.reason = ok ? "" : "HTTP 503";
    d.retry_after_s = -1;
    router.OnMessage(slot, d);
  }
  void Die(int slot) {
    router.OnChannelClosed(slot);
    router.OnWorkerGone(slot, false);
  }
  // Fetched, records, done: one page in full.
  void Page(int slot, uint64_t page, std::vector<parser::Record> r) {
    Fetched(slot, page);
    Records(slot, page, std::move(r));
    Done(slot, page);
  }

  Config config;
  Plan plan;
  FakeSink sink;
  FakePort port;
  Recorder recorder;
  Summary summary;
  Router router;
};

// A worker's stats snapshot with these counters, the rest zero.
worker::StatsMsg StatsOf(uint64_t pages, uint64_t items, uint64_t requests, uint64_t bytes) {
  worker::StatsMsg m;
  m.pages = pages;
  m.items = items;
  m.requests = requests;
  m.body_bytes = bytes;
  return m;
}

TEST_SUITE("engine.router") {

TEST_CASE("nothing is leased before every first worker said hello, then pages go out") {
  Harness h(TwoWorkers(), 4);
  REQUIRE(h.router.Start());
  CHECK(h.port.started == std::vector<int>{0, 1});
  h.Hello(0);
  CHECK(h.port.TakeLeases(0).empty());
  h.Hello(1);
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0, 2});
  CHECK(h.port.TakeLeases(1) == std::vector<uint64_t>{1, 3});
  for (uint64_t p : {0, 2}) h.Page(0, p, Recs({{"r" + std::to_string(p)}}));
  for (uint64_t p : {1, 3}) h.Page(1, p, Recs({{"r" + std::to_string(p)}}));
  CHECK(h.sink.rows == std::vector<std::string>{"r0", "r1", "r2", "r3"});
  CHECK(h.summary.pages_ok == 4);
  CHECK(h.port.Stops(0) == 1);  // all settled: the workers are stopped
  CHECK(h.port.Stops(1) == 1);
  h.port.gone = true;
  h.Die(0);
  h.Die(1);
  CHECK(h.port.shutdowns == 1);
}

TEST_CASE("issue 10: with --follow, a page whose worker died mid-page is stored once") {
  Config c = TwoWorkers();
  c.follow = "a";
  Harness h(c, 1, 1);
  REQUIRE(h.router.Start());
  h.Hello(0);
  h.Hello(1);
  REQUIRE(h.port.TakeLeases(0) == std::vector<uint64_t>{0});
  h.Page(0, 0, Recs({{"item", R"(["http://h/detail"])"}}));
  // The follow-up goes to the least loaded worker.
  REQUIRE(h.port.TakeLeases(0) == std::vector<uint64_t>{1});
  h.Fetched(0, 1);
  h.Records(0, 1, Recs({{"D"}}));
  h.Die(0);  // before its PageDone
  CHECK(h.port.started == std::vector<int>{0, 1, 0});
  REQUIRE(h.port.TakeLeases(1) == std::vector<uint64_t>{1});
  h.Page(1, 1, Recs({{"D"}}));
  CHECK(h.sink.rows == std::vector<std::string>{"item|D"});
  CHECK(h.summary.items == 1);
}

TEST_CASE("issue 10: a retryable failure landing after SIGTERM still lets the run stop") {
  Harness h(TwoWorkers(), 2);
  REQUIRE(h.router.Start());
  h.Hello(0);
  h.Hello(1);
  REQUIRE(h.port.TakeLeases(0) == std::vector<uint64_t>{0});
  REQUIRE(h.port.TakeLeases(1) == std::vector<uint64_t>{1});
  h.Page(0, 0, Recs({{"a"}}));
  h.router.OnInterrupt();
  CHECK(h.port.Stops(1) == 0);  // page 1 is still in flight
  h.Fetched(1, 1);
  h.Done(1, 1, false, true);  // its transfer timed out: retryable
  CHECK(h.summary.retries == 1);
  CHECK(h.port.Stops(0) == 1);
  CHECK(h.port.Stops(1) == 1);
  CHECK(h.port.TakeLeases(0).empty());
  CHECK(h.port.TakeLeases(1).empty());
  h.port.gone = true;
  h.Die(0);
  h.Die(1);
  CHECK(h.port.shutdowns == 1);
  h.router.Finish();
  CHECK(h.summary.interrupted);
  CHECK(h.sink.rows == std::vector<std::string>{"a"});
}

TEST_CASE("issue 10: a slot whose channel closed gets no lease, even before its loss is handled") {
  Config c = TwoWorkers();
  c.concurrency = 1;
  Harness h(c, 3);
  REQUIRE(h.router.Start());
  h.Hello(0);
  h.Hello(1);
  REQUIRE(h.port.TakeLeases(0) == std::vector<uint64_t>{0});
  h.router.OnChannelClosed(1);  // idle, and dead
  h.Fetched(0, 0);              // a fetch slot frees: the next page goes out
  CHECK(h.port.TakeLeases(1).empty());
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{1});
}

TEST_CASE("a worker that asks to retire finishes its pages, is stopped and replaced, nothing is "
          "blamed") {
  Harness h(TwoWorkers(), 4);
  REQUIRE(h.router.Start());
  h.Hello(0);
  h.Hello(1);
  REQUIRE(h.port.TakeLeases(0) == std::vector<uint64_t>{0, 2});
  REQUIRE(h.port.TakeLeases(1) == std::vector<uint64_t>{1, 3});
  h.router.OnMessage(0, worker::RetireMsg{500u << 20});
  CHECK(h.port.Stops(0) == 0);  // it still holds pages
  h.Page(0, 0, Recs({{"a"}}));
  CHECK(h.port.Stops(0) == 0);
  h.Page(0, 2, Recs({{"c"}}));
  CHECK(h.port.Stops(0) == 1);  // nothing outstanding: stopped
  h.router.OnMessage(0, StatsOf(2, 2, 7, 1000));
  h.Die(0);  // its expected EOF
  CHECK(h.port.started == std::vector<int>{0, 1, 0});  // a fresh process in slot 0
  CHECK(h.port.TakeLeases(0).empty());
  h.Page(1, 1, Recs({{"b"}}));
  h.Hello(0);
  h.Page(1, 3, Recs({{"d"}}));
  CHECK(h.sink.rows == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(h.summary.pages_failed == 0);
  CHECK(h.summary.retries == 0);
  h.router.Finish();
  CHECK(h.router.worker_summary(0).restarts == 1);
  CHECK(h.router.worker_summary(0).retired == 1);
  CHECK(h.router.worker_summary(1).retired == 0);
  CHECK(h.summary.requests == 7);  // the retired process's figures are kept
}

TEST_CASE("a killed worker's last stats are folded into the report") {
  Harness h(TwoWorkers(), 4);
  REQUIRE(h.router.Start());
  h.Hello(0);
  h.Hello(1);
  h.router.OnMessage(0, StatsOf(0, 0, 5, 5000));
  h.Die(0);
  h.router.OnMessage(0, StatsOf(0, 0, 2, 200));
  h.router.Finish();
  CHECK(h.summary.requests == 7);
  CHECK(h.summary.body_bytes == 5200);
  CHECK(h.router.worker_summary(0).restarts == 1);
  CHECK(h.router.worker_summary(0).retired == 0);
}

TEST_CASE("issue 11: a worker killed before its first Stats still counts its requests") {
  Harness h(TwoWorkers(), 4);
  REQUIRE(h.router.Start());
  h.Hello(0);
  h.Hello(1);
  REQUIRE(h.port.TakeLeases(0) == std::vector<uint64_t>{0, 2});
  h.Page(0, 0, Recs({{"a"}}));
  h.Die(0);  // no Stats ever came from it
  h.router.Finish();
  CHECK(h.summary.requests == 2);
}

// A sink that reads the crawl journal when it is asked to record marks: the
// journal must already hold every page those marks may name.
struct JournalCheckingSink : FakeSink {
  std::string journal;
  std::vector<std::string> journal_at_checkpoint;
  Status Checkpoint(const std::vector<PageMark>& m) override {
    std::ifstream in(journal, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    journal_at_checkpoint.push_back(ss.str());
    return FakeSink::Checkpoint(m);
  }
};

TEST_CASE("--crawl --resume: the journal's pages keep their indexes, only the unstored are leased") {
  Config c = TwoWorkers();
  c.workers = 1;
  c.crawl = true;
  Plan plan = UrlPlan(1);  // root 0: http://h/p/1
  std::string dir = (std::filesystem::temp_directory_path() / "forage_router_crawl_XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  const std::string path = dir + "/out.jsonl.frontier";
  auto journal = CrawlJournal::Create(path, "fp");
  REQUIRE(journal.has_value());
  JournalCheckingSink sink;
  sink.journal = path;
  FakePort port;
  Recorder recorder(&sink, {});
  Summary summary;
  Router router(c, plan, &recorder, &port, &summary);
  router.SetJournal(journal->get());
  // An earlier run found a, b, c below the root and stored the root and b.
  std::vector<FoundPage> found = {{1, 0, 1, 1, "http://h/a"},
                                  {2, 0, 1, 1, "http://h/b"},
                                  {3, 0, 2, 1, "http://h/c"}};
  REQUIRE(router.Resume({PageMark{0, true}, PageMark{2, true}}, found));
  CHECK(plan.size() == 4);
  CHECK(summary.pages_resumed == 2);
  REQUIRE(router.Start());
  router.OnMessage(0, worker::HelloMsg{1});
  CHECK(port.TakeLeases(0) == std::vector<uint64_t>{1, 3});  // the frontier only
  // a links to b (stored: seen) and to d (new: index 4, journaled).
  router.OnMessage(0, worker::FetchedMsg{1});
  router.OnMessage(0, worker::PageRecordsMsg{1, Recs({{"a"}})});
  router.OnMessage(0, worker::PageLinksMsg{1, {"http://h/b", "http://h/d#x"}});
  worker::PageDoneMsg done;
  done.page_id = 1;
  done.ok = true;
  router.OnMessage(0, done);
  CHECK(plan.size() == 5);
  CHECK(plan.url(4) == "http://h/d");
  CHECK(port.TakeLeases(0) == std::vector<uint64_t>{4});
  router.Checkpoint();
  REQUIRE(sink.journal_at_checkpoint.size() == 1);
  // Synced before the marks: page 4 is in the journal the marks may name.
  CHECK(sink.journal_at_checkpoint[0].find("\n4 0 2 1 http://h/d\n") != std::string::npos);
  CHECK(sink.rows == std::vector<std::string>{"a"});  // each page's records on their own
  std::filesystem::remove_all(dir);
}

TEST_CASE("a page that crashes two workers is failed, the rest is stored") {
  Harness h(TwoWorkers(), 2);
  REQUIRE(h.router.Start());
  h.Hello(0);
  h.Hello(1);
  REQUIRE(h.port.TakeLeases(0) == std::vector<uint64_t>{0});
  REQUIRE(h.port.TakeLeases(1) == std::vector<uint64_t>{1});
  h.Fetched(0, 0);
  h.Die(0);
  h.Hello(0);
  auto again = h.port.TakeLeases(0);
  auto again1 = h.port.TakeLeases(1);
  int slot = again.empty() ? 1 : 0;
  REQUIRE((again.empty() ? again1 : again) == std::vector<uint64_t>{0});
  h.Fetched(slot, 0);
  h.Die(slot);
  CHECK(h.summary.pages_failed == 1);
  REQUIRE(h.summary.failures.size() == 1);
  CHECK(h.summary.failures[0].reason == "worker crashed while processing");
  CHECK(h.summary.failures[0].url == "http://h/p/1");
  CHECK(h.router.book().state(0) == PageState::kFailed);
}

TEST_CASE("throttle auto: the host starts at 2, grows on fast answers, halves on a 503, and the "
          "503 page is retried and stored once") {
  Config c = TwoWorkers();
  c.workers = 1;
  c.concurrency = 32;
  c.per_host = 8;
  c.throttle_auto = true;
  Harness h(c, 40);
  REQUIRE(h.router.Start());
  h.Hello(0);
  std::vector<uint64_t> out = h.port.TakeLeases(0);
  CHECK(out == std::vector<uint64_t>{0, 1});  // start: 2 in flight
  auto answer = [&](uint64_t p) {
    h.router.OnMessage(0, worker::FetchedMsg{p, 200, 0.010});
    h.Records(0, p, Recs({{"r" + std::to_string(p)}}));
    h.Done(0, p);
  };
  // Flat latency: after 6 answers the cap is 4.
  std::vector<uint64_t> in_flight = out;
  size_t answered = 0;
  while (answered < 6) {
    uint64_t p = in_flight.front();
    in_flight.erase(in_flight.begin());
    answer(p);
    ++answered;
    for (uint64_t q : h.port.TakeLeases(0)) in_flight.push_back(q);
  }
  CHECK(in_flight.size() == 4);
  CHECK(h.router.dispatcher().fetching() == 4);
  // A 503 (no Retry-After): the cap halves, the page waits for its retry.
  const uint64_t refused = in_flight.front();
  in_flight.erase(in_flight.begin());
  worker::PageDoneMsg d;
  d.page_id = refused;
  d.http_status = 503;
  d.reason = "HTTP 503";
  d.retryable = true;
  d.fetch_s = 0.001;
  h.router.OnMessage(0, d);
  CHECK(h.port.TakeLeases(0).empty());  // 3 in flight, cap 2
  CHECK(h.summary.retries == 1);
  // Everything else answers; the retry comes when its time does.
  while (!h.router.book().all_settled()) {
    for (uint64_t q : h.port.TakeLeases(0)) in_flight.push_back(q);
    if (in_flight.empty()) {
      h.port.now += 10;  // past the backoff
      h.router.Pump();
      continue;
    }
    uint64_t p = in_flight.front();
    in_flight.erase(in_flight.begin());
    answer(p);
  }
  CHECK(h.summary.pages_ok == 40);
  CHECK(h.sink.rows.size() == 40);
  h.router.Finish();
  REQUIRE(h.summary.throttle.size() == 1);
  const ThrottleSummary& t = h.summary.throttle[0];
  CHECK(t.host == "http://h");
  CHECK(t.responses_503 == 1);
  CHECK(t.responses == 41);
  CHECK(t.min == 2);
  // Back at 3 fast, then probing the level that overloaded (4) slowly.
  CHECK(t.max == 4);
  CHECK(t.settled == 3);
  CHECK(t.ceiling == 8);
}

TEST_CASE("a distributed job's lost delivery: leased again, and dead as poison at the third") {
  Config c = TwoWorkers();
  c.workers = 1;  // the collector's one slot: the cluster
  c.max_deliveries = 3;
  Harness h(c, 2);
  REQUIRE(h.router.Start());
  h.Hello(0);
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0, 1});
  h.Page(0, 1, Recs({{"b"}}));
  CHECK_FALSE(h.router.OnPageLost(0, 0, "lease expired on node n1"));
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0});  // leased again
  CHECK_FALSE(h.router.OnPageLost(0, 0, "worker crashed while processing on node n2"));
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0});
  CHECK_FALSE(h.router.OnPageLost(0, 1, "a late loss of a settled page"));  // ignored
  CHECK(h.router.OnPageLost(0, 0, "worker crashed while processing on node n3"));
  CHECK(h.port.TakeLeases(0).empty());
  CHECK(h.summary.pages_dead == 1);
  CHECK(h.summary.deliveries_lost == 3);
  CHECK(h.summary.pages_failed == 1);
  REQUIRE(h.summary.failures.size() == 1);
  CHECK(h.summary.failures[0].reason ==
        "poison: worker crashed while processing on node n3 (3 deliveries)");
  CHECK(h.sink.rows == std::vector<std::string>{"b"});
  CHECK(h.router.book().all_settled());
}

TEST_CASE("a lost delivery forgets what the page sent: its records are stored once, from the next") {
  Config c = TwoWorkers();
  c.workers = 1;
  Harness h(c, 1);
  REQUIRE(h.router.Start());
  h.Hello(0);
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0});
  h.Records(0, 0, Recs({{"half"}}));
  CHECK_FALSE(h.router.OnPageLost(0, 0, "lease expired on node n1"));
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0});
  h.Page(0, 0, Recs({{"a"}, {"b"}}));
  CHECK(h.sink.rows == std::vector<std::string>{"a", "b"});
  CHECK(h.summary.pages_dead == 0);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
