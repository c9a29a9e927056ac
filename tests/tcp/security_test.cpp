// Issue 6 defences at the TcpProtocol level: RFC 5961 counters and the §7 rate
// limit, the insecure demonstration modes (RFC 793 rules, predictable ISNs) against
// the defaults, RFC 6056 ephemeral ports, and the memory budget / buffer caps.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

TcpConfig limited(std::uint32_t challenge_limit) {
  TcpConfig c = Established::plain();
  c.challenge_ack_limit = challenge_limit;
  return c;
}

// RFC 5961 §3.2: a RST inside the window but not at RCV.NXT draws a challenge ACK
// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and the connection survives.
TEST(Rfc5961, InWindowRstIsChallengedAndCounted) {
  Established e;
  e.deliver(e.peer.seg(F::kRst, e.peer_seq + 100, 0, 0));
  auto out = drain(e.proto);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags(), ".");
  EXPECT_EQ(out[0].seg.seq.raw(), e.nxt);
  EXPECT_EQ(out[0].seg.ack.raw(), e.peer_seq);
  EXPECT_EQ(e.proto.state(e.id), State::Established);
  EXPECT_EQ(e.proto.stats().challenge_acks_rst, 1u);
  EXPECT_EQ(e.proto.stats().rst_accepted, 0u);
  // The exact RST resets.
  e.deliver(e.peer.seg(F::kRst, e.peer_seq, 0, 0));
  EXPECT_EQ(e.proto.stats().rst_accepted, 1u);
  EXPECT_EQ(e.proto.state(e.id), State::Closed);
}

TEST(Rfc5961, SynAndOldAckAreChallengedPerSection) {
  Established e;
  e.deliver(e.peer.seg(F::kSyn, e.peer_seq + 5, 0, 8192));
  e.deliver(e.peer.seg(F::kAck, e.peer_seq, e.nxt - 200000, 8192, as_bytes("evil")));
  auto out = drain(e.proto);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& s : out) {
    EXPECT_EQ(s.flags(), ".");
    EXPECT_EQ(s.seg.ack.raw(), e.peer_seq);  // nothing was accepted
  }
  EXPECT_EQ(e.proto.stats().challenge_acks_syn, 1u);
  EXPECT_EQ(e.proto.stats().challenge_acks_ack, 1u);
  EXPECT_EQ(e.proto.readable(e.id), 0u);
  EXPECT_EQ(e.proto.conn_stats(e.id)->challenge_acks, 2u);
}

// RFC 5961 §7: at most the per-second budget, drawn in [limit/2, 3*limit/2); the
// segments over it are still dropped, only unanswered; a new second refills.
TEST(Rfc5961, ChallengeAcksAreRateLimitedPerSecond) {
  constexpr std::uint32_t kLimit = 10;
  Established e(limited(kLimit));
  for (int i = 0; i < 100; ++i) e.deliver(e.peer.seg(F::kRst, e.peer_seq + 10 + i, 0, 0));
  const auto first = drain(e.proto).size();
  EXPECT_GE(first, kLimit / 2);
  EXPECT_LT(first, kLimit * 3 / 2);
  EXPECT_EQ(e.proto.stats().challenge_acks_rst, first);
  EXPECT_EQ(e.proto.stats().challenge_acks_limited, 100 - first);
  EXPECT_EQ(e.proto.state(e.id), State::Established);
  e.now = at_ms(1500);
  for (int i = 0; i < 100; ++i) e.deliver(e.peer.seg(F::kRst, e.peer_seq + 10 + i, 0, 0));
  const auto second = drain(e.proto).size();
  EXPECT_GE(second, kLimit / 2);
  EXPECT_LT(second, kLimit * 3 / 2);
  EXPECT_EQ(e.proto.stats().challenge_acks_rst, first + second);
}

TEST(Rfc5961, BudgetIsRandomisedAcrossSeconds) {
  // CVE-2016-5696: a fixed budget lets an attacker count. Over many seconds the
  // budget must take more than one value.
  SeededRandom rng(3);
  ChallengeAckLimiter lim(100, rng);
  std::set<int> budgets;
  for (int sec = 0; sec < 20; ++sec) {
    int n = 0;
    while (n < 1000 && lim.allow(at_ms(sec * 1000))) ++n;
    EXPECT_GE(n, 50);
    EXPECT_LT(n, 150);
    budgets.insert(n);
  }
  EXPECT_GT(budgets.size(), 5u);
  ChallengeAckLimiter unlimited(0, rng);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(unlimited.allow(at_ms(0)));
}

TcpConfig insecure() {
  TcpConfig c = Established::plain();
  c.insecure.no_rfc5961 = true;
  return c;
}

// The same three blind segments against RFC 793 rules: each one works.
TEST(InsecureRfc793, InWindowRstResets) {
  Established e(insecure());
  e.deliver(e.peer.seg(F::kRst, e.peer_seq + 4000, 0, 0));
  EXPECT_TRUE(drain(e.proto).empty());
  EXPECT_EQ(e.proto.state(e.id), State::Closed);
  EXPECT_EQ(e.proto.stats().rst_accepted, 1u);
  EXPECT_EQ(e.proto.stats().challenge_acks_rst, 0u);
  auto ev = events(e.proto);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().kind, EventKind::Closed);
}

TEST(InsecureRfc793, InWindowSynResetsWithRst) {
  Established e(insecure());
  e.deliver(e.peer.seg(F::kSyn, e.peer_seq + 5, 0, 8192));
  auto out = drain(e.proto);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags(), "R");
  EXPECT_EQ(out[0].seg.seq.raw(), e.nxt);
  EXPECT_EQ(e.proto.state(e.id), State::Closed);
  ASSERT_FALSE(e.trace.empty());
  EXPECT_EQ(e.trace.back().rule, Rule::rfc793_syn_in_window);
}

TEST(InsecureRfc793, DataWithAnOldAckIsAccepted) {
  Established e(insecure());
  e.deliver(e.peer.seg(F::kAck, e.peer_seq, e.nxt - 200000, 8192, as_bytes("rm -rf /\n")));
  EXPECT_EQ(e.read_all(), "rm -rf /\n");
  EXPECT_EQ(e.proto.stats().challenge_acks_ack, 0u);
}

TEST(Isn, PredictableModeIsACounterDefaultIsNot) {
  auto isns = [](TcpConfig c) {
    SeededRandom rng(5);
    TcpProtocol p(c, rng);
    std::vector<std::uint32_t> v;
    for (std::uint16_t i = 0; i < 20; ++i) {
      auto id = p.connect(Endpoint{kAddrA, static_cast<std::uint16_t>(30000 + i)},
                          Endpoint{kAddrB, 80}, at_ms(i * 10));
      EXPECT_TRUE(id.ok());
      v.push_back(p.tcb(*id)->iss().raw());
    }
    return v;
  };
  TcpConfig weak;
  weak.insecure.predictable_isn = true;
  const auto w = isns(weak);
  for (std::size_t i = 1; i < w.size(); ++i) EXPECT_EQ(w[i] - w[i - 1], 64000u + 10 * 128);
  const auto d = isns(TcpConfig{});
  std::set<std::uint32_t> deltas;
  for (std::size_t i = 1; i < d.size(); ++i) deltas.insert(d[i] - d[i - 1]);
  EXPECT_EQ(deltas.size(), d.size() - 1);  // no repeated step
}

// RFC 7323 §5.4/§7.1: TSval = ms clock + an offset keyed by a secret and the address
// pair. A peer that sees our ISS and TSval learns nothing about the clock; two
// connections between the same hosts share it (PAWS across incarnations).
TEST(Timestamps, OffsetIsKeyedPerAddressPairNotDerivedFromTheIss) {
  TcpConfig c;  // timestamps on
  auto first_tsval = [&](std::uint64_t seed, wire::Ipv4Addr remote, std::uint16_t port) {
    SeededRandom rng(seed);
    TcpProtocol p(c, rng);
    auto id = p.connect(Endpoint{kAddrA, port}, Endpoint{remote, 80}, at_ms(1000));
    EXPECT_TRUE(id.ok());
    auto out = drain(p);
    EXPECT_EQ(out.size(), 1u);
    EXPECT_TRUE(out.at(0).seg.options.timestamps.has_value());
    return std::pair{out.at(0).seg.options.timestamps->tsval, p.tcb(*id)->iss().raw()};
  };
  const auto [ts1, iss1] = first_tsval(1, kAddrB, 1000);
  const auto [ts2, iss2] = first_tsval(1, kAddrB, 2000);  // same key, same pair
  const auto [ts3, iss3] = first_tsval(2, kAddrB, 1000);  // another key
  const auto [ts4, iss4] = first_tsval(1, wire::Ipv4Addr::from_octets(10, 77, 0, 9), 1000);
  EXPECT_NE(iss1, iss2);
  EXPECT_EQ(ts1, ts2);  // one clock per address pair
  EXPECT_NE(ts1, ts3);
  EXPECT_NE(ts1, ts4);
  EXPECT_NE(ts1 - 1000, 0u);  // not the bare clock
  // Not a function of the ISS alone (the old iss * 2654435761 offset leaked the clock).
  EXPECT_NE(ts1 - iss1 * 2654435761u, ts3 - iss3 * 2654435761u);
  (void)iss4;
}

// RFC 6056 §3.3.4 Algorithm 4: where the search for a port starts is secret per
// destination (another key or another destination starts elsewhere); successive
// connections to one destination move on through the range by small random steps, so
// a port comes back only after the range has been walked (a 4-tuple just closed, still
// in TIME-WAIT at either end, is not chosen again at once); every port is usable.
TEST(EphemeralPorts, SecretStartRandomStepsAndExhaustionIsReported) {
  TcpConfig c;
  const std::uint32_t n = c.ephemeral_last - c.ephemeral_first + 1u;
  auto ports_to = [&](std::uint64_t key, std::uint16_t remote_port) {
    SeededRandom rng(key);
    TcpProtocol p(c, rng);
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < 50; ++i) {
      auto id = p.connect(Endpoint{kAddrA, 0}, Endpoint{kAddrB, remote_port}, at_ms(i));
      EXPECT_TRUE(id.ok());
      if (!id.ok()) break;
      ports.push_back(p.local_endpoint(*id)->port);
      EXPECT_TRUE(p.close(*id).ok());  // CLOSED at once (SYN-SENT): the port is free again
    }
    return ports;
  };
  const auto ports = ports_to(9, 80);
  ASSERT_EQ(ports.size(), 50u);
  std::set<std::uint32_t> steps;
  for (std::size_t i = 1; i < ports.size(); ++i) {
    EXPECT_GE(ports[i], c.ephemeral_first);
    const std::uint32_t step = (ports[i] + n - ports[i - 1]) % n;
    EXPECT_GE(step, 1u);  // never the port just released
    EXPECT_LE(step, 8u);
    steps.insert(step);
  }
  EXPECT_GE(steps.size(), 4u);  // random steps, not a counter
  EXPECT_EQ(std::set<std::uint16_t>(ports.begin(), ports.end()).size(), ports.size());
  // Another secret, or another destination: another starting point.
  auto far = [&](std::uint16_t a, std::uint16_t b) {
    const std::uint32_t d = (a + n - b) % n;
    return std::min(d, n - d) > 8 * 50;
  };
  EXPECT_TRUE(far(ports_to(10, 80)[0], ports[0]));
  EXPECT_TRUE(far(ports_to(9, 81)[0], ports[0]));

  TcpConfig small;
  small.ephemeral_first = 50000;
  small.ephemeral_last = 50007;
  SeededRandom rng(9);
  TcpProtocol q(small, rng);
  std::set<std::uint16_t> got;
  for (int i = 0; i < 8; ++i) {
    auto id = q.connect(Endpoint{kAddrA, 0}, Endpoint{kAddrB, 80}, at_ms(i));
    ASSERT_TRUE(id.ok());
    got.insert(q.local_endpoint(*id)->port);
  }
  EXPECT_EQ(got.size(), 8u);
  EXPECT_EQ(q.connect(Endpoint{kAddrA, 0}, Endpoint{kAddrB, 80}, at_ms(9)).error(),
            ConnectError::NoEphemeralPort);
  // Another remote port is another 4-tuple: the same local ports serve again.
  EXPECT_TRUE(q.connect(Endpoint{kAddrA, 0}, Endpoint{kAddrB, 81}, at_ms(9)).ok());
}

TEST(MemoryBudget, ConnectionsBeyondTheBudgetAreRefusedAndCharged) {
  TcpConfig c;
  c.defaults.send_buffer = 64 * 1024;
  c.defaults.recv_buffer = 64 * 1024;
  c.memory_budget = 3 * 128 * 1024;  // three connections' buffers
  SeededRandom rng(2);
  TcpProtocol p(c, rng);
  std::vector<ConnId> ids;
  for (std::uint16_t i = 0; i < 3; ++i) {
    auto id = p.connect(Endpoint{kAddrA, static_cast<std::uint16_t>(1000 + i)},
                        Endpoint{kAddrB, 80}, at_ms(0));
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  EXPECT_EQ(drain(p).size(), 3u);  // three SYNs
  EXPECT_EQ(p.memory_reserved(), 3u * 128 * 1024);
  EXPECT_EQ(p.memory_in_use(), 0u);  // SYN-SENT holds no data: nothing allocated
  EXPECT_EQ(p.connect(Endpoint{kAddrA, 2000}, Endpoint{kAddrB, 80}, at_ms(0)).error(),
            ConnectError::NoMemory);
  EXPECT_EQ(p.stats().refused_memory_budget, 1u);
  // A listener's SYN is refused the same way.
  auto lid = p.listen(Endpoint{kAddrA, 80}, 8).value();
  Peer peer;
  p.on_segment(peer.seg(F::kSyn, 1, 0, 8192), at_ms(1));
  EXPECT_TRUE(drain(p).empty());  // dropped silently
  EXPECT_EQ(p.stats().refused_memory_budget, 2u);
  EXPECT_FALSE(p.accept(lid).ok());
  // Raising a buffer past the budget is refused; releasing a connection frees its share.
  SocketOptions big = c.defaults;
  big.recv_buffer = 256 * 1024;
  EXPECT_EQ(p.set_options(ids[0], big).error(), OptionError::InvalidValue);
  ASSERT_TRUE(p.abort(ids[2]).ok());
  EXPECT_EQ(p.memory_reserved(), 2u * 128 * 1024);
  EXPECT_TRUE(p.connect(Endpoint{kAddrA, 2000}, Endpoint{kAddrB, 80}, at_ms(2)).ok());
}

TEST(MemoryBudget, BuffersAboveMaxBufferAreInvalid) {
  TcpConfig c;
  c.max_buffer = 1 << 20;
  SeededRandom rng(2);
  TcpProtocol p(c, rng);
  SocketOptions o;
  o.recv_buffer = (1 << 20) + 1;
  EXPECT_EQ(p.connect(Endpoint{kAddrA, 1}, Endpoint{kAddrB, 80}, at_ms(0), o).error(),
            ConnectError::InvalidOption);
  EXPECT_EQ(p.listen(Endpoint{kAddrA, 80}, 4, o).error(), ListenError::InvalidOption);
  o.recv_buffer = 1 << 20;
  EXPECT_TRUE(p.listen(Endpoint{kAddrA, 80}, 4, o).ok());
}

// Out-of-order data is held up to max_ooo_bytes; beyond it segments are dropped
// (never acknowledged, so the peer resends them) and counted.
TEST(OutOfOrder, BytesBeyondTheCapAreDroppedAndCounted) {
  TcpConfig c = Established::plain();
  c.max_ooo_bytes = 3000;
  Established e(c);
  const std::string chunk = pattern(1000);
  for (int i = 0; i < 6; ++i) {
    // Holes of one byte between 1000-byte segments: each is its own interval.
    e.deliver(e.peer.seg(F::kAck, e.peer_seq + 1 + i * 1001, e.nxt, 8192, as_bytes(chunk)));
  }
  drain(e.proto);
  EXPECT_EQ(e.proto.tcb(e.id)->stats().ooo_segs_in, 6u);
  EXPECT_EQ(e.proto.stats().ooo_dropped, 3u);
  EXPECT_LE(e.proto.memory_in_use(), 16u * 1024);  // a few KiB, not the 256 KiB limit
}

// The listen() backlog is a hard bound on the accept queue: a handshake that would
// complete into a full queue has its ACK dropped (as Linux); the SYN,ACK is
// retransmitted and the peer's next ACK gets in once the application accepted.
TEST(AcceptQueue, LastAckIsDroppedWhileTheQueueIsFull) {
  TcpConfig c = Established::plain();
  SeededRandom rng(4);
  TcpProtocol p(c, rng);
  const ListenerId lid = p.listen(Endpoint{kAddrA, 80}, 1).value();
  Peer one, two;
  two.port = 40001;
  p.on_segment(one.seg(F::kSyn, 100, 0, 8192), at_ms(0));
  p.on_segment(two.seg(F::kSyn, 500, 0, 8192), at_ms(0));
  auto sa = drain(p);
  ASSERT_EQ(sa.size(), 2u);
  p.on_segment(one.seg(F::kAck, 101, sa[0].seg.seq.raw() + 1, 8192), at_ms(5));
  p.on_segment(two.seg(F::kAck, 501, sa[1].seg.seq.raw() + 1, 8192), at_ms(5));
  EXPECT_EQ(p.stats().dropped_accept_queue_full, 1u);
  const ConnId first = p.accept(lid).value();
  EXPECT_EQ(p.remote_endpoint(first)->port, 40000);
  EXPECT_EQ(p.accept(lid).error(), AcceptError::WouldBlock);  // two is still embryonic
  // RFC 6298: the SYN,ACK is retransmitted after the initial RTO (1 s).
  p.on_timer(at_ms(1005));
  auto again = drain(p);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].flags(), "S.");
  EXPECT_EQ(again[0].seg.dst_port, 40001);
  p.on_segment(two.seg(F::kAck, 501, again[0].seg.seq.raw() + 1, 8192), at_ms(1010));
  const ConnId second = p.accept(lid).value();
  EXPECT_EQ(p.remote_endpoint(second)->port, 40001);
  EXPECT_EQ(p.state(second), State::Established);
}

}  // namespace
}  // namespace synack::tcp::testing
