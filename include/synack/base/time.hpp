// Time for a sans-I/O stack: the caller supplies every Instant (a virtual clock in
// the simulator, CLOCK_MONOTONIC on a real link). The stack never reads a clock.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>

namespace synack {

using Duration = std::chrono::nanoseconds;
using namespace std::chrono_literals;

class Instant {
 public:
  constexpr Instant() = default;
  constexpr static Instant from_nanos(std::int64_t ns) { return Instant(Duration(ns)); }
  constexpr static Instant zero() { return Instant(); }
  constexpr std::int64_t nanos() const { return since_origin_.count(); }
  constexpr Duration since_origin() const { return since_origin_; }

  constexpr Instant operator+(Duration d) const { return Instant(since_origin_ + d); }
  constexpr Instant operator-(Duration d) const { return Instant(since_origin_ - d); }
  constexpr Instant& operator+=(Duration d) {
    since_origin_ += d;
    return *this;
  }
  constexpr Duration operator-(Instant o) const { return since_origin_ - o.since_origin_; }
  constexpr auto operator<=>(const Instant&) const = default;

 private:
  constexpr explicit Instant(Duration d) : since_origin_(d) {}
  Duration since_origin_{0};
};

constexpr std::int64_t to_millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
constexpr std::int64_t to_micros(Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

}  // namespace synack
