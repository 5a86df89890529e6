#include "worker/protocol.h"

#include <doctest/doctest.h>

namespace forage::worker {
namespace {

Message RoundTrip(const Message& m) {
  std::string bytes;
  EncodeFrame(m, &bytes);
  FrameHeader h = DecodeFrameHeader(bytes);
  REQUIRE(h.payload_bytes + kFrameHeaderBytes == bytes.size());
  auto back = DecodePayload(h, std::string_view(bytes).substr(kFrameHeaderBytes));
  REQUIRE(back.has_value());
  return *back;
}

TEST_SUITE("worker.protocol") {

TEST_CASE("every message survives encode and decode unchanged") {
  LeaseMsg lease{{{7, "http://a/1"}, {8, "http://a/2"}}};
  auto l = std::get<LeaseMsg>(RoundTrip(lease));
  REQUIRE(l.items.size() == 2);
  CHECK(l.items[1].page_id == 8);
  CHECK(l.items[1].url == "http://a/2");

  PageRecordsMsg recs;
  recs.page_id = 3;
  recs.records.push_back(parser::Record{{std::string("a,b"), std::nullopt, std::string("")}});
  auto r = std::get<PageRecordsMsg>(RoundTrip(recs));
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].values[0] == std::optional<std::string>("a,b"));
  CHECK_FALSE(r.records[0].values[1].has_value());
  CHECK(r.records[0].values[2] == std::optional<std::string>(""));

  PageDoneMsg done;
  done.page_id = 9;
  done.ok = false;
  done.http_status = 404;
  done.reason = "HTTP 404";
  done.retryable = true;
  done.retry_after_s = 1.5;
  auto d = std::get<PageDoneMsg>(RoundTrip(done));
  CHECK(d.retryable);
  CHECK(d.retry_after_s == 1.5);
  CHECK(d.page_id == 9);
  CHECK_FALSE(d.ok);
  CHECK(d.http_status == 404);
  CHECK(d.reason == "HTTP 404");

  StatsMsg stats;
  stats.busy_s = 1.25;
  stats.requests = 48;
  auto s = std::get<StatsMsg>(RoundTrip(stats));
  CHECK(s.busy_s == 1.25);
  CHECK(s.requests == 48);

  CHECK(std::holds_alternative<StopMsg>(RoundTrip(StopMsg{})));
  CHECK(std::get<HelloMsg>(RoundTrip(HelloMsg{1234})).pid == 1234);
  CHECK(std::get<FetchedMsg>(RoundTrip(FetchedMsg{5})).page_id == 5);
  CHECK(std::get<RetireMsg>(RoundTrip(RetireMsg{500u << 20})).rss_bytes == 500u << 20);
}

TEST_CASE("a wrong version, an unknown type or a short payload is an error") {
  std::string bytes;
  EncodeFrame(FetchedMsg{5}, &bytes);
  FrameHeader h = DecodeFrameHeader(bytes);
  std::string_view payload = std::string_view(bytes).substr(kFrameHeaderBytes);

  FrameHeader wrong_version = h;
  wrong_version.version = 99;
  CHECK_FALSE(DecodePayload(wrong_version, payload).has_value());

  FrameHeader unknown = h;
  unknown.type = 200;
  CHECK_FALSE(DecodePayload(unknown, payload).has_value());

  CHECK_FALSE(DecodePayload(h, payload.substr(0, 3)).has_value());

  std::string longer(payload);
  longer += 'x';
  CHECK_FALSE(DecodePayload(h, longer).has_value());
}

TEST_CASE("a record count larger than the payload does not allocate or crash") {
  std::string bytes;
  EncodeFrame(PageRecordsMsg{1, {}}, &bytes);
  // Patch the record count (after u64 page id) to 2^32-1.
  for (int i = 0; i < 4; ++i) bytes[kFrameHeaderBytes + 8 + i] = '\xff';
  FrameHeader h = DecodeFrameHeader(bytes);
  CHECK_FALSE(DecodePayload(h, std::string_view(bytes).substr(kFrameHeaderBytes)).has_value());
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::worker
