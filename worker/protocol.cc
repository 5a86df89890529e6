#include "worker/protocol.h"

#include <type_traits>

#include "worker/wire.h"

namespace forage::worker {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void EncodeRecord(const parser::Record& r, WireWriter& w) {
  w.U32(static_cast<uint32_t>(r.values.size()));
  for (const auto& v : r.values) {
    w.U8(v.has_value() ? 1 : 0);
    if (v) w.Str(*v);
  }
}

// Decodes one record, adding its footprint to `*footprint`; stops (an error)
// once that passes kMaxDecodedFrameBytes.
Result<parser::Record> DecodeRecord(WireReader& r, size_t* footprint) {
  parser::Record rec;
  uint32_t n = r.U32();
  // Each value takes at least one byte, so a count beyond what is left is a
  // malformed frame, not a reason to allocate.
  if (n > r.remaining()) return Err(ErrorCode::kParse, "value count {} beyond the frame", n);
  *footprint += sizeof(parser::Record);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    *footprint += sizeof(parser::FieldValue);
    if (r.U8() != 0) {
      rec.values.emplace_back(r.Str());
      *footprint += rec.values.back()->size();
    } else {
      rec.values.emplace_back(std::nullopt);
    }
    if (*footprint > kMaxDecodedFrameBytes) {
      return Err(ErrorCode::kTooLarge, "records frame would decode to more than {} bytes",
                 kMaxDecodedFrameBytes);
    }
  }
  return rec;
}

// Minimum wire bytes of one lease item and one record.
constexpr size_t kMinLeaseItemBytes = 8 + 4 + 1;
constexpr size_t kMinRecordBytes = 4;

MsgType TypeOf(const Message& msg) {
  return std::visit(Overloaded{
                        [](const LeaseMsg&) { return MsgType::kLease; },
                        [](const StopMsg&) { return MsgType::kStop; },
                        [](const HelloMsg&) { return MsgType::kHello; },
                        [](const FetchedMsg&) { return MsgType::kFetched; },
                        [](const PageRecordsMsg&) { return MsgType::kPageRecords; },
                        [](const PageDoneMsg&) { return MsgType::kPageDone; },
                        [](const StatsMsg&) { return MsgType::kStats; },
                        [](const RetireMsg&) { return MsgType::kRetire; },
                        [](const PageLinksMsg&) { return MsgType::kPageLinks; },
                    },
                    msg);
}

void EncodeBody(const Message& msg, WireWriter& w) {
  std::visit(Overloaded{
                 [&](const LeaseMsg& m) {
                   w.U32(static_cast<uint32_t>(m.items.size()));
                   for (const auto& it : m.items) {
                     w.U64(it.page_id);
                     w.Str(it.url);
                     w.U8(it.rules);
                   }
                 },
                 [&](const StopMsg&) {},
                 [&](const HelloMsg& m) { w.U64(static_cast<uint64_t>(m.pid)); },
                 [&](const FetchedMsg& m) {
                   w.U64(m.page_id);
                   w.U32(static_cast<uint32_t>(m.http_status));
                   w.F64(m.fetch_s);
                 },
                 [&](const PageRecordsMsg& m) {
                   w.U64(m.page_id);
                   w.U32(static_cast<uint32_t>(m.records.size()));
                   for (const auto& r : m.records) EncodeRecord(r, w);
                 },
                 [&](const PageDoneMsg& m) {
                   w.U64(m.page_id);
                   w.U8(m.ok ? 1 : 0);
                   w.U32(static_cast<uint32_t>(m.http_status));
                   w.U32(m.attempts);
                   w.U64(m.body_bytes);
                   w.U64(m.items);
                   w.U64(m.dropped);
                   w.Str(m.reason);
                   w.U8(m.retryable ? 1 : 0);
                   w.F64(m.retry_after_s);
                   w.F64(m.fetch_s);
                 },
                 [&](const StatsMsg& m) {
                   w.U64(m.pages);
                   w.U64(m.items);
                   w.U64(m.requests);
                   w.U64(m.body_bytes);
                   w.F64(m.busy_s);
                   w.F64(m.max_loop_lag_s);
                   w.F64(m.user_s);
                   w.F64(m.sys_s);
                   w.U64(m.connections_opened);
                   w.U64(m.tls_handshakes);
                   w.U64(m.http1);
                   w.U64(m.http2);
                   w.U64(m.http3);
                   w.U64(m.cache_hits);
                   w.U64(m.cache_revalidated);
                   w.U64(m.cache_misses);
                   w.U32(static_cast<uint32_t>(m.proxies.size()));
                   for (const auto& p : m.proxies) {
                     w.U64(p.requests);
                     w.U64(p.failures);
                     w.U64(p.benched);
                   }
                 },
                 [&](const RetireMsg& m) { w.U64(m.rss_bytes); },
                 [&](const PageLinksMsg& m) {
                   w.U64(m.page_id);
                   w.U32(static_cast<uint32_t>(m.links.size()));
                   for (const auto& l : m.links) w.Str(l);
                 },
             },
             msg);
}

Result<Message> DecodeBody(MsgType type, WireReader& r) {
  switch (type) {
    case MsgType::kLease: {
      LeaseMsg m;
      uint32_t n = r.U32();
      if (n > r.remaining() / kMinLeaseItemBytes) {
        return Err(ErrorCode::kParse, "lease count {} beyond the frame", n);
      }
      for (uint32_t i = 0; i < n && r.ok(); ++i) {
        LeaseItem it;
        it.page_id = r.U64();
        it.url = r.Str();
        it.rules = r.U8();
        m.items.push_back(std::move(it));
      }
      return Message{std::move(m)};
    }
    case MsgType::kStop:
      return Message{StopMsg{}};
    case MsgType::kHello:
      return Message{HelloMsg{static_cast<int64_t>(r.U64())}};
    case MsgType::kFetched: {
      FetchedMsg m;
      m.page_id = r.U64();
      m.http_status = static_cast<int32_t>(r.U32());
      m.fetch_s = r.F64();
      return Message{m};
    }
    case MsgType::kPageRecords: {
      PageRecordsMsg m;
      m.page_id = r.U64();
      uint32_t n = r.U32();
      if (n > r.remaining() / kMinRecordBytes) {
        return Err(ErrorCode::kParse, "record count {} beyond the frame", n);
      }
      size_t footprint = 0;
      for (uint32_t i = 0; i < n && r.ok(); ++i) {
        auto rec = DecodeRecord(r, &footprint);
        if (!rec) return rec.error();
        m.records.push_back(std::move(*rec));
      }
      return Message{std::move(m)};
    }
    case MsgType::kPageDone: {
      PageDoneMsg m;
      m.page_id = r.U64();
      m.ok = r.U8() != 0;
      m.http_status = static_cast<int32_t>(r.U32());
      m.attempts = r.U32();
      m.body_bytes = r.U64();
      m.items = r.U64();
      m.dropped = r.U64();
      m.reason = r.Str();
      m.retryable = r.U8() != 0;
      m.retry_after_s = r.F64();
      m.fetch_s = r.F64();
      return Message{std::move(m)};
    }
    case MsgType::kStats: {
      StatsMsg m;
      m.pages = r.U64();
      m.items = r.U64();
      m.requests = r.U64();
      m.body_bytes = r.U64();
      m.busy_s = r.F64();
      m.max_loop_lag_s = r.F64();
      m.user_s = r.F64();
      m.sys_s = r.F64();
      if (r.remaining() > 0) {  // the connection counters (a later addition)
        m.connections_opened = r.U64();
        m.tls_handshakes = r.U64();
        m.http1 = r.U64();
        m.http2 = r.U64();
        m.http3 = r.U64();
      }
      if (r.remaining() == 0) return Message{std::move(m)};
      // The cache and proxy counters (a later addition still).
      m.cache_hits = r.U64();
      m.cache_revalidated = r.U64();
      m.cache_misses = r.U64();
      uint32_t proxies = r.U32();
      if (proxies > r.remaining() / 24) {
        return Err(ErrorCode::kParse, "proxy count {} beyond the frame", proxies);
      }
      for (uint32_t i = 0; i < proxies && r.ok(); ++i) {
        ProxyCounts p;
        p.requests = r.U64();
        p.failures = r.U64();
        p.benched = r.U64();
        m.proxies.push_back(p);
      }
      return Message{std::move(m)};
    }
    case MsgType::kRetire:
      return Message{RetireMsg{r.U64()}};
    case MsgType::kPageLinks: {
      PageLinksMsg m;
      m.page_id = r.U64();
      uint32_t n = r.U32();
      if (n > r.remaining() / 4) return Err(ErrorCode::kParse, "link count {} beyond the frame", n);
      m.links.reserve(n);
      for (uint32_t i = 0; i < n && r.ok(); ++i) m.links.push_back(r.Str());
      return Message{std::move(m)};
    }
  }
  return Err(ErrorCode::kParse, "unknown frame type {}", static_cast<int>(type));
}

}  // namespace

size_t RecordFootprint(const parser::Record& r) {
  size_t bytes = sizeof(parser::Record) + r.values.size() * sizeof(parser::FieldValue);
  for (const auto& v : r.values) {
    if (v) bytes += v->size();
  }
  return bytes;
}

Result<std::vector<PageRecordsMsg>> SplitPageRecords(uint64_t page_id,
                                                     std::vector<parser::Record> records,
                                                     size_t max_records, size_t target_bytes) {
  std::vector<size_t> sizes;
  sizes.reserve(records.size());
  for (const auto& r : records) {
    sizes.push_back(RecordFootprint(r));
    if (sizes.back() > kMaxRecordBytes) return Err(ErrorCode::kTooLarge, "record too large");
  }
  std::vector<PageRecordsMsg> frames;
  size_t frame_bytes = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    bool full = !frames.empty() && (frames.back().records.size() >= max_records ||
                                    frame_bytes + sizes[i] > target_bytes);
    if (frames.empty() || full) {
      frames.push_back(PageRecordsMsg{page_id, {}});
      frame_bytes = 0;
    }
    frames.back().records.push_back(std::move(records[i]));
    frame_bytes += sizes[i];
  }
  return frames;
}

bool EncodeFrame(const Message& msg, std::string* out) {
  size_t start = out->size();
  out->append(kFrameHeaderBytes, '\0');
  WireWriter body(out);
  EncodeBody(msg, body);
  size_t payload_bytes = out->size() - start - kFrameHeaderBytes;
  if (payload_bytes > kMaxFramePayloadBytes) {
    out->resize(start);
    return false;
  }
  uint32_t payload = static_cast<uint32_t>(payload_bytes);
  std::string header;
  WireWriter h(&header);
  h.U32(payload);
  h.U8(static_cast<uint8_t>(TypeOf(msg)));
  h.U8(kProtocolVersion);
  h.U8(0);
  h.U8(0);
  out->replace(start, kFrameHeaderBytes, header);
  return true;
}

FrameHeader DecodeFrameHeader(std::string_view bytes) {
  WireReader r(bytes.substr(0, kFrameHeaderBytes));
  FrameHeader h;
  h.payload_bytes = r.U32();
  h.type = r.U8();
  h.version = r.U8();
  return h;
}

Result<Message> DecodePayload(const FrameHeader& header, std::string_view payload) {
  if (header.version != kProtocolVersion) {
    return Err(ErrorCode::kParse, "frame version {} (expected {})", header.version,
               kProtocolVersion);
  }
  WireReader r(payload);
  auto msg = DecodeBody(static_cast<MsgType>(header.type), r);
  if (!msg) return msg;
  if (!r.done()) {
    return Err(ErrorCode::kParse, "malformed frame of type {} ({} bytes)", header.type,
               payload.size());
  }
  return msg;
}

}  // namespace forage::worker
