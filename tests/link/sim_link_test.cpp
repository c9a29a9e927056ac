#include "synack/link/sim_link.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <vector>

namespace synack::link {
namespace {

Instant ms(std::int64_t n) {
  return Instant::from_nanos(n * 1'000'000);
}
Instant ns(std::int64_t n) {
  return Instant::from_nanos(n);
}

// A frame of `size` bytes whose first 4 bytes carry `id` and the rest a
// pattern derived from it, so every frame is distinct.
ByteVec make_frame(std::uint32_t id, std::size_t size = 100) {
  ByteVec f(size);
  for (std::size_t i = 0; i < size; ++i) f[i] = std::byte(static_cast<std::uint8_t>(id * 31 + i));
  if (size >= 4) store_be32(f, 0, id);
  return f;
}
std::uint32_t frame_id(const ByteVec& f) {
  return load_be32(f, 0);
}

struct Record {
  End to;
  ByteVec frame;
  std::int64_t at;
  bool operator==(const Record&) const = default;
};

// Pops everything, advancing the clock to each deadline in turn.
std::vector<Record> drain(SimLink& link) {
  std::vector<Record> out;
  for (int guard = 0; guard < 10'000'000; ++guard) {
    const auto when = link.next_deadline();
    if (!when) break;
    while (auto d = link.pop_ready(*when))
      out.push_back({d->to, std::move(d->frame), d->at.nanos()});
  }
  return out;
}

DirectionConfig everything() {
  DirectionConfig c;
  c.loss = 0.05;
  c.delay = 3ms;
  c.jitter = 500us;
  c.reorder = 0.05;
  c.duplicate = 0.05;
  c.corrupt = 0.05;
  c.rate_bps = 100'000'000;
  c.queue_limit_frames = 20;
  return c;
}

// 2000 frames each way, interleaved and spaced so that queueing matters.
std::vector<Record> run_mixed(std::uint64_t seed) {
  SimLink link = SimLink::symmetric(seed, everything());
  std::vector<Record> out;
  for (std::uint32_t i = 0; i < 2000; ++i) {
    const Instant now = ns(std::int64_t{i} * 50'000);
    link.send(End::A, make_frame(i, 200 + i % 1000), now);
    link.send(End::B, make_frame(100000 + i, 60), now);
    while (auto d = link.pop_ready(now)) out.push_back({d->to, std::move(d->frame), d->at.nanos()});
  }
  for (auto& r : drain(link)) out.push_back(std::move(r));
  return out;
}

TEST(SimLink, PerfectLinkDeliversAtOnceInSendOrder) {
  SimLink link(1);
  link.send(End::A, make_frame(1), ms(5));
  link.send(End::A, make_frame(2), ms(5));
  link.send(End::B, make_frame(3), ms(5));
  EXPECT_EQ(link.in_flight(), 3u);
  ASSERT_EQ(link.next_deadline(), ms(5));
  EXPECT_FALSE(link.pop_ready(ms(5) - 1ns).has_value());
  std::vector<std::pair<End, std::uint32_t>> got;
  while (auto d = link.pop_ready(ms(5))) {
    EXPECT_EQ(d->at, ms(5));
    got.emplace_back(d->to, frame_id(d->frame));
  }
  const std::vector<std::pair<End, std::uint32_t>> want{{End::B, 1}, {End::B, 2}, {End::A, 3}};
  EXPECT_EQ(got, want);
  EXPECT_FALSE(link.next_deadline().has_value());
  EXPECT_EQ(link.stats(End::A).sent, 2u);
  EXPECT_EQ(link.stats(End::A).delivered, 2u);
  EXPECT_EQ(link.stats(End::A).bytes_sent, 200u);
  EXPECT_EQ(link.stats(End::A).bytes_delivered, 200u);
  EXPECT_EQ(link.stats(End::B).delivered, 1u);
}

TEST(SimLink, FixedDelayIsExactPerDirection) {
  DirectionConfig ab;
  ab.delay = 7ms;
  DirectionConfig ba;
  ba.delay = 2ms;
  SimLink link(9, ab, ba);
  link.send(End::A, make_frame(1), ms(1));
  link.send(End::B, make_frame(2), ms(1));
  ASSERT_EQ(link.next_deadline(), ms(3));
  EXPECT_FALSE(link.pop_ready(ms(3) - 1ns).has_value());
  auto first = link.pop_ready(ms(3));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->to, End::A);
  EXPECT_EQ(first->at, ms(3));
  EXPECT_EQ(link.next_deadline(), ms(8));
  EXPECT_FALSE(link.pop_ready(ms(8) - 1ns).has_value());
  auto second = link.pop_ready(ms(20));  // popping late still reports the arrival time
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->to, End::B);
  EXPECT_EQ(second->at, ms(8));
  EXPECT_EQ(frame_id(second->frame), 1u);
}

TEST(SimLink, SameSeedSameDeliveriesDifferentSeedDiffers) {
  const auto a = run_mixed(42);
  const auto b = run_mixed(42);
  const auto c = run_mixed(43);
  ASSERT_GT(a.size(), 3000u);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
}

TEST(SimLink, DeliveriesComeOutInArrivalOrder) {
  DirectionConfig c;
  c.delay = 10ms;
  c.jitter = 9ms;  // heavy jitter scrambles the arrival order
  SimLink link = SimLink::symmetric(5, c);
  for (std::uint32_t i = 0; i < 50000; ++i)
    link.send(i % 2 ? End::A : End::B, make_frame(i), ns(i));
  const auto got = drain(link);
  ASSERT_EQ(got.size(), 50000u);
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end(),
                             [](const Record& x, const Record& y) { return x.at < y.at; }));
}

TEST(SimLink, LossRateIsRoughlyTheProbability) {
  DirectionConfig c;
  c.loss = 0.2;
  SimLink link(7, c);
  for (std::uint32_t i = 0; i < 10000; ++i) link.send(End::A, make_frame(i), ms(i));
  const auto got = drain(link);
  const auto& s = link.stats(End::A);
  EXPECT_GE(s.lost, 1700u);
  EXPECT_LE(s.lost, 2300u);
  EXPECT_EQ(got.size(), 10000u - s.lost);
  EXPECT_EQ(s.delivered, got.size());
  // Survivors arrive unchanged and in order.
  std::uint32_t prev = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::uint32_t id = frame_id(got[i].frame);
    if (i > 0) {
      EXPECT_GT(id, prev);
    }
    EXPECT_EQ(got[i].frame, make_frame(id));
    prev = id;
  }
}

TEST(SimLink, DuplicationDeliversSomeFramesTwice) {
  DirectionConfig c;
  c.duplicate = 0.1;
  c.delay = 1ms;
  SimLink link(11, c);
  for (std::uint32_t i = 0; i < 10000; ++i) link.send(End::A, make_frame(i), ms(i));
  const auto got = drain(link);
  const auto& s = link.stats(End::A);
  EXPECT_GE(s.duplicated, 800u);
  EXPECT_LE(s.duplicated, 1200u);
  EXPECT_EQ(got.size(), 10000u + s.duplicated);
  std::map<std::uint32_t, int> copies;
  for (const auto& r : got) {
    EXPECT_EQ(r.frame, make_frame(frame_id(r.frame)));
    copies[frame_id(r.frame)]++;
  }
  EXPECT_EQ(copies.size(), 10000u);
  std::uint64_t twice = 0;
  for (const auto& [id, n] : copies) {
    EXPECT_TRUE(n == 1 || n == 2) << id;
    twice += n == 2;
  }
  EXPECT_EQ(twice, s.duplicated);
}

TEST(SimLink, CorruptionFlipsOneToThreeBitsAndKeepsLength) {
  DirectionConfig c;
  c.corrupt = 0.1;
  SimLink link(13, c);
  std::vector<ByteVec> sent;
  for (std::uint32_t i = 0; i < 10000; ++i) {
    sent.push_back(make_frame(i, 40 + i % 200));
    link.send(End::A, sent.back(), ms(i));
  }
  const auto got = drain(link);
  ASSERT_EQ(got.size(), sent.size());  // no delay or reorder: delivery order is send order
  std::uint64_t changed = 0;
  int flips_seen[4] = {};
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].frame.size(), sent[i].size());
    int flipped = 0;
    for (std::size_t k = 0; k < sent[i].size(); ++k) {
      flipped += std::popcount(std::to_integer<unsigned>(got[i].frame[k] ^ sent[i][k]));
    }
    if (flipped == 0) continue;
    changed++;
    ASSERT_LE(flipped, 3);
    flips_seen[flipped]++;
  }
  EXPECT_EQ(changed, link.stats(End::A).corrupted);
  EXPECT_GE(changed, 800u);
  EXPECT_LE(changed, 1200u);
  for (int n = 1; n <= 3; ++n) EXPECT_GT(flips_seen[n], 150) << n << " bit(s)";
}

TEST(SimLink, JitterStaysWithinBoundsAroundTheDelay) {
  DirectionConfig c;
  c.delay = 10ms;
  c.jitter = 2ms;
  SimLink link(17, c);
  for (std::uint32_t i = 0; i < 5000; ++i) link.send(End::A, make_frame(i), ms(i));
  const auto got = drain(link);
  ASSERT_EQ(got.size(), 5000u);
  std::int64_t lo = INT64_MAX, hi = 0, sum = 0;
  for (const auto& r : got) {
    const std::int64_t d = r.at - ms(frame_id(r.frame)).nanos();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    sum += d;
  }
  EXPECT_GE(lo, 8'000'000);
  EXPECT_LE(hi, 12'000'000);
  EXPECT_LT(lo, 8'500'000);  // the whole range is used
  EXPECT_GT(hi, 11'500'000);
  const std::int64_t mean = sum / 5000;
  EXPECT_GT(mean, 9'800'000);
  EXPECT_LT(mean, 10'200'000);
}

TEST(SimLink, ReorderHoldsFramesBackSoLaterOnesOvertake) {
  DirectionConfig c;
  c.delay = 5ms;
  c.reorder = 0.1;
  c.reorder_hold = 10ms;
  SimLink link(19, c);
  for (std::uint32_t i = 0; i < 5000; ++i) link.send(End::A, make_frame(i), ms(i));
  const auto got = drain(link);
  ASSERT_EQ(got.size(), 5000u);
  const auto& s = link.stats(End::A);
  EXPECT_GE(s.reordered, 400u);
  EXPECT_LE(s.reordered, 600u);
  std::uint64_t held = 0;
  for (const auto& r : got) {
    const std::int64_t d = r.at - ms(frame_id(r.frame)).nanos();
    EXPECT_GE(d, 5'000'000);
    EXPECT_LE(d, 15'000'000);
    held += d > 5'000'000;
  }
  EXPECT_EQ(held, s.reordered);
  // Count frames overtaken by a later-sent one: must exist, and only held frames can be.
  std::uint64_t overtaken = 0;
  std::uint32_t max_seen = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::uint32_t id = frame_id(got[i].frame);
    if (i > 0 && id < max_seen) overtaken++;
    max_seen = std::max(max_seen, id);
  }
  EXPECT_GT(overtaken, s.reordered / 2);
  EXPECT_LE(overtaken, s.reordered);
}

TEST(SimLink, NoReorderKeepsOrder) {
  DirectionConfig c;
  c.delay = 5ms;
  SimLink link(19, c);
  for (std::uint32_t i = 0; i < 1000; ++i) link.send(End::A, make_frame(i), ms(i));
  const auto got = drain(link);
  ASSERT_EQ(got.size(), 1000u);
  for (std::uint32_t i = 0; i < 1000; ++i) EXPECT_EQ(frame_id(got[i].frame), i);
  EXPECT_EQ(link.stats(End::A).reordered, 0u);
}

TEST(SimLink, RateLimitSerialisesBackToBackFrames) {
  DirectionConfig c;
  c.rate_bps = 12'000'000;  // 1500 bytes = 12000 bits = exactly 1 ms
  c.delay = 3ms;
  SimLink link(23, c);
  for (std::uint32_t i = 0; i < 10; ++i) link.send(End::A, make_frame(i, 1500), ms(0));
  link.send(End::A, make_frame(10, 1500), ms(100));  // after the queue went idle
  const auto got = drain(link);
  ASSERT_EQ(got.size(), 11u);
  for (std::uint32_t i = 0; i < 10; ++i) {
    EXPECT_EQ(frame_id(got[i].frame), i);
    EXPECT_EQ(got[i].at, ms(i + 1 + 3).nanos()) << i;
  }
  EXPECT_EQ(got[10].at, ms(104).nanos());
}

TEST(SimLink, RateLimitRoundingDoesNotAccumulate) {
  DirectionConfig c;
  c.rate_bps = 3'000'000;  // 1000 bytes = 8000 bits = 2.666...ms
  SimLink link(29, c);
  for (std::uint32_t i = 0; i < 3; ++i) link.send(End::A, make_frame(i, 1000), ms(0));
  // A frame sent while the queue is busy waits for the previous one.
  link.send(End::A, make_frame(3, 1000), ms(1));
  const auto got = drain(link);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].at, 2'666'667);  // ceil(8000 / 3e6 s)
  EXPECT_EQ(got[1].at, 5'333'334);  // ceil(16000 / 3e6 s)
  EXPECT_EQ(got[2].at, 8'000'000);  // exactly 24000 bits: no accumulated rounding
  EXPECT_EQ(got[3].at, 10'666'667);
}

TEST(SimLink, QueueFrameLimitTailDrops) {
  DirectionConfig c;
  c.rate_bps = 12'000'000;
  c.queue_limit_frames = 5;
  SimLink link(31, c);
  for (std::uint32_t i = 0; i < 10; ++i) link.send(End::A, make_frame(i, 1500), ms(0));
  EXPECT_EQ(link.stats(End::A).queue_dropped, 5u);
  // At 2 ms two frames have left: room for exactly two more.
  for (std::uint32_t i = 10; i < 13; ++i) link.send(End::A, make_frame(i, 1500), ms(2));
  EXPECT_EQ(link.stats(End::A).queue_dropped, 6u);
  const auto got = drain(link);
  std::vector<std::uint32_t> ids;
  for (const auto& r : got) ids.push_back(frame_id(r.frame));
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 10, 11}));
  EXPECT_EQ(got.back().at, ms(7).nanos());
  EXPECT_EQ(link.stats(End::A).sent, 13u);
  EXPECT_EQ(link.stats(End::A).delivered, 7u);
}

TEST(SimLink, QueueByteLimitTailDrops) {
  DirectionConfig c;
  c.rate_bps = 12'000'000;
  c.queue_limit_bytes = 4000;
  SimLink link(37, c);
  link.send(End::A, make_frame(0, 1500), ms(0));
  link.send(End::A, make_frame(1, 1500), ms(0));
  link.send(End::A, make_frame(2, 1500), ms(0));  // 4500 > 4000: dropped
  link.send(End::A, make_frame(3, 1000), ms(0));  // exactly 4000: fits
  link.send(End::A, make_frame(4, 1), ms(0));     // 4001: dropped
  EXPECT_EQ(link.stats(End::A).queue_dropped, 2u);
  std::vector<std::uint32_t> ids;
  for (const auto& r : drain(link)) ids.push_back(frame_id(r.frame));
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{0, 1, 3}));
}

TEST(SimLink, DirectionsAreIndependent) {
  DirectionConfig c = everything();
  auto a_to_b_only = [&](bool with_reverse_traffic) {
    SimLink link = SimLink::symmetric(77, c);
    std::vector<Record> to_b;
    for (std::uint32_t i = 0; i < 3000; ++i) {
      const Instant now = ns(std::int64_t{i} * 100'000);
      link.send(End::A, make_frame(i, 300), now);
      if (with_reverse_traffic) {
        for (std::uint32_t k = 0; k < 3; ++k) link.send(End::B, make_frame(50000 + i, 700), now);
      }
      while (auto d = link.pop_ready(now)) {
        if (d->to == End::B) to_b.push_back({d->to, std::move(d->frame), d->at.nanos()});
      }
    }
    for (auto& r : drain(link)) {
      if (r.to == End::B) to_b.push_back(std::move(r));
    }
    return to_b;
  };
  const auto alone = a_to_b_only(false);
  const auto busy = a_to_b_only(true);
  ASSERT_GT(alone.size(), 2500u);
  EXPECT_TRUE(alone == busy);
}

TEST(SimLink, SetConfigChangesLaterFramesOnly) {
  SimLink link(41);
  link.send(End::A, make_frame(0), ms(0));
  DirectionConfig slow;
  slow.delay = 50ms;
  link.set_config(End::A, slow);
  EXPECT_EQ(link.config(End::A).delay, 50ms);
  EXPECT_EQ(link.config(End::B).delay, 0ms);
  link.send(End::A, make_frame(1), ms(0));
  const auto got = drain(link);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].at, 0);
  EXPECT_EQ(got[1].at, ms(50).nanos());
}

TEST(SimLink, ConfigValidation) {
  DirectionConfig c;
  EXPECT_TRUE(c.valid());
  c.loss = 1.5;
  EXPECT_FALSE(c.valid());
  c.loss = 0.5;
  c.delay = -1ms;
  EXPECT_FALSE(c.valid());
  // Invalid values are clamped, never undefined: loss > 1 loses everything.
  DirectionConfig all_lost;
  all_lost.loss = 7.0;
  all_lost.jitter = -5ms;
  SimLink link(43, all_lost);
  for (std::uint32_t i = 0; i < 100; ++i) link.send(End::A, make_frame(i), ms(i));
  EXPECT_TRUE(drain(link).empty());
  EXPECT_EQ(link.stats(End::A).lost, 100u);
}

TEST(SimLink, EmptyFramesPassAndAreNeverCorrupted) {
  DirectionConfig c;
  c.corrupt = 1.0;
  SimLink link(47, DirectionConfig{}, c);
  link.send(End::B, ByteVec{}, ms(1));
  link.send(End::B, ByteVec{std::byte{0}}, ms(1));
  const auto got = drain(link);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].frame.empty());
  ASSERT_EQ(got[1].frame.size(), 1u);
  EXPECT_NE(got[1].frame[0], std::byte{0});
  EXPECT_EQ(link.stats(End::B).corrupted, 1u);
}

}  // namespace
}  // namespace synack::link
