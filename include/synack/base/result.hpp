// Result<T, E>: a value or a typed error (std::expected is C++23; g++ 12 runs C++20).
// Errors are per-layer/per-operation enums; nothing on the data path throws.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

/// The core of synack, a TCP/IP stack in user space (docs/DESIGN.md). This namespace
/// holds the base layer: bytes and byte order, time, Result, the injected Random,
/// checksums and containers; the other layers have their own (wire, tcp, stack, api).
namespace synack {

/// The error side of a Result or Status: `return Err{SendError::NoRoute};` converts to
/// either.
template <class E>
struct Err {
  E error;  ///< the error value
};
template <class E>
Err(E) -> Err<E>;  ///< lets `Err{e}` deduce E

/// A value of type T or an error of type E, like C++23's std::expected. Test it with
/// ok() (or as a bool) before reading value() or error(): the wrong one asserts.
template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  ///< a success holding `value`
  Result(Err<E> e) : v_(std::in_place_index<1>, e.error) {}  ///< a failure holding `e.error`

  bool ok() const { return v_.index() == 0; }      ///< true when it holds a value
  explicit operator bool() const { return ok(); }  ///< ok()
  /// The value; only when ok().
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  /// The value; only when ok().
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  /// The value, moved out; only when ok().
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  /// The error; only when !ok().
  E error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  T* operator->() { return &value(); }              ///< member of the value; only when ok()
  const T* operator->() const { return &value(); }  ///< member of the value; only when ok()
  T& operator*() & { return value(); }              ///< value()
  const T& operator*() const& { return value(); }   ///< value()
  /// The value, or `other` on an error.
  T value_or(T other) const { return ok() ? std::get<0>(v_) : std::move(other); }

 private:
  std::variant<T, E> v_;
};

/// Result of an operation that produces no value.
template <class E>
class [[nodiscard]] Status {
 public:
  Status() = default;                              ///< success
  Status(Err<E> e) : err_(e.error), ok_(false) {}  ///< a failure holding `e.error`
  bool ok() const { return ok_; }                  ///< true when the operation succeeded
  explicit operator bool() const { return ok_; }   ///< ok()
  /// The error; only when !ok().
  E error() const {
    assert(!ok_);
    return err_;
  }

 private:
  E err_{};
  bool ok_ = true;
};

}  // namespace synack
