#pragma once
// RAII for libuv handles and loops.
//
// UvHandle<H> owns a heap-allocated handle. libuv may touch a handle's memory
// until its close callback has run, so the handle is freed in that callback,
// never in the destructor. Loop-bound: use from the loop's thread only.

#include <uv.h>

#include <utility>

#include "base/result.h"

namespace forage::worker {

template <typename H>
class UvHandle {
 public:
  UvHandle() = default;

  // `init` is the matching uv_*_init call. If it fails the loop never saw the
  // handle, so it is deleted directly instead of closed.
  template <typename Init>
  static Result<UvHandle> Create(Init&& init) {
    H* raw = new H{};
    if (int rc = init(raw); rc < 0) {
      delete raw;
      return Err(ErrorCode::kInternal, "uv handle init failed: {}", uv_strerror(rc));
    }
    return UvHandle(raw);
  }

  ~UvHandle() { Close(); }
  UvHandle(UvHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  UvHandle& operator=(UvHandle&& o) noexcept {
    if (this != &o) {
      Close();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;

  H* get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }
  uv_handle_t* handle() const { return reinterpret_cast<uv_handle_t*>(h_); }

  // Starts closing; the memory goes when libuv calls back. Idempotent.
  void Close() {
    if (h_ == nullptr) return;
    h_->data = nullptr;
    uv_close(handle(), [](uv_handle_t* h) { delete reinterpret_cast<H*>(h); });
    h_ = nullptr;
  }

 private:
  explicit UvHandle(H* h) : h_(h) {}
  H* h_ = nullptr;
};

// Owns a uv_loop_t. Declare it first in its owner so it is destroyed last.
// Destruction runs the loop until every closing handle has called back, then
// closes it; a handle still open at that point is a leak, caught by assert.
class UvLoop {
 public:
  UvLoop() : ok_(uv_loop_init(&loop_) == 0) {}
  ~UvLoop() {
    if (!ok_) return;
    uv_run(&loop_, UV_RUN_DEFAULT);
    [[maybe_unused]] int rc = uv_loop_close(&loop_);
    assert(rc == 0 && "a libuv handle outlived its owner");
  }
  UvLoop(const UvLoop&) = delete;
  UvLoop& operator=(const UvLoop&) = delete;

  bool ok() const { return ok_; }
  uv_loop_t* get() { return &loop_; }

 private:
  uv_loop_t loop_{};
  bool ok_;
};

}  // namespace forage::worker
