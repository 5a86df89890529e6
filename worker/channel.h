#pragma once
// Channel: framed, bidirectional messages over one pipe or socketpair end.
//
// Owns the fd (as a libuv pipe handle on `loop`). Loop-bound and
// single-threaded. A frame is written at once when nothing is queued before
// it (uv_try_write); otherwise, while one write is in flight, later frames
// gather in a buffer that goes out as the next write.
// Incoming bytes are split into frames and decoded; every message is handed
// to `on_message` in order. `on_closed` fires once, on EOF, a read error, or
// a malformed frame (with the reason); no message follows it.
// A write error (the peer died: EPIPE) does not close the channel at once:
// what the peer sent before it died is still in the socket, and the master
// must read it (the page a dead worker was processing is known only from its
// last frames). So the channel stops writing (Send does nothing, our side is
// shut down for writing), keeps reading from the loop, dispatches every frame
// that is left, and closes at the EOF that follows, reporting the write
// error. Both callbacks may destroy the Channel.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "worker/protocol.h"
#include "worker/uv_handle.h"

namespace forage::worker {

class Channel {
 public:
  using MessageFn = std::function<void(Message&&)>;
  // `error` is null on a clean EOF.
  using ClosedFn = std::function<void(const Error* error)>;

  static Result<std::unique_ptr<Channel>> Open(uv_loop_t* loop, UniqueFd fd,
                                               MessageFn on_message, ClosedFn on_closed);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Queues one frame. After the channel has closed this does nothing.
  void Send(const Message& msg);

  // Bytes accepted by Send and not yet written to the kernel.
  size_t queued_bytes() const { return pending_.size() + in_flight_bytes_; }
  bool closed() const { return closed_; }

  // Calls `fn` once everything queued has been written (at once if nothing
  // is queued). Used for an orderly exit: flush, then close.
  void OnDrained(std::function<void()> fn);

  // Stops reading from the pipe until ResumeReading (backpressure).
  void PauseReading();
  void ResumeReading();

 private:
  struct WriteReq;
  Channel(MessageFn on_message, ClosedFn on_closed);

  static void OnUvAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void OnUvRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void OnUvWrite(uv_write_t* req, int status) noexcept;

  void HandleRead(ssize_t nread);
  void HandleWriteDone(int status);
  void StartWrite();
  void DecodeFrames();
  void Fail(const Error* error);
  // A write failed: stop writing, read what is left, close at EOF.
  void WriteFailed(Error error);

  UvHandle<uv_pipe_t> pipe_;
  MessageFn on_message_;
  ClosedFn on_closed_;
  std::function<void()> on_drained_;
  std::string inbox_;       // bytes read and not yet decoded, from inbox_pos_
  size_t inbox_pos_ = 0;
  std::string read_chunk_;  // libuv reads into this, then it is appended to inbox_
  std::string pending_;     // encoded frames waiting for the next write
  WriteReq* in_flight_ = nullptr;
  size_t in_flight_bytes_ = 0;
  bool closed_ = false;
  bool reading_ = false;
  std::optional<Error> write_error_;  // set once a write failed: Send does nothing
  // Guards against use after a callback destroyed this object mid-loop.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace forage::worker
