// The SACK sender's scoreboard: what counts as SACKed, lost (RFC 6675 IsLost) and a hole.
#include <gtest/gtest.h>

#include "synack/tcp/scoreboard.hpp"

namespace synack::tcp {
namespace {

constexpr std::uint32_t kMss = 1000;
const SeqNum kUna(1000);
const SeqNum kMax(11000);  // ten segments sent

SeqNum at(std::uint32_t off) {
  return kUna + off;
}

TEST(SackScoreboard, KeepsOnlyWhatLiesAboveUnaAndBelowSndMax) {
  SackScoreboard b;
  EXPECT_EQ(b.add(at(1000), at(2000), kUna, kMax), 1000u);
  EXPECT_EQ(b.add(at(1000), at(2000), kUna, kMax), 0u);     // nothing new
  EXPECT_EQ(b.add(at(1500), at(3000), kUna, kMax), 1000u);  // grows the range
  EXPECT_EQ(b.add(at(-500), at(0), kUna, kMax), 0u);        // below SND.UNA: a D-SACK
  EXPECT_EQ(b.add(at(9000), at(10001), kUna, kMax), 0u);    // beyond SND.MAX: bogus
  EXPECT_EQ(b.add(at(2000), at(1000), kUna, kMax), 0u);     // empty / reversed
  EXPECT_EQ(b.sacked_bytes(), 2000u);
  b.advance(at(2500));
  EXPECT_EQ(b.sacked_bytes(), 500u);
  ASSERT_TRUE(b.next_sacked(kUna).has_value());
  EXPECT_EQ(b.next_sacked(kUna)->start, at(2500));
}

TEST(SackScoreboard, IsLostByBytesOrByRanges) {
  SackScoreboard b;
  b.add(at(1000), at(3000), kUna, kMax);  // 2 * SMSS above SND.UNA: not more than that
  EXPECT_FALSE(b.is_lost(kUna, kMss));
  b.add(at(3000), at(3001), kUna, kMax);  // one byte more
  EXPECT_TRUE(b.is_lost(kUna, kMss));

  SackScoreboard r;  // three discontiguous ranges, 3 bytes in all
  r.add(at(1000), at(1001), kUna, kMax);
  r.add(at(2000), at(2001), kUna, kMax);
  EXPECT_FALSE(r.is_lost(kUna, kMss));
  r.add(at(3000), at(3001), kUna, kMax);
  EXPECT_TRUE(r.is_lost(kUna, kMss));
  EXPECT_FALSE(r.is_lost(at(1500), kMss));  // only two ranges above 1500
}

TEST(SackScoreboard, HolesAndLostBytes) {
  SackScoreboard b;
  b.add(at(1000), at(2000), kUna, kMax);
  b.add(at(3000), at(6000), kUna, kMax);
  const auto h1 = b.hole_at_or_after(kUna, kUna);
  ASSERT_TRUE(h1.has_value());
  EXPECT_EQ(h1->start, kUna);
  EXPECT_EQ(h1->end, at(1000));
  const auto h2 = b.hole_at_or_after(at(1200), kUna);  // inside a SACKed range
  ASSERT_TRUE(h2.has_value());
  EXPECT_EQ(h2->start, at(2000));
  EXPECT_EQ(h2->end, at(3000));
  EXPECT_FALSE(b.hole_at_or_after(at(6000), kUna).has_value());  // nothing SACKed above
  // Both holes have more than 2 * SMSS SACKed above them: lost up to the second's end.
  EXPECT_EQ(b.lost_upto(kUna, kMss), at(3000));
  EXPECT_EQ(b.lost_upto(at(1000), kMss), at(3000));
  // Nothing SACKed above 6000: no hole there.
  EXPECT_FALSE(b.lost_upto(at(6000), kMss).has_value());
}

TEST(SackScoreboard, IsBounded) {
  SackScoreboard b;
  const SeqNum max = kUna + 1'000'000;
  for (std::uint32_t i = 0; i < 2 * SackScoreboard::kMaxRanges; ++i) {
    b.add(at(10 * i + 5), at(10 * i + 6), kUna, max);
  }
  EXPECT_EQ(b.sacked_bytes(), SackScoreboard::kMaxRanges);
}

}  // namespace
}  // namespace synack::tcp
