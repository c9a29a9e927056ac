// Closing and resetting: RFC 9293 §3.6, §3.10.4-5, §3.10.7.4 steps 2, 4, 8; RFC 5961.
#include <gtest/gtest.h>

#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

std::vector<State> states(const std::vector<Transition>& t) {
  std::vector<State> v;
  for (const auto& x : t) v.push_back(x.to);
  return v;
}

TEST(Close, ActiveCloseThroughTimeWait) {
  TcpConfig cfg = Established::plain();
  cfg.msl = std::chrono::seconds(2);
  Established c(cfg);
  ASSERT_TRUE(c.proto.close(c.id).ok());
  auto fin = drain(c.proto);
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].flags(), "F.");
  EXPECT_EQ(fin[0].seg.seq.raw(), c.nxt);
  EXPECT_EQ(c.proto.state(c.id), State::FinWait1);
  c.nxt += 1;
  c.deliver(c.in(F::kAck));
  EXPECT_EQ(c.proto.state(c.id), State::FinWait2);
  c.deliver(c.in(F::kFin | F::kAck));
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].flags(), ".");
  EXPECT_EQ(ack[0].seg.ack.raw(), 1002u);
  EXPECT_EQ(c.proto.state(c.id), State::TimeWait);
  // A retransmitted FIN is acknowledged again and restarts the 2*MSL timer.
  c.now = at_ms(1000);
  c.deliver(c.in(F::kFin | F::kAck));
  auto again = drain(c.proto);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].seg.ack.raw(), 1002u);
  EXPECT_EQ(c.proto.next_deadline(), at_ms(5000));
  c.advance_to(at_ms(5000));
  EXPECT_FALSE(c.proto.state(c.id).has_value());  // released by close(): gone
  EXPECT_EQ(states(c.trace),
            (std::vector<State>{State::SynReceived, State::Established, State::FinWait1,
                                State::FinWait2, State::TimeWait, State::Closed}));
  EXPECT_EQ(c.trace.back().rule, Rule::rfc9293_3_10_8_time_wait_timeout);
  // Afterwards the port is closed: segments are answered with RST.
  c.deliver(c.in(F::kAck));
  auto rst = drain(c.proto);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags(), "R");
}

TEST(Close, FinAndAckInOneSegmentGoStraightToTimeWait) {
  Established c;
  ASSERT_TRUE(c.proto.close(c.id).ok());
  drain(c.proto);
  c.nxt += 1;
  c.deliver(c.in(F::kFin | F::kAck));
  EXPECT_EQ(c.proto.state(c.id), State::TimeWait);
  // Step five (ACK) moves to FIN-WAIT-2 before step eight sees the FIN.
  ASSERT_GE(c.trace.size(), 2u);
  EXPECT_EQ(c.trace[c.trace.size() - 2].rule, Rule::rfc9293_3_10_7_4_fin_wait_1_ack);
  EXPECT_EQ(c.trace.back().rule, Rule::rfc9293_3_10_7_4_fin_fin_wait_2);
}

TEST(Close, PassiveCloseThroughLastAck) {
  Established c;
  c.deliver(c.in(F::kFin | F::kAck | F::kPsh, as_bytes("bye")));
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].seg.ack.raw(), 1005u);  // data + FIN
  EXPECT_EQ(c.proto.state(c.id), State::CloseWait);
  auto ev = events(c.proto);
  EXPECT_TRUE(has_event(ev, EventKind::PeerClosed));  // MUST-12: a normal close
  EXPECT_EQ(c.read_all(), "bye");
  std::byte b[8];
  EXPECT_EQ(c.proto.receive(c.id, b).value(), 0u);  // end of stream
  // Half-closed: we may still send.
  ASSERT_EQ(c.proto.send(c.id, as_bytes("reply")).value(), 5u);
  ASSERT_EQ(drain(c.proto).size(), 1u);
  ASSERT_TRUE(c.proto.close(c.id).ok());
  auto fin = drain(c.proto);
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].flags(), "F.");
  EXPECT_EQ(fin[0].seg.seq.raw(), c.nxt + 5);
  EXPECT_EQ(c.proto.state(c.id), State::LastAck);
  c.peer_seq = 1005;
  c.nxt += 6;
  c.deliver(c.in(F::kAck));
  EXPECT_FALSE(c.proto.state(c.id).has_value());
  EXPECT_EQ(c.trace.back().rule, Rule::rfc9293_3_10_7_4_last_ack_ack);
  ev = events(c.proto);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::Closed);
}

TEST(Close, SimultaneousCloseGoesThroughClosing) {
  Established c;
  ASSERT_TRUE(c.proto.shutdown_write(c.id).ok());
  auto fin = drain(c.proto);
  ASSERT_EQ(fin.size(), 1u);
  // The peer's FIN crosses ours: it does not acknowledge our FIN.
  c.deliver(c.in(F::kFin | F::kAck));
  EXPECT_EQ(c.proto.state(c.id), State::Closing);
  ASSERT_EQ(drain(c.proto).size(), 1u);
  c.peer_seq += 1;
  c.nxt += 1;
  c.deliver(c.in(F::kAck));
  EXPECT_EQ(c.proto.state(c.id), State::TimeWait);
  EXPECT_EQ(c.trace.back().rule, Rule::rfc9293_3_10_7_4_closing_ack);
}

TEST(Close, FinIsRetransmitted) {
  Established c;
  ASSERT_TRUE(c.proto.close(c.id).ok());
  auto fin = drain(c.proto);
  c.advance_to(*c.proto.next_deadline());
  auto again = drain(c.proto);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].flags(), "F.");
  EXPECT_EQ(again[0].seg.seq, fin[0].seg.seq);
}

TEST(Close, FinWaitsForQueuedData) {
  Established c(Established::plain(), Established::mss_opt(1000), 1000);
  ASSERT_TRUE(c.proto.send(c.id, as_bytes(pattern(1500))).ok());
  ASSERT_TRUE(c.proto.close(c.id).ok());
  auto segs = drain(c.proto);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_FALSE(segs[0].seg.flags.fin());
  c.nxt += 1000;
  c.deliver(c.in(F::kAck, {}, 1000));
  segs = drain(c.proto);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].data.size(), 500u);
  EXPECT_EQ(segs[0].flags(), "FP.");
  EXPECT_EQ(c.proto.send(c.id, as_bytes("late")).error(), SendError::WriteShutdown);
}

TEST(Close, AbortSendsReset) {
  Established c;
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("x")).ok());
  drain(c.proto);
  ASSERT_TRUE(c.proto.abort(c.id).ok());
  auto rst = drain(c.proto);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags(), "R");
  EXPECT_EQ(rst[0].seg.seq.raw(), c.nxt + 1);  // <SEQ=SND.NXT><CTL=RST>
  EXPECT_FALSE(c.proto.state(c.id).has_value());
  EXPECT_EQ(c.trace.back().rule, Rule::rfc9293_3_10_5_abort);
}

TEST(Close, LingerZeroCloseSendsReset) {
  Established c;
  SocketOptions o = *c.proto.options(c.id);
  o.linger_zero = true;
  ASSERT_TRUE(c.proto.set_options(c.id, o).ok());
  ASSERT_TRUE(c.proto.close(c.id).ok());
  auto rst = drain(c.proto);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags(), "R");
}

TEST(Close, CloseWithUnreadDataSendsReset) {
  Established c;
  c.deliver(c.in(F::kAck, as_bytes("unread")));
  ASSERT_TRUE(c.proto.close(c.id).ok());  // SHLD-3
  auto rst = drain(c.proto);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags(), "R");
}

TEST(Close, DataAfterCloseIsAnsweredWithReset) {
  Established c;
  ASSERT_TRUE(c.proto.close(c.id).ok());
  drain(c.proto);
  c.deliver(c.in(F::kAck, as_bytes("more")));  // SHLD-3
  auto rst = drain(c.proto);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags(), "R");
  EXPECT_FALSE(c.proto.state(c.id).has_value());
}

TEST(Reset, ExactRstResetsTheConnection) {
  Established c;
  c.deliver(c.in(F::kRst));
  EXPECT_EQ(c.proto.state(c.id), State::Closed);
  auto ev = events(c.proto);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, EventKind::Error);
  EXPECT_EQ(ev[0].error, ConnError::Reset);  // MUST-12: told apart from a close
  EXPECT_EQ(c.proto.send(c.id, as_bytes("x")).error(), SendError::Reset);
  std::byte b[4];
  EXPECT_EQ(c.proto.receive(c.id, b).error(), RecvError::Reset);
  EXPECT_EQ(c.trace.back().rule, Rule::rfc9293_3_10_7_4_rst);
  EXPECT_TRUE(drain(c.proto).empty());
}

TEST(Reset, InWindowRstGetsChallengeAck) {
  Established c;
  c.peer_seq += 100;  // in the window but not RCV.NXT (RFC 5961 §3.2)
  c.deliver(c.in(F::kRst));
  EXPECT_EQ(c.proto.state(c.id), State::Established);
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].flags(), ".");
  EXPECT_EQ(ack[0].seg.seq.raw(), c.nxt);
  EXPECT_EQ(ack[0].seg.ack.raw(), 1001u);
  EXPECT_EQ(c.proto.conn_stats(c.id)->challenge_acks, 1u);
  // Out of the window: silently dropped.
  c.peer_seq = 1001 + 100000;
  c.deliver(c.in(F::kRst));
  EXPECT_TRUE(drain(c.proto).empty());
  EXPECT_EQ(c.proto.state(c.id), State::Established);
}

TEST(Reset, SynInSynchronizedStateGetsChallengeAck) {
  Established c;
  c.deliver(c.peer.seg(F::kSyn, 1001, 0, 8192));  // RFC 5961 §4
  EXPECT_EQ(c.proto.state(c.id), State::Established);
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].flags(), ".");
  EXPECT_EQ(ack[0].seg.ack.raw(), 1001u);
}

TEST(Reset, AckForUnsentDataIsAnsweredAndDropped) {
  Established c;
  auto seg = c.peer.seg(F::kAck | F::kPsh, 1001, c.nxt + 500, 8192, as_bytes("zz"));
  c.deliver(seg);
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].seg.ack.raw(), 1001u);  // text not accepted
  EXPECT_EQ(c.read_all(), "");
}

TEST(Reset, RstInSynReceivedDeletesEmbryonicConnection) {
  SeededRandom rng(1);
  TcpProtocol p(Established::plain(), rng);
  auto lid = p.listen(Endpoint{kAddrA, 80}, 4).value();
  Peer peer;
  p.on_segment(peer.seg(F::kSyn, 1000, 0, 8192), at_ms(0));
  drain(p);
  EXPECT_EQ(p.connection_count(), 1u);
  p.on_segment(peer.seg(F::kRst, 1001, 0, 0), at_ms(1));
  EXPECT_EQ(p.connection_count(), 0u);
  EXPECT_TRUE(events(p).empty());  // never accepted: nobody to tell
  EXPECT_FALSE(p.accept(lid).ok());
}

TEST(Reset, AbortedBeforeAcceptStillReportsOnAccept) {
  Established c;  // (already accepted) - check a second, unaccepted connection
  Peer other{kAddrB, 40001, kAddrA, 80};
  c.proto.on_segment(other.seg(F::kSyn, 5, 0, 8192), c.now);
  auto sa = drain(c.proto);
  c.proto.on_segment(
      other.seg(F::kAck | F::kPsh, 6, sa[0].seg.seq.raw() + 1, 8192, as_bytes("early")), c.now);
  auto id = c.proto.accept(c.lid);
  ASSERT_TRUE(id.ok());
  auto ev = events(c.proto);
  EXPECT_TRUE(has_event(ev, EventKind::Readable));
  std::byte b[16];
  EXPECT_EQ(c.proto.receive(id.value(), b).value(), 5u);
}

}  // namespace
}  // namespace synack::tcp::testing

namespace synack::tcp::testing {
namespace {

TEST(Close, ClosedConnectionGivesUpInFinWait2) {
  Established c;
  ASSERT_TRUE(c.proto.close(c.id).ok());
  drain(c.proto);
  c.nxt += 1;
  c.deliver(c.in(F::kAck));
  EXPECT_EQ(c.proto.state(c.id), State::FinWait2);
  ASSERT_EQ(c.proto.next_deadline(), at_ms(60000));
  c.advance_to(at_ms(60000));
  EXPECT_FALSE(c.proto.state(c.id).has_value());
  EXPECT_EQ(c.trace.back().rule, Rule::impl_fin_wait_2_timeout);
}

TEST(Close, HalfClosedConnectionWaitsInFinWait2) {
  Established c;
  ASSERT_TRUE(c.proto.shutdown_write(c.id).ok());
  drain(c.proto);
  c.nxt += 1;
  c.deliver(c.in(F::kAck));
  EXPECT_EQ(c.proto.state(c.id), State::FinWait2);
  EXPECT_FALSE(c.proto.next_deadline().has_value());  // the user still reads
  c.deliver(c.in(F::kAck | F::kPsh, as_bytes("late data")));
  EXPECT_EQ(c.read_all(), "late data");
}

}  // namespace
}  // namespace synack::tcp::testing

namespace synack::tcp::testing {
namespace {

TEST(Close, NewSynReopensFromTimeWait) {
  Established c;  // listener on A:80, connection from B:40000
  ASSERT_TRUE(c.proto.send(c.id, as_bytes(pattern(100))).ok());
  drain(c.proto);
  c.nxt += 100;
  ASSERT_TRUE(c.proto.close(c.id).ok());
  drain(c.proto);
  c.nxt += 1;
  c.deliver(c.in(F::kFin | F::kAck));
  ASSERT_EQ(c.proto.state(c.id), State::TimeWait);
  drain(c.proto);
  // An old duplicate SYN (sequence number not beyond the old incarnation) is just ACKed.
  c.deliver(c.peer.seg(F::kSyn, 900, 0, 8192));
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].flags(), ".");
  EXPECT_EQ(c.proto.state(c.id), State::TimeWait);
  // A SYN beyond RCV.NXT starts a new incarnation (MAY-2).
  c.deliver(c.peer.seg(F::kSyn, 5000, 0, 8192));
  auto sa = drain(c.proto);
  ASSERT_EQ(sa.size(), 1u);
  EXPECT_EQ(sa[0].flags(), "S.");
  EXPECT_EQ(sa[0].seg.ack.raw(), 5001u);
  EXPECT_TRUE(seq_gt(sa[0].seg.seq, SeqNum(c.nxt)));  // ISS above the old sequence space
  EXPECT_FALSE(c.proto.state(c.id).has_value());
  bool reopened = false;
  for (const auto& t : c.trace) reopened |= t.rule == Rule::rfc9293_3_6_1_time_wait_reopen;
  EXPECT_TRUE(reopened);
}

}  // namespace
}  // namespace synack::tcp::testing
