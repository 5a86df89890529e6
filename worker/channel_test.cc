#include "worker/channel.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

namespace forage::worker {
namespace {

std::pair<UniqueFd, UniqueFd> Pair() {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

TEST_SUITE("worker.channel") {

TEST_CASE("frames arrive whole and in order, even when larger than a pipe buffer") {
  UvLoop loop;
  auto [a, b] = Pair();
  std::vector<uint64_t> got;
  size_t big_records = 0;
  bool closed = false;
  auto left = Channel::Open(loop.get(), std::move(a), [](Message&&) {}, [](const Error*) {});
  REQUIRE(left.has_value());
  std::unique_ptr<Channel> right_holder;
  auto right = Channel::Open(
      loop.get(), std::move(b),
      [&](Message&& m) {
        if (auto* f = std::get_if<FetchedMsg>(&m)) got.push_back(f->page_id);
        if (auto* r = std::get_if<PageRecordsMsg>(&m)) big_records = r->records.size();
        if (std::holds_alternative<StopMsg>(m)) (*left).reset();  // close the sender
      },
      [&](const Error* e) {
        CHECK(e == nullptr);  // a clean EOF
        closed = true;
      });
  REQUIRE(right.has_value());

  PageRecordsMsg big;
  big.page_id = 1;
  for (int i = 0; i < 40000; ++i) big.records.push_back(parser::Record{{std::string(50, 'x')}});
  for (uint64_t i = 0; i < 100; ++i) (*left)->Send(FetchedMsg{i});
  (*left)->Send(big);
  (*left)->Send(StopMsg{});
  // More than a socket buffer: the rest waits for the loop.
  CHECK((*left)->queued_bytes() > 1'000'000);
  uv_run(loop.get(), UV_RUN_DEFAULT);

  REQUIRE(got.size() == 100);
  for (uint64_t i = 0; i < 100; ++i) CHECK(got[i] == i);
  CHECK(big_records == 40000);
  CHECK(closed);
  right->reset();
}

TEST_CASE("garbage on the wire closes the channel with an error") {
  UvLoop loop;
  auto [a, b] = Pair();
  std::string error;
  int messages = 0;
  auto ch = Channel::Open(
      loop.get(), std::move(b), [&](Message&&) { ++messages; },
      [&](const Error* e) { error = e != nullptr ? e->message : "eof"; });
  REQUIRE(ch.has_value());
  // A header announcing a frame far beyond the limit.
  const char junk[8] = {'\xff', '\xff', '\xff', '\x7f', 1, 1, 0, 0};
  REQUIRE(write(a.get(), junk, sizeof junk) == 8);
  uv_run(loop.get(), UV_RUN_DEFAULT);
  CHECK(messages == 0);
  CHECK(error.find("exceeds the limit") != std::string::npos);
  ch->reset();
}

TEST_CASE("a frame over the limit is never sent: the sender closes with the reason") {
  UvLoop loop;
  auto [a, b] = Pair();
  std::string sender_error;
  int received = 0;
  std::string receiver_error = "open";
  auto left = Channel::Open(
      loop.get(), std::move(a), [](Message&&) {},
      [&](const Error* e) { sender_error = e != nullptr ? e->message : "eof"; });
  REQUIRE(left.has_value());
  auto right = Channel::Open(
      loop.get(), std::move(b), [&](Message&&) { ++received; },
      [&](const Error* e) { receiver_error = e != nullptr ? e->message : "eof"; });
  REQUIRE(right.has_value());
  (*left)->Send(FetchedMsg{1});
  PageRecordsMsg huge;
  huge.page_id = 2;
  huge.records.push_back(parser::Record{{std::string(kMaxFramePayloadBytes, 'x')}});
  (*left)->Send(huge);
  CHECK(sender_error.find("limit not sent") != std::string::npos);
  CHECK((*left)->closed());
  uv_run(loop.get(), UV_RUN_DEFAULT);
  CHECK(received == 1);              // the frame before it arrived whole
  CHECK(receiver_error == "eof");   // then a clean end, no oversized frame
  left->reset();
  right->reset();
}

// The flaky crawl test of issue #15: a worker sent "Fetched c" and died
// parsing c; the master then leased it another page and its write failed
// (EPIPE) before the loop had read the dead worker's last frames. Closing
// at the write error dropped them, so c was not blamed and was fetched a
// third time. Every frame the peer sent before it died must still arrive,
// before the close, which reports the write error.
TEST_CASE("a write to a dead peer still delivers every frame it sent, then closes") {
  signal(SIGPIPE, SIG_IGN);  // as the master does
  UvLoop loop;
  auto [master_end, worker_end] = Pair();
  // The worker's last words, already in the master's socket.
  std::string frames;
  REQUIRE(EncodeFrame(FetchedMsg{7}, &frames));
  PageRecordsMsg records;
  records.page_id = 7;
  records.records.push_back(parser::Record{{"r"}});
  REQUIRE(EncodeFrame(records, &frames));
  REQUIRE(write(worker_end.get(), frames.data(), frames.size()) ==
          static_cast<ssize_t>(frames.size()));
  worker_end = UniqueFd();  // the worker dies

  std::vector<std::string> events;
  auto ch = Channel::Open(
      loop.get(), std::move(master_end),
      [&](Message&& m) {
        if (auto* f = std::get_if<FetchedMsg>(&m)) events.push_back("fetched " + std::to_string(f->page_id));
        if (auto* r = std::get_if<PageRecordsMsg>(&m)) {
          events.push_back("records " + std::to_string(r->page_id));
        }
      },
      [&](const Error* e) { events.push_back(e != nullptr ? "closed: " + e->message : "eof"); });
  REQUIRE(ch.has_value());
  // The master leases the dead worker a page before its loop read anything.
  LeaseMsg lease;
  lease.items.push_back(LeaseItem{8, "http://127.0.0.1/x", 0});
  (*ch)->Send(lease);
  CHECK(events.empty());  // nothing dispatched from inside Send
  CHECK(!(*ch)->closed());
  (*ch)->Send(FetchedMsg{9});  // later sends do nothing
  CHECK((*ch)->queued_bytes() == 0);
  uv_run(loop.get(), UV_RUN_DEFAULT);
  CHECK(events == std::vector<std::string>{"fetched 7", "records 7",
                                           "closed: write to channel failed: broken pipe"});
  CHECK((*ch)->closed());
  ch->reset();
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::worker
