// Undoing a window reduction that no loss justified: Eifel detection with timestamps
// after a timeout (RFC 3522, response RFC 4015) and D-SACK detection after fast
// recovery (RFC 3708).
#include <gtest/gtest.h>

#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

using F = wire::TcpFlags;
constexpr std::uint32_t kMss = 1000;

// A connection with timestamps (the peer's TSval `peer_ts`) or SACK, MSS 1000.
Established open(bool timestamps, bool sack) {
  TcpConfig cfg = Established::plain();
  cfg.timestamps = timestamps;
  wire::TcpOptions o = Established::mss_opt(kMss);
  if (timestamps) o.timestamps = wire::TcpTimestamps{100, 0};
  o.sack_permitted = sack;
  return Established(cfg, o, 60000);
}

SegmentIn ack_with_ts(Established& c, std::uint32_t ack, std::uint32_t tsecr) {
  wire::TcpOptions o;
  o.timestamps = wire::TcpTimestamps{200, tsecr};
  return c.peer.seg(F::kAck, c.peer_seq, ack, 60000, {}, o);
}

// A full segment's payload beside the 12-byte TSopt.
constexpr std::uint32_t kTsPayload = kMss - 12;

// Sends 4 segments, lets the retransmission timer fire, and returns the TSvals of the
// original first segment and of its retransmission.
std::pair<std::uint32_t, std::uint32_t> time_out_first_of_four(Established& c) {
  EXPECT_TRUE(c.proto.send(c.id, as_bytes(pattern(4 * kTsPayload))).ok());
  auto first = drain(c.proto);
  EXPECT_EQ(first.size(), 4u);
  const auto deadline = c.proto.next_deadline();
  EXPECT_TRUE(deadline.has_value());
  c.advance_to(*deadline);
  auto rtx = drain(c.proto);
  EXPECT_EQ(rtx.size(), 1u);
  EXPECT_EQ(rtx.at(0).seg.seq.raw(), c.nxt);
  return {first.at(0).seg.options.timestamps->tsval, rtx.at(0).seg.options.timestamps->tsval};
}

TEST(Undo, EifelUndoesANeedlessTimeoutAndDoesNotGoBackN) {
  Established c = open(true, false);
  const auto before = *c.proto.conn_stats(c.id);
  const auto [original, retransmission] = time_out_first_of_four(c);
  ASSERT_GT(retransmission, original);
  EXPECT_EQ(c.proto.conn_stats(c.id)->cwnd, kTsPayload);  // RFC 5681: one segment
  // The ACK of the first segment echoes the original's TSval: it was only late.
  c.deliver(ack_with_ts(c, c.nxt + kTsPayload, original));
  const auto st = c.proto.conn_stats(c.id);
  EXPECT_EQ(st->spurious_rtos, 1u);
  // The window before the timeout (and slow start's growth by this ACK on top).
  EXPECT_EQ(st->ssthresh, before.ssthresh);
  EXPECT_EQ(st->cwnd, before.cwnd + kTsPayload);
  // RFC 4015: SND.NXT back to SND.MAX — the three later segments are not sent again.
  EXPECT_TRUE(drain(c.proto).empty());
}

TEST(Undo, AnEchoOfTheRetransmissionMeansTheLossWasReal) {
  Established c = open(true, false);
  const std::uint32_t cwnd_before = c.proto.conn_stats(c.id)->cwnd;
  const auto [original, retransmission] = time_out_first_of_four(c);
  (void)original;
  c.deliver(ack_with_ts(c, c.nxt + kTsPayload, retransmission));
  const auto st = c.proto.conn_stats(c.id);
  EXPECT_EQ(st->spurious_rtos, 0u);
  EXPECT_LT(st->cwnd, cwnd_before);
  // Go back N: the next segment is sent again (slow start from the one-segment window).
  auto again = drain(c.proto);
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again[0].seg.seq.raw(), c.nxt + kTsPayload);
}

SegmentIn ack_with_sack(Established& c, std::uint32_t ack,
                        std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks) {
  wire::TcpOptions o;
  for (const auto& [l, r] : blocks) o.sack_blocks[o.sack_count++] = {SeqNum(l), SeqNum(r)};
  return c.peer.seg(F::kAck, c.peer_seq, ack, 60000, {}, o);
}

// Ten segments out, the first reported missing by SACKs of the next three: RACK marks it
// lost (no reordering seen, DupThresh SACKed) and fast recovery resends it.
// Returns ssthresh before (the window reduction shows in ssthresh: during recovery the
// reported cwnd is PRR's flight plus allowance).
std::uint32_t recover_first_of_ten(Established& c) {
  const std::uint32_t before = c.proto.conn_stats(c.id)->ssthresh;
  EXPECT_TRUE(c.proto.send(c.id, as_bytes(pattern(10 * kMss))).ok());
  EXPECT_EQ(drain(c.proto).size(), 10u);
  c.now = c.now + std::chrono::milliseconds(50);
  for (std::uint32_t k = 2; k <= 4; ++k)
    c.deliver(ack_with_sack(c, c.nxt, {{c.nxt + kMss, c.nxt + k * kMss}}));
  auto rtx = drain(c.proto);
  EXPECT_FALSE(rtx.empty());
  EXPECT_EQ(rtx.at(0).seg.seq.raw(), c.nxt);
  EXPECT_EQ(c.proto.conn_stats(c.id)->sack_recoveries, 1u);
  EXPECT_LT(c.proto.conn_stats(c.id)->ssthresh, before);
  return before;
}

TEST(Undo, ADsackForEveryRetransmissionUndoesTheRecovery) {
  Established c = open(false, true);
  const std::uint32_t ssthresh_before = recover_first_of_ten(c);
  // Everything acknowledged, and the first block a D-SACK of [nxt, nxt+1000): the
  // original had arrived (reordered), the retransmission was a duplicate.
  c.deliver(ack_with_sack(c, c.nxt + 10 * kMss, {{c.nxt, c.nxt + kMss}}));
  const auto st = c.proto.conn_stats(c.id);
  EXPECT_EQ(st->dsacks_in, 1u);
  EXPECT_EQ(st->spurious_recoveries, 1u);
  EXPECT_EQ(st->ssthresh, ssthresh_before);
}

TEST(Undo, WithoutADsackTheReductionStays) {
  Established c = open(false, true);
  const std::uint32_t ssthresh_before = recover_first_of_ten(c);
  c.deliver(ack_with_sack(c, c.nxt + 10 * kMss, {}));
  const auto st = c.proto.conn_stats(c.id);
  EXPECT_EQ(st->spurious_recoveries, 0u);
  EXPECT_LT(st->ssthresh, ssthresh_before);
}

// An ACK with both options: the timestamp echo and SACK blocks.
SegmentIn ack_ts_sack(Established& c, std::uint32_t ack, std::uint32_t tsecr,
                      std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks) {
  wire::TcpOptions o;
  o.timestamps = wire::TcpTimestamps{300, tsecr};
  for (const auto& [l, r] : blocks) o.sack_blocks[o.sack_count++] = {SeqNum(l), SeqNum(r)};
  return c.peer.seg(F::kAck, c.peer_seq, ack, 60000, {}, o);
}

TEST(Undo, EifelUndoesATimeoutThatStruckDuringFastRecovery) {
  // Fast recovery resends the first segment; every ACK of it is lost and the timer
  // fires. The first ACK after the timeout echoes the fast retransmission's TSval,
  // older than the timeout's: the timeout was needless (RFC 3522), undone to the window
  // from before the recovery, and the window is not sent again.
  Established c = open(true, true);
  constexpr std::uint32_t P = kTsPayload;
  const auto before = *c.proto.conn_stats(c.id);
  ASSERT_TRUE(c.proto.send(c.id, as_bytes(pattern(10 * P))).ok());
  auto first = drain(c.proto);
  ASSERT_EQ(first.size(), 10u);
  const std::uint32_t ts0 = first.at(0).seg.options.timestamps->tsval;
  c.now = c.now + std::chrono::milliseconds(50);
  for (std::uint32_t k = 2; k <= 4; ++k)
    c.deliver(ack_ts_sack(c, c.nxt, ts0, {{c.nxt + P, c.nxt + k * P}}));
  auto fast = drain(c.proto);
  ASSERT_FALSE(fast.empty());
  ASSERT_EQ(fast.at(0).seg.seq.raw(), c.nxt);
  const std::uint32_t fast_ts = fast.at(0).seg.options.timestamps->tsval;
  ASSERT_EQ(c.proto.conn_stats(c.id)->sack_recoveries, 1u);
  for (int i = 0; i < 10 && c.proto.conn_stats(c.id)->rto_expirations == 0; ++i) {
    const auto d = c.proto.next_deadline();
    ASSERT_TRUE(d.has_value());
    c.advance_to(*d);
  }
  ASSERT_EQ(c.proto.conn_stats(c.id)->rto_expirations, 1u);
  auto rto = drain(c.proto);
  ASSERT_FALSE(rto.empty());
  EXPECT_EQ(rto.at(0).seg.seq.raw(), c.nxt);
  ASSERT_GT(rto.at(0).seg.options.timestamps->tsval, fast_ts);
  // The peer had the fast retransmission: it acknowledges everything, and D-SACKs the
  // timeout's copy, echoing the fast retransmission's TSval.
  c.deliver(ack_ts_sack(c, c.nxt + 10 * P, fast_ts, {{c.nxt, c.nxt + P}}));
  const auto st = c.proto.conn_stats(c.id);
  EXPECT_EQ(st->spurious_rtos, 1u);
  EXPECT_EQ(st->ssthresh, before.ssthresh);
}

}  // namespace
}  // namespace synack::tcp::testing
