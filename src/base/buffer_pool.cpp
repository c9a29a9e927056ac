#include "synack/base/buffer_pool.hpp"

#include <algorithm>

namespace synack {

ByteVec BufferPool::take(std::size_t n) {
  const bool large = is_large(n);
  std::vector<ByteVec>& list = large ? free_large_ : free_;
  if (!list.empty() && list.back().capacity() >= n) {
    ByteVec b = std::move(list.back());
    list.pop_back();
    ++reused_;
    b.resize(n);  // within the capacity: no allocation
    return b;
  }
  // A new buffer; a super-segment's is made large enough for any later one when the
  // pool keeps them (else exactly its size).
  ByteVec b;
  b.reserve(std::max(n, large ? (keep_large_ > 0 ? large_cap_ : n) : min_cap_));
  b.resize(n);
  return b;
}

void BufferPool::give(ByteVec&& b) {
  const std::size_t cap = b.capacity();
  if (cap >= min_cap_ && cap <= 2 * min_cap_) {
    if (free_.size() < keep_) free_.push_back(std::move(b));
    return;
  }
  // A super-segment's buffer only with a large class, bounded: without one a 64 KB
  // buffer per kept frame would make the pool hold megabytes.
  if (keep_large_ > 0 && cap >= large_cap_ && cap <= 2 * large_cap_ &&
      free_large_.size() < keep_large_) {
    free_large_.push_back(std::move(b));
  }
}

}  // namespace synack
