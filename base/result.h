#pragma once
// Result<T>: a value or an Error, with std::expected's member names so it can
// become an alias once the toolchain has <expected> at C++20 (GCC 12 does not).

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace forage {

enum class ErrorCode {
  kInvalidArgument,  // bad flag, job file, selector: exit 2
  kIo,               // file, pipe, socket failures
  kNetwork,
  kTimeout,
  kParse,
  kTooLarge,
  kInternal,
  kClosed,  // the reader of our output went away (EPIPE): stop quietly
};

struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Status OkStatus() { return Ok{}; }

template <typename... Args>
Error Err(ErrorCode code, fmt::format_string<Args...> f, Args&&... args) {
  return Error{code, fmt::format(f, std::forward<Args>(args)...)};
}

}  // namespace forage
