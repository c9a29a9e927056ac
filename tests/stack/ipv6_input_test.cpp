// IPv6 input and output through the Stack (RFC 8200, RFC 4443): echo, the destination
// filter, Parameter Problem, reassembly and fragmentation, Packet Too Big, Time Exceeded.
#include <gtest/gtest.h>

#include <map>

#include "ipv6_harness.hpp"

namespace synack::stack::test {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

ByteVec echo_request_frame(const Host6& h, const Ipv6Addr& dst, Bytes data,
                           MacAddr dst_mac = MacAddr{}) {
  return ethernet(dst_mac == MacAddr{} ? h.mac : dst_mac, kPeerMac, kIpv6,
                  ipv6(kPeer, dst, kIcmp6, icmp6(kPeer, dst, kEchoReq, 0, echo_body(7, 3, data))));
}

TEST(Ipv6Echo, RequestAnsweredWithExactReply) {
  Host6 h(1);
  Instant now = Instant{} + seconds(1);
  teach6(h, kPeerMac, kPeer, now);
  const ByteVec data = bytes_of("synack ping6 payload");
  h.rx(echo_request_frame(h, h.global, data), now);
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], ethernet(kPeerMac, h.mac, kIpv6,
                             ipv6(h.global, kPeer, kIcmp6,
                                  icmp6(h.global, kPeer, kEchoRep, 0, echo_body(7, 3, data)))));
  EXPECT_EQ(h.stack.stats().icmpv6_rx_echo_requests, 1u);
  EXPECT_EQ(h.stack.stats().icmpv6_tx_echo_replies, 1u);
}

TEST(Ipv6Echo, ToAllNodesAnsweredFromAUnicastAddress) {
  Host6 h(1);
  teach6(h, kPeerMac, kPeer, Instant{});
  h.rx(echo_request_frame(h, Ipv6Addr::all_nodes(), {}, Ipv6Addr::all_nodes().multicast_mac()),
       Instant{});
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], ethernet(kPeerMac, h.mac, kIpv6,
                             ipv6(h.global, kPeer, kIcmp6,
                                  icmp6(h.global, kPeer, kEchoRep, 0, echo_body(7, 3, {})))));
}

TEST(Ipv6Echo, PingRoundTripBetweenTwoStacks) {
  Host6 a(1), b(2);
  Segment seg({&a, &b});
  ASSERT_TRUE(a.stack.send_ping6(b.global, 0x1234, 1, bytes_of("hi"), seg.now).ok());
  seg.pump();
  auto ev = a.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<Ping6Reply>(ev[0]), (Ping6Reply{b.global, 0x1234, 1, bytes_of("hi")}));
  // A to its link-local peer too (the link-local source is chosen for it, RFC 6724 rule 2).
  ASSERT_TRUE(a.stack.send_ping6(b.link_local, 0x1234, 2, {}, seg.now).ok());
  seg.pump();
  ev = a.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<Ping6Reply>(ev[0]).src, b.link_local);
  EXPECT_EQ(a.stack.route6(b.link_local)->src, a.link_local);
  EXPECT_EQ(a.stack.route6(b.global)->src, a.global);
}

TEST(Ipv6Echo, PingOwnAddressIsLoopedBack) {
  Host6 h(1);
  ASSERT_TRUE(h.stack.send_ping6(h.global, 5, 6, bytes_of("me"), Instant{}).ok());
  EXPECT_TRUE(h.drain().empty());
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<Ping6Reply>(ev[0]), (Ping6Reply{h.global, 5, 6, bytes_of("me")}));
}

TEST(Ipv6Input, DestinationFilter) {
  Host6 h(1);
  // A group we did not join.
  const Ipv6Addr group = a6("ff02::1:ff00:1234");
  h.rx(echo_request_frame(h, group, {}, group.multicast_mac()), Instant{});
  EXPECT_EQ(h.stack.stats().ipv6_rx_mcast_not_joined, 1u);
  // Someone else's unicast address.
  h.rx(echo_request_frame(h, a6("fd77::77"), {}), Instant{});
  EXPECT_EQ(h.stack.stats().ipv6_rx_not_for_us, 1u);
  // A multicast source.
  h.rx(ethernet(h.mac, kPeerMac, kIpv6,
                ipv6(a6("ff02::1"), h.global, kIcmp6,
                     icmp6(a6("ff02::1"), h.global, kEchoReq, 0, echo_body(1, 1, {})))),
       Instant{});
  EXPECT_EQ(h.stack.stats().ipv6_rx_bad_src, 1u);
  // A bad checksum.
  ByteVec bad = echo_request_frame(h, h.global, {});
  bad[14 + 40 + 2] ^= std::byte{0xff};
  h.rx(bad, Instant{});
  EXPECT_EQ(h.stack.stats().icmpv6_rx_malformed, 1u);
  EXPECT_TRUE(h.drain().empty());
  EXPECT_EQ(h.stack.stats().icmpv6_tx_echo_replies, 0u);
  // IPv6 off: EtherType 0x86DD is unknown, as before.
  Host plain(2);
  plain.stack.on_frame(plain.iface, echo_request_frame(h, h.global, {}, plain.mac), Instant{});
  EXPECT_EQ(plain.stack.stats().eth_rx_unknown_type, 1u);
  EXPECT_EQ(plain.stack.stats().ipv6_rx, 0u);
}

TEST(Ipv6Input, UnknownNextHeaderGetsParameterProblem) {
  Host6 h(1);
  teach6(h, kPeerMac, kPeer, Instant{});
  const ByteVec packet = ipv6(kPeer, h.global, 253, bytes_of("experimental"));
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, packet), Instant{});
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  // Code 1 (unrecognized Next Header), pointer 6: the IPv6 header's Next Header field.
  ByteVec body = Builder{}.u32(6).raw(packet).out;
  EXPECT_EQ(out[0], ethernet(kPeerMac, h.mac, kIpv6,
                             ipv6(h.global, kPeer, kIcmp6, icmp6(h.global, kPeer, 4, 1, body))));
  EXPECT_EQ(h.stack.stats().icmpv6_tx_param_problem, 1u);
  // Not about a packet to a multicast group (RFC 4443 §2.4(e)).
  h.rx(ethernet(Ipv6Addr::all_nodes().multicast_mac(), kPeerMac, kIpv6,
                ipv6(kPeer, Ipv6Addr::all_nodes(), 253, {})),
       Instant{});
  EXPECT_TRUE(h.drain().empty());
  EXPECT_EQ(h.stack.stats().ipv6_rx_param_problem, 2u);
}

TEST(Ipv6Input, ErrorsAreRateLimited) {
  StackConfig cfg = quiet6();
  cfg.ipv6.icmp_error_burst = 2;
  Host6 h(1, cfg);
  teach6(h, kPeerMac, kPeer, Instant{});
  for (int i = 0; i < 5; ++i) {
    h.rx(ethernet(h.mac, kPeerMac, kIpv6, ipv6(kPeer, h.global, 253, {})), Instant{});
  }
  EXPECT_EQ(h.drain().size(), 2u);
  EXPECT_EQ(h.stack.stats().icmpv6_tx_rate_limited, 3u);
}

// The fragments of an IPv6 packet whose fragmentable part is `part`, cut at `cuts`.
std::vector<ByteVec> fragments(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint32_t ident,
                               Bytes part, std::vector<std::size_t> cuts) {
  std::vector<ByteVec> out;
  cuts.push_back(part.size());
  std::size_t off = 0;
  for (std::size_t end : cuts) {
    Builder fh;
    fh.u8(kIcmp6)
        .u8(0)
        .u16(static_cast<std::uint16_t>(off | (end < part.size() ? 1 : 0)))
        .u32(ident)
        .raw(part.subspan(off, end - off));
    out.push_back(ipv6(src, dst, 44, fh.out));
    off = end;
  }
  return out;
}

TEST(Ipv6Fragments, EchoInThreeFragmentsAnsweredInFragments) {
  Host6 h(1);
  teach6(h, kPeerMac, kPeer, Instant{});
  ByteVec data(3000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::byte{static_cast<std::uint8_t>(i)};
  const ByteVec request = icmp6(kPeer, h.global, kEchoReq, 0, echo_body(7, 3, data));
  // Out of order: the last fragment first.
  auto frags = fragments(kPeer, h.global, 0xabcdef01, request, {1232, 2464});
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, frags[2]), Instant{});
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, frags[0]), Instant{});
  EXPECT_TRUE(h.drain().empty());
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, frags[1]), Instant{});
  EXPECT_EQ(h.stack.stats().ipv6_reasm_ok, 1u);
  EXPECT_EQ(h.stack.stats().icmpv6_rx_echo_requests, 1u);
  auto out = h.drain();
  // The 3008-byte reply over a 1500-byte MTU: 1448 + 1448 + 112 bytes (RFC 8200 §4.5).
  ASSERT_EQ(out.size(), 3u);
  const ByteVec reply = icmp6(h.global, kPeer, kEchoRep, 0, echo_body(7, 3, data));
  ByteVec joined;
  std::uint32_t ident = 0;
  const std::size_t sizes[] = {1448, 1448, 112};
  for (std::size_t i = 0; i < 3; ++i) {
    const ByteVec& f = out[i];
    ASSERT_EQ(f.size(), 14u + 40 + 8 + sizes[i]);
    EXPECT_EQ(load_be16(f, 12), kIpv6);
    EXPECT_EQ(load_u8(f, 14 + 6), 44);  // Next Header: Fragment
    EXPECT_EQ(load_be16(f, 14 + 4), 8 + sizes[i]);
    EXPECT_EQ(load_u8(f, 54), kIcmp6);
    const std::uint16_t off_m = load_be16(f, 56);
    EXPECT_EQ(off_m >> 3, (i * 1448) / 8);
    EXPECT_EQ(off_m & 1, i < 2 ? 1 : 0);
    if (i == 0) ident = load_be32(f, 58);
    EXPECT_EQ(load_be32(f, 58), ident);
    joined.insert(joined.end(), f.begin() + 62, f.end());
  }
  EXPECT_EQ(joined, reply);
  EXPECT_EQ(h.stack.stats().ipv6_tx_fragments, 3u);
}

TEST(Ipv6Fragments, OverlapDiscardsTheDatagram) {
  Host6 h(1);
  teach6(h, kPeerMac, kPeer, Instant{});
  const ByteVec request = icmp6(kPeer, h.global, kEchoReq, 0, echo_body(7, 3, ByteVec(100)));
  auto a = fragments(kPeer, h.global, 9, request, {64});
  auto b = fragments(kPeer, h.global, 9, request, {56});  // its second piece overlaps a's first
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, a[0]), Instant{});
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, b[1]), Instant{});
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, a[1]), Instant{});
  EXPECT_EQ(h.stack.stats().ipv6_reasm_overlaps, 1u);
  EXPECT_EQ(h.stack.stats().ipv6_reasm_ok, 0u);
  EXPECT_TRUE(h.drain().empty());
}

TEST(Ipv6Fragments, AtomicFragmentProcessedWhole) {
  Host6 h(1);
  teach6(h, kPeerMac, kPeer, Instant{});
  const ByteVec request = icmp6(kPeer, h.global, kEchoReq, 0, echo_body(7, 3, {}));
  auto atomic = fragments(kPeer, h.global, 5, request, {});  // offset 0, M clear (RFC 6946)
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, atomic[0]), Instant{});
  EXPECT_EQ(h.drain().size(), 1u);
  EXPECT_EQ(h.stack.stats().ipv6_rx_fragments, 0u);
  EXPECT_EQ(h.stack.reassembly().datagrams(), 0u);
}

TEST(Ipv6Fragments, ExpiredReassemblyWithFirstFragmentSendsTimeExceeded) {
  Host6 h(1);
  teach6(h, kPeerMac, kPeer, Instant{});
  const ByteVec request = icmp6(kPeer, h.global, kEchoReq, 0, echo_body(7, 3, ByteVec(100)));
  auto frags = fragments(kPeer, h.global, 77, request, {64});
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, frags[0]), Instant{});
  EXPECT_EQ(h.stack.reassembly().next_deadline(), Instant{} + seconds(60));
  h.stack.on_timer(Instant{} + seconds(5));  // NUD probes the peer meanwhile
  h.rx(icmp6_frame(h.mac, kPeerMac, kPeer, h.global, kNa, 0, na_body(kS, kPeer)),
       Instant{} + seconds(5));
  h.drain();
  h.stack.on_timer(Instant{} + seconds(60));
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  auto m = parse_icmp6(out[0]);
  EXPECT_EQ(m.type, 3);  // Time Exceeded
  EXPECT_EQ(m.code, 1);  // fragment reassembly time exceeded
  EXPECT_EQ(h.stack.stats().ipv6_reasm_timeouts, 1u);
  EXPECT_EQ(h.stack.stats().icmpv6_tx_time_exceeded, 1u);
  // Without the first fragment nothing is sent.
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, fragments(kPeer, h.global, 78, request, {64})[1]),
       Instant{} + seconds(61));
  h.stack.on_timer(Instant{} + seconds(121));
  for (const ByteVec& f : h.drain()) EXPECT_NE(parse_icmp6(f).type, 3);
  EXPECT_EQ(h.stack.stats().ipv6_reasm_timeouts, 2u);
}

TEST(Ipv6Pmtu, PacketTooBigRecordsPathMtu) {
  Host6 h(1);
  teach6(h, kPeerMac, kPeer, Instant{});
  EXPECT_FALSE(h.stack.path_mtu6(kPeer));
  // The invoking packet: a 1400-byte echo of ours that a router could not forward.
  const ByteVec ours = ipv6(h.global, kPeer, kIcmp6,
                            icmp6(h.global, kPeer, kEchoReq, 0, echo_body(1, 1, ByteVec(1352))));
  const Ipv6Addr router = a6("fe80::1");
  auto ptb = [&](std::uint32_t mtu, Instant now) {
    ByteVec body = Builder{}.u32(mtu).raw(Bytes(ours).first(1232)).out;
    h.rx(ethernet(h.mac, mac(50), kIpv6,
                  ipv6(router, h.global, kIcmp6, icmp6(router, h.global, 2, 0, body))),
         now);
  };
  ptb(1400, Instant{});
  EXPECT_EQ(h.stack.path_mtu6(kPeer), 1400u);
  EXPECT_EQ(h.stack.route6(kPeer)->mtu, 1400u);
  // Below the IPv6 minimum: taken as 1280 (RFC 8201 §4).
  ptb(1000, Instant{});
  EXPECT_EQ(h.stack.path_mtu6(kPeer), 1280u);
  // Never raised by a PTB.
  ptb(1450, Instant{});
  EXPECT_EQ(h.stack.path_mtu6(kPeer), 1280u);
  EXPECT_EQ(h.stack.stats().pmtu_updates, 2u);
  // Echoes now leave in fragments of at most 1280 bytes.
  ASSERT_TRUE(h.stack.send_ping6(kPeer, 1, 2, ByteVec(1300), Instant{}).ok());
  auto out = h.drain();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].size(), 14u + 1280);
  // The estimate ages out after 10 minutes.
  h.stack.on_timer(Instant{} + minutes(10));
  EXPECT_FALSE(h.stack.path_mtu6(kPeer));
  // A PTB quoting a packet that is not ours is ignored.
  const ByteVec theirs = ipv6(a6("fd77::99"), kPeer, 59, {});
  h.rx(ethernet(h.mac, mac(50), kIpv6,
                ipv6(router, h.global, kIcmp6,
                     icmp6(router, h.global, 2, 0, Builder{}.u32(1300).raw(theirs).out))),
       Instant{} + minutes(10));
  EXPECT_FALSE(h.stack.path_mtu6(kPeer));
}

}  // namespace
}  // namespace synack::stack::test
