// Error values for code that wraps POSIX calls: an errno plus the context in
// which it happened ("open pidfile '/run/x.pid'"). Expected outcomes (a file
// that does not exist, a process that is gone) are values, not errors.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace unitrun {

struct Error {
  int sys_errno = 0;    // 0 when the failure is not a system call's
  std::string context;  // what was being done, e.g. "open pidfile '/run/x.pid'"

  // "open pidfile '/run/x.pid': Permission denied"
  std::string message() const;

  static Error from_errno(std::string what) { return Error{errno, std::move(what)}; }
  static Error plain(std::string what) { return Error{0, std::move(what)}; }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }
  T value_or(T fallback) const { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok() { return Ok{}; }

}  // namespace unitrun
