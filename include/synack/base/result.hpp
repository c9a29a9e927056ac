// Result<T, E>: a value or a typed error (std::expected is C++23; g++ 12 runs C++20).
// Errors are per-layer/per-operation enums; nothing on the data path throws.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace synack {

template <class E>
struct Err {
  E error;
};
template <class E>
Err(E) -> Err<E>;

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Err<E> e) : v_(std::in_place_index<1>, e.error) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  E error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T value_or(T other) const { return ok() ? std::get<0>(v_) : std::move(other); }

 private:
  std::variant<T, E> v_;
};

/// Result of an operation that produces no value.
template <class E>
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Err<E> e) : err_(e.error), ok_(false) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  E error() const {
    assert(!ok_);
    return err_;
  }

 private:
  E err_{};
  bool ok_ = true;
};

}  // namespace synack
