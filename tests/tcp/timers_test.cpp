// Keep-alives (§3.8.4), ICMP errors (§3.9.2.2) and the building blocks: the
// assembler and the RTO estimator (RFC 6298); congestion control is congestion_test.cpp.
#include <gtest/gtest.h>

#include "synack/tcp/assembler.hpp"
#include "synack/tcp/rtt.hpp"
#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

TEST(Keepalive, OffByDefault) {
  Established c;
  EXPECT_FALSE(c.proto.options(c.id)->keepalive);                           // MUST-25
  EXPECT_EQ(c.proto.options(c.id)->keepalive_idle, std::chrono::hours(2));  // MUST-27
  EXPECT_FALSE(c.proto.next_deadline().has_value());
}

TEST(Keepalive, ProbesIdleConnectionAndTimesOut) {
  Established c;
  SocketOptions o = *c.proto.options(c.id);
  o.keepalive = true;
  o.keepalive_idle = std::chrono::seconds(10);
  o.keepalive_interval = std::chrono::seconds(1);
  o.keepalive_count = 3;
  ASSERT_TRUE(c.proto.set_options(c.id, o).ok());
  ASSERT_EQ(c.proto.next_deadline(), at_ms(10000));
  c.advance_to(at_ms(10000));
  auto probe = drain(c.proto);
  ASSERT_EQ(probe.size(), 1u);
  EXPECT_EQ(probe[0].flags(), ".");
  EXPECT_EQ(probe[0].seg.seq.raw(), c.nxt - 1);  // SEG.SEQ = SND.NXT-1
  EXPECT_TRUE(probe[0].data.empty());            // SHLD-12
  // An answer resets the count.
  c.now = at_ms(10010);
  c.deliver(c.in(F::kAck));
  EXPECT_EQ(c.proto.next_deadline(), at_ms(20010));
  for (std::int64_t t : {20010, 21010, 22010}) {
    c.advance_to(at_ms(t));
    ASSERT_EQ(drain(c.proto).size(), 1u);
  }
  c.advance_to(at_ms(23010));
  EXPECT_EQ(c.proto.state(c.id), State::Closed);
  auto ev = events(c.proto);
  ASSERT_GE(ev.size(), 1u);
  EXPECT_EQ(ev[0].error, ConnError::TimedOut);
  EXPECT_EQ(c.trace.back().rule, Rule::rfc9293_3_8_4_keepalive_timeout);
}

IcmpErrorIn icmp(std::uint8_t type, std::uint8_t code, Endpoint local, Endpoint remote,
                 std::uint32_t seq, std::uint16_t mtu = 0) {
  IcmpErrorIn e;
  e.type = type;
  e.code = code;
  e.local = local;
  e.remote = remote;
  e.quoted_seq = SeqNum(seq);
  e.next_hop_mtu = mtu;
  return e;
}

TEST(Icmp, SoftErrorIsKeptAndReportedOnTimeout) {
  TcpConfig cfg = Established::plain();
  cfg.defaults.user_timeout = std::chrono::seconds(5);
  Established c(cfg);
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("x")).ok());
  drain(c.proto);
  const Endpoint local{kAddrA, 80}, remote{kAddrB, 40000};
  c.proto.on_icmp_error(icmp(3, 1, local, remote, c.nxt), c.now);          // host unreachable
  EXPECT_EQ(c.proto.state(c.id), State::Established);                      // MUST-56
  EXPECT_EQ(c.proto.tcb(c.id)->soft_error(), ConnError::HostUnreachable);  // SHLD-25
  for (int i = 0; i < 10 && c.proto.state(c.id) == State::Established; ++i) {
    c.advance_to(*c.proto.next_deadline());
  }
  auto ev = events(c.proto);
  ASSERT_GE(ev.size(), 1u);
  EXPECT_EQ(ev.back().kind, EventKind::Closed);
  EXPECT_TRUE(std::any_of(ev.begin(), ev.end(), [](const Event& e) {
    return e.kind == EventKind::Error && e.error == ConnError::HostUnreachable;
  }));
}

TEST(Icmp, PortUnreachableAbortsConnectionAttempt) {
  SeededRandom rng(3);
  TcpProtocol p(Established::plain(), rng);
  auto c = p.connect(Endpoint{kAddrA, 5000}, Endpoint{kAddrB, 80}, at_ms(0));
  const std::uint32_t iss = drain(p)[0].seg.seq.raw();
  // A quote whose sequence number is not in flight is ignored (RFC 5927).
  p.on_icmp_error(icmp(3, 3, Endpoint{kAddrA, 5000}, Endpoint{kAddrB, 80}, iss + 77), at_ms(1));
  EXPECT_EQ(p.state(c.value()), State::SynSent);
  p.on_icmp_error(icmp(3, 3, Endpoint{kAddrA, 5000}, Endpoint{kAddrB, 80}, iss), at_ms(1));
  EXPECT_EQ(p.state(c.value()), State::Closed);  // SHLD-26
  auto ev = events(p);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].error, ConnError::PortUnreachable);
}

TEST(Icmp, SourceQuenchIsIgnored) {
  Established c;
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("x")).ok());
  drain(c.proto);
  c.proto.on_icmp_error(icmp(4, 0, Endpoint{kAddrA, 80}, Endpoint{kAddrB, 40000}, c.nxt),
                        c.now);  // MUST-55
  EXPECT_EQ(c.proto.stats().icmp_ignored, 1u);
  EXPECT_FALSE(c.proto.tcb(c.id)->soft_error().has_value());
  EXPECT_EQ(c.proto.conn_stats(c.id)->cwnd, 10 * 1000u);  // the initial window, untouched
}

TEST(Icmp, FragmentationNeededLowersTheMss) {
  Established c(Established::plain(), Established::mss_opt(1460));
  ASSERT_TRUE(c.proto.send(c.id, as_bytes(pattern(1460))).ok());
  auto big = drain(c.proto);
  ASSERT_EQ(big.size(), 1u);
  c.proto.on_icmp_error(icmp(3, 4, Endpoint{kAddrA, 80}, Endpoint{kAddrB, 40000}, c.nxt, 1000),
                        c.now);
  EXPECT_EQ(c.proto.tcb(c.id)->eff_snd_mss(), 960u);  // 1000 - 20 - 20
  auto resent = drain(c.proto);
  ASSERT_EQ(resent.size(), 2u);
  EXPECT_EQ(resent[0].data.size(), 960u);
  EXPECT_EQ(resent[1].data.size(), 500u);
}

TEST(Assembler, MergesAndPops) {
  Assembler a(3);
  EXPECT_TRUE(a.add(SeqNum(100), SeqNum(200)));
  EXPECT_TRUE(a.add(SeqNum(300), SeqNum(400)));
  EXPECT_TRUE(a.add(SeqNum(500), SeqNum(600)));
  EXPECT_FALSE(a.add(SeqNum(700), SeqNum(800)));  // capped
  EXPECT_TRUE(a.add(SeqNum(150), SeqNum(350)));   // bridges two
  EXPECT_EQ(a.intervals(), 2u);
  EXPECT_EQ(a.bytes(), 400u);
  EXPECT_FALSE(a.pop_contiguous(SeqNum(50)).has_value());
  auto end = a.pop_contiguous(SeqNum(100));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->raw(), 400u);
  // An in-order segment reaching past the next interval's start swallows it too.
  auto end2 = a.pop_contiguous(SeqNum(550));
  ASSERT_TRUE(end2.has_value());
  EXPECT_EQ(end2->raw(), 600u);
  EXPECT_TRUE(a.empty());
}

TEST(Assembler, WorksAcrossWraparound) {
  Assembler a(4);
  EXPECT_TRUE(a.add(SeqNum(0xfffffff0u), SeqNum(0x10)));
  EXPECT_TRUE(a.add(SeqNum(0x20), SeqNum(0x30)));
  auto end = a.pop_contiguous(SeqNum(0xffffffe0u + 0x10));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->raw(), 0x10u);
  a.discard_before(SeqNum(0x25));
  EXPECT_EQ(a.bytes(), 0xbu);
}

TEST(Rtt, FollowsRfc6298) {
  using std::chrono::milliseconds;
  RttEstimator r(std::chrono::seconds(1), milliseconds(200), std::chrono::seconds(60));
  EXPECT_EQ(r.rto(), std::chrono::seconds(1));
  r.sample(milliseconds(100));  // SRTT=100, RTTVAR=50, RTO=100+200=300
  EXPECT_EQ(r.srtt(), milliseconds(100));
  EXPECT_EQ(r.rttvar(), milliseconds(50));
  EXPECT_EQ(r.rto(), milliseconds(300));
  r.sample(milliseconds(300));  // RTTVAR=3/4*50+1/4*200=87.5, SRTT=125
  EXPECT_EQ(r.srtt(), milliseconds(125));
  EXPECT_EQ(r.rttvar(), std::chrono::microseconds(87500));
  EXPECT_EQ(r.rto(), milliseconds(475));
  r.backoff();
  EXPECT_EQ(r.rto(), milliseconds(950));
  for (int i = 0; i < 20; ++i) r.backoff();
  EXPECT_EQ(r.rto(), std::chrono::seconds(60));
  r.sample(milliseconds(10));
  EXPECT_LT(r.rto(), std::chrono::seconds(1));
  EXPECT_GE(r.rto(), milliseconds(200));  // the configured minimum
}

TEST(StateNames, MatchTheRfc) {
  EXPECT_EQ(to_string(State::SynReceived), "SYN-RECEIVED");
  EXPECT_EQ(to_string(State::FinWait2), "FIN-WAIT-2");
  EXPECT_EQ(to_string(State::TimeWait), "TIME-WAIT");
  EXPECT_EQ(to_string(Rule::rfc9293_3_10_1_open_active), "rfc9293_3_10_1_open_active");
}

}  // namespace
}  // namespace synack::tcp::testing

namespace synack::tcp::testing {
namespace {

TEST(Keepalive, LateTimerSendsOneProbeNotABurst) {
  Established c;
  SocketOptions o = *c.proto.options(c.id);
  o.keepalive = true;
  o.keepalive_idle = std::chrono::seconds(10);
  o.keepalive_interval = std::chrono::seconds(1);
  o.keepalive_count = 3;
  ASSERT_TRUE(c.proto.set_options(c.id, o).ok());
  c.advance_to(at_ms(100000));  // woken up long after the deadline
  EXPECT_EQ(drain(c.proto).size(), 1u);
  EXPECT_EQ(c.proto.state(c.id), State::Established);
  EXPECT_EQ(c.proto.next_deadline(), at_ms(101000));
}

}  // namespace
}  // namespace synack::tcp::testing

namespace synack::tcp::testing {
namespace {

// TcbTimers (timers.hpp): which timers can run together is in the type.
TEST(TcbTimers, RetransmitAndPersistShareOneSlotAndPersistStopsTheProbe) {
  TcbTimers t;
  EXPECT_FALSE(t.next());
  t.set(Timer::Retransmit, at_ms(300));
  t.set(Timer::Probe, at_ms(200));
  t.set(Timer::Reorder, at_ms(250));
  EXPECT_EQ(t.next(), at_ms(200));
  EXPECT_TRUE(t.due(Timer::Probe, at_ms(200)));
  EXPECT_FALSE(t.due(Timer::Retransmit, at_ms(299)));
  // Cancelling the persist timer, which is not running, leaves the RTO alone.
  t.cancel(Timer::Persist);
  EXPECT_TRUE(t.armed(Timer::Retransmit));
  t.set(Timer::Persist, at_ms(1000));
  EXPECT_FALSE(t.armed(Timer::Retransmit));
  EXPECT_FALSE(t.armed(Timer::Probe));
  EXPECT_TRUE(t.armed(Timer::Reorder));  // runs on its own
  EXPECT_EQ(t.get(Timer::Persist), at_ms(1000));
  EXPECT_EQ(t.next(), at_ms(250));
  t.set(Timer::Retransmit, at_ms(400));
  EXPECT_FALSE(t.armed(Timer::Persist));
  EXPECT_EQ(t.get(Timer::Retransmit), at_ms(400));
}

TEST(TcbTimers, KeepaliveFinWait2AndTimeWaitShareOneSlotAndTimeWaitStopsSending) {
  TcbTimers t;
  t.set(Timer::Keepalive, at_ms(7'200'000));
  t.set(Timer::DelayedAck, at_ms(40));
  EXPECT_EQ(t.next(), at_ms(40));
  t.set(Timer::FinWait2, at_ms(60'000));
  EXPECT_FALSE(t.armed(Timer::Keepalive));
  EXPECT_EQ(t.get(Timer::FinWait2), at_ms(60'000));
  t.set(Timer::Retransmit, at_ms(500));
  t.set(Timer::Probe, at_ms(300));
  t.set(Timer::Reorder, at_ms(350));
  t.set(Timer::TimeWait, at_ms(120'000));
  EXPECT_FALSE(t.armed(Timer::FinWait2));
  EXPECT_FALSE(t.armed(Timer::Retransmit));
  EXPECT_FALSE(t.armed(Timer::Probe));
  EXPECT_FALSE(t.armed(Timer::Reorder));
  EXPECT_TRUE(t.armed(Timer::DelayedAck));  // the last ACK may still be owed
  EXPECT_EQ(t.next(), at_ms(40));
  t.cancel(Timer::DelayedAck);
  EXPECT_EQ(t.next(), at_ms(120'000));
  t.cancel_all();
  EXPECT_FALSE(t.next());
}

}  // namespace
}  // namespace synack::tcp::testing
