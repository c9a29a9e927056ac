// The Internet checksum (RFC 1071) with 64-bit accumulation, and its incremental
// update (RFC 1624). One implementation for IPv4, ICMP, UDP and TCP.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "synack/base/bytes.hpp"

namespace synack {

/// Accumulates 16-bit one's-complement words. Spans may have any length and
/// alignment; an odd trailing byte is carried into the next add() correctly.
class Checksum {
 public:
  Checksum& add(Bytes data);
  /// Copies `src` into the start of `dst` (dst.size() >= src.size()) and adds it, in one
  /// pass over the bytes where the vector loop runs (as the kernel's csum_and_copy).
  Checksum& add_copy(MutBytes dst, Bytes src);
  /// Adds the bytes `other` summed, as if they followed those added so far.
  Checksum& add(const Checksum& other);
  /// A host-order 16-bit field as it would appear on the wire. A whole word goes straight
  /// into the accumulator (in network order, as the folded parts are); after an odd number
  /// of bytes it straddles two words: swapped. Inline: the pseudo-header of every segment
  /// is four of these.
  Checksum& add_u16(std::uint16_t v) {
    acc_ += odd_ ? static_cast<std::uint16_t>((v << 8) | (v >> 8)) : v;
    return *this;
  }
  Checksum& add_u32(std::uint32_t v) {
    add_u16(static_cast<std::uint16_t>(v >> 16));
    return add_u16(static_cast<std::uint16_t>(v));
  }
  /// The folded, complemented checksum ready to store (big-endian) in a header.
  std::uint16_t finish() const;
  /// The folded one's-complement sum without the final complement.
  std::uint16_t sum16() const;

 private:
  Checksum& add_native(std::uint64_t native_sum, std::size_t len);
  std::uint64_t acc_ = 0;
  bool odd_ = false;  ///< an odd number of bytes has been added so far
};

/// Checksum of one buffer (complemented, ready to store). On x86-64 CPUs with AVX2
/// (checked at run time) buffers of 128 bytes and more are summed 64 bytes at a time.
std::uint16_t internet_checksum(Bytes data);

/// The checksum of a 20-byte IPv4 header (no options; the checksum field zero, or
/// included when verifying: then 0 means intact), the header of nearly every packet
/// in and out: five 32-bit loads and a fold instead of the general loop.
inline std::uint16_t ipv4_header_checksum20(const std::byte* p) {
  std::uint32_t w[5];
  std::memcpy(w, p, sizeof w);
  // Native-endian 32-bit words; the sum is byte-order independent (RFC 1071 §2(B)).
  std::uint64_t s = std::uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4];  // < 2^35
  s = (s & 0xffffffffu) + (s >> 32);                                  // <= 2^32 + 4
  s = (s & 0xffffu) + (s >> 16);
  s = (s & 0xffffu) + (s >> 16);
  s = (s & 0xffffu) + (s >> 16);
  const auto folded = static_cast<std::uint16_t>(~s);
  if constexpr (std::endian::native == std::endian::little) {
    return static_cast<std::uint16_t>((folded << 8) | (folded >> 8));
  } else {
    return folded;
  }
}

/// For tests and benchmarks: true makes every sum take the portable scalar loop.
void checksum_force_scalar(bool on);

/// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), updating a stored checksum when one
/// 16-bit word of the covered data changes from old_word to new_word.
std::uint16_t checksum_update16(std::uint16_t old_checksum, std::uint16_t old_word,
                                std::uint16_t new_word);
std::uint16_t checksum_update32(std::uint16_t old_checksum, std::uint32_t old_value,
                                std::uint32_t new_value);

}  // namespace synack
