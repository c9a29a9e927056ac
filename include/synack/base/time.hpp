// Time for a sans-I/O stack: the caller supplies every Instant (a virtual clock in
// the simulator, CLOCK_MONOTONIC on a real link). The stack never reads a clock.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>

namespace synack {

using Duration = std::chrono::nanoseconds;  ///< a span of time; nanoseconds, signed 64-bit
using namespace std::chrono_literals;

/// A point in time, as nanoseconds since an origin the caller chose (the simulator's
/// start, or CLOCK_MONOTONIC's); only differences between Instants mean anything.
class Instant {
 public:
  constexpr Instant() = default;  ///< the origin
  /// `ns` nanoseconds after the origin.
  constexpr static Instant from_nanos(std::int64_t ns) { return Instant(Duration(ns)); }
  constexpr static Instant zero() { return Instant(); }  ///< the origin
  /// Nanoseconds since the origin.
  constexpr std::int64_t nanos() const { return since_origin_.count(); }
  constexpr Duration since_origin() const { return since_origin_; }  ///< time since the origin

  /// `d` later.
  constexpr Instant operator+(Duration d) const { return Instant(since_origin_ + d); }
  /// `d` earlier.
  constexpr Instant operator-(Duration d) const { return Instant(since_origin_ - d); }
  constexpr Instant& operator+=(Duration d) {  ///< moves `d` later
    since_origin_ += d;
    return *this;
  }
  /// Time from `o` to this (negative if `o` is later)
  constexpr Duration operator-(Instant o) const { return since_origin_ - o.since_origin_; }
  constexpr auto operator<=>(const Instant&) const = default;  ///< earlier compares less

 private:
  constexpr explicit Instant(Duration d) : since_origin_(d) {}
  Duration since_origin_{0};
};

/// Whole milliseconds in `d`, truncated toward zero.
constexpr std::int64_t to_millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
/// Whole microseconds in `d`, truncated toward zero.
constexpr std::int64_t to_micros(Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

}  // namespace synack
