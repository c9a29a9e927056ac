// std::optional's interface for a Duration or an Instant without its flag: one value
// no computation produces (the most negative) stands for "empty". 8 bytes where
// std::optional takes 16 — it adds up in per-connection state.
#pragma once

#include <limits>
#include <optional>

#include "synack/base/time.hpp"

namespace synack {

template <typename T>
struct EmptyValue;
template <>
struct EmptyValue<Duration> {
  static constexpr Duration value = Duration::min();
};
template <>
struct EmptyValue<Instant> {
  static constexpr Instant value = Instant::from_nanos(std::numeric_limits<std::int64_t>::min());
};

template <typename T>
class CompactOptional {
 public:
  constexpr CompactOptional() = default;
  constexpr CompactOptional(std::nullopt_t) {}  // NOLINT: as std::optional
  constexpr CompactOptional(T v) : v_(v) {}     // NOLINT: as std::optional
  constexpr CompactOptional(const std::optional<T>& o) : v_(o ? *o : kEmpty) {}  // NOLINT

  constexpr bool has_value() const { return v_ != kEmpty; }
  constexpr explicit operator bool() const { return has_value(); }
  /// Requires has_value(), as std::optional's.
  constexpr const T& operator*() const { return v_; }
  constexpr T value_or(T other) const { return has_value() ? v_ : other; }
  constexpr void reset() { v_ = kEmpty; }
  constexpr operator std::optional<T>() const {  // NOLINT: reads as the optional it replaces
    return has_value() ? std::optional<T>(v_) : std::nullopt;
  }
  constexpr bool operator==(const CompactOptional&) const = default;
  constexpr bool operator==(const T& v) const { return v_ == v; }

 private:
  static constexpr T kEmpty = EmptyValue<T>::value;
  T v_ = kEmpty;
};

}  // namespace synack
