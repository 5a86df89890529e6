#include "engine/node_router.h"

#include <doctest/doctest.h>

#include "engine/engine_fakes.h"

namespace forage::engine {
namespace {

using testing::FakePort;
using testing::Recs;

struct Outcome {
  std::string entry;
  uint64_t page = 0;
  std::vector<worker::Message> frames;
  uint64_t items = 0;
};

std::vector<worker::Message> Decode(const std::string& bytes) {
  std::vector<worker::Message> out;
  std::string_view rest = bytes;
  while (!rest.empty()) {
    auto h = worker::DecodeFrameHeader(rest);
    rest.remove_prefix(worker::kFrameHeaderBytes);
    out.push_back(*worker::DecodePayload(h, rest.substr(0, h.payload_bytes)));
    rest.remove_prefix(h.payload_bytes);
  }
  return out;
}

struct NodeHarness {
  explicit NodeHarness(int slots, int concurrency = 10)
      : router(&port, slots, concurrency,
               NodeRouter::Callbacks{
                   [this](const std::string& e, uint64_t p, std::string f, uint64_t items) {
                     done.push_back(Outcome{e, p, Decode(f), items});
                   },
                   [this](const std::string& e, uint64_t p, std::string f) {
                     lost.push_back(Outcome{e, p, Decode(f), 0});
                   },
                   [this] { ++stopped; }}) {}
  void DonePage(int slot, uint64_t local, std::vector<parser::Record> r, bool ok = true) {
    router.OnMessage(slot, worker::FetchedMsg{local});
    if (!r.empty()) router.OnMessage(slot, worker::PageRecordsMsg{local, std::move(r)});
    worker::PageDoneMsg d;
    d.page_id = local;
    d.ok = ok;
    d.items = 1;
    router.OnMessage(slot, d);
  }
  FakePort port;
  std::vector<Outcome> done, lost;
  int stopped = 0;
  NodeRouter router;
};

}  // namespace

TEST_SUITE("engine.node_router") {

TEST_CASE("a node's page goes to its least busy worker, and its frames carry the job's page id") {
  NodeHarness h(2);
  REQUIRE(h.router.Start());
  h.router.OnMessage(0, worker::HelloMsg{1});
  h.router.OnMessage(1, worker::HelloMsg{2});
  h.router.Add("1-0", 40, "http://h/40", 0);
  h.router.Add("1-1", 41, "http://h/41", 0);
  h.router.Pump();
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0});  // local ids
  CHECK(h.port.TakeLeases(1) == std::vector<uint64_t>{1});
  CHECK(h.router.room() == 8);
  h.DonePage(1, 1, Recs({{"x"}}));
  REQUIRE(h.done.size() == 1);
  CHECK(h.done[0].entry == "1-1");
  CHECK(h.done[0].page == 41);
  REQUIRE(h.done[0].frames.size() == 2);
  CHECK(std::get<worker::PageRecordsMsg>(h.done[0].frames[0]).page_id == 41);
  CHECK(std::get<worker::PageDoneMsg>(h.done[0].frames[1]).page_id == 41);
  CHECK(h.router.held() == 1);
}

TEST_CASE("a node's worker that dies loses the page it was processing, the rest go to another") {
  NodeHarness h(2);
  REQUIRE(h.router.Start());
  h.router.OnMessage(0, worker::HelloMsg{1});
  for (int i = 0; i < 3; ++i) h.router.Add("e" + std::to_string(i), 10 + i, "http://h/", 0);
  h.router.Pump();  // slot 1 not up yet: all three to slot 0
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0, 1, 2});
  h.router.OnMessage(0, worker::FetchedMsg{1});  // processing page 11 when it dies
  h.router.OnMessage(0, worker::PageRecordsMsg{1, Recs({{"partial"}})});
  h.router.OnMessage(1, worker::HelloMsg{2});
  h.router.OnChannelClosed(0);
  h.router.OnWorkerGone(0, false);
  REQUIRE(h.lost.size() == 1);
  CHECK(h.lost[0].entry == "e1");
  CHECK(h.lost[0].page == 11);
  CHECK(std::get<worker::PageDoneMsg>(h.lost[0].frames[0]).reason ==
        "worker crashed while processing");
  CHECK(h.port.started == std::vector<int>{0, 1, 0});  // slot 0 respawned
  CHECK(h.port.TakeLeases(1) == std::vector<uint64_t>{0, 2});  // the others, to slot 1
  CHECK(h.router.restarts() == 1);
  h.DonePage(1, 0, {});
  h.DonePage(1, 2, {});
  CHECK(h.done.size() == 2);
  CHECK(h.router.held() == 0);
}

TEST_CASE("a draining node takes nothing more and stops its workers once nothing is held") {
  NodeHarness h(1);
  REQUIRE(h.router.Start());
  h.router.OnMessage(0, worker::HelloMsg{1});
  h.router.Add("e0", 5, "http://h/", 0);
  h.router.Pump();
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0});
  h.router.Drain();
  CHECK(h.router.room() == 0);
  CHECK(h.port.Stops(0) == 0);  // it still holds a page
  h.DonePage(0, 0, {});
  CHECK(h.port.Stops(0) == 1);
  h.router.OnChannelClosed(0);
  h.port.gone = true;
  h.router.OnWorkerGone(0, false);
  CHECK(h.stopped == 1);
  CHECK(h.port.shutdowns == 1);
}

TEST_CASE("a node drained before its worker said hello still hands that worker the pages it "
          "took, finishes them and stops") {
  // SIGINT just after the node's first leases arrived, while its worker was
  // still starting: the pages it holds are in its queue, sent to no worker.
  NodeHarness h(1);
  REQUIRE(h.router.Start());
  h.router.Add("e0", 5, "http://h/5", 0);
  h.router.Add("e1", 6, "http://h/6", 0);
  h.router.Pump();
  h.router.Drain();
  CHECK(h.router.room() == 0);
  h.router.OnMessage(0, worker::HelloMsg{1});
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0, 1});
  h.DonePage(0, 0, {});
  CHECK(h.port.Stops(0) == 0);
  h.DonePage(0, 1, {});
  CHECK(h.done.size() == 2);
  CHECK(h.port.Stops(0) == 1);
}

TEST_CASE("a draining node's worker that dies is replaced, and the replacement finishes the pages "
          "the dead one held") {
  NodeHarness h(1);
  REQUIRE(h.router.Start());
  h.router.OnMessage(0, worker::HelloMsg{1});
  h.router.Add("e0", 5, "http://h/5", 0);
  h.router.Add("e1", 6, "http://h/6", 0);
  h.router.Pump();
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{0, 1});
  h.router.Drain();
  h.router.OnMessage(0, worker::FetchedMsg{0});  // processing e0 when it dies
  h.router.OnChannelClosed(0);
  h.router.OnWorkerGone(0, false);
  REQUIRE(h.lost.size() == 1);
  CHECK(h.lost[0].entry == "e0");
  CHECK(h.port.started == std::vector<int>{0, 0});  // replaced: it still holds e1
  h.router.OnMessage(0, worker::HelloMsg{2});
  CHECK(h.port.TakeLeases(0) == std::vector<uint64_t>{1});
  h.DonePage(0, 1, {});
  CHECK(h.done.size() == 1);
  CHECK(h.port.Stops(0) == 1);
}

}  // TEST_SUITE

}  // namespace forage::engine
