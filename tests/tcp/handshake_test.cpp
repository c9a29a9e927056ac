// Opening connections: RFC 9293 §3.5, §3.10.1, §3.10.7.1-3, driven segment by segment.
#include <gtest/gtest.h>

#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

TcpConfig plain_config() {
  TcpConfig c;
  c.timestamps = false;
  c.window_scaling = false;
  return c;
}

struct Server {
  explicit Server(TcpConfig c = plain_config()) : cfg(c), proto(cfg, rng) {
    proto.set_trace([this](const Transition& t) { trace.push_back(t); });
    lid = proto.listen(Endpoint{kAddrA, 80}, 4).value();
  }
  TcpConfig cfg;
  SeededRandom rng{7};
  TcpProtocol proto;
  ListenerId lid;
  std::vector<Transition> trace;
  Peer peer;
};

TEST(Handshake, PassiveOpenAnswersSynWithSynAck) {
  Server s;
  wire::TcpOptions o;
  o.mss = 1000;
  s.proto.on_segment(s.peer.seg(F::kSyn, 5000, 0, 8192, {}, o), at_ms(0));
  auto out = drain(s.proto);
  ASSERT_EQ(out.size(), 1u);
  const auto& sa = out[0].seg;
  EXPECT_EQ(out[0].flags(), "S.");
  EXPECT_EQ(sa.src_port, 80);
  EXPECT_EQ(sa.dst_port, 40000);
  EXPECT_EQ(sa.ack.raw(), 5001u);  // RCV.NXT = SEG.SEQ + 1
  EXPECT_EQ(out[0].out.src, kAddrA);
  EXPECT_EQ(out[0].out.dst, kAddrB);
  ASSERT_TRUE(sa.options.mss.has_value());
  EXPECT_EQ(*sa.options.mss, 1460);  // MTU 1500 - 40 (MUST-67)
  EXPECT_FALSE(sa.options.window_scale.has_value());
  EXPECT_FALSE(sa.options.timestamps.has_value());
  EXPECT_EQ(sa.window, 65535);  // 256 KiB buffer, unscaled SYN window capped

  // The third segment of the handshake completes it.
  s.proto.on_segment(s.peer.seg(F::kAck, 5001, sa.seq.raw() + 1, 8192), at_ms(10));
  EXPECT_TRUE(drain(s.proto).empty());
  auto ev = events(s.proto);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::AcceptReady);
  EXPECT_EQ(ev[0].listener, s.lid);
  auto conn = s.proto.accept(s.lid);
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ(s.proto.state(conn.value()), State::Established);
  EXPECT_EQ(s.proto.accept(s.lid).error(), AcceptError::WouldBlock);
  ASSERT_EQ(s.trace.size(), 2u);
  EXPECT_EQ(s.trace[0].from, State::Listen);
  EXPECT_EQ(s.trace[0].to, State::SynReceived);
  EXPECT_EQ(s.trace[0].rule, Rule::rfc9293_3_10_7_2_listen_syn);
  EXPECT_EQ(s.trace[1].to, State::Established);
  EXPECT_EQ(s.trace[1].rule, Rule::rfc9293_3_10_7_4_syn_received_ack);
  EXPECT_EQ(to_string(s.trace[1].rule), "rfc9293_3_10_7_4_syn_received_ack");
  // MUST-15: no MSS option was... it was: effective MSS = min(1000+20, 1480) - 20.
  EXPECT_EQ(s.proto.tcb(conn.value())->eff_snd_mss(), 1000u);
}

TEST(Handshake, DefaultSendMssIs536WithoutOption) {
  Server s;
  s.proto.on_segment(s.peer.seg(F::kSyn, 1, 0, 8192), at_ms(0));
  auto sa = drain(s.proto);
  ASSERT_EQ(sa.size(), 1u);
  s.proto.on_segment(s.peer.seg(F::kAck, 2, sa[0].seg.seq.raw() + 1, 8192), at_ms(1));
  auto c = s.proto.accept(s.lid).value();
  EXPECT_EQ(s.proto.tcb(c)->eff_snd_mss(), 536u);  // MUST-15
}

TEST(Handshake, RetransmittedSynIsAnsweredWithTheSameSynAck) {
  Server s;
  s.proto.on_segment(s.peer.seg(F::kSyn, 77, 0, 8192), at_ms(0));
  auto first = drain(s.proto);
  s.proto.on_segment(s.peer.seg(F::kSyn, 77, 0, 8192), at_ms(5));
  auto second = drain(s.proto);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].flags(), "S.");
  EXPECT_EQ(second[0].seg.seq, first[0].seg.seq);
  EXPECT_EQ(second[0].seg.ack.raw(), 78u);
  EXPECT_EQ(s.proto.connection_count(), 1u);
}

TEST(Handshake, SynAckIsRetransmittedWithBackoff) {
  Server s;
  s.proto.on_segment(s.peer.seg(F::kSyn, 77, 0, 8192), at_ms(0));
  auto first = drain(s.proto);
  ASSERT_EQ(s.proto.next_deadline(), at_ms(1000));  // initial RTO 1 s (RFC 6298 2.1)
  s.proto.on_timer(at_ms(1000));
  auto again = drain(s.proto);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].flags(), "S.");
  EXPECT_EQ(again[0].seg.seq, first[0].seg.seq);
  EXPECT_EQ(s.proto.next_deadline(), at_ms(3000));  // doubled
}

TEST(Handshake, ActiveOpenChoosesEphemeralPortAndCompletes) {
  SeededRandom rng(3);
  TcpConfig cfg = plain_config();
  TcpProtocol p(cfg, rng);
  std::vector<Transition> trace;
  p.set_trace([&](const Transition& t) { trace.push_back(t); });
  auto c = p.connect(Endpoint{kAddrA, 0}, Endpoint{kAddrB, 443}, at_ms(0));
  ASSERT_TRUE(c.ok());
  auto syn = drain(p);
  ASSERT_EQ(syn.size(), 1u);
  EXPECT_EQ(syn[0].flags(), "S");
  EXPECT_GE(syn[0].seg.src_port, cfg.ephemeral_first);
  EXPECT_EQ(syn[0].seg.dst_port, 443);
  EXPECT_EQ(*syn[0].seg.options.mss, 1460);
  EXPECT_EQ(p.state(c.value()), State::SynSent);
  const std::uint32_t iss = syn[0].seg.seq.raw();

  Peer peer{kAddrB, 443, kAddrA, syn[0].seg.src_port};
  wire::TcpOptions o;
  o.mss = 1200;
  p.on_segment(peer.seg(F::kSyn | F::kAck, 9000, iss + 1, 4000, {}, o), at_ms(20));
  auto ack = drain(p);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].flags(), ".");
  EXPECT_EQ(ack[0].seg.seq.raw(), iss + 1);
  EXPECT_EQ(ack[0].seg.ack.raw(), 9001u);
  EXPECT_EQ(p.state(c.value()), State::Established);
  auto ev = events(p);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::Connected);
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_EQ(trace[0].rule, Rule::rfc9293_3_10_1_open_active);
  EXPECT_EQ(trace[1].rule, Rule::rfc9293_3_10_7_3_syn_sent_syn_ack);
  EXPECT_EQ(p.tcb(c.value())->snd_wnd(), 4000u);
  EXPECT_EQ(p.tcb(c.value())->irs().raw(), 9000u);
}

TEST(Handshake, SynIsRetransmittedWithExponentialBackoffThenTimesOut) {
  SeededRandom rng(3);
  TcpConfig cfg = plain_config();
  cfg.connect_timeout = std::chrono::seconds(20);
  TcpProtocol p(cfg, rng);
  auto c = p.connect(Endpoint{kAddrA, 1234}, Endpoint{kAddrB, 80}, at_ms(0));
  auto syn = drain(p);
  std::vector<std::int64_t> sent_at;
  for (int i = 0; i < 10 && p.state(c.value()) == State::SynSent; ++i) {
    auto d = p.next_deadline();
    ASSERT_TRUE(d.has_value());
    p.on_timer(*d);
    for (auto& s : drain(p)) {
      EXPECT_EQ(s.flags(), "S");
      EXPECT_EQ(s.seg.seq, syn[0].seg.seq);
      sent_at.push_back(d->nanos() / 1'000'000);
    }
  }
  // 1 s, then 2, 4, 8 (RFC 6298 5.5) until 20 s have passed.
  EXPECT_EQ(sent_at, (std::vector<std::int64_t>{1000, 3000, 7000, 15000}));
  EXPECT_EQ(p.state(c.value()), State::Closed);
  auto ev = events(p);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].kind, EventKind::DeliveryProblem);  // MUST-22, SHLD-9: R1 = 3
  EXPECT_EQ(ev[1].kind, EventKind::Error);
  EXPECT_EQ(ev[1].error, ConnError::TimedOut);
  EXPECT_EQ(ev[2].kind, EventKind::Closed);
}

TEST(Handshake, SimultaneousOpen) {
  SeededRandom rng(3);
  TcpProtocol p(plain_config(), rng);
  std::vector<Transition> trace;
  p.set_trace([&](const Transition& t) { trace.push_back(t); });
  auto c = p.connect(Endpoint{kAddrA, 5000}, Endpoint{kAddrB, 6000}, at_ms(0));
  auto syn = drain(p);
  const std::uint32_t iss = syn[0].seg.seq.raw();
  Peer peer{kAddrB, 6000, kAddrA, 5000};
  // The peer's own SYN crosses ours (§3.5 Figure 8).
  p.on_segment(peer.seg(F::kSyn, 300, 0, 8192), at_ms(5));
  auto synack = drain(p);
  ASSERT_EQ(synack.size(), 1u);
  EXPECT_EQ(synack[0].flags(), "S.");
  EXPECT_EQ(synack[0].seg.seq.raw(), iss);
  EXPECT_EQ(synack[0].seg.ack.raw(), 301u);
  EXPECT_EQ(p.state(c.value()), State::SynReceived);
  // The peer's SYN,ACK acknowledges our SYN.
  p.on_segment(peer.seg(F::kSyn | F::kAck, 300, iss + 1, 8192), at_ms(10));
  EXPECT_EQ(p.state(c.value()), State::Established);
  ASSERT_EQ(trace.size(), 3u);
  EXPECT_EQ(trace[1].rule, Rule::rfc9293_3_10_7_3_syn_sent_syn);
  EXPECT_EQ(trace[2].rule, Rule::rfc9293_3_10_7_4_syn_received_ack);
  EXPECT_TRUE(has_event(events(p), EventKind::Connected));
}

TEST(Handshake, ConnectionRefusedByReset) {
  SeededRandom rng(3);
  TcpProtocol p(plain_config(), rng);
  auto c = p.connect(Endpoint{kAddrA, 5000}, Endpoint{kAddrB, 80}, at_ms(0));
  const std::uint32_t iss = drain(p)[0].seg.seq.raw();
  Peer peer{kAddrB, 80, kAddrA, 5000};
  // A RST whose ACK does not acknowledge the SYN is dropped (§3.10.7.3).
  p.on_segment(peer.seg(F::kRst | F::kAck, 0, iss, 0), at_ms(1));
  EXPECT_EQ(p.state(c.value()), State::SynSent);
  EXPECT_TRUE(drain(p).empty());  // RST is never answered
  p.on_segment(peer.seg(F::kRst | F::kAck, 0, iss + 1, 0), at_ms(2));
  EXPECT_EQ(p.state(c.value()), State::Closed);
  auto ev = events(p);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].error, ConnError::Refused);
  EXPECT_EQ(p.tcb(c.value())->last_rule(), Rule::rfc9293_3_10_7_3_syn_sent_rst);
  // The closed connection stays queryable until released, then disappears.
  ASSERT_TRUE(p.close(c.value()).ok());
  EXPECT_FALSE(p.state(c.value()).has_value());
}

TEST(Handshake, SynSentAnswersBadAckWithReset) {
  SeededRandom rng(3);
  TcpProtocol p(plain_config(), rng);
  auto c = p.connect(Endpoint{kAddrA, 5000}, Endpoint{kAddrB, 80}, at_ms(0));
  const std::uint32_t iss = drain(p)[0].seg.seq.raw();
  Peer peer{kAddrB, 80, kAddrA, 5000};
  p.on_segment(peer.seg(F::kAck, 700, iss + 50, 100), at_ms(1));
  auto rst = drain(p);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags(), "R");
  EXPECT_EQ(rst[0].seg.seq.raw(), iss + 50);  // <SEQ=SEG.ACK><CTL=RST>
  EXPECT_EQ(p.state(c.value()), State::SynSent);
}

TEST(Handshake, ConnectRejectsInvalidRemote) {
  SeededRandom rng(3);
  TcpProtocol p(plain_config(), rng);
  // MUST-46
  EXPECT_EQ(
      p.connect(Endpoint{kAddrA, 0}, Endpoint{wire::Ipv4Addr::broadcast(), 80}, at_ms(0)).error(),
      ConnectError::InvalidAddress);
  EXPECT_EQ(p.connect(Endpoint{kAddrA, 0}, Endpoint{wire::Ipv4Addr::from_octets(224, 0, 0, 1), 80},
                      at_ms(0))
                .error(),
            ConnectError::InvalidAddress);
  ASSERT_TRUE(p.connect(Endpoint{kAddrA, 1000}, Endpoint{kAddrB, 80}, at_ms(0)).ok());
  EXPECT_EQ(p.connect(Endpoint{kAddrA, 1000}, Endpoint{kAddrB, 80}, at_ms(0)).error(),
            ConnectError::AddressInUse);
}

TEST(Handshake, ClosedPortAnswersWithReset) {
  SeededRandom rng(3);
  TcpProtocol p(plain_config(), rng);
  Peer peer;
  // §3.10.7.1: no ACK -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
  p.on_segment(peer.seg(F::kSyn, 1000, 0, 100), at_ms(0));
  auto r = drain(p);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags(), "R.");
  EXPECT_EQ(r[0].seg.seq.raw(), 0u);
  EXPECT_EQ(r[0].seg.ack.raw(), 1001u);
  EXPECT_EQ(r[0].seg.src_port, 80);
  EXPECT_EQ(r[0].seg.dst_port, 40000);
  // With data and FIN, SEG.LEN counts both.
  p.on_segment(peer.seg(F::kFin, 1000, 0, 100, as_bytes("abc")), at_ms(0));
  r = drain(p);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].seg.ack.raw(), 1004u);
  // ACK -> <SEQ=SEG.ACK><CTL=RST>
  p.on_segment(peer.seg(F::kAck, 1000, 4242, 100), at_ms(0));
  r = drain(p);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags(), "R");
  EXPECT_EQ(r[0].seg.seq.raw(), 4242u);
  // Never RST a RST.
  p.on_segment(peer.seg(F::kRst, 1000, 0, 0), at_ms(0));
  EXPECT_TRUE(drain(p).empty());
  EXPECT_EQ(p.stats().rst_out_no_socket, 3u);
}

TEST(Handshake, BroadcastAndMulticastSegmentsAreDropped) {
  Server s;
  auto in = s.peer.seg(F::kSyn, 1, 0, 100);
  in.dst_is_broadcast_or_multicast = true;  // MUST-57
  s.proto.on_segment(in, at_ms(0));
  in = s.peer.seg(F::kSyn, 1, 0, 100);
  in.dst = wire::Ipv4Addr::broadcast();
  s.proto.on_segment(in, at_ms(0));
  EXPECT_TRUE(drain(s.proto).empty());
  EXPECT_EQ(s.proto.connection_count(), 0u);
  EXPECT_EQ(s.proto.stats().dropped_broadcast, 2u);
}

TEST(Handshake, ListenerResetsAckAndIgnoresRst) {
  Server s;
  s.proto.on_segment(s.peer.seg(F::kRst, 1, 0, 100), at_ms(0));
  EXPECT_TRUE(drain(s.proto).empty());
  s.proto.on_segment(s.peer.seg(F::kAck, 1, 999, 100), at_ms(0));
  auto r = drain(s.proto);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags(), "R");
  EXPECT_EQ(r[0].seg.seq.raw(), 999u);
}

TEST(Handshake, SynQueueBoundsEmbryonicConnections) {
  // TcpConfig::syn_queue bounds SYN-RECEIVED children (the backlog bounds the accept
  // queue); with SYN cookies off a SYN beyond it is dropped.
  SeededRandom rng(1);
  TcpConfig cfg = plain_config();
  cfg.syn_queue = 2;
  cfg.syn_cookies = SynCookies::Never;
  TcpProtocol p(cfg, rng);
  auto lid = p.listen(Endpoint{wire::Ipv4Addr::any(), 80}, 16).value();
  for (std::uint16_t port = 1; port <= 3; ++port) {
    Peer peer{kAddrB, port, kAddrA, 80};
    p.on_segment(peer.seg(F::kSyn, 100, 0, 1000), at_ms(0));
  }
  EXPECT_EQ(drain(p).size(), 2u);
  EXPECT_EQ(p.connection_count(), 2u);
  EXPECT_EQ(p.stats().dropped_syn_queue_full, 1u);
  ASSERT_TRUE(p.close_listener(lid).ok());
  auto rsts = drain(p);
  ASSERT_EQ(rsts.size(), 2u);
  EXPECT_EQ(rsts[0].flags(), "R");
  EXPECT_EQ(p.connection_count(), 0u);
}

TEST(Handshake, WildcardAndSpecificListeners) {
  SeededRandom rng(1);
  TcpProtocol p(plain_config(), rng);
  auto any = p.listen(Endpoint{wire::Ipv4Addr::any(), 80}, 4).value();
  auto spec = p.listen(Endpoint{kAddrA, 80}, 4).value();
  EXPECT_EQ(p.listen(Endpoint{kAddrA, 80}, 4).error(), ListenError::AddressInUse);
  Peer to_a{kAddrB, 1, kAddrA, 80};
  Peer to_c{kAddrB, 2, wire::Ipv4Addr::from_octets(10, 77, 0, 3), 80};
  for (auto* peer : {&to_a, &to_c}) {
    p.on_segment(peer->seg(F::kSyn, 100, 0, 1000), at_ms(0));
    auto sa = drain(p);
    ASSERT_EQ(sa.size(), 1u);
    p.on_segment(peer->seg(F::kAck, 101, sa[0].seg.seq.raw() + 1, 1000), at_ms(1));
  }
  EXPECT_TRUE(p.accept(spec).ok());
  EXPECT_FALSE(p.accept(spec).ok());
  auto c = p.accept(any);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(p.local_endpoint(c.value())->addr, wire::Ipv4Addr::from_octets(10, 77, 0, 3));
}

TEST(Handshake, IsnDependsOnTupleAndClock) {
  SeededRandom rng(5);
  TcpProtocol p(plain_config(), rng);
  (void)p.connect(Endpoint{kAddrA, 1000}, Endpoint{kAddrB, 80}, at_ms(0));
  (void)p.connect(Endpoint{kAddrA, 1001}, Endpoint{kAddrB, 80}, at_ms(0));
  (void)p.connect(Endpoint{kAddrA, 1002}, Endpoint{kAddrB, 80}, at_ms(4));
  auto s = drain(p);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_NE(s[0].seg.seq, s[1].seg.seq);
  // RFC 6528: same secret and a different tuple give unrelated offsets; the clock adds
  // one tick per 4 µs. Check the clock part with a fresh protocol of the same seed.
  SeededRandom rng2(5);
  TcpProtocol q(plain_config(), rng2);
  (void)q.connect(Endpoint{kAddrA, 1000}, Endpoint{kAddrB, 80}, at_ms(4));
  auto t = drain(q);
  EXPECT_EQ(t[0].seg.seq.raw() - s[0].seg.seq.raw(), 1000u);  // 4 ms / 4 µs
}

}  // namespace
}  // namespace synack::tcp::testing

namespace synack::tcp::testing {
namespace {

TEST(Handshake, OptionsGivenAtOpenDecideWindowAndScale) {
  SeededRandom rng(9);
  TcpConfig cfg;
  TcpProtocol p(cfg, rng);
  SocketOptions o = cfg.defaults;
  o.recv_buffer = 1 << 20;
  auto c = p.connect(Endpoint{kAddrA, 7000}, Endpoint{kAddrB, 80}, at_ms(0), o);
  ASSERT_TRUE(c.ok());
  auto syn = drain(p);
  ASSERT_EQ(syn.size(), 1u);
  ASSERT_TRUE(syn[0].seg.options.window_scale.has_value());
  EXPECT_EQ(*syn[0].seg.options.window_scale, 5);  // 1 MiB >> 5 fits 16 bits
  ASSERT_TRUE(syn[0].seg.options.timestamps.has_value());
  EXPECT_EQ(syn[0].seg.options.timestamps->tsecr, 0u);
  o.recv_buffer = 0;
  EXPECT_EQ(p.connect(Endpoint{kAddrA, 7001}, Endpoint{kAddrB, 80}, at_ms(0), o).error(),
            ConnectError::InvalidOption);
  // A listener's options apply to the connections it accepts.
  SocketOptions lo = cfg.defaults;
  lo.recv_buffer = 1000;
  auto lid = p.listen(Endpoint{kAddrA, 80}, 4, lo).value();
  (void)lid;
  Peer peer;
  p.on_segment(peer.seg(F::kSyn, 1, 0, 100), at_ms(1));
  auto sa = drain(p);
  ASSERT_EQ(sa.size(), 1u);
  EXPECT_EQ(sa[0].seg.window, 1000);
}

}  // namespace
}  // namespace synack::tcp::testing
