#include "worker/channel.h"

#include <sys/socket.h>

#include <utility>

namespace forage::worker {

// One uv_write in flight. It owns its bytes, and it outlives the Channel if
// the channel is destroyed first: libuv then calls back with UV_ECANCELED and
// `owner` is null.
struct Channel::WriteReq {
  uv_write_t req{};
  std::string bytes;
  Channel* owner = nullptr;
};

namespace {
constexpr size_t kReadChunkBytes = 256 * 1024;
// The inbox is compacted once this much of its front has been consumed.
constexpr size_t kCompactBytes = 1 << 20;
}  // namespace

Channel::Channel(MessageFn on_message, ClosedFn on_closed)
    : on_message_(std::move(on_message)), on_closed_(std::move(on_closed)) {}

Result<std::unique_ptr<Channel>> Channel::Open(uv_loop_t* loop, UniqueFd fd,
                                               MessageFn on_message, ClosedFn on_closed) {
  std::unique_ptr<Channel> ch(new Channel(std::move(on_message), std::move(on_closed)));
  auto pipe = UvHandle<uv_pipe_t>::Create([&](uv_pipe_t* p) { return uv_pipe_init(loop, p, 0); });
  if (!pipe) return pipe.error();
  ch->pipe_ = std::move(*pipe);
  if (int rc = uv_pipe_open(ch->pipe_.get(), fd.get()); rc < 0) {
    return Err(ErrorCode::kIo, "uv_pipe_open() failed: {}", uv_strerror(rc));
  }
  fd.Release();  // the pipe handle owns it now and closes it with the handle
  ch->pipe_.get()->data = ch.get();
  ch->read_chunk_.resize(kReadChunkBytes);
  ch->ResumeReading();
  return ch;
}

Channel::~Channel() {
  *alive_ = false;
  if (in_flight_ != nullptr) in_flight_->owner = nullptr;
}

void Channel::Send(const Message& msg) {
  if (closed_ || write_error_) return;
  if (!EncodeFrame(msg, &pending_)) {
    // A sender's bug (records are split well under the limit): close with
    // the reason rather than send a length the peer must refuse.
    Error e = Err(ErrorCode::kTooLarge, "frame over the {}-byte limit not sent",
                  kMaxFramePayloadBytes);
    Fail(&e);
    return;
  }
  if (in_flight_ != nullptr) return;  // goes out with the next write
  // Nothing queued before this frame: write it now, without waiting for the
  // loop. A frame that reached the kernel survives a crash of this process a
  // moment later, which is what lets the master tell which page a dead
  // worker was processing (docs/protocol.md).
  uv_buf_t buf = uv_buf_init(pending_.data(), static_cast<unsigned>(pending_.size()));
  int n = uv_try_write(reinterpret_cast<uv_stream_t*>(pipe_.get()), &buf, 1);
  if (n > 0) pending_.erase(0, static_cast<size_t>(n));
  if (n < 0 && n != UV_EAGAIN) {
    WriteFailed(Err(ErrorCode::kIo, "write to channel failed: {}", uv_strerror(n)));
    return;
  }
  StartWrite();
}

void Channel::OnDrained(std::function<void()> fn) {
  if (queued_bytes() == 0 || closed_) {
    fn();
    return;
  }
  on_drained_ = std::move(fn);
}

void Channel::PauseReading() {
  if (!reading_ || closed_) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(pipe_.get()));
  reading_ = false;
}

void Channel::ResumeReading() {
  if (reading_ || closed_) return;
  int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(pipe_.get()), OnUvAlloc, OnUvRead);
  if (rc < 0) {
    Error e = Err(ErrorCode::kIo, "uv_read_start() failed: {}", uv_strerror(rc));
    Fail(&e);
    return;
  }
  reading_ = true;
}

void Channel::StartWrite() {
  if (pending_.empty() || closed_) return;
  auto* w = new WriteReq;
  w->bytes.swap(pending_);
  w->owner = this;
  w->req.data = w;
  in_flight_ = w;
  in_flight_bytes_ = w->bytes.size();
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(pipe_.get()), &buf, 1, OnUvWrite);
  if (rc < 0) {
    in_flight_ = nullptr;
    in_flight_bytes_ = 0;
    delete w;
    Error e = Err(ErrorCode::kIo, "uv_write() failed: {}", uv_strerror(rc));
    Fail(&e);
  }
}

void Channel::HandleWriteDone(int status) {
  in_flight_ = nullptr;
  in_flight_bytes_ = 0;
  if (status < 0) {
    if (status == UV_ECANCELED) return;  // the channel is closing
    WriteFailed(Err(ErrorCode::kIo, "write to channel failed: {}", uv_strerror(status)));
    return;
  }
  StartWrite();
}

void Channel::WriteFailed(Error error) {
  if (closed_ || write_error_) return;
  write_error_ = std::move(error);
  pending_.clear();
  on_drained_ = nullptr;
  // Our side will write no more: a peer still alive reads EOF and exits (a
  // worker does), so the EOF that closes this channel always comes.
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(pipe_.get()), &fd) == 0) shutdown(fd, SHUT_WR);
  // What the peer sent before it died is read by the loop, as usual.
  ResumeReading();
}

void Channel::HandleRead(ssize_t nread) {
  if (nread == UV_EOF) {
    // Every frame before the EOF was dispatched; a write that failed earlier
    // is the reason the channel closes.
    Fail(write_error_ ? &*write_error_ : nullptr);
    return;
  }
  if (nread < 0) {
    Error e = Err(ErrorCode::kIo, "read from channel failed: {}",
                  uv_strerror(static_cast<int>(nread)));
    Fail(&e);
    return;
  }
  inbox_.append(read_chunk_.data(), static_cast<size_t>(nread));
  DecodeFrames();
}

void Channel::DecodeFrames() {
  std::weak_ptr<bool> alive = alive_;
  while (!closed_) {
    std::string_view rest(inbox_.data() + inbox_pos_, inbox_.size() - inbox_pos_);
    if (rest.size() < kFrameHeaderBytes) break;
    FrameHeader h = DecodeFrameHeader(rest);
    if (h.payload_bytes > kMaxFramePayloadBytes) {
      Error e = Err(ErrorCode::kTooLarge, "frame of {} bytes exceeds the limit", h.payload_bytes);
      Fail(&e);
      return;
    }
    if (rest.size() < kFrameHeaderBytes + h.payload_bytes) break;
    auto msg = DecodePayload(h, rest.substr(kFrameHeaderBytes, h.payload_bytes));
    inbox_pos_ += kFrameHeaderBytes + h.payload_bytes;
    if (!msg) {
      Fail(&msg.error());
      return;
    }
    on_message_(std::move(*msg));
    if (alive.expired()) return;  // the handler destroyed this channel
  }
  if (inbox_pos_ == inbox_.size()) {
    inbox_.clear();
    inbox_pos_ = 0;
  } else if (inbox_pos_ >= kCompactBytes) {
    inbox_.erase(0, inbox_pos_);
    inbox_pos_ = 0;
  }
}

void Channel::Fail(const Error* error) {
  if (closed_) return;
  closed_ = true;
  reading_ = false;
  pending_.clear();
  // Closing cancels a write in flight; its request then finds no owner.
  if (in_flight_ != nullptr) in_flight_->owner = nullptr;
  in_flight_ = nullptr;
  in_flight_bytes_ = 0;
  pipe_.Close();
  on_drained_ = nullptr;
  if (on_closed_) std::exchange(on_closed_, nullptr)(error);
}

// --- C entry points: recover `this`, forward, nothing else.

void Channel::OnUvAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<Channel*>(h->data);
  *buf = uv_buf_init(self->read_chunk_.data(), static_cast<unsigned>(self->read_chunk_.size()));
}

void Channel::OnUvRead(uv_stream_t* s, ssize_t nread, const uv_buf_t*) noexcept {
  if (s->data == nullptr || nread == 0) return;
  static_cast<Channel*>(s->data)->HandleRead(nread);
}

void Channel::OnUvWrite(uv_write_t* req, int status) noexcept {
  auto* w = static_cast<WriteReq*>(req->data);
  Channel* owner = w->owner;
  delete w;
  if (owner != nullptr) owner->HandleWriteDone(status);
}

}  // namespace forage::worker
