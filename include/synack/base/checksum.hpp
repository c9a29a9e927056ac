// The Internet checksum (RFC 1071) with 64-bit accumulation, and its incremental
// update (RFC 1624). One implementation for IPv4, ICMP, UDP and TCP.
#pragma once

#include <cstdint>

#include "synack/base/bytes.hpp"

namespace synack {

// Accumulates 16-bit one's-complement words. Spans may have any length and
// alignment; an odd trailing byte is carried into the next add() correctly.
class Checksum {
 public:
  Checksum& add(Bytes data);
  Checksum& add_u16(std::uint16_t v);  // a host-order 16-bit field as it would appear on the wire
  Checksum& add_u32(std::uint32_t v);
  // The folded, complemented checksum ready to store (big-endian) in a header.
  std::uint16_t finish() const;
  // The folded one's-complement sum without the final complement.
  std::uint16_t sum16() const;

 private:
  std::uint64_t acc_ = 0;
  bool odd_ = false;  // an odd number of bytes has been added so far
};

// Checksum of one buffer (complemented, ready to store).
std::uint16_t internet_checksum(Bytes data);

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), updating a stored checksum when one
// 16-bit word of the covered data changes from old_word to new_word.
std::uint16_t checksum_update16(std::uint16_t old_checksum, std::uint16_t old_word,
                                std::uint16_t new_word);
std::uint16_t checksum_update32(std::uint16_t old_checksum, std::uint32_t old_value,
                                std::uint32_t new_value);

}  // namespace synack
