// IPv4 input checks (RFC 1122 §3.2.1), output (routing, TTL, ident, DF, MTU) and
// ICMP echo (RFC 792) through the Stack.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint8_t kIcmp = 1, kUdp = 17;

std::uint32_t echo_rest(std::uint16_t ident, std::uint16_t seq) {
  return (std::uint32_t{ident} << 16) | seq;
}

TEST(StackIcmp, PingRoundTripExactBytes) {
  Host a(1), b(2);
  Segment seg({&a, &b});
  ByteVec data = bytes_of("synack ping payload");
  ASSERT_TRUE(a.stack.send_ping(b.addr, 0x1234, 7, data, seg.now).ok());
  seg.pump();
  // ARP request, ARP reply, echo request; B learned A from the request, so the
  // echo reply needs no resolution of its own.
  ASSERT_EQ(seg.log.size(), 4u);
  EXPECT_EQ(seg.log[2], ethernet(b.mac, a.mac, kIpv4,
                                 ipv4(a.addr, b.addr, kIcmp, icmp(8, 0, echo_rest(0x1234, 7), data),
                                      {.ident = 0x100})));
  EXPECT_EQ(seg.log[3], ethernet(a.mac, b.mac, kIpv4,
                                 ipv4(b.addr, a.addr, kIcmp, icmp(0, 0, echo_rest(0x1234, 7), data),
                                      {.ident = 0x200})));
  auto events = a.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<PingReply>(events[0]), (PingReply{b.addr, 0x1234, 7, data}));
  EXPECT_TRUE(b.events().empty());
  EXPECT_EQ(a.stack.stats().icmp_tx_echo_requests, 1u);
  EXPECT_EQ(a.stack.stats().icmp_rx_echo_replies, 1u);
  EXPECT_EQ(b.stack.stats().icmp_rx_echo_requests, 1u);
  EXPECT_EQ(b.stack.stats().icmp_tx_echo_replies, 1u);

  // The next packet takes the next Identification value.
  ASSERT_TRUE(a.stack.send_ping(b.addr, 0x1234, 8, data, seg.now).ok());
  auto out = a.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(load_be16(out[0], 14 + 4), 0x101);
}

TEST(StackIcmp, TtlComesFromConfig) {
  StackConfig cfg;
  cfg.default_ttl = 17;
  Host a(1, cfg);
  teach(a, mac(2), ip(10, 77, 0, 2), Instant{});
  ASSERT_TRUE(a.stack.send_ping(ip(10, 77, 0, 2), 1, 1, {}, Instant{}).ok());
  auto out = a.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], ethernet(mac(2), a.mac, kIpv4,
                             ipv4(a.addr, ip(10, 77, 0, 2), kIcmp, icmp(8, 0, echo_rest(1, 1), {}),
                                  {.ident = 0x100, .ttl = 17})));
}

TEST(StackIcmp, EchoRequestToBroadcastIsDropped) {
  Host b(2);
  Instant now;
  ByteVec req = icmp(8, 0, echo_rest(1, 1), as_bytes("x"));
  b.stack.on_frame(b.iface,
                   ethernet(MacAddr::broadcast(), mac(9), kIpv4,
                            ipv4(ip(10, 77, 0, 9), Ipv4Addr::broadcast(), kIcmp, req)),
                   now);
  b.stack.on_frame(b.iface,
                   ethernet(MacAddr::broadcast(), mac(9), kIpv4,
                            ipv4(ip(10, 77, 0, 9), ip(10, 77, 0, 255), kIcmp, req)),
                   now);
  EXPECT_TRUE(b.drain().empty());
  EXPECT_EQ(b.stack.stats().ip_rx_broadcast_dropped, 2u);
  EXPECT_EQ(b.stack.stats().icmp_rx, 0u);
}

// Each malformed or misaddressed input is dropped silently and counted under its reason.
TEST(StackIpv4, BadInputIsDroppedAndCountedByReason) {
  Host b(2);
  Instant now;
  MacAddr peer = mac(9);
  Ipv4Addr src = ip(10, 77, 0, 9);
  ByteVec dgram = udp(src, b.addr, 1000, 2000, as_bytes("hello"));
  ByteVec good = ipv4(src, b.addr, kUdp, dgram);
  auto frame = [&](const ByteVec& packet) { return ethernet(b.mac, peer, kIpv4, packet); };
  Stats want;

  ByteVec bad_sum = good;
  bad_sum[10] ^= std::byte{0x01};
  b.stack.on_frame(b.iface, frame(bad_sum), now);
  want.ip_rx_bad_checksum = 1;

  b.stack.on_frame(b.iface, frame(ByteVec(good.begin(), good.begin() + 12)), now);
  want.ip_rx_truncated = 1;

  ByteVec v6 = good;
  v6[0] = std::byte{0x65};
  store_be16(v6, 10, 0);
  store_be16(v6, 10, internet_checksum(Bytes(v6).first(20)));
  b.stack.on_frame(b.iface, frame(v6), now);
  want.ip_rx_bad_header = 1;

  b.stack.on_frame(b.iface, frame(ipv4(src, ip(10, 77, 0, 99), kUdp, dgram)), now);
  want.ip_rx_not_for_us = 1;

  b.stack.on_frame(b.iface, frame(ipv4(src, b.addr, kUdp, dgram, {.flags_frag = 0x2000})), now);
  b.stack.on_frame(b.iface, frame(ipv4(src, b.addr, kUdp, dgram, {.flags_frag = 0x0010})), now);
  want.ip_rx_fragments = 2;
  want.ip_reasm_refused = 1;  // MF with 13 bytes: not a multiple of 8
  // (the other, a last fragment at 128, waits for the rest)

  b.stack.on_frame(b.iface, frame(ipv4(Ipv4Addr::broadcast(), b.addr, kUdp, dgram)), now);
  b.stack.on_frame(b.iface, frame(ipv4(ip(10, 77, 0, 255), b.addr, kUdp, dgram)), now);
  want.ip_rx_bad_src = 2;

  ByteVec bad_udp = dgram;
  bad_udp[7] ^= std::byte{0x40};
  b.stack.on_frame(b.iface, frame(ipv4(src, b.addr, kUdp, bad_udp)), now);
  want.udp_rx = 1;
  want.udp_rx_bad_checksum = 1;

  ByteVec bad_icmp = icmp(8, 0, echo_rest(1, 1), as_bytes("x"));
  bad_icmp[2] ^= std::byte{0x01};
  b.stack.on_frame(b.iface, frame(ipv4(src, b.addr, kIcmp, bad_icmp)), now);
  want.icmp_rx = 1;
  want.icmp_rx_malformed = 1;
  want.ip_rx = 10;

  b.stack.on_frame(b.iface, ethernet(mac(0x33), peer, kIpv4, good), now);
  want.eth_rx_not_for_us = 1;
  b.stack.on_frame(b.iface, ethernet(b.mac, peer, 0x86dd, good), now);
  want.eth_rx_unknown_type = 1;
  b.stack.on_frame(b.iface, ByteVec(10), now);
  want.eth_rx_malformed = 1;
  b.stack.on_frame(IfaceId{7}, frame(good), now);
  want.eth_rx_bad_iface = 1;
  want.eth_rx_frames = 14;

  EXPECT_EQ(b.stack.stats(), want);
  EXPECT_TRUE(b.drain().empty());
  EXPECT_TRUE(b.events().empty());
}

TEST(StackIpv4, UnknownProtocolGetsProtocolUnreachable) {
  Host b(2);
  Instant now;
  MacAddr peer = mac(9);
  Ipv4Addr src = ip(10, 77, 0, 9);
  teach(b, peer, src, now);
  ByteVec packet = ipv4(src, b.addr, 99, as_bytes("some protocol"), {.ident = 0x4242});
  b.stack.on_frame(b.iface, ethernet(b.mac, peer, kIpv4, packet), now);
  auto out = b.drain();
  ASSERT_EQ(out.size(), 1u);
  // RFC 792: type 3 code 2, the unused word zero, then the whole (short) datagram.
  EXPECT_EQ(out[0], ethernet(peer, b.mac, kIpv4,
                             ipv4(b.addr, src, kIcmp, icmp(3, 2, 0, packet), {.ident = 0x200})));
  EXPECT_EQ(b.stack.stats().ip_rx_unknown_protocol, 1u);
  EXPECT_EQ(b.stack.stats().icmp_tx_proto_unreachable, 1u);
}

TEST(StackIpv4, NoRouteWithoutGateway) {
  Host a(1);
  Instant now;
  auto s = a.stack.udp_bind(Ipv4Addr::any(), 0);
  ASSERT_TRUE(s.ok());
  auto st = a.stack.send_ping(ip(192, 168, 1, 1), 1, 1, {}, now);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), SendError::NoRoute);
  auto st2 = a.stack.udp_send_to(*s, ip(8, 8, 8, 8), 53, as_bytes("q"), now);
  ASSERT_FALSE(st2.ok());
  EXPECT_EQ(st2.error(), SendError::NoRoute);
  EXPECT_EQ(a.stack.stats().ip_tx_no_route, 2u);
  EXPECT_EQ(a.stack.stats().ip_tx, 0u);
  EXPECT_TRUE(a.drain().empty());

  // A gateway that is not on-link is no route either.
  a.stack.set_default_gateway(ip(192, 168, 9, 1));
  EXPECT_EQ(a.stack.route(ip(8, 8, 8, 8)), std::nullopt);
}

TEST(StackIpv4, OffLinkGoesViaGateway) {
  Host a(1);
  Instant now;
  Ipv4Addr gw = ip(10, 77, 0, 254);
  a.stack.set_default_gateway(gw);
  auto r = a.stack.route(ip(8, 8, 8, 8));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->next_hop, gw);
  EXPECT_EQ(r->src, a.addr);
  ASSERT_TRUE(a.stack.send_ping(ip(8, 8, 8, 8), 1, 1, as_bytes("x"), now).ok());
  auto out = a.drain();
  ASSERT_EQ(out.size(), 1u);
  // ARP asks for the gateway, not for the destination.
  EXPECT_EQ(out[0],
            ethernet(MacAddr::broadcast(), a.mac, 0x0806, arp(1, a.mac, a.addr, MacAddr{}, gw)));
  // Once the gateway answers, the packet leaves addressed to 8.8.8.8 at the gateway's MAC.
  MacAddr gw_mac = mac(0xfe);
  a.stack.on_frame(a.iface, ethernet(a.mac, gw_mac, 0x0806, arp(2, gw_mac, gw, a.mac, a.addr)),
                   now);
  out = a.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], ethernet(gw_mac, a.mac, kIpv4,
                             ipv4(a.addr, ip(8, 8, 8, 8), kIcmp,
                                  icmp(8, 0, echo_rest(1, 1), as_bytes("x")), {.ident = 0x100})));
  // On-link destinations still go direct.
  EXPECT_EQ(a.stack.route(ip(10, 77, 0, 7))->next_hop, ip(10, 77, 0, 7));
}

TEST(StackIpv4, LongestPrefixPicksInterfaceAndSource) {
  SeededRandom rng(3);
  Stack s(StackConfig{}, rng);
  auto i0 = s.add_interface(mac(1), Ipv4Cidr{ip(10, 77, 0, 1), 16});
  auto i1 = s.add_interface(mac(2), Ipv4Cidr{ip(10, 77, 5, 1), 24});
  auto r = s.route(ip(10, 77, 5, 9));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->iface, i1);
  EXPECT_EQ(r->src, ip(10, 77, 5, 1));
  r = s.route(ip(10, 77, 6, 9));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->iface, i0);
  EXPECT_EQ(r->src, ip(10, 77, 0, 1));
  EXPECT_FALSE(r->link_broadcast);
  EXPECT_TRUE(s.route(ip(10, 77, 5, 255))->link_broadcast);
  EXPECT_EQ(s.route(ip(224, 0, 0, 1)), std::nullopt);  // no multicast yet
}

// UDP as Linux sends it by default (IP_PMTUDISC_WANT): what fits the MTU leaves whole
// with DF, one byte more is fragmented (DF clear), past the IPv4 maximum it is refused.
TEST(StackIpv4, UdpFitsWithDfLargerIsFragmentedPastMaximumRefused) {
  Host a(1);
  Instant now;
  teach(a, mac(2), ip(10, 77, 0, 2), now);
  auto s = a.stack.udp_bind(Ipv4Addr::any(), 4000);
  ASSERT_TRUE(s.ok());
  ByteVec big(1500 - 20 - 8);  // exactly the MTU
  ASSERT_TRUE(a.stack.udp_send_to(*s, ip(10, 77, 0, 2), 9, big, now).ok());
  auto out = a.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].size(), 14u + 1500u);
  EXPECT_EQ(load_be16(out[0], 14 + 6), 0x4000);  // DF, offset 0
  big.push_back(std::byte{0});
  ASSERT_TRUE(a.stack.udp_send_to(*s, ip(10, 77, 0, 2), 9, big, now).ok());
  out = a.drain();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(load_be16(out[0], 14 + 6), 0x2000);    // MF, offset 0, no DF
  EXPECT_EQ(load_be16(out[1], 14 + 6), 1480 / 8);  // last: offset 1480
  EXPECT_EQ(out[1].size(), 14u + 20u + 1u);        // 1481 bytes of UDP: 1 byte left
  EXPECT_EQ(a.stack.stats().ip_tx_fragments, 2u);

  ByteVec max(65507);
  ASSERT_TRUE(a.stack.udp_send_to(*s, ip(10, 77, 0, 2), 9, max, now).ok());
  EXPECT_EQ(a.drain().size(), 45u);  // 65515 bytes in pieces of 1480
  max.push_back(std::byte{0});
  auto st = a.stack.udp_send_to(*s, ip(10, 77, 0, 2), 9, max, now);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), SendError::MessageTooLong);
  EXPECT_EQ(a.stack.stats().ip_tx_too_long, 1u);
  EXPECT_TRUE(a.drain().empty());
}

}  // namespace
}  // namespace synack::stack::test
