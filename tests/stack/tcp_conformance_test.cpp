// RFC 9293 requirements that need the whole Stack: MUST-20 (negative advice to IP at
// R1 re-resolves the next hop), MUST-58/59 (a burst delivered in one batch is
// acknowledged once), MUST-7 (a segment with an illegal option length is dropped and
// counted; the connection goes on).
#include <gtest/gtest.h>

#include <array>
#include <optional>

#include "harness.hpp"
#include "synack/tcp/tcb.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint16_t kArp = 0x0806;
constexpr std::uint8_t kTcp = 6;
constexpr std::size_t kMss = 1460;  // MTU 1500, no timestamps: full-sized segments

StackConfig plain_tcp() {
  StackConfig c;
  c.tcp.timestamps = false;  // full-sized segments are exactly 1460 octets
  c.tcp.window_scaling = false;
  c.tcp.initial_window_segments = 8;
  // Entries never expire during a test: any ARP after the handshake is the advice's.
  c.neighbor.reachable_time = std::chrono::hours(1);
  return c;
}

std::uint16_t ethertype(const ByteVec& f) {
  return load_be16(f, 12);
}

// The TCP header of an Ethernet+IPv4 frame we sent, parsed back.
std::optional<wire::TcpRepr> tcp_of(const ByteVec& f) {
  if (ethertype(f) != kIpv4 || f.size() < 34 || load_u8(f, 23) != kTcp) return std::nullopt;
  auto src = wire::Ipv4Addr::load(f, 26), dst = wire::Ipv4Addr::load(f, 30);
  auto r = wire::TcpRepr::parse(Bytes(f).subspan(34), wire::PseudoHeader{src, dst});
  if (!r) return std::nullopt;
  return *r;
}

// a (10.77.0.1) connected to b (10.77.0.2:80), b's side accepted.
struct Pair {
  explicit Pair(StackConfig cfg = plain_tcp()) : a(1, cfg), b(2, cfg), seg({&a, &b}) {
    auto lid = b.stack.tcp().listen(tcp::Endpoint{Ipv4Addr::any(), 80}, 8);
    EXPECT_TRUE(lid.ok());
    auto c = a.stack.tcp().connect(tcp::Endpoint{a.addr, 0}, tcp::Endpoint{b.addr, 80}, seg.now);
    EXPECT_TRUE(c.ok());
    cid = *c;
    a.stack.flush_tcp(seg.now);
    seg.pump();  // ARP both ways, SYN, SYN-ACK, ACK
    auto ch = b.stack.tcp().accept(*lid);
    EXPECT_TRUE(ch.ok());
    child = *ch;
    a.events();
    b.events();
  }
  std::uint32_t a_nxt() const { return a.stack.tcp().tcb(cid)->snd_nxt().raw(); }
  std::uint32_t b_nxt() const { return b.stack.tcp().tcb(child)->snd_nxt().raw(); }
  std::uint16_t a_port() const { return a.stack.tcp().local_endpoint(cid)->port; }
  Host a, b;
  Segment seg;
  tcp::ConnId cid, child;
};

// MUST-20 (RFC 9293 §3.8.3): "When the number of transmissions of the same segment
// reaches or exceeds threshold R1, pass negative advice to the IP layer, to trigger
// dead-gateway diagnosis." The Stack answers by distrusting b's MAC: the
// retransmission that reaches R1 waits for a fresh ARP resolution.
TEST(StackConformance, NegativeAdviceAtR1ReResolvesTheNextHop) {
  // Every timer event a timeout: RACK-TLP off, so no tail loss probe goes first (a
  // probe is not a retransmission timeout and does not count toward R1).
  StackConfig cfg = plain_tcp();
  cfg.tcp.rack = false;
  Pair p(cfg);
  const auto arp_before = p.a.stack.stats().arp_tx_requests;
  ASSERT_TRUE(p.a.stack.tcp().send(p.cid, as_bytes("lost in a dead gateway")).ok());
  p.a.stack.flush_tcp(p.seg.now);
  auto first = p.a.drain();  // dropped: b never sees it, so nothing is acknowledged
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(tcp_of(first[0]).has_value());
  const std::uint32_t r1 = plain_tcp().tcp.r1_retransmissions;
  ByteVec arp_request;
  for (std::uint32_t rto = 1; rto <= r1; ++rto) {
    auto when = p.a.stack.next_deadline();
    ASSERT_TRUE(when.has_value());
    p.a.stack.on_timer(*when);
    auto out = p.a.drain();
    ASSERT_EQ(out.size(), 1u) << "retransmission " << rto;
    if (rto < r1) {
      // Below R1 the retransmission goes straight to b's known MAC.
      auto t = tcp_of(out[0]);
      ASSERT_TRUE(t.has_value());
      EXPECT_EQ(t->seq.raw(), p.a_nxt() - 22);
      EXPECT_EQ(MacAddr::load(out[0], 0), p.b.mac);
      EXPECT_EQ(p.a.stack.stats().tcp_negative_advice, 0u);
    } else {
      // At R1: an ARP request for b (RFC 826: broadcast, target b's address); the
      // segment waits in the neighbour cache for the answer.
      ASSERT_EQ(ethertype(out[0]), kArp);
      EXPECT_EQ(MacAddr::load(out[0], 0), MacAddr::broadcast());
      EXPECT_EQ(wire::Ipv4Addr::load(out[0], 14 + 24), p.b.addr);
      EXPECT_EQ(p.a.stack.stats().tcp_negative_advice, 1u);
      EXPECT_EQ(p.a.stack.stats().arp_marked_stale, 1u);
      EXPECT_EQ(p.a.stack.stats().arp_tx_requests, arp_before + 1);
      EXPECT_TRUE(p.a.stack.neighbors().pending(NeighborKey{p.a.iface, p.b.addr}));
      arp_request = out[0];
    }
  }
  EXPECT_EQ(p.a.stack.tcp().conn_stats(p.cid)->negative_advice, 1u);
  // b is alive after all: it answers the ARP, the held retransmission is released
  // and the data arrives.
  ASSERT_FALSE(arp_request.empty());
  p.b.stack.on_frame(p.b.iface, arp_request, p.seg.now);
  p.seg.pump();
  EXPECT_FALSE(p.a.stack.neighbors().pending(NeighborKey{p.a.iface, p.b.addr}));
  std::array<std::byte, 64> buf{};
  auto n = p.b.stack.tcp().receive(p.child, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "lost in a dead gateway");
}

// b's frames after a's burst of full-sized segments reaches it, one frame at a time
// (on_frame) or as one batch (on_frames).
struct BurstResult {
  std::size_t data_segments = 0;
  std::uint32_t a_nxt = 0;
  std::vector<wire::TcpRepr> acks;  // pure ACKs b sent at once
  std::optional<Instant> b_deadline;
};

BurstResult burst(bool batched) {
  Pair p;
  BurstResult r;
  const std::string data(8 * kMss, 'x');
  auto sent = p.a.stack.tcp().send(p.cid, as_bytes(data));
  EXPECT_TRUE(sent.ok());
  p.a.stack.flush_tcp(p.seg.now);
  auto frames = p.a.drain();
  for (const auto& f : frames) {
    auto t = tcp_of(f);
    EXPECT_TRUE(t.has_value());
    if (t) {
      EXPECT_EQ(t->payload.size(), kMss);  // every one full-sized
    }
  }
  r.data_segments = frames.size();
  r.a_nxt = p.a_nxt();
  if (batched) {
    std::vector<Bytes> views(frames.begin(), frames.end());
    p.b.stack.on_frames(p.b.iface, views, p.seg.now);
  } else {
    for (const auto& f : frames) p.b.stack.on_frame(p.b.iface, f, p.seg.now);
  }
  for (const auto& f : p.b.drain()) {
    auto t = tcp_of(f);
    EXPECT_TRUE(t.has_value());
    if (t) {
      EXPECT_TRUE(t->payload.empty());
      r.acks.push_back(*t);
    }
  }
  r.b_deadline = p.b.stack.next_deadline();
  EXPECT_EQ(p.b.stack.tcp().readable(p.child), frames.size() * kMss);
  return r;
}

// MUST-59 (§3.10.7.4): "process all queued segments before sending any ACK";
// MUST-58: "aggregate ACK segments whenever possible". Decision (docs/CONFORMANCE.md):
// a batch is acknowledged by one cumulative ACK after its last segment. One frame at a
// time, SHLD-19 still asks for an ACK for every second full-sized segment.
TEST(StackConformance, BurstInOneBatchDrawsOneCumulativeAck) {
  BurstResult single = burst(false);
  BurstResult batch = burst(true);
  ASSERT_GE(single.data_segments, 4u);
  ASSERT_EQ(batch.data_segments, single.data_segments);
  // One frame at a time: an immediate ACK per two full-sized segments (SHLD-19).
  ASSERT_EQ(single.acks.size(), single.data_segments / 2);
  for (std::size_t i = 0; i < single.acks.size(); ++i) {
    EXPECT_EQ(
        single.acks[i].ack.raw(),
        single.a_nxt - static_cast<std::uint32_t>((single.data_segments - 2 * (i + 1)) * kMss));
  }
  // One batch: exactly one ACK, covering the whole burst.
  ASSERT_EQ(batch.acks.size(), 1u);
  EXPECT_EQ(batch.acks[0].ack.raw(), batch.a_nxt);
  EXPECT_TRUE(batch.acks[0].flags.ack());
  // Nothing owed afterwards: no delayed-ACK timer left behind.
  EXPECT_FALSE(batch.b_deadline.has_value());
}

// RFC 9293 §3.10.7.3 / MUST-58: a pure ACK that a received frame calls for is decided
// when the owner takes frames, after the events: an answer the application sends at
// once carries the ACK, so no bare ACK goes ahead of it — for the handshake's third
// segment (the client's request), the server's response and the closing FIN. Without
// an answer the pure ACK still goes, at pop_frame.
TEST(StackConformance, AnAnswerSentAtOnceCarriesTheAckNoBareAckBeforeIt) {
  StackConfig cfg = plain_tcp();
  Host a(1, cfg), b(2, cfg);
  Segment seg({&a, &b});
  auto lid = b.stack.tcp().listen(tcp::Endpoint{Ipv4Addr::any(), 80}, 8);
  ASSERT_TRUE(lid.ok());
  auto c = a.stack.tcp().connect(tcp::Endpoint{a.addr, 0}, tcp::Endpoint{b.addr, 80}, seg.now);
  ASSERT_TRUE(c.ok());
  a.stack.flush_tcp(seg.now);
  // ARP both ways, then the SYN reaches b, whose SYN,ACK reaches a.
  auto deliver = [&](Host& to, const std::vector<ByteVec>& frames) {
    for (const auto& f : frames) to.stack.on_frame(to.iface, f, seg.now);
  };
  deliver(b, a.drain());  // ARP request
  deliver(a, b.drain());  // ARP reply; a sends its SYN
  deliver(b, a.drain());  // SYN
  deliver(a, b.drain());  // SYN,ACK: a is ESTABLISHED and owes an ACK
  bool connected = false;
  for (const auto& e : a.events()) {
    const auto* te = std::get_if<tcp::Event>(&e);
    connected |= te && te->kind == tcp::EventKind::Connected;
  }
  ASSERT_TRUE(connected);
  ASSERT_TRUE(a.stack.tcp().send(*c, as_bytes("GET / HTTP/1.1\r\n\r\n")).ok());
  a.stack.flush_tcp(seg.now);
  auto third = a.drain();
  ASSERT_EQ(third.size(), 1u);  // the request carries the ACK of the SYN,ACK
  auto t = tcp_of(third[0]);
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->flags.ack());
  EXPECT_EQ(t->payload.size(), 18u);
  // b: the request completes its handshake; it answers at once: one segment.
  deliver(b, third);
  auto ch = b.stack.tcp().accept(*lid);
  ASSERT_TRUE(ch.ok());
  b.events();
  std::array<std::byte, 64> buf{};
  ASSERT_EQ(b.stack.tcp().receive(*ch, buf).value_or(0), 18u);  // (unread data: close = RST)
  ASSERT_TRUE(b.stack.tcp().send(*ch, as_bytes("HTTP/1.1 200 OK\r\n\r\n")).ok());
  b.stack.flush_tcp(seg.now);
  auto response = b.drain();
  ASSERT_EQ(response.size(), 1u);
  t = tcp_of(response[0]);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->payload.size(), 19u);
  EXPECT_EQ(t->ack.raw(), a.stack.tcp().tcb(*c)->snd_nxt().raw());
  // a closes; b closes in answer to the FIN: its FIN carries the ACK.
  deliver(a, response);
  a.events();
  ASSERT_EQ(a.stack.tcp().receive(*c, buf).value_or(0), 19u);
  ASSERT_TRUE(a.stack.tcp().close(*c).ok());
  a.stack.flush_tcp(seg.now);
  auto fin = a.drain();
  ASSERT_EQ(fin.size(), 1u);
  deliver(b, fin);
  b.events();
  ASSERT_TRUE(b.stack.tcp().close(*ch).ok());
  b.stack.flush_tcp(seg.now);
  auto b_fin = b.drain();
  ASSERT_EQ(b_fin.size(), 1u);
  t = tcp_of(b_fin[0]);
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->flags.fin());
  EXPECT_EQ(t->ack.raw(), a.stack.tcp().tcb(*c)->snd_nxt().raw());
  // No answer: a's FIN-WAIT-2 -> TIME-WAIT owes a pure ACK for b's FIN, sent when a's
  // frames are taken.
  deliver(a, b_fin);
  auto last = a.drain();
  ASSERT_EQ(last.size(), 1u);
  t = tcp_of(last[0]);
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->payload.empty());
  EXPECT_FALSE(t->flags.fin());
  EXPECT_TRUE(t->flags.ack());
}

// As Linux's tcp_tw_reuse: with its only ephemeral port in TIME-WAIT, connect() takes
// that 4-tuple over once timestamps protect it (the last TSval arrived at least 1 s
// ago: PAWS tells the incarnations apart), with an ISN beyond everything the old one
// sent; sooner, or without timestamps, there is no ephemeral port.
void time_wait_reuse(bool timestamps) {
  StackConfig cfg = plain_tcp();
  cfg.tcp.timestamps = timestamps;
  cfg.tcp.ephemeral_first = cfg.tcp.ephemeral_last = 50000;
  Host a(1, cfg), b(2, cfg);
  Segment seg({&a, &b});
  auto lid = b.stack.tcp().listen(tcp::Endpoint{Ipv4Addr::any(), 80}, 8);
  ASSERT_TRUE(lid.ok());
  const tcp::Endpoint local{a.addr, 0}, remote{b.addr, 80};
  auto c = a.stack.tcp().connect(local, remote, seg.now);
  ASSERT_TRUE(c.ok());
  a.stack.flush_tcp(seg.now);
  seg.pump();
  auto ch = b.stack.tcp().accept(*lid);
  ASSERT_TRUE(ch.ok());
  ASSERT_TRUE(a.stack.tcp().close(*c).ok());  // a closes first: a ends in TIME-WAIT
  a.stack.flush_tcp(seg.now);
  seg.pump();
  // (Read now: in TIME-WAIT the released connection is frozen, its Tcb gone.)
  const std::uint32_t old_max = a.stack.tcp().tcb(*c)->snd_max().raw();
  ASSERT_TRUE(b.stack.tcp().close(*ch).ok());
  b.stack.flush_tcp(seg.now);
  seg.pump();
  ASSERT_EQ(a.stack.tcp().state(*c), tcp::State::TimeWait);
  EXPECT_EQ(a.stack.tcp().stats().time_wait_frozen, 1u);
  a.events();
  b.events();
  // At once: the TIME-WAIT still protects the 4-tuple.
  auto again = a.stack.tcp().connect(local, remote, seg.now);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), tcp::ConnectError::NoEphemeralPort);
  seg.advance(std::chrono::milliseconds(1500));  // well within 2*MSL
  ASSERT_EQ(a.stack.tcp().state(*c), tcp::State::TimeWait);
  again = a.stack.tcp().connect(local, remote, seg.now);
  if (!timestamps) {
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error(), tcp::ConnectError::NoEphemeralPort);
    EXPECT_EQ(a.stack.tcp().stats().time_wait_reused, 0u);
    EXPECT_EQ(a.stack.tcp().stats().time_wait_thawed, 0u);  // judged as it was, frozen
    return;
  }
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(a.stack.tcp().stats().time_wait_reused, 1u);
  EXPECT_EQ(a.stack.tcp().stats().time_wait_thawed, 1u);  // rebuilt to be closed
  EXPECT_NE(a.stack.tcp().state(*c), tcp::State::TimeWait);
  a.stack.flush_tcp(seg.now);
  auto syn = a.drain();
  ASSERT_EQ(syn.size(), 1u);
  auto t = tcp_of(syn[0]);
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->flags.syn());
  EXPECT_EQ(t->src_port, 50000);
  EXPECT_GT(static_cast<std::int32_t>(t->seq.raw() - (old_max + 65535u)), 0);
  // The new incarnation opens: b (its old connection long CLOSED) accepts it.
  for (const auto& f : syn) b.stack.on_frame(b.iface, f, seg.now);
  seg.pump();
  EXPECT_EQ(a.stack.tcp().state(*again), tcp::State::Established);
  EXPECT_TRUE(b.stack.tcp().accept(*lid).ok());
}

TEST(StackConformance, ConnectTakesOverATimeWaitThatTimestampsProtect) {
  time_wait_reuse(true);
}

TEST(StackConformance, WithoutTimestampsATimeWaitIsNeverTakenOver) {
  time_wait_reuse(false);
}

// A connection the application closed that waits in TIME-WAIT holds no connection
// slot and no buffer budget (only max_time_wait bounds such connections, as Linux's
// tcp_max_tw_buckets): with max_connections 1 a client opens, closes first, and opens
// again at once while the first still waits. Past max_time_wait a closing connection
// does not wait at all: CLOSED at once, counted.
TEST(StackConformance, TimeWaitHoldsNoConnectionSlotAndOverflowClosesAtOnce) {
  StackConfig cfg = plain_tcp();
  cfg.tcp.max_connections = 1;
  cfg.tcp.max_time_wait = 1;
  Host a(1, cfg), b(2, plain_tcp());
  Segment seg({&a, &b});
  auto lid = b.stack.tcp().listen(tcp::Endpoint{Ipv4Addr::any(), 80}, 8);
  ASSERT_TRUE(lid.ok());
  auto open_and_close = [&]() -> std::optional<tcp::ConnId> {
    auto c = a.stack.tcp().connect(tcp::Endpoint{a.addr, 0}, tcp::Endpoint{b.addr, 80}, seg.now);
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return std::nullopt;
    a.stack.flush_tcp(seg.now);
    seg.pump();
    EXPECT_EQ(a.stack.tcp().state(*c), tcp::State::Established);
    EXPECT_TRUE(a.stack.tcp().close(*c).ok());  // a closes first: a ends in TIME-WAIT
    a.stack.flush_tcp(seg.now);
    seg.pump();
    auto child = b.stack.tcp().accept(*lid);
    EXPECT_TRUE(child.ok());
    if (child.ok()) {
      EXPECT_TRUE(b.stack.tcp().close(*child).ok());
    }
    b.stack.flush_tcp(seg.now);
    seg.pump();
    return c.ok() ? std::optional<tcp::ConnId>(*c) : std::nullopt;
  };
  const auto first = open_and_close();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(a.stack.tcp().state(*first), tcp::State::TimeWait);
  EXPECT_EQ(a.stack.tcp().time_wait_count(), 1u);
  EXPECT_EQ(a.stack.tcp().connection_count(), 1u);
  EXPECT_EQ(a.stack.tcp().memory_reserved(), 0u);  // no buffer budget held
  EXPECT_EQ(a.stack.tcp().memory_in_use(), 0u);
  // max_connections is 1 and a TIME-WAIT exists: a second connection still opens.
  const auto second = open_and_close();
  ASSERT_TRUE(second.has_value());
  // The TIME-WAIT table (1) is full: the second one closed at once instead of waiting.
  EXPECT_EQ(a.stack.tcp().state(*second), std::nullopt);
  EXPECT_EQ(a.stack.tcp().stats().time_wait_overflow, 1u);
  EXPECT_EQ(a.stack.tcp().state(*first), tcp::State::TimeWait);
  EXPECT_EQ(a.stack.tcp().time_wait_count(), 1u);
  // 2*MSL later the first is gone too and the count is back to 0.
  seg.advance(2 * cfg.tcp.msl + std::chrono::seconds(1));
  EXPECT_EQ(a.stack.tcp().state(*first), std::nullopt);
  EXPECT_EQ(a.stack.tcp().time_wait_count(), 0u);
  EXPECT_EQ(a.stack.tcp().connection_count(), 0u);
}

// A batch whose segments owe no immediate ACK sends none: the delayed-ACK timer
// (MUST-40) is left to run as for a single frame.
TEST(StackConformance, BatchDoesNotForceAnAckTheDelayedAckRuleWithholds) {
  Pair p;
  ASSERT_TRUE(p.a.stack.tcp().send(p.cid, as_bytes("one small segment")).ok());
  p.a.stack.flush_tcp(p.seg.now);
  auto frames = p.a.drain();
  ASSERT_EQ(frames.size(), 1u);
  std::vector<Bytes> views(frames.begin(), frames.end());
  p.b.stack.on_frames(p.b.iface, views, p.seg.now);
  EXPECT_TRUE(p.b.drain().empty());
  EXPECT_EQ(p.b.stack.stats().rx_batches, 1u);
  auto when = p.b.stack.next_deadline();
  ASSERT_TRUE(when.has_value());
  EXPECT_LT(*when - p.seg.now, std::chrono::milliseconds(500));
  p.b.stack.on_timer(*when);
  auto acks = p.b.drain();
  ASSERT_EQ(acks.size(), 1u);
  auto t = tcp_of(acks[0]);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->ack.raw(), p.a_nxt());
}

// RFC 7413 §4.1.1 against hostile input: Fast Open options of illegal lengths are
// malformed option areas (dropped, counted, no answer, no state); a well-formed option
// on a non-SYN segment is ignored and counted; a cookie request still gets its cookie.
TEST(StackConformance, HostileFastOpenOptionsAreDroppedOrIgnoredAndCounted) {
  Pair p;
  tcp::SocketOptions tfo;
  tfo.tfo = true;
  ASSERT_TRUE(p.b.stack.tcp().listen(tcp::Endpoint{Ipv4Addr::any(), 81}, 8, tfo).ok());
  const Stats before = p.b.stack.stats();
  const std::size_t conns = p.b.stack.tcp().connection_count();
  auto deliver = [&](std::uint16_t dport, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
                     ByteVec options, std::string_view payload) {
    ByteVec s = tcp_raw(p.a.addr, p.b.addr, 50000, dport, seq, ack, flags, options, payload);
    p.b.stack.on_frame(
        p.b.iface, ethernet(p.b.mac, p.a.mac, kIpv4, ipv4(p.a.addr, p.b.addr, kTcp, s)), p.seg.now);
  };
  auto fo = [](std::size_t cookie_len) {
    ByteVec o{std::byte{34}, std::byte(2 + cookie_len)};
    for (std::size_t i = 0; i < cookie_len; ++i) o.push_back(std::byte(0xc0 + i));
    while (o.size() % 4 != 0) o.push_back(std::byte{1});
    return o;
  };
  // Cookies of 1, 2, 3, 5 (odd), 17 and 18 bytes (over 16): every one a malformed area.
  for (std::size_t n : {1u, 2u, 3u, 5u, 17u, 18u}) deliver(81, 0x02, 1000, 0, fo(n), "data");
  // A length byte that runs past the option area.
  deliver(81, 0x02, 1000, 0, ByteVec{std::byte{34}, std::byte{10}, std::byte{0}, std::byte{0}},
          "data");
  EXPECT_EQ(p.b.stack.stats().tcp_rx_malformed, before.tcp_rx_malformed + 7);
  EXPECT_TRUE(p.b.drain().empty());  // no SYN,ACK, no RST
  EXPECT_EQ(p.b.stack.tcp().connection_count(), conns);
  EXPECT_EQ(p.b.stack.tcp().stats().tfo_cookie_requests, 0u);
  // A valid 8-byte cookie on a data segment of the established connection: ignored.
  const std::uint32_t seq = p.a_nxt(), ack = p.b_nxt();
  ByteVec s = tcp_raw(p.a.addr, p.b.addr, p.a_port(), 80, seq, ack, 0x18, fo(8), "okay");
  p.b.stack.on_frame(
      p.b.iface, ethernet(p.b.mac, p.a.mac, kIpv4, ipv4(p.a.addr, p.b.addr, kTcp, s)), p.seg.now);
  EXPECT_EQ(p.b.stack.tcp().stats().tfo_ignored, 1u);
  EXPECT_EQ(p.b.stack.tcp().readable(p.child), 4u);
  (void)p.b.drain();
  // And a cookie request still works: the SYN,ACK carries an 8-byte cookie.
  deliver(81, 0x02, 5000, 0, fo(0), "");
  auto out = p.b.drain();
  ASSERT_EQ(out.size(), 1u);
  auto t = tcp_of(out[0]);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->flags.bits, 0x12);
  ASSERT_TRUE(t->options.tfo_cookie.has_value());
  EXPECT_EQ(t->options.tfo_cookie_len, 8);
  EXPECT_EQ(p.b.stack.tcp().stats().tfo_cookie_requests, 1u);
}

// MUST-7 (§3.1): "be prepared to handle an illegal option length (e.g., zero) without
// crashing; a suggested procedure is to reset the connection and log the error
// cause." We drop the segment, count it, and keep the connection.
TEST(StackConformance, IllegalOptionLengthIsDroppedAndCountedConnectionSurvives) {
  Pair p;
  const Stats before = p.b.stack.stats();
  const std::uint32_t seq = p.a_nxt(), ack = p.b_nxt();
  auto deliver = [&](ByteVec options, std::string_view payload) {
    ByteVec s = tcp_raw(p.a.addr, p.b.addr, p.a_port(), 80, seq, ack, 0x18, options, payload);
    p.b.stack.on_frame(
        p.b.iface, ethernet(p.b.mac, p.a.mac, kIpv4, ipv4(p.a.addr, p.b.addr, kTcp, s)), p.seg.now);
  };
  // MSS with length 3 (must be 4), then NOP.
  deliver(ByteVec{std::byte{2}, std::byte{3}, std::byte{0x05}, std::byte{0x01}}, "evil");
  // A timestamps option of length 10 in a 4-byte option area: runs past the header.
  deliver(ByteVec{std::byte{1}, std::byte{1}, std::byte{8}, std::byte{10}}, "evil");
  // An unknown kind with length 0 (the RFC's own example).
  deliver(ByteVec{std::byte{99}, std::byte{0}, std::byte{1}, std::byte{1}}, "evil");
  EXPECT_EQ(p.b.stack.stats().tcp_rx_malformed, before.tcp_rx_malformed + 3);
  EXPECT_EQ(p.b.stack.stats().tcp_rx, before.tcp_rx);
  EXPECT_TRUE(p.b.drain().empty());  // no RST, no ACK
  EXPECT_EQ(p.b.stack.tcp().state(p.child), tcp::State::Established);
  EXPECT_EQ(p.b.stack.tcp().readable(p.child), 0u);
  // The connection goes on: the same octets with legal options are taken.
  deliver(ByteVec{std::byte{1}, std::byte{1}, std::byte{1}, std::byte{0}}, "good");
  EXPECT_EQ(p.b.stack.stats().tcp_rx, before.tcp_rx + 1);
  std::array<std::byte, 16> buf{};
  auto n = p.b.stack.tcp().receive(p.child, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "good");
  EXPECT_EQ(p.b.stack.tcp().state(p.child), tcp::State::Established);
}

}  // namespace
}  // namespace synack::stack::test
