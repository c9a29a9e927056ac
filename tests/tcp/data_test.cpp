// Data transfer: RFC 9293 §3.8, §3.10.7.4 steps 5-7, RFC 5681/6298/7323.
#include <gtest/gtest.h>

#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

TEST(Data, ReceivedTextIsDeliveredAndAckIsDelayed) {
  Established c;
  c.deliver(c.in(F::kAck | F::kPsh, as_bytes("hello")));
  EXPECT_TRUE(drain(c.proto).empty());  // SHLD-18: delayed
  EXPECT_TRUE(has_event(events(c.proto), EventKind::Readable));
  ASSERT_EQ(c.proto.next_deadline(), at_ms(40));  // MUST-40: < 500 ms
  c.advance_to(at_ms(40));
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].flags(), ".");
  EXPECT_EQ(ack[0].seg.seq.raw(), c.nxt);
  EXPECT_EQ(ack[0].seg.ack.raw(), 1006u);
  EXPECT_EQ(c.read_all(), "hello");
}

TEST(Data, EverySecondFullSizedSegmentIsAckedAtOnce) {
  Established c;
  const std::string a = pattern(1460), b = pattern(1460);
  c.deliver(c.in(F::kAck, as_bytes(a)));
  EXPECT_TRUE(drain(c.proto).empty());
  c.peer_seq += 1460;
  c.deliver(c.in(F::kAck, as_bytes(b)));
  auto ack = drain(c.proto);  // SHLD-19
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].seg.ack.raw(), 1001u + 2920u);
}

TEST(Data, OutOfOrderSegmentsAreReassembled) {
  Established c;
  const std::string text = pattern(300);
  c.peer_seq = 1101;
  c.deliver(c.in(F::kAck, as_bytes(text.substr(100, 100))));
  auto dup = drain(c.proto);  // RFC 5681 §4.2: immediate duplicate ACK
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_EQ(dup[0].seg.ack.raw(), 1001u);
  c.peer_seq = 1201;
  c.deliver(c.in(F::kAck, as_bytes(text.substr(200, 100))));
  ASSERT_EQ(drain(c.proto).size(), 1u);
  EXPECT_EQ(c.read_all(), "");
  c.peer_seq = 1001;
  c.deliver(c.in(F::kAck, as_bytes(text.substr(0, 100))));
  auto ack = drain(c.proto);  // fills the gap: ACK at once
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].seg.ack.raw(), 1301u);
  EXPECT_EQ(c.read_all(), text);
  EXPECT_EQ(c.proto.conn_stats(c.id)->ooo_segs_in, 2u);
}

TEST(Data, OverlappingRetransmissionIsTrimmed) {
  Established c;
  const std::string text = pattern(200);
  c.deliver(c.in(F::kAck, as_bytes(text.substr(0, 120))));
  c.peer_seq = 1051;  // overlaps 70 old bytes
  c.deliver(c.in(F::kAck, as_bytes(text.substr(50, 150))));
  EXPECT_EQ(c.read_all(), text);
}

TEST(Data, OldDuplicateIsAckedAndDropped) {
  Established c;
  c.deliver(c.in(F::kAck, as_bytes("abc")));
  drain(c.proto);
  c.deliver(c.in(F::kAck, as_bytes("abc")));  // same SEQ again: entirely old
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);  // "an acknowledgment should be sent in reply"
  EXPECT_EQ(ack[0].seg.ack.raw(), 1004u);
  EXPECT_EQ(c.read_all(), "abc");
}

TEST(Data, SendSplitsByMssAndPushesTheLastSegment) {
  Established c;  // peer MSS 1000
  const std::string text = pattern(2500);
  ASSERT_EQ(c.proto.send(c.id, as_bytes(text)).value(), 2500u);
  auto segs = drain(c.proto);
  // Nagle with Minshall's refinement (§3.7.4): the 500-byte tail goes at once, no other
  // short segment being unacknowledged.
  ASSERT_EQ(segs.size(), 3u);
  std::string sent;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    EXPECT_EQ(segs[i].seg.seq.raw(), c.nxt + 1000 * i);
    EXPECT_EQ(segs[i].seg.ack.raw(), 1001u);
    sent += segs[i].text();
  }
  EXPECT_EQ(segs[0].flags(), ".");
  EXPECT_EQ(segs[1].flags(), ".");
  EXPECT_EQ(segs[2].flags(), "P.");  // MUST-61
  EXPECT_EQ(segs[2].data.size(), 500u);
  EXPECT_EQ(sent, text);
  EXPECT_EQ(c.proto.conn_stats(c.id)->bytes_out, 2500u);
}

TEST(Data, SenderRespectsWindowAndAvoidsSillyWindow) {
  Established c(Established::plain(), Established::mss_opt(1000), 1500);
  ASSERT_TRUE(c.proto.send(c.id, as_bytes(pattern(3000))).ok());
  auto segs = drain(c.proto);
  // One full segment; the 500 bytes left in the window are held (MUST-38).
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].data.size(), 1000u);
  c.nxt += 1000;
  c.deliver(c.in(F::kAck, {}, 3000));
  segs = drain(c.proto);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].seg.seq.raw(), c.nxt);
  EXPECT_EQ(segs[1].data.size(), 1000u);
}

TEST(Data, NagleHoldsSmallSegmentsWhileDataIsUnacked) {
  Established c;
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("a")).ok());
  ASSERT_EQ(drain(c.proto).size(), 1u);
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("b")).ok());
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("c")).ok());
  EXPECT_TRUE(drain(c.proto).empty());  // SHLD-7
  c.nxt += 1;
  c.deliver(c.in(F::kAck));
  auto segs = drain(c.proto);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].text(), "bc");
  EXPECT_EQ(segs[0].seg.seq.raw(), c.nxt);
}

TEST(Data, NoDelaySendsSmallSegmentsAtOnce) {
  Established c;
  SocketOptions o = *c.proto.options(c.id);
  o.no_delay = true;
  ASSERT_TRUE(c.proto.set_options(c.id, o).ok());
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("a")).ok());
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("b")).ok());
  auto segs = drain(c.proto);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[1].text(), "b");
}

TEST(Data, RetransmissionTimeoutBacksOffAndStopsWhenAcked) {
  Established c;
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("data")).ok());
  auto first = drain(c.proto);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(c.proto.next_deadline(), at_ms(1000));
  c.advance_to(at_ms(1000));
  auto r1 = drain(c.proto);
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_EQ(r1[0].seg.seq, first[0].seg.seq);
  EXPECT_EQ(r1[0].text(), "data");
  ASSERT_EQ(c.proto.next_deadline(), at_ms(3000));  // RFC 6298 (5.5)
  c.advance_to(at_ms(3000));
  ASSERT_EQ(drain(c.proto).size(), 1u);
  ASSERT_EQ(c.proto.next_deadline(), at_ms(7000));
  auto st = c.proto.conn_stats(c.id);
  EXPECT_EQ(st->rto_expirations, 2u);
  EXPECT_EQ(st->cwnd, 1000u);  // RFC 5681: one segment after a timeout
  c.now = at_ms(3100);
  c.nxt += 4;
  c.deliver(c.in(F::kAck));
  EXPECT_FALSE(c.proto.next_deadline().has_value());
}

TEST(Data, DeliveryProblemReportedAtR1AndUserTimeoutAborts) {
  TcpConfig cfg = Established::plain();
  cfg.defaults.user_timeout = std::chrono::seconds(20);
  Established c(cfg);
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("x")).ok());
  drain(c.proto);
  std::vector<Event> ev;
  for (int i = 0; i < 20 && c.proto.state(c.id) == State::Established; ++i) {
    c.advance_to(*c.proto.next_deadline());
    for (auto e : events(c.proto)) ev.push_back(e);
  }
  ASSERT_GE(ev.size(), 3u);
  EXPECT_EQ(ev[0].kind, EventKind::DeliveryProblem);  // SHLD-9 at R1 = 3
  EXPECT_EQ(ev[1].kind, EventKind::Error);
  EXPECT_EQ(ev[1].error, ConnError::TimedOut);
  EXPECT_EQ(c.proto.tcb(c.id)->last_rule(), Rule::rfc9293_3_10_8_user_timeout);
  // The 20 s asked for acts as 100 s (kMinR2, SHLD-11): 1+2+4+8+16+32 = 63 s of
  // retransmissions at the 60 s maximum RTO, and the timeout at 123 s is the first after
  // 100 s.
  EXPECT_EQ(c.now, at_ms(123000));
}

// Fast retransmit after three duplicate ACKs; the congestion controller picks
// ssthresh (NewReno halves FlightSize, CUBIC keeps beta_cubic = 0.7 of it) and fast
// recovery sends against ssthresh + 3*SMSS (RFC 6582 §3.2 step 3) either way. The
// flight is 6 segments: the initial 4 and the 2 limited transmit sent.
void three_dup_acks(CcAlgorithm cc, std::uint32_t want_ssthresh) {
  TcpConfig cfg = Established::plain();
  cfg.initial_window_segments = 4;
  cfg.defaults.cc = cc;
  Established c(cfg, Established::mss_opt(1000), 60000);
  ASSERT_TRUE(c.proto.send(c.id, as_bytes(pattern(8000))).ok());
  auto segs = drain(c.proto);
  ASSERT_EQ(segs.size(), 4u);  // initial window: 4 segments
  for (std::uint32_t i = 0; i < 2; ++i) {
    // RFC 3042 limited transmit: each of the first two duplicate ACKs lets one new
    // segment out.
    c.deliver(c.in(F::kAck, {}, 60000));
    auto lt = drain(c.proto);
    ASSERT_EQ(lt.size(), 1u);
    EXPECT_EQ(lt[0].seg.seq.raw(), c.nxt + 4000 + 1000 * i);
  }
  c.deliver(c.in(F::kAck, {}, 60000));
  auto rtx = drain(c.proto);
  ASSERT_GE(rtx.size(), 1u);
  EXPECT_EQ(rtx[0].seg.seq.raw(), c.nxt);
  EXPECT_EQ(rtx[0].data.size(), 1000u);
  auto st = c.proto.conn_stats(c.id);
  EXPECT_EQ(st->fast_retransmits, 1u);
  EXPECT_EQ(st->ssthresh, want_ssthresh);
  EXPECT_EQ(st->cwnd, want_ssthresh + 3 * 1000u);  // ssthresh + 3*SMSS
}

TEST(Data, ThreeDuplicateAcksTriggerFastRetransmit) {
  three_dup_acks(CcAlgorithm::NewReno, 3000u);  // max(FlightSize/2, 2*SMSS)
}

TEST(Data, ThreeDuplicateAcksTriggerFastRetransmitCubic) {
  three_dup_acks(CcAlgorithm::Cubic, 4200u);  // RFC 9438 §4.6: FlightSize * 0.7
}

TEST(Data, ZeroWindowIsProbedForeverWithBackoff) {
  Established c;
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("abcdef")).ok());
  auto first = drain(c.proto);
  ASSERT_EQ(first.size(), 1u);
  c.nxt += 6;
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("ghij")).ok());
  c.deliver(c.in(F::kAck, {}, 0));  // everything acked, window closed
  EXPECT_TRUE(drain(c.proto).empty());
  std::vector<std::int64_t> gaps;
  Instant last = c.now;
  for (int i = 0; i < 12; ++i) {
    auto d = c.proto.next_deadline();
    ASSERT_TRUE(d.has_value());
    c.advance_to(*d);
    auto probe = drain(c.proto);
    ASSERT_EQ(probe.size(), 1u);
    // MUST-35/36: one octet of new data beyond the zero window.
    EXPECT_EQ(probe[0].seg.seq.raw(), c.nxt);
    EXPECT_EQ(probe[0].text(), "g");
    gaps.push_back((*d - last).count() / 1'000'000);
    last = *d;
    c.deliver(c.in(F::kAck, {}, 0));  // still zero: MUST-37, keep the connection
    EXPECT_TRUE(drain(c.proto).empty());
  }
  EXPECT_EQ(gaps[0], 1000);  // one RTO, then doubling
  EXPECT_EQ(gaps[1], 2000);
  EXPECT_EQ(gaps[2], 4000);
  EXPECT_EQ(gaps.back(), 60000);  // capped
  EXPECT_EQ(c.proto.state(c.id), State::Established);
  EXPECT_EQ(c.proto.conn_stats(c.id)->zero_window_probes, 12u);
  c.deliver(c.in(F::kAck, {}, 1000));  // the window opens
  auto rest = drain(c.proto);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].text(), "ghij");
}

TEST(Data, ReceiverWindowShrinksAsDataQueuesAndReopens) {
  TcpConfig cfg = Established::plain();
  cfg.defaults.recv_buffer = 4000;
  Established c(cfg);
  EXPECT_EQ(c.synack.window, 4000);
  c.deliver(c.in(F::kAck, as_bytes(pattern(1000))));
  c.peer_seq += 1000;
  c.deliver(c.in(F::kAck, as_bytes(pattern(1000))));
  c.peer_seq += 1000;
  // The peer's MSS is 1000, so these are two full-sized segments: SHLD-19 wants them
  // ACKed at once (this test used to expect a delayed ACK, measuring "full-sized"
  // against our own MSS, 1460, instead of what the peer sends).
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].seg.window, 2000);
  c.deliver(c.in(F::kAck, as_bytes(pattern(2000))));
  c.peer_seq += 2000;
  c.advance_to(at_ms(80));
  ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].seg.window, 0);
  // Text beyond a zero window is not accepted, but is answered.
  c.deliver(c.in(F::kAck, as_bytes("zz")));
  ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].seg.ack.raw(), c.peer_seq);
  // Reading 100 bytes is below the SWS threshold (MUST-39): no update yet.
  std::byte buf[100];
  ASSERT_EQ(c.proto.receive(c.id, buf).value(), 100u);
  EXPECT_TRUE(drain(c.proto).empty());
  EXPECT_EQ(c.read_all().size(), 3900u);
  auto update = drain(c.proto);
  ASSERT_EQ(update.size(), 1u);
  EXPECT_EQ(update[0].seg.window, 4000);
}

TEST(Data, WindowScaleIsNegotiatedAndApplied) {
  TcpConfig cfg = Established::plain();
  cfg.window_scaling = true;
  wire::TcpOptions o = Established::mss_opt(1000);
  o.window_scale = 2;
  Established c(cfg, o, 1000);
  ASSERT_TRUE(c.synack.options.window_scale.has_value());
  EXPECT_EQ(*c.synack.options.window_scale, 3);  // 256 KiB needs a shift of 3
  EXPECT_EQ(c.synack.window, 65535);             // SYN windows are never scaled
  // The handshake ACK's window (1000) was scaled by 2.
  EXPECT_EQ(c.proto.tcb(c.id)->snd_wnd(), 4000u);
  c.deliver(c.in(F::kAck | F::kPsh, as_bytes("hi")));
  c.advance_to(at_ms(40));
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].seg.window, (256 * 1024 - 2) >> 3);
}

TEST(Data, WindowScaleIsNotUsedUnlessBothSidesOffer) {
  TcpConfig cfg = Established::plain();
  cfg.window_scaling = true;
  Established c(cfg, Established::mss_opt(1000), 1000);
  EXPECT_FALSE(c.synack.options.window_scale.has_value());
  EXPECT_EQ(c.proto.tcb(c.id)->rcv_wscale(), 0);
  EXPECT_EQ(c.proto.tcb(c.id)->snd_wnd(), 1000u);
}

TEST(Data, TimestampsAreEchoedAndPawsDropsOldSegments) {
  TcpConfig cfg = Established::plain();
  cfg.timestamps = true;
  wire::TcpOptions o = Established::mss_opt(1000);
  o.timestamps = wire::TcpTimestamps{100, 0};
  Established c(cfg, o);
  ASSERT_TRUE(c.synack.options.timestamps.has_value());
  EXPECT_EQ(c.synack.options.timestamps->tsecr, 100u);
  const std::uint32_t our_ts = c.synack.options.timestamps->tsval;
  // MUST-16: effective MSS leaves room for the 12-byte timestamp option.
  EXPECT_EQ(c.proto.tcb(c.id)->eff_snd_mss(), 988u);

  auto seg = c.in(F::kAck | F::kPsh, as_bytes("new"));
  seg.seg.options.timestamps = wire::TcpTimestamps{200, our_ts};
  c.deliver(seg);
  c.advance_to(at_ms(40));
  auto ack = drain(c.proto);
  ASSERT_EQ(ack.size(), 1u);
  ASSERT_TRUE(ack[0].seg.options.timestamps.has_value());
  EXPECT_EQ(ack[0].seg.options.timestamps->tsecr, 200u);
  EXPECT_EQ(ack[0].seg.options.timestamps->tsval, our_ts + 40);  // 1 ms ticks
  c.peer_seq += 3;
  // RFC 7323 §5.3 R1: an older TSval is a wrapped old duplicate.
  auto old = c.in(F::kAck | F::kPsh, as_bytes("old"));
  old.seg.options.timestamps = wire::TcpTimestamps{150, our_ts};
  c.deliver(old);
  auto reply = drain(c.proto);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].seg.ack.raw(), c.peer_seq);
  EXPECT_EQ(c.read_all(), "new");
  // RFC 7323 §3.2: a segment without TSopt is silently dropped.
  c.deliver(c.in(F::kAck | F::kPsh, as_bytes("bare")));
  EXPECT_TRUE(drain(c.proto).empty());
  EXPECT_EQ(c.read_all(), "");
  EXPECT_EQ(c.proto.state(c.id), State::Established);
}

TEST(Data, UrgentPointerIsSentAndReceived) {
  Established c;
  ASSERT_TRUE(c.proto.send_urgent(c.id, as_bytes("!!")).ok());
  auto segs = drain(c.proto);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_TRUE(segs[0].seg.flags.urg());
  EXPECT_EQ(segs[0].seg.urgent, 2);  // RFC 6093: first octet after the urgent data
  // Receiving: "xyz" with the urgent pointer after "xy".
  auto in = c.in(F::kAck | F::kUrg, as_bytes("xyz"));
  in.seg.urgent = 2;
  c.deliver(in);
  EXPECT_TRUE(has_event(events(c.proto), EventKind::Urgent));  // MUST-32
  EXPECT_EQ(c.proto.urgent_remaining(c.id), 2u);               // MUST-33
  std::byte b[1];
  ASSERT_EQ(c.proto.receive(c.id, b).value(), 1u);
  EXPECT_EQ(c.proto.urgent_remaining(c.id), 1u);
  EXPECT_EQ(c.read_all(), "yz");  // delivered inline
  EXPECT_EQ(c.proto.urgent_remaining(c.id), 0u);
}

TEST(Data, SendBufferLimitsAcceptedBytes) {
  TcpConfig cfg = Established::plain();
  cfg.defaults.send_buffer = 1000;
  Established c(cfg, Established::mss_opt(1000), 0);
  auto r = c.proto.send(c.id, as_bytes(pattern(1500)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 1000u);
  EXPECT_EQ(c.proto.send(c.id, as_bytes("x")).error(), SendError::WouldBlock);
  c.deliver(c.in(F::kAck, {}, 8192));
  ASSERT_EQ(drain(c.proto).size(), 1u);
  c.nxt += 1000;
  c.deliver(c.in(F::kAck, {}, 8192));
  EXPECT_TRUE(has_event(events(c.proto), EventKind::Writable));
  EXPECT_EQ(c.proto.send_space(c.id), 1000u);
}

}  // namespace
}  // namespace synack::tcp::testing

namespace synack::tcp::testing {
namespace {

TEST(Data, DiffservFieldIsPassedToIp) {
  Established c;
  SocketOptions o = *c.proto.options(c.id);
  o.dscp = 46;  // MUST-48: EF
  ASSERT_TRUE(c.proto.set_options(c.id, o).ok());
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("voice")).ok());
  auto segs = drain(c.proto);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0].out.dscp_ecn, 46 << 2);
  EXPECT_EQ(segs[0].out.ttl, 64);  // MUST-49: TcpConfig::ttl
}

TEST(Data, DataOnTheThirdSegmentOfTheHandshake) {
  SeededRandom rng(2);
  TcpProtocol p(Established::plain(), rng);
  auto lid = p.listen(Endpoint{kAddrA, 80}, 4).value();
  Peer peer;
  p.on_segment(peer.seg(F::kSyn, 10, 0, 8192), at_ms(0));
  auto sa = drain(p);
  ASSERT_EQ(sa.size(), 1u);
  p.on_segment(peer.seg(F::kAck | F::kPsh, 11, sa[0].seg.seq.raw() + 1, 8192, as_bytes("GET /")),
               at_ms(1));
  auto id = p.accept(lid).value();
  std::byte buf[16];
  auto n = p.receive(id, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf), n.value()), "GET /");
}

}  // namespace
}  // namespace synack::tcp::testing

namespace synack::tcp::testing {
namespace {

TEST(Data, PawsForgetsTsRecentAfter24IdleDays) {
  TcpConfig cfg = Established::plain();
  cfg.timestamps = true;
  wire::TcpOptions o = Established::mss_opt(1000);
  o.timestamps = wire::TcpTimestamps{0x7000'0000u, 0};
  Established c(cfg, o);
  const std::uint32_t our_ts = c.synack.options.timestamps->tsval;
  // 25 days later the peer's clock value looks "older" (it wrapped past 2^31).
  c.now = at_ms(25LL * 24 * 3600 * 1000);
  auto seg = c.in(F::kAck | F::kPsh, as_bytes("still here"));
  seg.seg.options.timestamps = wire::TcpTimestamps{0x7000'0000u + 0x9000'0000u, our_ts};
  c.deliver(seg);
  EXPECT_EQ(c.read_all(), "still here");
}

}  // namespace
}  // namespace synack::tcp::testing
