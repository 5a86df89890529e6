#include "worker/protocol.h"

#include <doctest/doctest.h>

#include "worker/wire.h"

namespace forage::worker {
namespace {

Message RoundTrip(const Message& m) {
  std::string bytes;
  REQUIRE(EncodeFrame(m, &bytes));
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
  done.fetch_s = 0.125;
  auto d = std::get<PageDoneMsg>(RoundTrip(done));
  CHECK(d.fetch_s == 0.125);
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

  StatsMsg cache_stats;
  cache_stats.cache_hits = 7;
  cache_stats.cache_revalidated = 3;
  cache_stats.cache_misses = 2;
  cache_stats.proxies = {ProxyCounts{10, 4, 1}, ProxyCounts{12, 0, 0}};
  auto c = std::get<StatsMsg>(RoundTrip(cache_stats));
  CHECK(c.cache_hits == 7);
  CHECK(c.cache_revalidated == 3);
  CHECK(c.cache_misses == 2);
  REQUIRE(c.proxies.size() == 2);
  CHECK(c.proxies[0].requests == 10);
  CHECK(c.proxies[0].failures == 4);
  CHECK(c.proxies[0].benched == 1);
  CHECK(c.proxies[1].requests == 12);

  CHECK(std::holds_alternative<StopMsg>(RoundTrip(StopMsg{})));
  CHECK(std::get<HelloMsg>(RoundTrip(HelloMsg{1234})).pid == 1234);
  CHECK(std::get<FetchedMsg>(RoundTrip(FetchedMsg{5})).page_id == 5);
  FetchedMsg timed = std::get<FetchedMsg>(RoundTrip(FetchedMsg{6, 200, 0.25}));
  CHECK(timed.http_status == 200);
  CHECK(timed.fetch_s == 0.25);
  CHECK(std::get<RetireMsg>(RoundTrip(RetireMsg{500u << 20})).rss_bytes == 500u << 20);
}

TEST_CASE("PageLinks survives encode and decode, a link count beyond the frame is refused") {
  PageLinksMsg m{42, {"http://a.test/x?q=1", "", "https://b.test/\xc3\xa9"}};
  auto back = std::get<PageLinksMsg>(RoundTrip(m));
  CHECK(back.page_id == 42);
  CHECK(back.links == m.links);
  CHECK(std::get<PageLinksMsg>(RoundTrip(PageLinksMsg{7, {}})).links.empty());

  std::string payload;
  WireWriter w(&payload);
  w.U64(1);
  w.U32(1000000);  // a million links announced, none follow
  FrameHeader h{static_cast<uint32_t>(payload.size()), static_cast<uint8_t>(MsgType::kPageLinks),
                kProtocolVersion};
  auto msg = DecodePayload(h, payload);
  REQUIRE_FALSE(msg.has_value());
  CHECK(msg.error().message.find("count") != std::string::npos);
}

TEST_CASE("a wrong version, an unknown type or a short payload is an error") {
  std::string bytes;
  REQUIRE(EncodeFrame(FetchedMsg{5}, &bytes));
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
  REQUIRE(EncodeFrame(PageRecordsMsg{1, {}}, &bytes));
  // Patch the record count (after u64 page id) to 2^32-1.
  for (int i = 0; i < 4; ++i) bytes[kFrameHeaderBytes + 8 + i] = '\xff';
  FrameHeader h = DecodeFrameHeader(bytes);
  CHECK_FALSE(DecodePayload(h, std::string_view(bytes).substr(kFrameHeaderBytes)).has_value());
}

TEST_CASE("a frame of nulls cannot decode to more memory than the bound") {
  // 4 M null values in one record: a 4 MB payload that would take 160 MB
  // as optional<string>s. The decoder stops at kMaxDecodedFrameBytes.
  constexpr uint32_t kValues = 4u << 20;
  std::string payload;
  WireWriter w(&payload);
  w.U64(1);   // page id
  w.U32(1);   // one record
  w.U32(kValues);
  payload.append(kValues, '\0');  // every value absent
  REQUIRE(kValues * sizeof(parser::FieldValue) > kMaxDecodedFrameBytes);
  FrameHeader h{static_cast<uint32_t>(payload.size()),
                static_cast<uint8_t>(MsgType::kPageRecords), kProtocolVersion};
  auto msg = DecodePayload(h, payload);
  REQUIRE_FALSE(msg.has_value());
  CHECK(msg.error().message.find("decode to more than") != std::string::npos);
}

TEST_CASE("a value or lease count larger than the bytes left is refused at once") {
  std::string payload;
  WireWriter w(&payload);
  w.U64(1);
  w.U32(1);
  w.U32(1000);  // 1000 values announced, 3 bytes follow
  payload.append(3, '\0');
  FrameHeader h{static_cast<uint32_t>(payload.size()),
                static_cast<uint8_t>(MsgType::kPageRecords), kProtocolVersion};
  auto msg = DecodePayload(h, payload);
  REQUIRE_FALSE(msg.has_value());
  CHECK(msg.error().message.find("count") != std::string::npos);

  std::string lease;
  WireWriter l(&lease);
  l.U32(1000000);  // a million pages announced, none follow
  FrameHeader lh{static_cast<uint32_t>(lease.size()), static_cast<uint8_t>(MsgType::kLease),
                 kProtocolVersion};
  auto lmsg = DecodePayload(lh, lease);
  REQUIRE_FALSE(lmsg.has_value());
  CHECK(lmsg.error().message.find("count") != std::string::npos);
}

TEST_CASE("a page's records are split into frames by size, each under the limit") {
  std::vector<parser::Record> records;
  for (int i = 0; i < 3; ++i) {
    records.push_back(parser::Record{{std::string(30u << 20, static_cast<char>('a' + i))}});
  }
  auto frames = SplitPageRecords(7, std::move(records), 1000, kRecordsFrameTargetBytes);
  REQUIRE(frames.has_value());
  REQUIRE(frames->size() == 3);  // 90 MiB of records: one 30 MiB record a frame
  for (size_t i = 0; i < frames->size(); ++i) {
    const auto& f = (*frames)[i];
    CHECK(f.page_id == 7);
    REQUIRE(f.records.size() == 1);
    CHECK((*f.records[0].values[0])[0] == static_cast<char>('a' + i));
    std::string bytes;
    REQUIRE(EncodeFrame(f, &bytes));
    FrameHeader h = DecodeFrameHeader(bytes);
    CHECK(h.payload_bytes <= kMaxFramePayloadBytes);
    auto back = DecodePayload(h, std::string_view(bytes).substr(kFrameHeaderBytes));
    REQUIRE(back.has_value());
    CHECK(std::get<PageRecordsMsg>(*back).records[0].values[0]->size() == 30u << 20);
  }

  SUBCASE("small records share a frame up to the count and the size target") {
    std::vector<parser::Record> small;
    for (int i = 0; i < 2500; ++i) small.push_back(parser::Record{{std::string(100, 'x')}});
    auto by_count = SplitPageRecords(1, small, 1000, kRecordsFrameTargetBytes);
    REQUIRE(by_count.has_value());
    REQUIRE(by_count->size() == 3);
    CHECK((*by_count)[0].records.size() == 1000);
    CHECK((*by_count)[2].records.size() == 500);
    auto by_size = SplitPageRecords(1, small, 1000, 100 * RecordFootprint(small[0]));
    REQUIRE(by_size.has_value());
    CHECK(by_size->size() == 25);
    CHECK((*by_size)[0].records.size() == 100);
  }
  SUBCASE("a page with no records has no frame") {
    auto none = SplitPageRecords(1, {}, 1000, kRecordsFrameTargetBytes);
    REQUIRE(none.has_value());
    CHECK(none->empty());
  }
}

TEST_CASE("a single record over the frame limit fails the page: record too large") {
  std::vector<parser::Record> records;
  records.push_back(parser::Record{{std::string("ok")}});
  records.push_back(parser::Record{{std::string(40u << 20, 'a'), std::string(40u << 20, 'b')}});
  auto frames = SplitPageRecords(7, std::move(records), 1000, kRecordsFrameTargetBytes);
  REQUIRE_FALSE(frames.has_value());
  CHECK(frames.error().message == "record too large");
}

TEST_CASE("EncodeFrame refuses a payload over the limit instead of truncating its length") {
  PageRecordsMsg m;
  m.page_id = 1;
  m.records.push_back(parser::Record{{std::string(kMaxFramePayloadBytes, 'x')}});
  std::string bytes = "before";
  CHECK_FALSE(EncodeFrame(m, &bytes));
  CHECK(bytes == "before");  // nothing appended
}


TEST_CASE("Stats carries the connection counters, and a payload without them still decodes") {
  StatsMsg stats;
  stats.requests = 755;
  stats.connections_opened = 2;
  stats.tls_handshakes = 2;
  stats.http1 = 3;
  stats.http2 = 752;
  stats.http3 = 1;
  auto s = std::get<StatsMsg>(RoundTrip(stats));
  CHECK(s.requests == 755);
  CHECK(s.connections_opened == 2);
  CHECK(s.tls_handshakes == 2);
  CHECK(s.http1 == 3);
  CHECK(s.http2 == 752);
  CHECK(s.http3 == 1);

  // The first version's payload: 4 u64 and 4 f64, nothing after.
  std::string payload;
  WireWriter w(&payload);
  for (uint64_t v : {10u, 20u, 30u, 40u}) w.U64(v);
  for (double v : {0.5, 0.01, 1.25, 0.25}) w.F64(v);
  auto old = DecodePayload(FrameHeader{static_cast<uint32_t>(payload.size()),
                                       static_cast<uint8_t>(MsgType::kStats), kProtocolVersion},
                           payload);
  REQUIRE(old);
  auto o = std::get<StatsMsg>(*old);
  CHECK(o.requests == 30);
  CHECK(o.sys_s == 0.25);
  CHECK(o.connections_opened == 0);
  CHECK(o.http2 == 0);

  // Cut inside the counters: malformed.
  payload.append(7, '\0');
  CHECK_FALSE(DecodePayload(FrameHeader{static_cast<uint32_t>(payload.size()),
                                        static_cast<uint8_t>(MsgType::kStats), kProtocolVersion},
                            payload));
}

}  // TEST_SUITE
}  // namespace
}  // namespace forage::worker
