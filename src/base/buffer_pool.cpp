#include "synack/base/buffer_pool.hpp"

#include <algorithm>

namespace synack {

ByteVec BufferPool::take(std::size_t n) {
  while (!free_.empty()) {
    ByteVec b = std::move(free_.back());
    free_.pop_back();
    if (b.capacity() < n) continue;  // too small for this one: let it go
    ++reused_;
    b.resize(n);  // within the capacity: no allocation
    return b;
  }
  ByteVec b;
  b.reserve(std::max(n, min_cap_));
  b.resize(n);
  return b;
}

void BufferPool::give(ByteVec&& b) {
  if (free_.size() >= keep_ || b.capacity() < min_cap_) return;
  free_.push_back(std::move(b));
}

}  // namespace synack
