// The TCP side of MUST-20 (negative advice at R1), MUST-58/59 (batched segment
// processing, one ACK per batch) and SHLD-20 (soft error reports can be disabled).
#include <gtest/gtest.h>

#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

// MUST-20 (§3.8.3): "When the number of transmissions of the same segment reaches or
// exceeds threshold R1, pass negative advice to the IP layer". One advice entry, at
// the R1-th retransmission, naming the connection and its endpoints.
TEST(NegativeAdvice, RaisedOnceWhenRetransmissionsReachR1) {
  Established e;
  // R2 well beyond the backed-off retransmissions below (RTO doubles to 60 s).
  SocketOptions o = *e.proto.options(e.id);
  o.user_timeout = std::chrono::hours(1);
  ASSERT_TRUE(e.proto.set_options(e.id, o).ok());
  const std::string data = pattern(100);
  ASSERT_TRUE(e.proto.send(e.id, as_bytes(data)).ok());
  ASSERT_EQ(drain(e.proto).size(), 1u);
  const std::uint32_t r1 = e.cfg.r1_retransmissions;
  for (std::uint32_t rto = 1; rto <= r1 + 2; ++rto) {
    auto when = e.proto.next_deadline();
    ASSERT_TRUE(when.has_value());
    e.advance_to(*when);
    auto out = drain(e.proto);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].seg.seq.raw(), e.nxt);  // the same segment again
    auto advice = e.proto.pop_advice();
    if (rto == r1) {
      ASSERT_TRUE(advice.has_value()) << "no advice at R1";
      EXPECT_EQ(advice->conn, e.id);
      EXPECT_EQ(advice->remote, (Endpoint{kAddrB, 40000}));
      EXPECT_EQ(advice->local, (Endpoint{kAddrA, 80}));
      EXPECT_FALSE(e.proto.pop_advice().has_value());
    } else {
      EXPECT_FALSE(advice.has_value()) << "advice at retransmission " << rto;
    }
  }
  EXPECT_EQ(e.proto.conn_stats(e.id)->negative_advice, 1u);
  // An ACK of the data restarts the count: a later loss advises again at R1.
  e.deliver(e.peer.seg(F::kAck, e.peer_seq, e.nxt + 100, 8192));
  ASSERT_TRUE(e.proto.send(e.id, as_bytes(data)).ok());
  drain(e.proto);
  for (std::uint32_t rto = 1; rto <= r1; ++rto) {
    e.advance_to(*e.proto.next_deadline());
    drain(e.proto);
  }
  EXPECT_TRUE(e.proto.pop_advice().has_value());
}

// MUST-22: SYN retransmissions follow the same mechanism, advice included.
TEST(NegativeAdvice, SynRetransmissionsAdviseAtR1Too) {
  TcpConfig cfg;
  SeededRandom rng(3);
  TcpProtocol p(cfg, rng);
  auto id = p.connect(Endpoint{kAddrA, 0}, Endpoint{kAddrB, 80}, at_ms(0));
  ASSERT_TRUE(id.ok());
  drain(p);
  for (std::uint32_t rto = 1; rto <= cfg.r1_retransmissions; ++rto) {
    EXPECT_FALSE(p.pop_advice().has_value());
    p.on_timer(*p.next_deadline());
    ASSERT_EQ(drain(p).size(), 1u);
  }
  auto a = p.pop_advice();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->conn, *id);
  EXPECT_EQ(a->remote, (Endpoint{kAddrB, 80}));
}

// SHLD-20 (§3.9.1.8): with report_soft_errors off, R1 raises no DeliveryProblem (the
// IP layer is still advised: that is not a report to the application).
TEST(SoftErrors, DisabledReportSuppressesDeliveryProblemNotAdvice) {
  for (bool report : {true, false}) {
    Established e;
    SocketOptions o = *e.proto.options(e.id);
    o.report_soft_errors = report;
    ASSERT_TRUE(e.proto.set_options(e.id, o).ok());
    ASSERT_TRUE(e.proto.send(e.id, as_bytes(pattern(10))).ok());
    drain(e.proto);
    for (std::uint32_t rto = 1; rto <= e.cfg.r1_retransmissions; ++rto) {
      e.advance_to(*e.proto.next_deadline());
      drain(e.proto);
    }
    EXPECT_EQ(has_event(events(e.proto), EventKind::DeliveryProblem), report);
    EXPECT_TRUE(e.proto.pop_advice().has_value());
  }
}

// MUST-59 (§3.10.7.4): "process all queued segments before sending any ACK". Inside
// a batch no pure ACK leaves; end_batch sends one cumulative ACK (MUST-58).
TEST(Batch, OneCumulativeAckForABurstOfFullSizedSegments) {
  Established e;
  const std::uint32_t mss = e.cfg.mtu - 40u;  // our MSS: the largest segment the peer may send
  const std::string data = pattern(6 * mss);
  e.proto.begin_batch();
  EXPECT_TRUE(e.proto.in_batch());
  for (int i = 0; i < 6; ++i) {
    e.deliver(e.peer.seg(F::kAck, e.peer_seq, e.nxt, 65535,
                         as_bytes(std::string_view(data).substr(i * mss, mss))));
    e.peer_seq += mss;
    EXPECT_TRUE(drain(e.proto).empty()) << "ACK before the batch ended, segment " << i;
  }
  e.proto.end_batch(e.now);
  EXPECT_FALSE(e.proto.in_batch());
  auto out = drain(e.proto);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags(), ".");
  EXPECT_EQ(out[0].seg.ack.raw(), e.peer_seq);
  EXPECT_TRUE(out[0].data.empty());
  EXPECT_EQ(e.read_all(), data);
  EXPECT_EQ(e.proto.stats().batches, 1u);
  // The same burst outside a batch: an ACK for every second full-sized segment (SHLD-19).
  Established f;
  std::size_t acks = 0;
  for (int i = 0; i < 6; ++i) {
    f.deliver(f.peer.seg(F::kAck, f.peer_seq, f.nxt, 65535,
                         as_bytes(std::string_view(data).substr(i * mss, mss))));
    f.peer_seq += mss;
    acks += drain(f.proto).size();
  }
  EXPECT_EQ(acks, 3u);
}

// Out-of-order segments in one batch draw one duplicate ACK, not one each; data the
// connection sends meanwhile still leaves at once and carries the ACK.
TEST(Batch, OutOfOrderBurstAndPiggybackedAck) {
  Established e;
  e.proto.begin_batch();
  for (int i = 1; i <= 3; ++i) {
    e.deliver(e.peer.seg(F::kAck, e.peer_seq + 100 * i, e.nxt, 8192, as_bytes(pattern(100))));
    // RFC 5681 §4.2: each out-of-order segment draws its own duplicate ACK at once,
    // inside the batch too (three of them trigger the sender's fast retransmit).
    auto dup = drain(e.proto);
    ASSERT_EQ(dup.size(), 1u) << "segment " << i;
    EXPECT_EQ(dup[0].seg.ack.raw(), e.peer_seq);  // still waiting for the gap
    EXPECT_TRUE(dup[0].seg.payload.empty());
  }
  e.proto.end_batch(e.now);
  EXPECT_TRUE(drain(e.proto).empty());  // nothing more owed

  e.proto.begin_batch();
  e.deliver(e.peer.seg(F::kAck, e.peer_seq, e.nxt, 8192, as_bytes(pattern(100))));  // fills gap
  ASSERT_TRUE(e.proto.send(e.id, as_bytes("reply")).ok());
  auto mid = drain(e.proto);
  ASSERT_EQ(mid.size(), 1u);  // the data segment, carrying the cumulative ACK
  EXPECT_EQ(mid[0].text(), "reply");
  EXPECT_EQ(mid[0].seg.ack.raw(), e.peer_seq + 400);
  e.proto.end_batch(e.now);
  EXPECT_TRUE(drain(e.proto).empty());  // nothing owed any more
}

// A delayed-ACK timer that fires inside a batch is not lost: end_batch sends the ACK.
TEST(Batch, AckOwedByATimerInsideTheBatchIsSentAtItsEnd) {
  Established e;
  e.deliver(e.in(F::kAck | F::kPsh, as_bytes(pattern(10))));
  EXPECT_TRUE(drain(e.proto).empty());  // delayed (MUST-40)
  auto when = e.proto.next_deadline();
  ASSERT_TRUE(when.has_value());
  e.proto.begin_batch();
  e.advance_to(*when);
  EXPECT_TRUE(drain(e.proto).empty());
  e.proto.end_batch(e.now);
  auto out = drain(e.proto);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].seg.ack.raw(), e.peer_seq + 10);
}

}  // namespace
}  // namespace synack::tcp::testing
