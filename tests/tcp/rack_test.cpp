// RACK loss detection (RFC 8985 §6) over the log of transmitted segments: what is
// marked lost when, the reordering window and its adaptation, retransmissions.
#include <gtest/gtest.h>

#include "synack/tcp/rack.hpp"

namespace synack::tcp {
namespace {

constexpr std::uint32_t kMss = 1000;
const SeqNum kIss(5000);
const Instant kT0 = Instant::from_nanos(1'000'000'000);

SeqNum seg(std::uint32_t i) {
  return kIss + i * kMss;
}
Instant ms(std::int64_t n) {
  return kT0 + std::chrono::milliseconds(n);
}

// The lowest segment marked lost (a run of one segment).
std::optional<SentSegment> first_lost(const Rack& r) {
  return r.first_lost_run(1);
}

// Sends segments [first, last) at `t`, one record each.
void send(Rack& r, std::uint32_t first, std::uint32_t last, Instant t) {
  for (std::uint32_t i = first; i < last; ++i) r.on_send(seg(i), seg(i + 1), t);
}

TEST(Rack, LogsEachSegmentAndSplitsRetransmissionsAtTheirEdges) {
  Rack r;
  send(r, 0, 3, ms(0));
  EXPECT_EQ(r.records(), 3u);
  // A retransmission of [500, 1500) relative to the first segment covers halves of two.
  r.on_send(seg(0) + 500, seg(1) + 500, ms(10));
  EXPECT_EQ(r.records(), 5u);
  r.on_cumulative_ack(seg(0) + 500, ms(20));  // acknowledges the first half
  EXPECT_EQ(r.records(), 4u);
  // Beyond the log: new data appends.
  r.on_send(seg(3), seg(4), ms(30));
  EXPECT_EQ(r.records(), 5u);
  ASSERT_NE(r.last(), nullptr);
  EXPECT_EQ(r.last()->start, seg(3));
  EXPECT_FALSE(r.last()->retransmitted);
}

TEST(Rack, MarksLostOnlyAfterRttPlusReorderingWindow) {
  Rack r;
  r.on_rtt_sample(std::chrono::milliseconds(100));  // RACK.min_RTT
  send(r, 0, 1, ms(0));
  send(r, 1, 4, ms(1));
  // Segment 1 is SACKed 100 ms after it was sent: RACK.rtt = 100 ms, RACK.segment = 1.
  r.on_sacked(seg(1), seg(2), ms(101));
  Duration wait{0};
  // reo_wnd = min_RTT / 4 = 25 ms (no reordering seen, fewer than DupThresh SACKed):
  // segment 0 is lost at 0 + 100 + 25 ms.
  EXPECT_EQ(r.reo_wnd(std::chrono::milliseconds(100), false), std::chrono::milliseconds(25));
  EXPECT_EQ(r.detect_loss(ms(101), std::chrono::milliseconds(100), false, wait), 0u);
  EXPECT_EQ(wait, std::chrono::milliseconds(24));  // the reordering timer
  EXPECT_FALSE(first_lost(r).has_value());
  EXPECT_EQ(r.detect_loss(ms(125), std::chrono::milliseconds(100), false, wait), kMss);
  ASSERT_TRUE(first_lost(r).has_value());
  EXPECT_EQ(first_lost(r)->start, seg(0));
  EXPECT_EQ(r.lost_bytes(), kMss);
  // Segments 2 and 3 were sent after RACK.segment: not judged by it.
  EXPECT_EQ(wait, Duration::zero());
}

TEST(Rack, DupThreshSackedSegmentsWithoutReorderingMeanNoWindow) {
  Rack r;
  r.on_rtt_sample(std::chrono::milliseconds(100));
  send(r, 0, 5, ms(0));
  r.on_sacked(seg(1), seg(4), ms(100));  // three segments SACKed
  EXPECT_EQ(r.sacked_segments(), 3u);
  EXPECT_EQ(r.reo_wnd(std::chrono::milliseconds(100), false), Duration::zero());
  Duration wait{0};
  // Segment 0 was sent with segment 3 (same time, lower sequence: "sent before").
  EXPECT_EQ(r.detect_loss(ms(100), std::chrono::milliseconds(100), false, wait), kMss);
  EXPECT_EQ(first_lost(r)->start, seg(0));
  // Segment 4 was sent at the same time but above RACK.end_seq: still in flight.
  EXPECT_EQ(r.lost_bytes(), kMss);
  // In recovery the window is zero too (no reordering seen).
  EXPECT_EQ(r.reo_wnd(std::chrono::milliseconds(100), true), Duration::zero());
}

TEST(Rack, ReorderingSeenKeepsTheWindowAndDsacksWidenItOncePerRound) {
  Rack r;
  r.on_rtt_sample(std::chrono::milliseconds(40));
  send(r, 0, 6, ms(0));
  r.on_sacked(seg(2), seg(5), ms(40));
  EXPECT_FALSE(r.reordering_seen());
  // Segment 1 (never retransmitted) arrives below the highest delivered end: reordering.
  r.on_sacked(seg(1), seg(2), ms(41));
  EXPECT_TRUE(r.reordering_seen());
  EXPECT_EQ(r.reo_wnd(std::chrono::milliseconds(50), true), std::chrono::milliseconds(10));
  // A D-SACK widens it to 2 * min_RTT / 4; a second one in the same round does not.
  r.on_dsack(seg(6));
  r.on_dsack(seg(6));
  EXPECT_EQ(r.reo_wnd_mult(), 2u);
  EXPECT_EQ(r.reo_wnd(std::chrono::milliseconds(50), true), std::chrono::milliseconds(20));
  // Never more than SRTT.
  EXPECT_EQ(r.reo_wnd(std::chrono::milliseconds(15), true), std::chrono::milliseconds(15));
  // After the round (SND.UNA >= RACK.dsack_round) a D-SACK counts again.
  r.on_cumulative_ack(seg(6), ms(60));
  r.on_dsack(seg(6));
  EXPECT_EQ(r.reo_wnd_mult(), 3u);
  // "reo_wnd_persist": 16 recoveries later the multiplier is back to 1.
  for (std::uint32_t i = 0; i < Rack::kReoWndPersist; ++i) r.on_recovery_exit();
  EXPECT_EQ(r.reo_wnd_mult(), 1u);
}

TEST(Rack, DetectsALostRetransmission) {
  Rack r;
  r.on_rtt_sample(std::chrono::milliseconds(100));
  send(r, 0, 4, ms(0));
  r.on_sacked(seg(1), seg(4), ms(100));
  Duration wait{0};
  EXPECT_EQ(r.detect_loss(ms(100), std::chrono::milliseconds(100), false, wait), kMss);
  // Segment 0 retransmitted at 100 ms: no longer lost, marked retransmitted.
  r.on_send(seg(0), seg(1), ms(100));
  EXPECT_EQ(r.lost_bytes(), 0u);
  // New data sent after the retransmission and SACKed an RTT later: the
  // retransmission, sent before it and not delivered, is lost again — which no
  // duplicate-ACK counting could tell.
  send(r, 4, 5, ms(105));
  r.on_sacked(seg(4), seg(5), ms(205));
  EXPECT_EQ(r.detect_loss(ms(205), std::chrono::milliseconds(100), true, wait), kMss);
  EXPECT_EQ(first_lost(r)->start, seg(0));
  EXPECT_TRUE(first_lost(r)->retransmitted);
}

TEST(Rack, ARetransmissionIsSentAfterEverythingBeforeItAtTheSameClockReading) {
  // A clock that does not move between transmissions (a zero-delay simulated path, a
  // coarse clock): segment 0 is resent at the same reading as segments 1-3, after them.
  // RFC 8985's tie-break by sequence would make SACKed segment 3 "sent after" the
  // retransmission and mark it lost again at once; transmission order does not.
  Rack r;
  send(r, 0, 4, ms(0));
  r.on_sacked(seg(1), seg(3), ms(0));
  Duration wait{0};
  EXPECT_EQ(r.detect_loss(ms(0), Duration::zero(), true, wait), kMss);  // 0 is lost
  r.on_send(seg(0), seg(1), ms(0));  // its retransmission, still at ms(0)
  r.on_sacked(seg(3), seg(4), ms(0));
  EXPECT_EQ(r.detect_loss(ms(0), Duration::zero(), true, wait), 0u);
  EXPECT_FALSE(first_lost(r).has_value());
  // Data sent after the retransmission and delivered does judge it: lost again.
  send(r, 4, 5, ms(0));
  r.on_sacked(seg(4), seg(5), ms(0));
  EXPECT_EQ(r.detect_loss(ms(0), Duration::zero(), true, wait), kMss);
  ASSERT_TRUE(first_lost(r).has_value());
  EXPECT_EQ(first_lost(r)->start, seg(0));
}

TEST(Rack, AnAmbiguousAckOfARetransmissionDoesNotMoveRackSegment) {
  Rack r;
  r.on_rtt_sample(std::chrono::milliseconds(100));
  send(r, 0, 2, ms(0));
  r.on_send(seg(0), seg(1), ms(150));  // retransmitted (a timeout, say)
  // ACKed 10 ms after the retransmission: faster than min_RTT, so it was the original
  // that arrived — RACK.rtt must not become 10 ms.
  r.on_cumulative_ack(seg(1), ms(160));
  EXPECT_EQ(r.rtt(), Duration::zero());
  r.on_sacked(seg(1), seg(2), ms(170));
  EXPECT_EQ(r.rtt(), std::chrono::milliseconds(170));
}

TEST(Rack, MarkFirstLostSkipsSackedAndRetransmittedSegments) {
  Rack r;
  send(r, 0, 4, ms(0));
  r.on_sacked(seg(0), seg(1), ms(10));  // first segment SACKed (held above a reneged ACK)
  EXPECT_EQ(r.mark_first_lost(), kMss);
  EXPECT_EQ(first_lost(r)->start, seg(1));
  EXPECT_EQ(r.mark_first_lost(), 0u);  // already marked
  r.on_send(seg(1), seg(2), ms(20));
  EXPECT_EQ(r.mark_first_lost(), 0u);          // retransmitted: DupThresh says nothing more
  EXPECT_EQ(r.mark_lost_below(seg(3)), kMss);  // segment 2 only (1 was retransmitted)
  EXPECT_EQ(first_lost(r)->start, seg(2));
  r.clear_sacked();
  EXPECT_EQ(r.sacked_segments(), 0u);
}

TEST(Rack, ALostRunJoinsContiguousLostSegmentsUpToALength) {
  Rack r;
  for (std::uint32_t i = 0; i < 10; ++i) r.on_send(kIss + i, kIss + i + 1, ms(i));  // 1-byte
  r.mark_all_lost();
  EXPECT_EQ(r.lost_bytes(), 10u);
  const auto run = r.first_lost_run(4);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->start, kIss);
  EXPECT_EQ(run->end, kIss + 4);  // four one-byte segments resent as one
  r.on_send(kIss, kIss + 4, ms(20));
  EXPECT_EQ(r.lost_bytes(), 6u);
  r.on_sacked(kIss + 6, kIss + 7, ms(30));  // a SACKed segment ends the next run
  EXPECT_EQ(r.first_lost_run(100)->end, kIss + 6);
  r.clear_lost();
  EXPECT_FALSE(r.first_lost_run(100).has_value());
}

TEST(Rack, TheLogIsBounded) {
  Rack r;
  for (std::uint32_t i = 0; i < Rack::kMaxRecords + 1000; ++i) {
    r.on_send(kIss + i, kIss + i + 1, ms(i));  // one-byte segments
  }
  EXPECT_LE(r.records(), Rack::kMaxRecords);
  EXPECT_EQ(r.last()->end, kIss + Rack::kMaxRecords + 1000);
}

TEST(Rack, CleanRttIsTheLongestOfTheNeverRetransmittedSegmentsDelivered) {
  Rack r;
  send(r, 0, 1, ms(0));
  send(r, 1, 3, ms(10));
  r.on_send(seg(0), seg(1), ms(50));  // segment 0 resent: Karn, no sample from it
  EXPECT_FALSE(r.take_clean_rtt().has_value());
  r.on_sacked(seg(2), seg(3), ms(110));  // sent at 10: 100 ms
  r.on_cumulative_ack(seg(2), ms(120));  // 0 (resent, no sample) and 1 (sent at 10: 110 ms)
  EXPECT_EQ(r.take_clean_rtt(), std::chrono::milliseconds(110));
  EXPECT_FALSE(r.take_clean_rtt().has_value());  // taken once
}

TEST(Rack, WatchesForOriginalsDeliveredAfterATimeout) {
  Rack r;
  send(r, 0, 4, ms(0));
  r.watch_originals(seg(4));
  r.mark_all_lost();
  r.on_send(seg(0), seg(1), ms(300));    // the timeout's retransmission
  r.on_cumulative_ack(seg(1), ms(310));  // acknowledges only the retransmitted segment
  EXPECT_FALSE(r.take_original_delivered());
  r.on_send(seg(4), seg(5), ms(310));  // new data, above the watched mark
  r.on_sacked(seg(4), seg(5), ms(320));
  EXPECT_FALSE(r.take_original_delivered());
  r.on_sacked(seg(2), seg(3), ms(321));  // sent once, before the timeout
  EXPECT_TRUE(r.take_original_delivered());
  EXPECT_FALSE(r.take_original_delivered());
  r.stop_watching();
  r.on_cumulative_ack(seg(2), ms(330));  // segment 1, but nobody watches now
  EXPECT_FALSE(r.take_original_delivered());
}

}  // namespace
}  // namespace synack::tcp
