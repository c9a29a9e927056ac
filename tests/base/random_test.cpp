#include "synack/base/random.hpp"

#include <gtest/gtest.h>

#include "synack/base/result.hpp"
#include "synack/base/time.hpp"

namespace synack {
namespace {

TEST(SeededRandom, SameSeedSameStreamDifferentSeedDifferentStream) {
  SeededRandom a(42), b(42), c(43);
  int differ = 0;
  for (int i = 0; i < 1000; ++i) {
    std::uint64_t x = a.next_u64();
    ASSERT_EQ(x, b.next_u64());
    differ += x != c.next_u64();
  }
  EXPECT_GT(differ, 990);
}

TEST(SeededRandom, BelowIsInRangeAndCoversIt) {
  SeededRandom r(1);
  int seen[10] = {};
  for (int i = 0; i < 10000; ++i) {
    auto v = r.below(10);
    ASSERT_LT(v, 10u);
    ++seen[v];
  }
  for (int count : seen) EXPECT_GT(count, 800);  // expected 1000 each
}

TEST(SystemRandom, ProducesVaryingValues) {
  SystemRandom r;
  EXPECT_NE(r.next_u64(), r.next_u64());
}

TEST(Time, InstantArithmetic) {
  Instant t = Instant::zero() + 1500ms;
  EXPECT_EQ(t.nanos(), 1'500'000'000);
  EXPECT_EQ(to_millis(t - Instant::zero()), 1500);
  EXPECT_LT(Instant::zero(), t);
  EXPECT_EQ((t - 500ms).nanos(), 1'000'000'000);
}

enum class DemoError { Bad };
Result<int, DemoError> half(int x) {
  if (x % 2) return Err{DemoError::Bad};
  return x / 2;
}

TEST(Result, CarriesValueOrError) {
  auto ok = half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), DemoError::Bad);
  EXPECT_EQ(bad.value_or(-1), -1);
}

}  // namespace
}  // namespace synack
