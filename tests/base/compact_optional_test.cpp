#include "synack/base/compact_optional.hpp"

#include <gtest/gtest.h>

namespace synack {
namespace {

TEST(CompactOptional, BehavesAsOptionalInHalfTheSpace) {
  static_assert(sizeof(CompactOptional<Duration>) == 8);
  static_assert(sizeof(CompactOptional<Instant>) == 8);
  CompactOptional<Duration> d;
  EXPECT_FALSE(d.has_value());
  EXPECT_EQ(d.value_or(5ms), 5ms);
  EXPECT_EQ(std::optional<Duration>(d), std::nullopt);
  d = Duration(0ms);  // zero is a value, not "empty"
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, 0ms);
  d = Duration(-3ms);
  EXPECT_EQ(std::optional<Duration>(d), std::optional<Duration>(-3ms));
  d.reset();
  EXPECT_FALSE(d);
  CompactOptional<Instant> i = std::optional<Instant>(Instant::from_nanos(-7));
  ASSERT_TRUE(i);
  EXPECT_EQ(*i, Instant::from_nanos(-7));
  EXPECT_TRUE(i == Instant::from_nanos(-7));
  i = std::nullopt;
  EXPECT_EQ(i, CompactOptional<Instant>());
}

}  // namespace
}  // namespace synack
