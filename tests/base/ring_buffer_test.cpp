#include "synack/base/ring_buffer.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "synack/base/random.hpp"

namespace synack {
namespace {

TEST(ByteRing, WrapsAndPreservesOrderAgainstModel) {
  SeededRandom rng(11);
  ByteRing ring(97);
  std::deque<std::byte> model;
  std::uint8_t next = 0;
  for (int step = 0; step < 20000; ++step) {
    if (rng.chance(0.5)) {
      ByteVec in(rng.below(60));
      for (auto& b : in) b = std::byte(next++);
      std::size_t n = ring.write(in);
      ASSERT_EQ(n, std::min(in.size(), 97 - model.size()));
      model.insert(model.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
      next = static_cast<std::uint8_t>(next - (in.size() - n));
    } else {
      ByteVec out(rng.below(60));
      std::size_t n = ring.read(out);
      ASSERT_EQ(n, std::min(out.size(), model.size()));
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(out[i], model.front());
        model.pop_front();
      }
    }
    ASSERT_EQ(ring.size(), model.size());
  }
}

TEST(ByteRing, WriteAtThenCommitForOutOfOrderData) {
  ByteRing ring(8);
  ring.write(as_bytes("ab"));
  EXPECT_EQ(ring.write_at(2, as_bytes("ef")), 2u);  // a hole of 2 bytes at offset 0..1
  EXPECT_EQ(ring.size(), 2u);
  EXPECT_EQ(ring.write_at(0, as_bytes("cd")), 2u);
  ring.commit(4);
  char out[8] = {};
  EXPECT_EQ(ring.read(MutBytes(reinterpret_cast<std::byte*>(out), 8)), 6u);
  EXPECT_EQ(std::string(out, 6), "abcdef");
  EXPECT_EQ(ring.write_at(8, as_bytes("x")), 0u);  // beyond capacity
}

TEST(ByteRing, PeekDoesNotConsumeAndReserveKeepsData) {
  ByteRing ring(4);
  ring.write(as_bytes("wxyz"));
  ring.consume(2);
  ring.write(as_bytes("12"));  // wraps
  char out[4] = {};
  EXPECT_EQ(ring.peek(1, MutBytes(reinterpret_cast<std::byte*>(out), 3)), 3u);
  EXPECT_EQ(std::string(out, 3), "z12");
  ring.reserve(16);
  EXPECT_EQ(ring.capacity(), 16u);
  EXPECT_EQ(ring.write(as_bytes("abc")), 3u);
  char all[7] = {};
  EXPECT_EQ(ring.read(MutBytes(reinterpret_cast<std::byte*>(all), 7)), 7u);
  EXPECT_EQ(std::string(all, 7), "yz12abc");
}

}  // namespace
}  // namespace synack
