// Fuzz target: the frame decoder of the master-worker pipe
// (worker/protocol.h): the first kFrameHeaderBytes of the input are a frame
// header, the rest its payload (the length the header claims is not
// enforced here, so the fuzzer reaches the payload decoder quickly).
//
// Properties beyond "no memory error, no hang":
// - a payload that decodes round-trips: EncodeFrame(message) writes a header
//   with the right length, type and version, which decodes to a message that
//   encodes to the same bytes again (decode(encode(x)) == x, compared by
//   their encodings; a payload itself may differ from its re-encoding, as a
//   boolean byte 2 reads as true and is written as 1), but not in length.
//
// With FORAGE_FUZZ_WRITE_SEEDS=DIR in the environment, the target first
// writes one frame payload of every message type to DIR (scripts/fuzz.sh
// makes the seed corpus so, always in step with the protocol).

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "worker/protocol.h"

namespace forage::worker {
namespace {

std::vector<Message> SampleMessages() {
  PageRecordsMsg records{7, {}};
  records.records.push_back(parser::Record{{std::string("a"), std::nullopt, std::string("")}});
  records.records.push_back(parser::Record{{}});
  PageDoneMsg done;
  done.page_id = 3;
  done.ok = false;
  done.http_status = 503;
  done.attempts = 2;
  done.body_bytes = 1234;
  done.items = 5;
  done.dropped = 1;
  done.reason = "HTTP 503";
  done.retryable = true;
  done.retry_after_s = 1.5;
  StatsMsg stats;
  stats.pages = 10;
  stats.items = 20;
  stats.requests = 30;
  stats.body_bytes = 40;
  stats.busy_s = 0.5;
  stats.max_loop_lag_s = 0.01;
  stats.user_s = 1.25;
  stats.sys_s = 0.25;
  stats.connections_opened = 2;
  stats.tls_handshakes = 2;
  stats.http1 = 3;
  stats.http2 = 45;
  stats.cache_hits = 7;
  stats.cache_revalidated = 2;
  stats.cache_misses = 1;
  stats.proxies = {ProxyCounts{5, 1, 0}, ProxyCounts{6, 3, 1}};
  return {LeaseMsg{{LeaseItem{1, "http://127.0.0.1/p/1", 0}, LeaseItem{2, "http://x/", 1}}},
          StopMsg{},
          HelloMsg{4242},
          FetchedMsg{9},
          records,
          done,
          stats,
          RetireMsg{1u << 30}};
}

void WriteSeeds(const char* dir) {
  int i = 0;
  for (const Message& msg : SampleMessages()) {
    std::string frame;
    EncodeFrame(msg, &frame);
    std::ofstream(std::string(dir) + "/frame-" + std::to_string(i++), std::ios::binary) << frame;
  }
}

}  // namespace
}  // namespace forage::worker

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("FORAGE_FUZZ_WRITE_SEEDS")) forage::worker::WriteSeeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace forage::worker;
  std::string_view in = forage::fuzz::AsText(data, size);
  FrameHeader header = DecodeFrameHeader(in);
  std::string_view payload = in.size() > kFrameHeaderBytes ? in.substr(kFrameHeaderBytes) : "";
  auto msg = DecodePayload(header, payload);
  if (!msg) return 0;

  std::string frame;
  EncodeFrame(*msg, &frame);
  FUZZ_CHECK(frame.size() >= kFrameHeaderBytes, "a frame shorter than its header");
  FrameHeader h = DecodeFrameHeader(frame);
  FUZZ_CHECK(h.payload_bytes == frame.size() - kFrameHeaderBytes, "the header's length");
  FUZZ_CHECK(h.type == header.type, "the header's type");
  FUZZ_CHECK(h.version == kProtocolVersion, "the header's version");
  FUZZ_CHECK(frame.compare(6, 2, std::string(2, '\0')) == 0, "the reserved bytes");
  auto again = DecodePayload(h, std::string_view(frame).substr(kFrameHeaderBytes));
  FUZZ_CHECK(again.has_value(), "a re-encoded frame does not decode: " +
                                    (again ? std::string() : again.error().message));
  std::string frame2;
  EncodeFrame(*again, &frame2);
  FUZZ_CHECK(frame2 == frame, "decode(encode(x)) != x");
  // A Stats payload of an earlier version decodes and re-encodes longer:
  // without the 5 connection counters and the cache/proxy counters by 40 + 28
  // bytes (3 counters and an empty proxy list), without the latter by 28.
  const size_t encoded = frame.size() - kFrameHeaderBytes;
  const bool stats = static_cast<MsgType>(header.type) == MsgType::kStats;
  FUZZ_CHECK(payload.size() == encoded ||
                 (stats && (payload.size() + 28 == encoded || payload.size() + 68 == encoded)),
             "the re-encoding's length differs from the payload's");
  return 0;
}
