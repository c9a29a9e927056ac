// UDP sockets through the Stack: exchange, demux by (dst addr, dst port) only,
// bind rules, receive-queue bound, broadcast, port unreachable and its rate limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "harness.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint8_t kIcmp = 1, kUdp = 17;

TEST(StackUdp, ExchangeBothWays) {
  Host a(1), b(2);
  Segment seg({&a, &b});
  auto sa = a.stack.udp_bind(Ipv4Addr::any(), 5000);
  auto sb = b.stack.udp_bind(b.addr, 6000);
  ASSERT_TRUE(sa.ok() && sb.ok());

  ASSERT_TRUE(a.stack.udp_send_to(*sa, b.addr, 6000, as_bytes("ping"), seg.now).ok());
  seg.pump();
  ASSERT_EQ(seg.log.size(), 3u);  // ARP request, ARP reply, datagram
  EXPECT_EQ(seg.log[2],
            ethernet(b.mac, a.mac, kIpv4,
                     ipv4(a.addr, b.addr, kUdp, udp(a.addr, b.addr, 5000, 6000, as_bytes("ping")),
                          {.ident = 0x100})));
  auto eb = b.events();
  ASSERT_EQ(eb.size(), 1u);
  EXPECT_EQ(std::get<UdpReadable>(eb[0]).socket, *sb);
  auto d = b.stack.udp_receive_from(*sb);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->src, a.addr);
  EXPECT_EQ(d->src_port, 5000);
  EXPECT_EQ(d->dst, b.addr);
  EXPECT_EQ(text_of(d->payload), "ping");
  EXPECT_FALSE(b.stack.udp_receive_from(*sb).has_value());

  // Reply to where it came from; B already knows A's MAC from the ARP request.
  ASSERT_TRUE(b.stack.udp_send_to(*sb, d->src, d->src_port, as_bytes("pong"), seg.now).ok());
  seg.pump();
  ASSERT_EQ(seg.log.size(), 4u);
  EXPECT_EQ(seg.log[3],
            ethernet(a.mac, b.mac, kIpv4,
                     ipv4(b.addr, a.addr, kUdp, udp(b.addr, a.addr, 6000, 5000, as_bytes("pong")),
                          {.ident = 0x200})));
  auto ea = a.events();
  ASSERT_EQ(ea.size(), 1u);
  EXPECT_EQ(std::get<UdpReadable>(ea[0]).socket, *sa);
  auto r = a.stack.udp_receive_from(*sa);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(text_of(r->payload), "pong");
  EXPECT_EQ(r->src, b.addr);
  EXPECT_EQ(r->src_port, 6000);
  EXPECT_EQ(a.stack.stats().udp_tx, 1u);
  EXPECT_EQ(a.stack.stats().udp_rx, 1u);
  EXPECT_EQ(b.stack.stats().udp_tx, 1u);
  EXPECT_EQ(b.stack.stats().udp_rx, 1u);
}

// Unlike TCP's 4-tuple, a UDP socket is found by (destination address, destination
// port) alone: datagrams from two different hosts and ports reach the same socket.
TEST(StackUdp, DemuxByDestinationOnly) {
  Host a(1), b(2), c(3);
  Segment seg({&a, &b, &c});
  auto sb = b.stack.udp_bind(b.addr, 7000);
  auto sa = a.stack.udp_bind(Ipv4Addr::any(), 1111);
  auto sa2 = a.stack.udp_bind(Ipv4Addr::any(), 1112);
  auto sc = c.stack.udp_bind(c.addr, 2222);
  ASSERT_TRUE(sb.ok() && sa.ok() && sa2.ok() && sc.ok());

  ASSERT_TRUE(a.stack.udp_send_to(*sa, b.addr, 7000, as_bytes("from a"), seg.now).ok());
  ASSERT_TRUE(c.stack.udp_send_to(*sc, b.addr, 7000, as_bytes("from c"), seg.now).ok());
  ASSERT_TRUE(a.stack.udp_send_to(*sa2, b.addr, 7000, as_bytes("from a:1112"), seg.now).ok());
  seg.pump();

  std::vector<UdpDatagram> got;
  while (auto d = b.stack.udp_receive_from(*sb)) got.push_back(std::move(*d));
  ASSERT_EQ(got.size(), 3u);
  std::sort(got.begin(), got.end(),
            [](const UdpDatagram& x, const UdpDatagram& y) { return x.src_port < y.src_port; });
  EXPECT_EQ(got[0].src, a.addr);
  EXPECT_EQ(got[0].src_port, 1111);
  EXPECT_EQ(text_of(got[0].payload), "from a");
  EXPECT_EQ(got[1].src, a.addr);
  EXPECT_EQ(got[1].src_port, 1112);
  EXPECT_EQ(text_of(got[1].payload), "from a:1112");
  EXPECT_EQ(got[2].src, c.addr);
  EXPECT_EQ(got[2].src_port, 2222);
  EXPECT_EQ(text_of(got[2].payload), "from c");
  // Edge-triggered: one readable event for a queue that filled while undrained.
  auto ev = b.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<UdpReadable>(ev[0]).socket, *sb);
  EXPECT_EQ(b.stack.stats().udp_rx_no_socket, 0u);
  // C saw A's unicast frames to B on the hub and ignored them at the MAC layer.
  EXPECT_GT(c.stack.stats().eth_rx_not_for_us, 0u);
  EXPECT_EQ(c.stack.stats().ip_rx, 0u);
}

TEST(StackUdp, WildcardSocketServesEveryLocalAddressExactBindingOnlyItsOwn) {
  SeededRandom rng(5);
  Stack s(StackConfig{}, rng);
  auto i0 = s.add_interface(mac(2), Ipv4Cidr{ip(10, 77, 0, 2), 24});
  auto i1 = s.add_interface(mac(3), Ipv4Cidr{ip(10, 77, 1, 2), 24});
  auto any53 = s.udp_bind(Ipv4Addr::any(), 53);
  auto exact54 = s.udp_bind(ip(10, 77, 1, 2), 54);
  ASSERT_TRUE(any53.ok() && exact54.ok());
  Instant now;
  auto send = [&](IfaceId i, MacAddr m, Ipv4Addr dst, std::uint16_t port) {
    Ipv4Addr src = ip(10, 77, static_cast<std::uint8_t>(i.value), 9);
    s.on_frame(
        i,
        ethernet(m, mac(9), kIpv4, ipv4(src, dst, kUdp, udp(src, dst, 999, port, as_bytes("q")))),
        now);
  };
  send(i0, mac(2), ip(10, 77, 0, 2), 53);
  send(i1, mac(3), ip(10, 77, 1, 2), 53);
  send(i1, mac(3), ip(10, 77, 1, 2), 54);
  send(i0, mac(2), ip(10, 77, 0, 2), 54);  // exact binding is on the other address
  auto d1 = s.udp_receive_from(*any53);
  auto d2 = s.udp_receive_from(*any53);
  ASSERT_TRUE(d1 && d2);
  EXPECT_EQ(d1->dst, ip(10, 77, 0, 2));
  EXPECT_EQ(d2->dst, ip(10, 77, 1, 2));
  auto d3 = s.udp_receive_from(*exact54);
  ASSERT_TRUE(d3.has_value());
  EXPECT_EQ(d3->dst, ip(10, 77, 1, 2));
  EXPECT_FALSE(s.udp_receive_from(*exact54).has_value());
  EXPECT_EQ(s.stats().udp_rx_no_socket, 1u);
}

TEST(StackUdp, BindRules) {
  Host b(2);
  auto s1 = b.stack.udp_bind(b.addr, 7000);
  ASSERT_TRUE(s1.ok());
  auto dup = b.stack.udp_bind(b.addr, 7000);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error(), BindError::AddrInUse);
  auto wild = b.stack.udp_bind(Ipv4Addr::any(), 7000);
  ASSERT_FALSE(wild.ok());
  EXPECT_EQ(wild.error(), BindError::AddrInUse);
  auto foreign = b.stack.udp_bind(ip(10, 77, 0, 99), 7001);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error(), BindError::AddrNotAvailable);

  auto w = b.stack.udp_bind(Ipv4Addr::any(), 7002);
  ASSERT_TRUE(w.ok());
  auto over = b.stack.udp_bind(b.addr, 7002);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error(), BindError::AddrInUse);

  auto e1 = b.stack.udp_bind(Ipv4Addr::any(), 0);
  auto e2 = b.stack.udp_bind(Ipv4Addr::any(), 0);
  ASSERT_TRUE(e1.ok() && e2.ok());
  auto p1 = b.stack.udp_local(*e1)->second, p2 = b.stack.udp_local(*e2)->second;
  EXPECT_GE(p1, 49152);
  EXPECT_GE(p2, 49152);
  EXPECT_NE(p1, p2);

  b.stack.udp_close(*s1);
  EXPECT_TRUE(b.stack.udp_bind(b.addr, 7000).ok());  // free again after close
  auto st = b.stack.udp_send_to(*s1, ip(10, 77, 0, 1), 9, as_bytes("x"), Instant{});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), SendError::BadSocket);
  st = b.stack.udp_send_to(*w, ip(10, 77, 0, 1), 0, as_bytes("x"), Instant{});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), SendError::InvalidDestination);
}

TEST(StackUdp, SocketCountIsBounded) {
  StackConfig cfg;
  cfg.udp_max_sockets = 2;
  Host b(2, cfg);
  auto s1 = b.stack.udp_bind(Ipv4Addr::any(), 1);
  ASSERT_TRUE(b.stack.udp_bind(Ipv4Addr::any(), 2).ok());
  auto s3 = b.stack.udp_bind(Ipv4Addr::any(), 3);
  ASSERT_FALSE(s3.ok());
  EXPECT_EQ(s3.error(), BindError::TooManySockets);
  ASSERT_TRUE(s1.ok());
  b.stack.udp_close(*s1);
  EXPECT_TRUE(b.stack.udp_bind(Ipv4Addr::any(), 3).ok());
}

TEST(StackUdp, ReceiveQueueIsBounded) {
  StackConfig cfg;
  cfg.udp_rx_queue_datagrams = 2;
  Host b(2, cfg);
  Instant now;
  auto s = b.stack.udp_bind(Ipv4Addr::any(), 9000);
  ASSERT_TRUE(s.ok());
  Ipv4Addr src = ip(10, 77, 0, 9);
  for (int i = 0; i < 3; ++i) {
    std::string msg = "m" + std::to_string(i);
    b.stack.on_frame(b.iface,
                     ethernet(b.mac, mac(9), kIpv4,
                              ipv4(src, b.addr, kUdp, udp(src, b.addr, 1, 9000, as_bytes(msg)))),
                     now);
  }
  EXPECT_EQ(b.stack.stats().udp_rx_queue_full, 1u);
  EXPECT_EQ(text_of(b.stack.udp_receive_from(*s)->payload), "m0");
  EXPECT_EQ(text_of(b.stack.udp_receive_from(*s)->payload), "m1");
  EXPECT_FALSE(b.stack.udp_receive_from(*s).has_value());
  EXPECT_EQ(b.events().size(), 1u);
}

TEST(StackUdp, BroadcastReachesWildcardSocketsOnly) {
  Host a(1), b(2);
  Segment seg({&a, &b});
  auto sa = a.stack.udp_bind(Ipv4Addr::any(), 5000);
  auto wild = b.stack.udp_bind(Ipv4Addr::any(), 8000);
  auto exact = b.stack.udp_bind(b.addr, 8001);
  ASSERT_TRUE(sa.ok() && wild.ok() && exact.ok());

  ASSERT_TRUE(a.stack.udp_send_to(*sa, Ipv4Addr::broadcast(), 8000, as_bytes("all"), seg.now).ok());
  ASSERT_TRUE(a.stack.udp_send_to(*sa, ip(10, 77, 0, 255), 8000, as_bytes("net"), seg.now).ok());
  ASSERT_TRUE(a.stack.udp_send_to(*sa, Ipv4Addr::broadcast(), 8001, as_bytes("x"), seg.now).ok());
  seg.pump();
  // No ARP: broadcasts go straight to ff:ff:ff:ff:ff:ff.
  ASSERT_EQ(seg.log.size(), 3u);
  EXPECT_EQ(seg.log[0],
            ethernet(MacAddr::broadcast(), a.mac, kIpv4,
                     ipv4(a.addr, Ipv4Addr::broadcast(), kUdp,
                          udp(a.addr, Ipv4Addr::broadcast(), 5000, 8000, as_bytes("all")),
                          {.ident = 0x100})));
  auto d1 = b.stack.udp_receive_from(*wild);
  auto d2 = b.stack.udp_receive_from(*wild);
  ASSERT_TRUE(d1 && d2);
  EXPECT_EQ(text_of(d1->payload), "all");
  EXPECT_EQ(d1->dst, Ipv4Addr::broadcast());
  EXPECT_EQ(text_of(d2->payload), "net");
  EXPECT_EQ(d2->dst, ip(10, 77, 0, 255));
  // The socket bound to B's unicast address does not get the broadcast, and no
  // ICMP error answers a broadcast (RFC 1122 §3.2.2).
  EXPECT_FALSE(b.stack.udp_receive_from(*exact).has_value());
  EXPECT_EQ(b.stack.stats().udp_rx_no_socket, 1u);
  EXPECT_EQ(b.stack.stats().icmp_tx_port_unreachable, 0u);
  EXPECT_EQ(b.stack.stats().eth_tx_frames, 0u);
}

TEST(StackUdp, PortUnreachableQuotesTheDatagram) {
  Host a(1), b(2);
  Segment seg({&a, &b});
  auto sa = a.stack.udp_bind(Ipv4Addr::any(), 5000);
  ASSERT_TRUE(sa.ok());
  ASSERT_TRUE(a.stack.udp_send_to(*sa, b.addr, 9, as_bytes("anyone?"), seg.now).ok());
  seg.pump();
  ASSERT_EQ(seg.log.size(), 4u);  // ARP request, ARP reply, datagram, ICMP error
  ByteVec sent = ipv4(a.addr, b.addr, kUdp, udp(a.addr, b.addr, 5000, 9, as_bytes("anyone?")),
                      {.ident = 0x100});
  EXPECT_EQ(seg.log[2], ethernet(b.mac, a.mac, kIpv4, sent));
  // RFC 792 destination unreachable, code 3 (port), unused word 0, then the
  // original IP header and data (all of it: it is shorter than 576 bytes).
  EXPECT_EQ(seg.log[3],
            ethernet(a.mac, b.mac, kIpv4,
                     ipv4(b.addr, a.addr, kIcmp, icmp(3, 3, 0, sent), {.ident = 0x200})));
  EXPECT_EQ(b.stack.stats().udp_rx_no_socket, 1u);
  EXPECT_EQ(b.stack.stats().icmp_tx_port_unreachable, 1u);
  EXPECT_EQ(a.stack.stats().icmp_rx_errors, 1u);
  EXPECT_EQ(a.stack.stats().icmp_rx_errors_udp, 1u);  // to the socket (udp_error_test.cpp)
}

TEST(StackUdp, LongDatagramIsQuotedUpTo576Bytes) {
  Host b(2);
  Instant now;
  Ipv4Addr src = ip(10, 77, 0, 9);
  teach(b, mac(9), src, now);
  ByteVec payload(1000, std::byte{0xab});
  ByteVec sent = ipv4(src, b.addr, kUdp, udp(src, b.addr, 1, 9, payload));
  b.stack.on_frame(b.iface, ethernet(b.mac, mac(9), kIpv4, sent), now);
  auto out = b.drain();
  ASSERT_EQ(out.size(), 1u);
  ByteVec quoted(sent.begin(), sent.begin() + (576 - 20 - 8));
  EXPECT_EQ(out[0], ethernet(mac(9), b.mac, kIpv4,
                             ipv4(b.addr, src, kIcmp, icmp(3, 3, 0, quoted), {.ident = 0x200})));
}

TEST(StackUdp, NoPortUnreachableForLinkLayerBroadcast) {
  Host b(2);
  Instant now;
  Ipv4Addr src = ip(10, 77, 0, 9);
  teach(b, mac(9), src, now);
  // Unicast IP destination, but sent to ff:ff:ff:ff:ff:ff (RFC 1122 §3.2.2).
  b.stack.on_frame(b.iface,
                   ethernet(MacAddr::broadcast(), mac(9), kIpv4,
                            ipv4(src, b.addr, kUdp, udp(src, b.addr, 1, 9, as_bytes("x")))),
                   now);
  EXPECT_TRUE(b.drain().empty());
  EXPECT_EQ(b.stack.stats().udp_rx_no_socket, 1u);
  EXPECT_EQ(b.stack.stats().icmp_tx_port_unreachable, 0u);
}

TEST(StackUdp, PortUnreachableIsRateLimited) {
  StackConfig cfg;
  cfg.icmp_error_burst = 2;
  cfg.icmp_error_interval = std::chrono::milliseconds(100);
  Host b(2, cfg);
  Instant now = Instant::zero() + std::chrono::seconds(10);
  Ipv4Addr src = ip(10, 77, 0, 9);
  teach(b, mac(9), src, now);
  auto hit = [&] {
    b.stack.on_frame(b.iface,
                     ethernet(b.mac, mac(9), kIpv4,
                              ipv4(src, b.addr, kUdp, udp(src, b.addr, 1, 9, as_bytes("x")))),
                     now);
    return b.drain().size();
  };
  EXPECT_EQ(hit(), 1u);
  EXPECT_EQ(hit(), 1u);
  EXPECT_EQ(hit(), 0u);
  EXPECT_EQ(hit(), 0u);
  now += std::chrono::milliseconds(100);
  EXPECT_EQ(hit(), 1u);
  EXPECT_EQ(hit(), 0u);
  EXPECT_EQ(b.stack.stats().icmp_tx_port_unreachable, 3u);
  EXPECT_EQ(b.stack.stats().icmp_tx_rate_limited, 3u);
  EXPECT_EQ(b.stack.stats().udp_rx_no_socket, 6u);
}

}  // namespace
}  // namespace synack::stack::test
