#include "synack/base/buffer_pool.hpp"

#include <algorithm>

namespace synack {

ByteVec BufferPool::take(std::size_t n) {
  if (!free_.empty() && free_.back().capacity() >= n) {
    ByteVec b = std::move(free_.back());
    free_.pop_back();
    ++reused_;
    b.resize(n);  // within the capacity: no allocation
    return b;
  }
  // Larger than a kept buffer (a TSO super-segment): a buffer of its own.
  ByteVec b;
  b.reserve(std::max(n, min_cap_));
  b.resize(n);
  return b;
}

void BufferPool::give(ByteVec&& b) {
  // Only ordinary frames are kept: a 64 KB super-segment's buffer would make the pool
  // hold megabytes.
  if (free_.size() >= keep_ || b.capacity() < min_cap_ || b.capacity() > 2 * min_cap_) return;
  free_.push_back(std::move(b));
}

}  // namespace synack
