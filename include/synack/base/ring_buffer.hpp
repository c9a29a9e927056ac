// A bounded byte ring: the send and receive buffers of a connection.
// Bulk copies only (at most two memcpy per call), no per-byte work.
// capacity() is the limit; memory is allocated only as data arrives (doubling, from
// 4 KiB up to the limit), so an idle or embryonic connection costs no buffer memory
// and a peer can never make a ring hold more than its limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "synack/base/bytes.hpp"
#include "synack/base/checksum.hpp"

namespace synack {

class ByteRing {
 public:
  explicit ByteRing(std::size_t capacity = 0);
  ByteRing(ByteRing&&) noexcept = default;
  ByteRing& operator=(ByteRing&&) noexcept = default;

  std::size_t capacity() const { return cap_; }
  /// Bytes of memory allocated now (<= capacity()).
  std::size_t allocated() const { return alloc_; }
  std::size_t size() const { return len_; }
  std::size_t free() const { return std::size_t{cap_} - len_; }
  bool empty() const { return len_ == 0; }

  /// Appends as much of data as fits; returns bytes written.
  std::size_t write(Bytes data);
  /// Writes data at offset `off` past the current end without changing size()
  /// (for out-of-order data); returns bytes written (clipped at capacity).
  std::size_t write_at(std::size_t off, Bytes data);
  /// Extends size() by n bytes previously placed with write_at (n <= free()).
  void commit(std::size_t n);
  /// Copies up to out.size() bytes starting `off` bytes past the head, without consuming.
  std::size_t peek(std::size_t off, MutBytes out) const;
  /// The same, adding the bytes copied to `sum` on the way (one pass: Checksum::add_copy).
  std::size_t peek(std::size_t off, MutBytes out, Checksum& sum) const;
  /// Copies out and consumes up to out.size() bytes.
  std::size_t read(MutBytes out);
  /// Drops n bytes from the head (n <= size()).
  void consume(std::size_t n);
  void clear() {
    head_ = 0;
    len_ = 0;
  }
  /// Raises the limit (never lowers it); allocates nothing.
  void reserve(std::size_t new_cap);

 private:
  /// Makes alloc_ >= need (need <= cap_), keeping the contents.
  void grow(std::size_t need);
  /// The bytes `off` past the head that fit `out`, handed to copy(dst, src) in at most
  /// two parts (the ring may wrap); returns how many. Both peeks are this.
  template <class Copy>
  std::size_t copy_out(std::size_t off, MutBytes out, Copy copy) const;

  /// 32-bit sizes (24 B per ring, not 40: two per connection): a ring holds at most
  /// kMaxCapacity bytes (two of them still sum below 2^32), a larger limit is clamped.
  static constexpr std::size_t kMaxCapacity = (std::size_t{1} << 31) - 1;
  static std::uint32_t clamp(std::size_t n) {
    return static_cast<std::uint32_t>(n < kMaxCapacity ? n : kMaxCapacity);
  }
  std::unique_ptr<std::byte[]> buf_;
  std::uint32_t cap_ = 0;    ///< the limit
  std::uint32_t alloc_ = 0;  ///< the allocation; positions are modulo alloc_
  std::uint32_t head_ = 0;
  std::uint32_t len_ = 0;
};

}  // namespace synack
