// Buffers for outgoing frames, handed back once the frame has left (Stack::recycle),
// so that a connection in its steady state sends without touching the allocator.
// Bounded: at most `keep` buffers wait here; the rest are freed as usual.
#pragma once

#include <cstddef>
#include <vector>

#include "synack/base/bytes.hpp"

namespace synack {

class BufferPool {
 public:
  // Buffers are allocated with at least `min_capacity` bytes (a full frame), so that
  // one kept after a small frame serves a large one later.
  BufferPool(std::size_t keep, std::size_t min_capacity) : keep_(keep), min_cap_(min_capacity) {}

  // A buffer of n bytes. A reused one keeps whatever bytes it held: for callers that
  // write every byte of it (a segment builder).
  ByteVec take(std::size_t n);
  // Keeps `b` for a later take() if there is room and it is an ordinary frame's
  // buffer (at least min_capacity, at most twice that).
  void give(ByteVec&& b);

  std::size_t kept() const { return free_.size(); }
  std::uint64_t reused() const { return reused_; }

 private:
  std::vector<ByteVec> free_;
  std::size_t keep_;
  std::size_t min_cap_;
  std::uint64_t reused_ = 0;
};

}  // namespace synack
