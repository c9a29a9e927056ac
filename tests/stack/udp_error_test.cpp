// ICMP and ICMPv6 errors quoting a UDP datagram we sent reach the socket that sent it
// (RFC 1122 §4.1.3.3: "UDP MUST pass to the application layer all ICMP error messages
// that it receives from the IP layer"): a UdpError event and the socket's pending error,
// with the error mapped as TCP maps it (tcp::icmp_error_kind). An error quoting a port
// no socket holds, a source that is not ours or too little of the datagram is dropped
// and counted. Fragmentation needed (RFC 1191) and Packet Too Big (RFC 8201) lower the
// path MTU, and the next large datagram is fragmented to fit.
#include <gtest/gtest.h>

#include "ipv6_harness.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint8_t kIcmp = 1, kUdp = 17, kFrag6 = 44;

// The IP packet of an Ethernet frame (what an ICMP error quotes).
ByteVec packet_of(const ByteVec& frame) {
  return ByteVec(frame.begin() + 14, frame.end());
}

std::vector<UdpError> udp_errors(Host& h) {
  std::vector<UdpError> out;
  for (auto& e : h.events()) {
    if (auto* u = std::get_if<UdpError>(&e)) out.push_back(*u);
  }
  return out;
}

// --- IPv4 ------------------------------------------------------------------------

struct UdpIcmp4 : ::testing::Test {
  Host h{2};
  Instant now;
  MacAddr router = mac(0xfe);
  Ipv4Addr router_ip = ip(10, 77, 0, 254);
  Ipv4Addr peer = ip(10, 77, 0, 9);
  UdpSocketId sock{};

  void SetUp() override {
    teach(h, router, router_ip, now);
    teach(h, mac(9), peer, now);
    auto s = h.stack.udp_bind(Ipv4Addr::any(), 5000);
    ASSERT_TRUE(s.ok());
    sock = *s;
  }
  void inject(std::uint8_t type, std::uint8_t code, std::uint32_t rest, Bytes quoted) {
    h.stack.on_frame(h.iface,
                     ethernet(h.mac, router, kIpv4,
                              ipv4(router_ip, h.addr, kIcmp, icmp(type, code, rest, quoted))),
                     now);
  }
  // What the socket would have sent to (peer, 53): IP header and the whole datagram.
  ByteVec sent(std::uint16_t sport = 5000, Ipv4Addr src = {}) {
    if (src.is_unspecified()) src = h.addr;
    return ipv4(src, peer, kUdp, udp(src, peer, sport, 53, as_bytes("query")));
  }
};

TEST(UdpIcmpErrors, PortUnreachableReachesTheSenderWithItsAddress) {
  Host a(1), b(2);
  Segment seg({&a, &b});
  auto s = a.stack.udp_bind(Ipv4Addr::any(), 5000);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(a.stack.udp_send_to(*s, b.addr, 9, as_bytes("anyone?"), seg.now).ok());
  seg.pump();  // B answers with a real port unreachable quoting the datagram
  ASSERT_EQ(b.stack.stats().icmp_tx_port_unreachable, 1u);
  const UdpError want{*s, b.addr, 9, tcp::ConnError::PortUnreachable, 0, b.addr};
  EXPECT_EQ(udp_errors(a), std::vector<UdpError>{want});
  EXPECT_EQ(a.stack.stats().icmp_rx_errors_udp, 1u);
  // The pending error (SO_ERROR) is read once.
  EXPECT_EQ(a.stack.udp_take_error(*s), want);
  EXPECT_FALSE(a.stack.udp_take_error(*s).has_value());
}

TEST_F(UdpIcmp4, ErrorKindsFollowTheTcpMapping) {
  const ByteVec q = sent();
  inject(3, 0, 0, q);   // net unreachable
  inject(3, 1, 0, q);   // host unreachable
  inject(3, 13, 0, q);  // communication administratively prohibited
  inject(3, 10, 0, q);  // host administratively prohibited
  inject(11, 0, 0, q);  // time exceeded in transit
  inject(3, 2, 0, q);   // protocol unreachable
  auto errs = udp_errors(h);
  ASSERT_EQ(errs.size(), 6u);
  using tcp::ConnError;
  const ConnError want[] = {ConnError::NetUnreachable,  ConnError::HostUnreachable,
                            ConnError::AdminProhibited, ConnError::AdminProhibited,
                            ConnError::HostUnreachable, ConnError::ProtocolUnreachable};
  for (std::size_t i = 0; i < errs.size(); ++i) {
    EXPECT_EQ(errs[i].error, want[i]) << i;
    EXPECT_EQ(errs[i].remote, wire::IpAddr(peer));
    EXPECT_EQ(errs[i].remote_port, 53);
    EXPECT_EQ(errs[i].reporter, wire::IpAddr(router_ip));
    EXPECT_EQ(errs[i].mtu, 0u);
  }
  // The latest one is pending.
  EXPECT_EQ(h.stack.udp_take_error(sock)->error, ConnError::ProtocolUnreachable);
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_udp, 6u);
  // RFC 6633: Source Quench is discarded.
  inject(4, 0, 0, q);
  EXPECT_TRUE(udp_errors(h).empty());
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_ignored, 1u);
}

TEST_F(UdpIcmp4, ErrorsForAnotherPortOrAForeignSourceAreDroppedAndCounted) {
  inject(3, 3, 0, sent(5001));                     // no socket on port 5001
  inject(3, 3, 0, sent(5000, ip(10, 77, 0, 50)));  // a source that is not ours
  ByteVec later = sent();
  store_be16(later, 6, 0x00b9);  // a later fragment: no UDP header
  store_be16(later, 10, 0);
  store_be16(later, 10, internet_checksum(Bytes(later).first(20)));
  inject(3, 3, 0, later);
  ByteVec short_len = sent();
  store_be16(short_len, 20 + 4, 7);  // a UDP length below its header
  inject(3, 3, 0, short_len);
  EXPECT_TRUE(udp_errors(h).empty());
  EXPECT_FALSE(h.stack.udp_take_error(sock).has_value());
  EXPECT_EQ(h.stack.stats().icmp_rx_errors, 4u);
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_no_socket, 1u);
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_ignored, 3u);
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_udp, 0u);
}

TEST_F(UdpIcmp4, TruncatedQuoteIsDroppedAndCounted) {
  const ByteVec q = sent();
  // RFC 792: the IP header and the first 64 bits of data; 7 bytes are not enough.
  inject(3, 3, 0, Bytes(q).first(20 + 7));
  EXPECT_TRUE(udp_errors(h).empty());
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_truncated, 1u);
  // Exactly 8 bytes are.
  inject(3, 3, 0, Bytes(q).first(20 + 8));
  EXPECT_EQ(udp_errors(h).size(), 1u);
}

TEST_F(UdpIcmp4, FragNeededLowersThePathMtuAndTheNextDatagramIsFragmentedToFit) {
  const ByteVec data(1400, std::byte{0x5a});
  ASSERT_TRUE(h.stack.udp_send_to(sock, peer, 53, data, now).ok());
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(load_be16(out[0], 14 + 6), 0x4000);  // whole, DF set
  // A router with a 1000-byte next hop sends it back (RFC 1191 §4).
  inject(3, 4, 1000, Bytes(packet_of(out[0])).first(28));
  auto errs = udp_errors(h);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].error, tcp::ConnError::MessageTooLong);
  EXPECT_EQ(errs[0].mtu, 1000u);
  EXPECT_EQ(h.stack.path_mtu(peer), 1000u);
  EXPECT_EQ(h.stack.stats().ip_pmtu_updates, 1u);

  ASSERT_TRUE(h.stack.udp_send_to(sock, peer, 53, data, now).ok());
  out = h.drain();
  ASSERT_EQ(out.size(), 2u);
  ByteVec joined;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const Bytes ip4 = Bytes(out[i]).subspan(14);
    EXPECT_LE(load_be16(ip4, 2), 1000u);  // total length fits the path MTU
    const std::uint16_t flags = load_be16(ip4, 6);
    EXPECT_EQ(flags & 0x4000, 0);                          // DF clear
    EXPECT_EQ((flags & 0x2000) != 0, i + 1 < out.size());  // MF on all but the last
    EXPECT_EQ((flags & 0x1fffu) * 8u, joined.size());
    joined.insert(joined.end(), ip4.begin() + 20, ip4.begin() + load_be16(ip4, 2));
  }
  EXPECT_EQ(joined, udp(h.addr, peer, 5000, 53, data));
  // Never raised by an error, never below 552 (Linux's min_pmtu), and 0 is no estimate.
  inject(3, 4, 1200, Bytes(packet_of(out[0])).first(28));
  EXPECT_EQ(h.stack.path_mtu(peer), 1000u);
  inject(3, 4, 0, Bytes(packet_of(out[0])).first(28));
  EXPECT_EQ(h.stack.path_mtu(peer), 1000u);
  inject(3, 4, 300, Bytes(packet_of(out[0])).first(28));
  EXPECT_EQ(h.stack.path_mtu(peer), kMinIpv4Pmtu);
  // RFC 1191 §6.3: the estimate ages out.
  ASSERT_TRUE(h.stack.next_deadline().has_value());
  h.stack.on_timer(now + StackConfig{}.pmtu_expiry);
  EXPECT_FALSE(h.stack.path_mtu(peer).has_value());
}

// --- IPv6 ------------------------------------------------------------------------

struct UdpIcmp6 : ::testing::Test {
  Host6 h{1};
  Instant now;
  UdpSocketId sock{};

  void SetUp() override {
    teach6(h, kPeerMac, kPeer, now);
    auto s = h.stack.udp_bind(Ipv6Addr::unspecified(), 5000);
    ASSERT_TRUE(s.ok());
    sock = *s;
  }
  void inject(std::uint8_t type, std::uint8_t code, std::uint32_t rest, Bytes quoted) {
    h.rx(icmp6_frame(h.mac, kRouterMac, kRouter, h.global, type, code,
                     Builder{}.u32(rest).raw(quoted).out, 64),
         now);
  }
  ByteVec sent(std::uint16_t sport = 5000, const Ipv6Addr* src = nullptr) {
    const Ipv6Addr& from = src ? *src : h.global;
    return ipv6(from, kPeer, kUdp, udp6(from, kPeer, sport, 53, as_bytes("query")));
  }
};

TEST(UdpIcmp6Errors, PortUnreachableReachesTheSenderWithItsAddress) {
  Host6 a(1), b(2);
  Segment seg({&a, &b});
  auto s = a.stack.udp_bind(Ipv6Addr::unspecified(), 5000);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(a.stack.udp_send_to(*s, b.global, 9, as_bytes("anyone?"), seg.now).ok());
  seg.pump();  // B answers with a real ICMPv6 port unreachable (RFC 4443 §3.1 code 4)
  ASSERT_EQ(b.stack.stats().icmpv6_tx_unreachable, 1u);
  const UdpError want{*s, b.global, 9, tcp::ConnError::PortUnreachable, 0, b.global};
  EXPECT_EQ(udp_errors(a), std::vector<UdpError>{want});
  EXPECT_EQ(a.stack.udp_take_error(*s), want);
  EXPECT_FALSE(a.stack.udp_take_error(*s).has_value());
  EXPECT_EQ(a.stack.stats().icmp_rx_errors_udp, 1u);
}

TEST_F(UdpIcmp6, ErrorKindsFollowTheTcpMapping) {
  const ByteVec q = sent();
  inject(1, 0, 0, q);  // no route
  inject(1, 1, 0, q);  // administratively prohibited
  inject(1, 3, 0, q);  // address unreachable
  inject(3, 0, 0, q);  // hop limit exceeded
  inject(4, 1, 6, q);  // unrecognized Next Header at our UDP header
  auto errs = udp_errors(h);
  ASSERT_EQ(errs.size(), 5u);
  using tcp::ConnError;
  const ConnError want[] = {ConnError::NetUnreachable, ConnError::AdminProhibited,
                            ConnError::HostUnreachable, ConnError::HostUnreachable,
                            ConnError::ProtocolUnreachable};
  for (std::size_t i = 0; i < errs.size(); ++i) {
    EXPECT_EQ(errs[i].error, want[i]) << i;
    EXPECT_EQ(errs[i].remote, wire::IpAddr(kPeer));
    EXPECT_EQ(errs[i].remote_port, 53);
    EXPECT_EQ(errs[i].reporter, wire::IpAddr(kRouter));
  }
}

TEST_F(UdpIcmp6, ErrorsForAnotherPortOrAForeignSourceAreDroppedAndCounted) {
  inject(1, 4, 0, sent(5001));
  const Ipv6Addr stranger = a6("fd77::50");
  inject(1, 4, 0, sent(5000, &stranger));
  EXPECT_TRUE(udp_errors(h).empty());
  EXPECT_FALSE(h.stack.udp_take_error(sock).has_value());
  EXPECT_EQ(h.stack.stats().icmpv6_rx_errors, 2u);
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_no_socket, 1u);
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_ignored, 1u);
}

TEST_F(UdpIcmp6, TruncatedQuoteIsDroppedAndCounted) {
  const ByteVec q = sent();
  inject(1, 4, 0, Bytes(q).first(40 + 7));  // not even the UDP ports and length
  inject(1, 4, 0, Bytes(q).first(39));      // not even the IPv6 header
  EXPECT_TRUE(udp_errors(h).empty());
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_truncated, 2u);
  inject(1, 4, 0, Bytes(q).first(40 + 8));
  EXPECT_EQ(udp_errors(h).size(), 1u);
}

TEST_F(UdpIcmp6, PacketTooBigLowersThePathMtuAndTheNextDatagramIsFragmentedToFit) {
  const ByteVec data(1400, std::byte{0xa5});
  ASSERT_TRUE(h.stack.udp_send_to(sock, kPeer, 53, data, now).ok());
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(load_u8(out[0], 14 + 6), kUdp);  // whole
  // RFC 4443 §3.2: the MTU, then as much of the packet as fits in 1280 bytes.
  inject(2, 0, 1280, Bytes(packet_of(out[0])).first(1280 - 48));
  auto errs = udp_errors(h);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].error, tcp::ConnError::MessageTooLong);
  EXPECT_EQ(errs[0].mtu, 1280u);
  EXPECT_EQ(h.stack.path_mtu6(kPeer), 1280u);

  ASSERT_TRUE(h.stack.udp_send_to(sock, kPeer, 53, data, now).ok());
  out = h.drain();
  ASSERT_EQ(out.size(), 2u);
  ByteVec joined;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const Bytes ip6 = Bytes(out[i]).subspan(14);
    EXPECT_LE(40u + load_be16(ip6, 4), 1280u);
    ASSERT_EQ(load_u8(ip6, 6), kFrag6);
    const std::uint16_t off_flags = load_be16(ip6, 42);
    EXPECT_EQ((off_flags & 1) != 0, i + 1 < out.size());
    EXPECT_EQ((off_flags >> 3) * 8u, joined.size());
    joined.insert(joined.end(), ip6.begin() + 48, ip6.begin() + 40 + load_be16(ip6, 4));
  }
  EXPECT_EQ(joined, udp6(h.global, kPeer, 5000, 53, data));
  // An error quoting the first fragment (behind its Fragment header) still finds the
  // socket; one quoting a later fragment has no UDP header to go by.
  inject(1, 4, 0, packet_of(out[0]));
  inject(1, 4, 0, packet_of(out[1]));
  errs = udp_errors(h);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].error, tcp::ConnError::PortUnreachable);
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_ignored, 1u);
}

}  // namespace
}  // namespace synack::stack::test
