// TCP sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 §3.4).
// Deliberately no operator< — every comparison says which modular rule it uses.
#pragma once

#include <compare>
#include <cstdint>

namespace synack {

class SeqNum {
 public:
  constexpr SeqNum() = default;
  constexpr explicit SeqNum(std::uint32_t v) : v_(v) {}
  constexpr std::uint32_t raw() const { return v_; }

  constexpr SeqNum operator+(std::uint32_t n) const { return SeqNum(v_ + n); }
  constexpr SeqNum operator-(std::uint32_t n) const { return SeqNum(v_ - n); }
  constexpr SeqNum& operator+=(std::uint32_t n) {
    v_ += n;
    return *this;
  }
  /// Signed distance a - b, valid while |a - b| < 2^31.
  constexpr std::int32_t operator-(SeqNum o) const { return static_cast<std::int32_t>(v_ - o.v_); }
  constexpr bool operator==(const SeqNum&) const = default;

 private:
  std::uint32_t v_ = 0;
};

constexpr bool seq_lt(SeqNum a, SeqNum b) {
  return (a - b) < 0;
}
constexpr bool seq_le(SeqNum a, SeqNum b) {
  return (a - b) <= 0;
}
constexpr bool seq_gt(SeqNum a, SeqNum b) {
  return (a - b) > 0;
}
constexpr bool seq_ge(SeqNum a, SeqNum b) {
  return (a - b) >= 0;
}
constexpr SeqNum seq_max(SeqNum a, SeqNum b) {
  return seq_ge(a, b) ? a : b;
}
constexpr SeqNum seq_min(SeqNum a, SeqNum b) {
  return seq_le(a, b) ? a : b;
}
/// start <= x < start + len (modular); false when len == 0.
constexpr bool in_window(SeqNum x, SeqNum start, std::uint32_t len) {
  return static_cast<std::uint32_t>(x.raw() - start.raw()) < len;
}

}  // namespace synack
