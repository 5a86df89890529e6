#include "engine/dispatcher.h"

#include <doctest/doctest.h>

namespace forage::engine {
namespace {

Plan MakePlan(int pages, int hosts = 1) {
  Plan p;
  for (int h = 0; h < hosts; ++h) p.InternHost("http://h" + std::to_string(h));
  for (int i = 0; i < pages; ++i) {
    p.Add(PageTask{static_cast<uint64_t>(i + 1), "u", static_cast<uint32_t>(i % hosts)});
  }
  return p;
}

size_t Count(const std::vector<std::pair<int, std::vector<uint64_t>>>& leases) {
  size_t n = 0;
  for (auto& [slot, pages] : leases) n += pages.size();
  return n;
}

TEST_SUITE("engine.dispatcher") {

TEST_CASE("concurrency holds across all workers together") {
  Plan plan = MakePlan(100);
  DispatchLimits lim;
  lim.concurrency = 5;
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 3);
  for (int s = 0; s < 3; ++s) d.SetAvailable(s, true);
  auto leases = d.Assign(0);
  CHECK(Count(leases) == 5);
  CHECK(d.fetching() == 5);
  CHECK(Count(d.Assign(0)) == 0);
  // Spread over the workers, least loaded first: 2 + 2 + 1.
  CHECK(d.outstanding(0) + d.outstanding(1) + d.outstanding(2) == 5);
  CHECK(d.outstanding(0) <= 2);
  d.OnFetched(0);
  CHECK(Count(d.Assign(0)) == 1);
}

TEST_CASE("per-host limit holds for the whole job, other hosts still go") {
  Plan plan = MakePlan(20, 2);  // even pages on host 0, odd on host 1
  DispatchLimits lim;
  lim.concurrency = 100;
  lim.per_host = 3;
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 2);
  d.SetAvailable(0, true);
  d.SetAvailable(1, true);
  CHECK(Count(d.Assign(0)) == 6);
}

TEST_CASE("a host's own cap (throttle) starts at initial_host_cap and moves with SetHostCap") {
  Plan plan = MakePlan(40, 2);
  DispatchLimits lim;
  lim.concurrency = 100;
  lim.per_host = 16;
  lim.initial_host_cap = 2;
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 1);
  d.SetAvailable(0, true);
  CHECK(Count(d.Assign(0)) == 4);  // 2 a host
  CHECK(d.host_fetching(0) == 2);
  d.SetHostCap(0, 5);
  CHECK(Count(d.Assign(0)) == 3);  // host 0 only
  CHECK(d.host_fetching(0) == 5);
  CHECK(d.host_fetching(1) == 2);
  // Lowered below what is in flight: nothing more until enough finish.
  d.SetHostCap(0, 3);
  d.OnFetched(0);
  d.OnFetched(2);
  CHECK(Count(d.Assign(0)) == 0);
  d.OnFetched(4);
  CHECK(Count(d.Assign(0)) == 1);
  CHECK(d.host_fetching(0) == 3);
}

TEST_CASE("the ordered-merge window bounds how far ahead pages are leased") {
  Plan plan = MakePlan(50);
  DispatchLimits lim;
  lim.concurrency = 100;
  lim.window = 10;
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 1);
  d.SetAvailable(0, true);
  auto leases = d.Assign(0);
  REQUIRE(leases.size() == 1);
  CHECK(leases[0].second.back() == 9);
  CHECK(Count(d.Assign(5)) == 5);
}

TEST_CASE("static chunking splits pages as numpy.array_split does") {
  Plan plan = MakePlan(10);
  DispatchLimits lim;
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kStatic, 3);
  for (int s = 0; s < 3; ++s) d.SetAvailable(s, true);
  auto leases = d.Assign(0);
  REQUIRE(leases.size() == 3);
  CHECK(leases[0].second == std::vector<uint64_t>{0, 1, 2, 3});
  CHECK(leases[1].second == std::vector<uint64_t>{4, 5, 6});
  CHECK(leases[2].second == std::vector<uint64_t>{7, 8, 9});
}

TEST_CASE("a worker with a full CPU backlog gets no more pages") {
  Plan plan = MakePlan(20);
  DispatchLimits lim;
  lim.concurrency = 4;
  lim.max_backlog = 2;
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 1);
  d.SetAvailable(0, true);
  CHECK(Count(d.Assign(0)) == 4);
  d.OnFetched(0);
  d.OnFetched(1);
  CHECK(Count(d.Assign(0)) == 0);  // two wait for the CPU
  d.OnFinished(0, true);
  CHECK(Count(d.Assign(0)) == 2);
}

TEST_CASE("a lost worker's pages return to pending, its page in process is blamed") {
  Plan plan = MakePlan(6);
  DispatchLimits lim;
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 2);
  d.SetAvailable(0, true);
  CHECK(Count(d.Assign(0)) == 6);  // only slot 0 is available: all 6 go there
  d.SetAvailable(1, true);
  for (uint64_t p = 0; p < 6; ++p) CHECK(d.leased_to(p) == 0);
  d.OnFetched(2);
  d.OnFetched(4);
  d.OnFinished(4, true);
  auto lost = d.OnWorkerLost(0);
  CHECK(lost.requeued == std::vector<uint64_t>{0, 1, 2, 3, 5});
  CHECK_FALSE(lost.failed.has_value());
  CHECK(d.state(2) == PageState::kPending);
  CHECK(d.fetching() == 0);

  // Page 2 kills a second worker while being processed: it fails for good.
  auto again = d.Assign(0);
  REQUIRE(again.size() == 1);
  CHECK(again[0].first == 1);
  d.OnFetched(2);
  auto lost2 = d.OnWorkerLost(1);
  REQUIRE(lost2.failed.has_value());
  CHECK(*lost2.failed == 2);
  CHECK(d.leased_to(2) == 1);  // still leased: the caller records the failure, then settles
  d.OnFinished(2, false);
  CHECK(d.state(2) == PageState::kFailed);
}

TEST_CASE("a page to retry waits out of the queue until its time") {
  Plan plan = MakePlan(2);
  PageBook book(plan.size());
  Dispatcher d(plan, book, DispatchLimits{}, Chunking::kDynamic, 1);
  d.SetAvailable(0, true);
  CHECK(Count(d.Assign(0, 10.0)) == 2);
  d.Retry(0, 12.5);
  CHECK(d.state(0) == PageState::kWaiting);
  CHECK(d.fetching() == 1);
  CHECK(Count(d.Assign(0, 12.0)) == 0);
  REQUIRE(d.NextWake().has_value());
  CHECK(*d.NextWake() == 12.5);
  auto leases = d.Assign(0, 12.5);
  REQUIRE(Count(leases) == 1);
  CHECK(leases[0].second[0] == 0);
  CHECK_FALSE(d.all_finished());
}

TEST_CASE("--rate spaces the leases to one host strictly, other hosts are not held back") {
  Plan plan = MakePlan(10, 2);  // even pages on host 0, odd on host 1
  DispatchLimits lim;
  lim.rate_per_host = 4;  // one lease per host every 0.25 s
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 1);
  d.SetAvailable(0, true);
  auto first = d.Assign(0, 100.0);
  REQUIRE(Count(first) == 2);  // one per host
  CHECK(first[0].second == std::vector<uint64_t>{0, 1});
  CHECK(Count(d.Assign(0, 100.2)) == 0);
  REQUIRE(d.NextWake().has_value());
  CHECK(*d.NextWake() == doctest::Approx(100.25));
  CHECK(Count(d.Assign(0, 100.25)) == 2);
  // A late wake-up does not earn a burst: still one per host.
  CHECK(Count(d.Assign(0, 103.0)) == 2);
}

TEST_CASE("pages served without a request (--cache-mode always) take no rate slot of their host") {
  Plan plan = MakePlan(6);
  DispatchLimits lim;
  lim.rate_per_host = 1;  // one lease a second
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 1);
  d.SetAvailable(0, true);
  // Pages 0-3 are in the cache, 4 and 5 are not.
  d.SetNoRequest([](uint64_t page) { return page < 4; });
  auto first = d.Assign(0, 100.0);
  REQUIRE(Count(first) == 5);  // the four cached ones and the first real request
  CHECK(first[0].second == std::vector<uint64_t>{0, 1, 2, 3, 4});
  CHECK(Count(d.Assign(0, 100.5)) == 0);  // page 5 is a real request: paced
  CHECK(d.NextWake() == doctest::Approx(101.0));
  CHECK(Count(d.Assign(0, 101.0)) == 1);
  // A retry follows a real request: paced whatever the cache says.
  d.Retry(0, 101.0);
  CHECK(Count(d.Assign(0, 101.5)) == 0);
  CHECK(Count(d.Assign(0, 102.0)) == 1);
}

TEST_CASE("all_finished once every page is done or failed") {
  Plan plan = MakePlan(2);
  PageBook book(plan.size());
  Dispatcher d(plan, book, DispatchLimits{}, Chunking::kDynamic, 1);
  d.SetAvailable(0, true);
  CHECK(Count(d.Assign(0)) == 2);
  d.OnFinished(0, true);
  CHECK_FALSE(d.all_finished());
  d.OnFinished(1, false);
  CHECK(d.all_finished());
  d.OnFinished(1, true);  // a late duplicate changes nothing
  CHECK(d.state(1) == PageState::kFailed);
}

TEST_CASE("the gate: blocked pages come back unpaced, its Crawl-delay spaces the host") {
  Plan plan = MakePlan(4);
  DispatchLimits lim;
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 1);
  d.SetAvailable(0, true);
  int asked = 0;
  d.SetGate([&](uint64_t page, double* gap) {
    ++asked;
    *gap = 10;
    if (page < 2) return GateVerdict{GateVerdict::Kind::kBlock, "blocked by robots.txt"};
    return GateVerdict{};
  });
  auto leases = d.Assign(0, 0);
  REQUIRE(Count(leases) == 1);
  CHECK(leases[0].second == std::vector<uint64_t>{2});
  auto blocked = d.TakeBlocked();
  REQUIRE(blocked.size() == 2);
  CHECK(blocked[0].page == 0);
  CHECK(blocked[1].page == 1);
  CHECK(blocked[0].verdict.reason == "blocked by robots.txt");
  CHECK(d.TakeBlocked().empty());
  d.OnFinished(0, true);
  d.OnFinished(1, true);
  CHECK(Count(d.Assign(0, 5)) == 0);  // 10 s after page 2's lease
  CHECK(d.NextWake() == 10);
  CHECK(Count(d.Assign(0, 10)) == 1);
  CHECK(asked == 4);
}

TEST_CASE("PauseHost: no lease to the host until then, other hosts go on") {
  Plan plan = MakePlan(6, 2);  // even pages on host 0, odd on host 1
  DispatchLimits lim;
  lim.concurrency = 1;
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 1);
  d.SetAvailable(0, true);
  auto first = d.Assign(0, 0);
  REQUIRE(Count(first) == 1);
  CHECK(first[0].second[0] == 0);
  d.PauseHost(0, 5);
  d.Retry(0, 5);
  auto next = d.Assign(0, 1);
  REQUIRE(Count(next) == 1);
  CHECK(next[0].second[0] == 1);  // host 1's page, not host 0's
  d.OnFinished(1, true);
  auto other = d.Assign(0, 2);
  REQUIRE(Count(other) == 1);
  CHECK(other[0].second[0] == 3);
  d.OnFinished(3, true);
  auto later = d.Assign(0, 5);
  REQUIRE(Count(later) == 1);
  CHECK(later[0].second[0] == 0);  // the retry, at its time
}

TEST_CASE("the gate's kWait: the host is held, not leased, other hosts go on, UnholdHosts asks "
          "again") {
  Plan plan = MakePlan(6, 2);  // even pages on host 0, odd on host 1
  DispatchLimits lim;
  PageBook book(plan.size());
  Dispatcher d(plan, book, lim, Chunking::kDynamic, 1);
  d.SetAvailable(0, true);
  bool host0_known = false;
  std::vector<uint64_t> asked;
  d.SetGate([&](uint64_t page, double*) {
    asked.push_back(page);
    if (page % 2 == 0 && !host0_known) return GateVerdict{GateVerdict::Kind::kWait, "pending"};
    return GateVerdict{};
  });
  auto leases = d.Assign(0, 0);
  REQUIRE(leases.size() == 1);
  CHECK(leases[0].second == std::vector<uint64_t>{1, 3, 5});
  CHECK(d.TakeBlocked().empty());
  CHECK(asked == std::vector<uint64_t>{0, 1, 3, 5});  // host 0 asked once, then held
  CHECK(d.held_hosts() == 1);
  CHECK(d.state(0) == PageState::kPending);
  CHECK_FALSE(d.NextWake().has_value());  // only the gate's news changes it
  CHECK(Count(d.Assign(0, 1)) == 0);
  d.UnholdHosts();  // news, but not about host 0: held again at once
  CHECK(Count(d.Assign(0, 2)) == 0);
  CHECK(d.held_hosts() == 1);
  host0_known = true;
  d.UnholdHosts();
  auto later = d.Assign(0, 3);
  REQUIRE(later.size() == 1);
  CHECK(later[0].second == std::vector<uint64_t>{0, 2, 4});
  CHECK(d.held_hosts() == 0);
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::engine
