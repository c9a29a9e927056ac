#include "synack/base/seqnum.hpp"

#include <gtest/gtest.h>

#include "synack/base/random.hpp"

namespace synack {
namespace {

TEST(SeqNum, OrdersAcrossWraparound) {
  SeqNum a(0xfffffff0u);
  SeqNum b = a + 0x20;  // wrapped past zero
  EXPECT_EQ(b.raw(), 0x10u);
  EXPECT_TRUE(seq_lt(a, b));
  EXPECT_TRUE(seq_gt(b, a));
  EXPECT_EQ(b - a, 0x20);
  EXPECT_EQ(a - b, -0x20);
  EXPECT_EQ(seq_max(a, b), b);
  EXPECT_EQ(seq_min(a, b), a);
}

TEST(SeqNum, PropertiesHoldForRandomValues) {
  SeededRandom rng(7);
  for (int i = 0; i < 100000; ++i) {
    SeqNum a(rng.next_u32());
    std::uint32_t d = 1 + static_cast<std::uint32_t>(rng.below(0x7fffffffu));  // 1 .. 2^31-1
    SeqNum b = a + d;
    ASSERT_TRUE(seq_lt(a, b));
    ASSERT_TRUE(seq_le(a, b));
    ASSERT_FALSE(seq_ge(a, b));
    ASSERT_TRUE(seq_gt(b, a));
    ASSERT_EQ(b - a, static_cast<std::int32_t>(d));
    ASSERT_TRUE(seq_le(a, a) && seq_ge(a, a) && !seq_lt(a, a));
    ASSERT_EQ(b - d, a);
  }
}

TEST(SeqNum, InWindow) {
  SeqNum start(0xffffff00u);
  EXPECT_TRUE(in_window(start, start, 1));
  EXPECT_FALSE(in_window(start, start, 0));
  EXPECT_TRUE(in_window(start + 0x1ff, start, 0x200));  // wrapped, last byte
  EXPECT_FALSE(in_window(start + 0x200, start, 0x200));
  EXPECT_FALSE(in_window(start - 1, start, 0x200));
}

}  // namespace
}  // namespace synack
