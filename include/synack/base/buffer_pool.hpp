// Buffers for outgoing frames, handed back once the frame has left (Stack::recycle),
// so that a connection in its steady state sends without touching the allocator.
// Bounded: at most `keep` frame buffers wait here, and at most `keep_large` buffers of
// TSO super-segments (64 KB each) when the pool is given a large class; the rest are
// freed as usual.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "synack/base/bytes.hpp"

namespace synack {

class BufferPool {
 public:
  /// Frame buffers are allocated with at least `min_capacity` bytes (a full frame), so
  /// that one kept after a small frame serves a large one later. With `keep_large` > 0,
  /// a buffer asked for more than twice that (a super-segment) is allocated with at
  /// least `large_capacity` bytes and kept in a second list of its own.
  BufferPool(std::size_t keep, std::size_t min_capacity, std::size_t keep_large = 0,
             std::size_t large_capacity = 0)
      : keep_(keep), min_cap_(min_capacity), keep_large_(keep_large), large_cap_(large_capacity) {}

  /// A buffer of n bytes. A reused one keeps whatever bytes it held: for callers that
  /// write every byte of it (a segment builder).
  ByteVec take(std::size_t n);
  /// Keeps `b` for a later take() if there is room and it is an ordinary frame's buffer
  /// (at least min_capacity, at most twice that) or a super-segment's (at least
  /// large_capacity, at most twice that, with a large class).
  void give(ByteVec&& b);

  std::size_t kept() const { return free_.size(); }
  std::size_t kept_large() const { return free_large_.size(); }
  std::uint64_t reused() const { return reused_; }

 private:
  bool is_large(std::size_t n) const { return n > 2 * min_cap_; }

  std::vector<ByteVec> free_;
  std::vector<ByteVec> free_large_;
  std::size_t keep_;
  std::size_t min_cap_;
  std::size_t keep_large_;
  std::size_t large_cap_;
  std::uint64_t reused_ = 0;
};

}  // namespace synack
