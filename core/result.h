// Errors at module boundaries are values: Result<T> holds either a T or an Error.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace drift {

// Where something is in a file; line and column are 1-based, 0 means unknown.
struct Position {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
};

// What kind of failure, for code that must tell them apart (retries, tests) without reading
// a library's wording.
enum class ErrorKind {
  kOther,
  kTimeout,      // the source did not answer in time
  kUnreachable,  // could not connect (refused, no route, unknown host)
  kTruncated,    // the answer stopped before its end
  kTooLarge,     // over a size limit
  kTls,          // certificate or handshake failure
};

struct Error {
  std::string message;
  Position where;  // empty file when the error is not about a file position
  ErrorKind kind = ErrorKind::kOther;

  // "file:line:col: message" (or just the message when there is no position).
  std::string ToString() const;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status Ok() { return Unit{}; }

inline Error MakeError(std::string message, Position where = {}) {
  return Error{std::move(message), std::move(where)};
}

}  // namespace drift
