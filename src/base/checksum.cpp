#include "synack/base/checksum.hpp"

#include <bit>
#include <cstring>

namespace synack {
namespace {

// Folds a 64-bit one's-complement accumulator down to 16 bits (RFC 1071 §2(C)).
std::uint16_t fold(std::uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffu) + (acc >> 16);
  acc = (acc & 0xffffu) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

std::uint16_t bswap16(std::uint16_t v) {
  return static_cast<std::uint16_t>((v << 8) | (v >> 8));
}

// Sums `data` as native-endian 16-bit words (RFC 1071 §2(B): the sum is byte-order
// independent, so we swap once at the end). The bulk loop adds 32-bit words into four
// independent 64-bit lanes with no carry handling at all (a lane would need 2^31 loop
// turns, 64 GiB, to overflow), so the adds don't wait on each other; the lanes and the
// tail are then folded with end-around carry.
std::uint64_t sum_native(const std::byte* p, std::size_t n, std::uint64_t acc) {
  std::uint64_t lane[4] = {0, 0, 0, 0};
  while (n >= 32) {
    std::uint32_t w[8];
    std::memcpy(w, p, 32);
    lane[0] += w[0] + std::uint64_t{w[4]};
    lane[1] += w[1] + std::uint64_t{w[5]};
    lane[2] += w[2] + std::uint64_t{w[6]};
    lane[3] += w[3] + std::uint64_t{w[7]};
    p += 32;
    n -= 32;
  }
  auto add64 = [&acc](std::uint64_t w) {
    acc += w;
    acc += (acc < w);  // end-around carry
  };
  for (std::uint64_t l : lane) add64(l);
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    add64(w);
    p += 8;
    n -= 8;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p, n);  // remaining 0..7 bytes, zero padded (a trailing odd byte
  add64(tail);               // lands in the high half of its 16-bit word on big-endian)
  return acc;
}

}  // namespace

Checksum& Checksum::add(Bytes data) {
  if (data.empty()) return *this;
  // The native sum of a chunk that starts at an odd offset is byte-swapped relative
  // to the running sum (RFC 1071 §2(B)); fold and swap it into place.
  std::uint16_t part = fold(sum_native(data.data(), data.size(), 0));
  static_assert(std::endian::native == std::endian::little, "big-endian hosts: drop the swap");
  part = bswap16(part);  // native little-endian words -> network order
  if (odd_) part = bswap16(part);
  acc_ += part;
  if (data.size() % 2 == 1) odd_ = !odd_;
  return *this;
}

Checksum& Checksum::add_u16(std::uint16_t v) {
  std::byte b[2];
  store_be16(b, 0, v);
  return add(b);
}

Checksum& Checksum::add_u32(std::uint32_t v) {
  std::byte b[4];
  store_be32(b, 0, v);
  return add(b);
}

std::uint16_t Checksum::sum16() const {
  return fold(acc_);
}
std::uint16_t Checksum::finish() const {
  return static_cast<std::uint16_t>(~sum16());
}

std::uint16_t internet_checksum(Bytes data) {
  return Checksum().add(data).finish();
}

std::uint16_t checksum_update16(std::uint16_t old_checksum, std::uint16_t old_word,
                                std::uint16_t new_word) {
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
  std::uint64_t acc = static_cast<std::uint16_t>(~old_checksum);
  acc += static_cast<std::uint16_t>(~old_word);
  acc += new_word;
  return static_cast<std::uint16_t>(~fold(acc));
}

std::uint16_t checksum_update32(std::uint16_t old_checksum, std::uint32_t old_value,
                                std::uint32_t new_value) {
  std::uint16_t c = checksum_update16(old_checksum, static_cast<std::uint16_t>(old_value >> 16),
                                      static_cast<std::uint16_t>(new_value >> 16));
  return checksum_update16(c, static_cast<std::uint16_t>(old_value),
                           static_cast<std::uint16_t>(new_value));
}

}  // namespace synack
