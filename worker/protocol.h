#pragma once
// Messages between the master and a worker, and their frame encoding.
// The byte layout is specified in docs/protocol.md; keep the two in step.
//
// Frame: u32 payload length (LE) | u8 type | u8 version | u16 reserved (0) | payload.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "parser/extract.h"

namespace forage::worker {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr size_t kFrameHeaderBytes = 8;
// A frame larger than this is a bug on the sending side (records are sent in
// batches well under it), so the receiver treats it as a broken channel.
// Well under 4 GiB, so a payload length always fits the header's u32.
inline constexpr uint32_t kMaxFramePayloadBytes = 64u << 20;
// A decoded PageRecords frame may take at most this much memory, as
// RecordFootprint counts it. A frame of nulls (1 byte on the wire, 40 in
// memory) is refused when it passes this, before it is decoded further.
inline constexpr size_t kMaxDecodedFrameBytes = size_t{2} * kMaxFramePayloadBytes;
// The sender's target for one PageRecords frame (footprint of its records).
inline constexpr size_t kRecordsFrameTargetBytes = 8u << 20;
// A record whose footprint passes this is never sent: its page fails with
// "record too large". Its frame then fits both limits above.
inline constexpr size_t kMaxRecordBytes = kMaxFramePayloadBytes - 64;

// A PageLinks frame carries at most this many bytes of links; a page's links
// past it are left out.
inline constexpr size_t kMaxLinkBytes = 16u << 20;

enum class MsgType : uint8_t {
  // master -> worker
  kLease = 1,
  kStop = 2,
  // worker -> master
  kHello = 10,
  kFetched = 11,
  kPageRecords = 12,
  kPageDone = 13,
  kStats = 14,
  kRetire = 15,
  kPageLinks = 16,
};

// One page handed to a worker. `page_id` is the page's index in the job's
// plan, not its page number; the master maps it back.
struct LeaseItem {
  uint64_t page_id = 0;
  std::string url;
  uint8_t rules = 0;  // which rules extract it: 0 the job's, 1 the detail pages' (--follow)
};

struct LeaseMsg {
  std::vector<LeaseItem> items;
};

// Finish what is leased, send final stats, then exit.
struct StopMsg {};

struct HelloMsg {
  int64_t pid = 0;
};

// The transfer of a page finished (either way): its fetch slot is free again.
// The page's processing (parse, extract, CPU work) may still be under way.
// `http_status` and `fetch_s` (the answer's latency: request start to its
// first byte) feed --throttle auto; 0 and 0 when no transfer was made.
struct FetchedMsg {
  uint64_t page_id = 0;
  int32_t http_status = 0;
  double fetch_s = 0;
};

// Records of one page; a page may send several of these before its PageDone.
struct PageRecordsMsg {
  uint64_t page_id = 0;
  std::vector<parser::Record> records;
};

// The links a page found for --next / --crawl (absolute, as the page's `url`
// rules resolved them), in document order; sent once, before its PageDone,
// and only by a page that succeeded. They count only once PageDone arrives.
struct PageLinksMsg {
  uint64_t page_id = 0;
  std::vector<std::string> links;
};

// The end of a page. Records sent for it count only once this arrives with ok.
struct PageDoneMsg {
  uint64_t page_id = 0;
  bool ok = false;
  int32_t http_status = 0;
  uint32_t attempts = 0;
  uint64_t body_bytes = 0;
  uint64_t items = 0;
  uint64_t dropped = 0;  // items left out: a `required` field had no value
  std::string reason;  // why it failed; empty when ok
  // A failure that may succeed if tried again (connect errors, timeouts,
  // resets, truncated bodies, HTTP 408/429/500/502/503/504). The master
  // decides whether and when to try again.
  bool retryable = false;
  double retry_after_s = -1;  // the server's Retry-After, in seconds; -1 if none
  double fetch_s = 0;  // the answer's latency, request to first byte (--throttle auto)
};

// One proxy of --proxy-list as a worker saw it (StatsMsg::proxies).
struct ProxyCounts {
  uint64_t requests = 0;
  uint64_t failures = 0;  // proxy errors
  uint64_t benched = 0;   // times benched
};

// Worker counters since the process started: sent every second (the
// worker's heartbeat) and once more before a clean exit. Each one replaces
// the previous one; they are snapshots, not increments.
struct StatsMsg {
  uint64_t pages = 0;
  uint64_t items = 0;
  uint64_t requests = 0;
  uint64_t body_bytes = 0;
  double busy_s = 0;         // CPU time spent processing pages (parse, extract, burn)
  double max_loop_lag_s = 0; // worst delay of the loop's lag probe
  double user_s = 0;
  double sys_s = 0;
  // Added after the first version: a Stats payload may end before them (all
  // 0 then). What the page transfers did on the wire (worker/curl_options.h).
  uint64_t connections_opened = 0;
  uint64_t tls_handshakes = 0;
  uint64_t http1 = 0;  // responses over HTTP/1.x
  uint64_t http2 = 0;  // responses over HTTP/2
  uint64_t http3 = 0;  // responses over HTTP/3
  // --cache: pages served from the cache, confirmed by a 304, fetched.
  uint64_t cache_hits = 0;
  uint64_t cache_revalidated = 0;
  uint64_t cache_misses = 0;
  // --proxy-list: one per proxy, in the list's order; empty without one.
  std::vector<ProxyCounts> proxies;
};

// The worker's resident memory passed --worker-max-rss after a page: it wants
// to be replaced. It still finishes every page leased to it (leases that cross
// this message included); the master leases it nothing more, sends Stop once
// nothing is outstanding, and starts a fresh process in the slot when this
// one exits. Sent at most once per process.
struct RetireMsg {
  uint64_t rss_bytes = 0;
};

using Message = std::variant<LeaseMsg, StopMsg, HelloMsg, FetchedMsg, PageRecordsMsg,
                             PageDoneMsg, StatsMsg, RetireMsg, PageLinksMsg>;

// Memory a decoded record takes: the Record, one FieldValue per value and
// the values' bytes. Never less than the record's encoded size, so frames cut
// by footprint are cut by wire size too.
size_t RecordFootprint(const parser::Record& r);

// A page's records as PageRecords frames of at most `max_records` records and
// about `target_bytes` of footprint each (a record larger than the target
// goes alone); none for a page without records. A record over
// kMaxRecordBytes is an error (kTooLarge, "record too large"): the page
// fails, and nothing of it is sent.
Result<std::vector<PageRecordsMsg>> SplitPageRecords(uint64_t page_id,
                                                     std::vector<parser::Record> records,
                                                     size_t max_records, size_t target_bytes);

// Appends one whole frame (header and payload) for `msg` to `out`. A payload
// over kMaxFramePayloadBytes is a bug of the sender: nothing is appended and
// the result is false.
bool EncodeFrame(const Message& msg, std::string* out);

struct FrameHeader {
  uint32_t payload_bytes = 0;
  uint8_t type = 0;
  uint8_t version = 0;
};

// Reads a header from the first kFrameHeaderBytes of `bytes`.
FrameHeader DecodeFrameHeader(std::string_view bytes);

// Decodes a payload; an unknown type, a wrong version or a malformed payload
// is an error (kParse).
Result<Message> DecodePayload(const FrameHeader& header, std::string_view payload);

}  // namespace forage::worker
