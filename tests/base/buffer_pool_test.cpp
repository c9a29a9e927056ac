#include "synack/base/buffer_pool.hpp"

#include <gtest/gtest.h>

namespace synack {
namespace {

// A buffer given back is the one handed out next (same storage, no allocation), at the
// size asked; too small ones are not kept, and at most `keep` wait.
TEST(BufferPool, ReusesGivenBuffersUpToItsBound) {
  BufferPool pool(2, 1514);
  ByteVec a = pool.take(1514);
  EXPECT_EQ(a.size(), 1514u);
  EXPECT_GE(a.capacity(), 1514u);
  const std::byte* storage = a.data();
  pool.give(std::move(a));
  EXPECT_EQ(pool.kept(), 1u);
  ByteVec b = pool.take(66);  // an ACK's frame in a data segment's buffer
  EXPECT_EQ(b.size(), 66u);
  EXPECT_EQ(b.data(), storage);
  EXPECT_EQ(pool.reused(), 1u);
  ByteVec small(10);
  pool.give(std::move(small));  // below a full frame: not worth keeping
  EXPECT_EQ(pool.kept(), 0u);
  ByteVec small_taken = pool.take(10);  // a new one still has room for a full frame
  EXPECT_GE(small_taken.capacity(), 1514u);
  for (int i = 0; i < 3; ++i) pool.give(pool.take(1514));
  pool.give(std::move(b));
  pool.give(std::move(small_taken));
  pool.give(ByteVec(2000));
  EXPECT_EQ(pool.kept(), 2u);  // the bound
  // A super-segment's buffer: made for it, never kept, and the pool is left alone.
  ByteVec big = pool.take(65536);
  EXPECT_EQ(big.size(), 65536u);
  EXPECT_EQ(pool.kept(), 2u);
  BufferPool other(4, 1514);
  other.give(std::move(big));
  EXPECT_EQ(other.kept(), 0u);
}

// With a large class, super-segment buffers are made at the large capacity (whatever
// the first one asked), kept in their own bounded list and reused for the next super-
// segment, never for an ordinary frame; frame buffers never land in the large list.
TEST(BufferPool, KeepsSuperSegmentBuffersInTheirOwnBoundedList) {
  BufferPool pool(4, 1514, 2, 65549);
  ByteVec big = pool.take(20000);
  EXPECT_EQ(big.size(), 20000u);
  EXPECT_GE(big.capacity(), 65549u);
  const std::byte* storage = big.data();
  pool.give(std::move(big));
  EXPECT_EQ(pool.kept_large(), 1u);
  EXPECT_EQ(pool.kept(), 0u);
  ByteVec frame = pool.take(1514);  // an ordinary frame does not take the large buffer
  EXPECT_NE(frame.data(), storage);
  EXPECT_EQ(pool.kept_large(), 1u);
  ByteVec again = pool.take(65549);
  EXPECT_EQ(again.data(), storage);
  EXPECT_EQ(again.size(), 65549u);
  EXPECT_EQ(pool.reused(), 1u);
  pool.give(std::move(frame));
  EXPECT_EQ(pool.kept(), 1u);
  EXPECT_EQ(pool.kept_large(), 0u);
  for (int i = 0; i < 3; ++i) pool.give(ByteVec(70000));
  EXPECT_EQ(pool.kept_large(), 2u);  // the large bound
  pool.give(ByteVec(200000));        // far larger than the class: not kept
  EXPECT_EQ(pool.kept_large(), 2u);
}

}  // namespace
}  // namespace synack
