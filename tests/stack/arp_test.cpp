// ARP (RFC 826) through the Stack: resolution, replies, learning rules, expiry,
// retry and give-up, and the bounded wait queue.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint16_t kArp = 0x0806;
constexpr std::uint16_t kIpv4 = 0x0800;

std::uint16_t ethertype(const ByteVec& f) {
  return load_be16(f, 12);
}

TEST(StackArp, ResolvesThenSendsQueuedPacket) {
  Host a(1), b(2);
  Segment seg{{&a, &b}};
  auto sa = a.stack.udp_bind(Ipv4Addr::any(), 5000);
  auto sb = b.stack.udp_bind(b.addr, 6000);
  ASSERT_TRUE(sa.ok());
  ASSERT_TRUE(sb.ok());

  ASSERT_TRUE(a.stack.udp_send_to(*sa, b.addr, 6000, as_bytes("queued"), seg.now).ok());
  auto out = a.drain();
  ASSERT_EQ(out.size(), 1u);  // only the ARP request; the datagram waits
  EXPECT_EQ(out[0],
            ethernet(MacAddr::broadcast(), a.mac, kArp, arp(1, a.mac, a.addr, MacAddr{}, b.addr)));
  EXPECT_EQ(a.stack.neighbors().queued_total(), 1u);
  EXPECT_EQ(a.stack.next_deadline(), seg.now + std::chrono::seconds(1));

  b.stack.on_frame(b.iface, out[0], seg.now);
  auto reply = b.drain();
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0], ethernet(a.mac, b.mac, kArp, arp(2, b.mac, b.addr, a.mac, a.addr)));
  // RFC 826: the target of a request learns the requester.
  EXPECT_EQ(b.stack.neighbors().lookup({b.iface, a.addr}, seg.now), a.mac);

  a.stack.on_frame(a.iface, reply[0], seg.now);
  auto data = a.drain();
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(ethertype(data[0]), kIpv4);
  EXPECT_EQ(MacAddr::load(data[0], 0), b.mac);
  EXPECT_EQ(MacAddr::load(data[0], 6), a.mac);
  EXPECT_EQ(a.stack.neighbors().queued_total(), 0u);
  EXPECT_EQ(a.stack.next_deadline(), std::nullopt);

  b.stack.on_frame(b.iface, data[0], seg.now);
  auto got = b.stack.udp_receive_from(*sb);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(text_of(got->payload), "queued");
  EXPECT_EQ(got->src, a.addr);
  EXPECT_EQ(got->src_port, 5000);

  EXPECT_EQ(a.stack.stats().arp_tx_requests, 1u);
  EXPECT_EQ(a.stack.stats().arp_rx_replies, 1u);
  EXPECT_EQ(b.stack.stats().arp_rx_requests_for_us, 1u);
  EXPECT_EQ(b.stack.stats().arp_tx_replies, 1u);
  EXPECT_EQ(b.stack.stats().udp_rx, 1u);
}

TEST(StackArp, ResolvedAddressNeedsNoSecondRequest) {
  Host a(1), b(2);
  Segment seg{{&a, &b}};
  ASSERT_TRUE(a.stack.send_ping(b.addr, 1, 1, as_bytes("x"), seg.now).ok());
  seg.pump();
  seg.now += std::chrono::seconds(59);
  ASSERT_TRUE(a.stack.send_ping(b.addr, 1, 2, as_bytes("x"), seg.now).ok());
  auto out = a.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ethertype(out[0]), kIpv4);
  EXPECT_EQ(a.stack.stats().arp_tx_requests, 1u);
}

TEST(StackArp, ExpiredEntryIsResolvedAgain) {
  StackConfig cfg;
  cfg.neighbor.reachable_time = std::chrono::seconds(60);
  Host a(1, cfg), b(2);
  Segment seg{{&a, &b}};
  ASSERT_TRUE(a.stack.send_ping(b.addr, 1, 1, as_bytes("x"), seg.now).ok());
  seg.pump();
  ASSERT_EQ(a.stack.stats().arp_tx_requests, 1u);

  seg.advance(std::chrono::seconds(60));  // lifetime over: the timer forgets the entry
  EXPECT_EQ(a.stack.neighbors().lookup({a.iface, b.addr}, seg.now), std::nullopt);
  ASSERT_TRUE(a.stack.send_ping(b.addr, 1, 2, as_bytes("x"), seg.now).ok());
  auto out = a.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0],
            ethernet(MacAddr::broadcast(), a.mac, kArp, arp(1, a.mac, a.addr, MacAddr{}, b.addr)));
  EXPECT_EQ(a.stack.stats().arp_tx_requests, 2u);
}

TEST(StackArp, RetriesThenGivesUpAndDropsQueue) {
  Host a(1);
  Instant t0 = Instant::zero();
  Ipv4Addr ghost = ip(10, 77, 0, 9);
  ASSERT_TRUE(a.stack.send_ping(ghost, 1, 1, as_bytes("a"), t0).ok());
  ASSERT_TRUE(a.stack.send_ping(ghost, 1, 2, as_bytes("b"), t0).ok());
  ByteVec request =
      ethernet(MacAddr::broadcast(), a.mac, kArp, arp(1, a.mac, a.addr, MacAddr{}, ghost));
  auto out = a.drain();
  ASSERT_EQ(out.size(), 1u);  // one request for two queued packets
  EXPECT_EQ(out[0], request);

  // Nothing before the retry interval.
  a.stack.on_timer(t0 + std::chrono::milliseconds(999));
  EXPECT_TRUE(a.drain().empty());
  for (int i = 1; i <= 2; ++i) {
    Instant t = t0 + std::chrono::seconds(i);
    ASSERT_EQ(a.stack.next_deadline(), t);
    a.stack.on_timer(t);
    out = a.drain();
    ASSERT_EQ(out.size(), 1u) << "retry " << i;
    EXPECT_EQ(out[0], request);
  }
  EXPECT_EQ(a.stack.stats().arp_tx_requests, 3u);
  ASSERT_EQ(a.stack.next_deadline(), t0 + std::chrono::seconds(3));
  a.stack.on_timer(t0 + std::chrono::seconds(3));
  EXPECT_TRUE(a.drain().empty());
  EXPECT_EQ(a.stack.stats().arp_resolution_failed, 1u);
  EXPECT_EQ(a.stack.stats().arp_drop_unresolved, 2u);
  EXPECT_EQ(a.stack.neighbors().queued_total(), 0u);
  EXPECT_EQ(a.stack.neighbors().size(), 0u);
  EXPECT_EQ(a.stack.next_deadline(), std::nullopt);

  // A later packet starts a fresh resolution.
  ASSERT_TRUE(a.stack.send_ping(ghost, 1, 3, as_bytes("c"), t0 + std::chrono::seconds(4)).ok());
  out = a.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], request);
}

TEST(StackArp, WaitQueueIsBoundedPerNeighbourAndInTotal) {
  StackConfig cfg;
  cfg.neighbor.max_queued_per_neighbor = 2;
  cfg.neighbor.max_queued_total = 3;
  Host a(1, cfg);
  Instant now;
  for (std::uint16_t seq = 0; seq < 4; ++seq) {
    ASSERT_TRUE(a.stack.send_ping(ip(10, 77, 0, 20), 1, seq, as_bytes("p"), now).ok());
  }
  EXPECT_EQ(a.stack.stats().arp_drop_queue_full, 2u);  // per-neighbour cap 2
  for (std::uint16_t seq = 0; seq < 2; ++seq) {
    ASSERT_TRUE(a.stack.send_ping(ip(10, 77, 0, 21), 1, seq, as_bytes("p"), now).ok());
  }
  EXPECT_EQ(a.stack.stats().arp_drop_queue_full, 3u);  // total cap 3
  EXPECT_EQ(a.stack.neighbors().queued_total(), 3u);
  EXPECT_EQ(a.stack.stats().arp_tx_requests, 2u);
}

TEST(StackArp, RequestForAnotherAddressIsIgnoredAndNotLearned) {
  Host b(2);
  Instant now;
  MacAddr other = mac(7);
  ByteVec req = ethernet(MacAddr::broadcast(), other, kArp,
                         arp(1, other, ip(10, 77, 0, 7), MacAddr{}, ip(10, 77, 0, 8)));
  b.stack.on_frame(b.iface, req, now);
  EXPECT_TRUE(b.drain().empty());
  EXPECT_EQ(b.stack.stats().arp_rx_ignored, 1u);
  EXPECT_EQ(b.stack.neighbors().size(), 0u);
}

TEST(StackArp, GratuitousArpUpdatesOnlyExistingEntries) {
  Host a(1), b(2);
  Segment seg{{&a, &b}};
  ASSERT_TRUE(a.stack.send_ping(b.addr, 1, 1, as_bytes("x"), seg.now).ok());
  seg.pump();
  ASSERT_EQ(a.stack.neighbors().lookup({a.iface, b.addr}, seg.now), b.mac);

  // B moves to a new MAC and announces it (sender = target = its own address).
  MacAddr moved = mac(0x42);
  a.stack.on_frame(
      a.iface,
      ethernet(MacAddr::broadcast(), moved, kArp, arp(1, moved, b.addr, MacAddr{}, b.addr)),
      seg.now);
  EXPECT_EQ(a.stack.neighbors().lookup({a.iface, b.addr}, seg.now), moved);
  // An announcement from a host we never talked to is not learned.
  MacAddr stranger = mac(0x43);
  a.stack.on_frame(a.iface,
                   ethernet(MacAddr::broadcast(), stranger, kArp,
                            arp(1, stranger, ip(10, 77, 0, 43), MacAddr{}, ip(10, 77, 0, 43))),
                   seg.now);
  EXPECT_EQ(a.stack.neighbors().lookup({a.iface, ip(10, 77, 0, 43)}, seg.now), std::nullopt);
  EXPECT_EQ(a.stack.stats().arp_rx_ignored, 1u);
  EXPECT_TRUE(a.drain().empty());  // neither is answered
}

TEST(StackArp, ProbeFromUnspecifiedSenderIsAnsweredButNotLearned) {
  Host b(2);
  Instant now;
  MacAddr prober = mac(9);
  b.stack.on_frame(b.iface,
                   ethernet(MacAddr::broadcast(), prober, kArp,
                            arp(1, prober, Ipv4Addr::any(), MacAddr{}, b.addr)),
                   now);
  auto out = b.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], ethernet(prober, b.mac, kArp, arp(2, b.mac, b.addr, prober, Ipv4Addr::any())));
  EXPECT_EQ(b.stack.neighbors().size(), 0u);
}

TEST(StackArp, MalformedArpIsCounted) {
  Host b(2);
  Instant now;
  ByteVec pkt = arp(1, mac(9), ip(10, 77, 0, 9), MacAddr{}, b.addr);
  store_be16(pkt, 0, 6);  // hardware type: not Ethernet
  b.stack.on_frame(b.iface, ethernet(MacAddr::broadcast(), mac(9), kArp, pkt), now);
  ByteVec short_pkt(pkt.begin(), pkt.begin() + 20);
  b.stack.on_frame(b.iface, ethernet(MacAddr::broadcast(), mac(9), kArp, short_pkt), now);
  EXPECT_EQ(b.stack.stats().arp_rx_malformed, 2u);
  EXPECT_TRUE(b.drain().empty());
}

}  // namespace
}  // namespace synack::stack::test
