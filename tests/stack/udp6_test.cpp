// UDP over IPv6 through the Stack (RFC 768, RFC 8200 §8.1): two stacks echoing over
// IPv6, a dual-stack socket on :: answering each family in its own, bind conflicts
// between ::, 0.0.0.0 and specific addresses, the mandatory checksum (zero or wrong:
// dropped and counted), ICMPv6 port unreachable (RFC 4443 §3.1) but never for a
// multicast destination, and datagrams past the MTU fragmented by the source.
#include <gtest/gtest.h>

#include <string>

#include "ipv6_harness.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint8_t kUdpProto = 17;
constexpr std::uint8_t kFragProto = 44;
constexpr std::uint16_t kIpv4 = 0x0800;

// A UDP datagram over IPv6 as found in a frame, its checksum checked by hand.
struct Udp6 {
  Ipv6Addr src, dst;
  std::uint8_t hop_limit = 0;
  std::uint16_t sport = 0, dport = 0, length = 0;
  ByteVec payload;
};
std::optional<Udp6> udp6_of(const ByteVec& frame) {
  if (frame.size() < 14 + 40 + 8 || load_be16(frame, 12) != kIpv6) return std::nullopt;
  const Bytes ip = Bytes(frame).subspan(14);
  if (load_u8(ip, 6) != kUdpProto) return std::nullopt;
  Udp6 u;
  u.src = Ipv6Addr::load(ip, 8);
  u.dst = Ipv6Addr::load(ip, 24);
  u.hop_limit = load_u8(ip, 7);
  const Bytes d = ip.subspan(40, load_be16(ip, 4));
  u.sport = load_be16(d, 0);
  u.dport = load_be16(d, 2);
  u.length = load_be16(d, 4);
  EXPECT_EQ(u.length, d.size());
  EXPECT_NE(load_be16(d, 6), 0) << "a zero UDP checksum over IPv6";
  Checksum c = pseudo6(u.src, u.dst, d.size(), kUdpProto);
  c.add(d);
  EXPECT_EQ(c.finish(), 0) << "bad UDP checksum over IPv6";
  u.payload.assign(d.begin() + 8, d.end());
  return u;
}

ByteVec pattern(std::size_t n) {
  ByteVec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::byte(static_cast<std::uint8_t>(i * 7 + i / 251));
  return v;
}

TEST(UdpOverIpv6, TwoStacksEchoWithExactBytesAndAddresses) {
  Host6 a(1), b(2);
  Segment seg({&a, &b});
  auto server = b.stack.udp_bind(Ipv6Addr::unspecified(), 7);
  auto client = a.stack.udp_bind(a.global, 0);
  ASSERT_TRUE(server.ok() && client.ok());
  const auto local = a.stack.udp_local(*client);
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->first, wire::IpAddr(a.global));
  const std::uint16_t cport = local->second;
  EXPECT_GE(cport, 49152);

  const ByteVec msg = bytes_of("hello over IPv6");
  ASSERT_TRUE(a.stack.udp_send_to(*client, b.global, 7, msg, seg.now).ok());
  seg.pump();
  auto d = b.stack.udp_receive_from(*server);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->src, wire::IpAddr(a.global));
  EXPECT_TRUE(d->src.is_v6());
  EXPECT_EQ(d->src_port, cport);
  EXPECT_EQ(d->dst, wire::IpAddr(b.global));
  EXPECT_EQ(d->payload, msg);
  ASSERT_TRUE(b.stack.udp_send_to(*server, d->src, d->src_port, d->payload, seg.now).ok());
  seg.pump();
  auto back = a.stack.udp_receive_from(*client);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->src, wire::IpAddr(b.global));
  EXPECT_EQ(back->src_port, 7);
  EXPECT_EQ(back->dst, wire::IpAddr(a.global));
  EXPECT_EQ(back->payload, msg);

  // Both datagrams on the wire: IPv6, hop limit 64, the ports, the length, a valid checksum.
  std::vector<Udp6> wire_udp;
  for (const auto& f : seg.log) {
    if (auto u = udp6_of(f)) wire_udp.push_back(*u);
  }
  ASSERT_EQ(wire_udp.size(), 2u);
  EXPECT_EQ(wire_udp[0].src, a.global);
  EXPECT_EQ(wire_udp[0].dst, b.global);
  EXPECT_EQ(wire_udp[0].hop_limit, 64);
  EXPECT_EQ(wire_udp[0].sport, cport);
  EXPECT_EQ(wire_udp[0].dport, 7);
  EXPECT_EQ(wire_udp[0].length, 8 + msg.size());
  EXPECT_EQ(wire_udp[0].payload, msg);
  EXPECT_EQ(wire_udp[1].src, b.global);
  EXPECT_EQ(wire_udp[1].dst, a.global);
  EXPECT_EQ(wire_udp[1].sport, 7);
  EXPECT_EQ(wire_udp[1].dport, cport);
  EXPECT_EQ(a.stack.stats().udp_tx, 1u);
  EXPECT_EQ(b.stack.stats().udp_rx, 1u);
  EXPECT_EQ(a.stack.stats().udp_rx, 1u);
}

TEST(UdpOverIpv6, DualStackSocketReceivesBothFamiliesAndRepliesInEach) {
  Host6 h(1);
  const Instant now{};
  const Ipv4Addr peer4 = ip(10, 77, 0, 9);
  teach(h, kPeerMac, peer4, now);
  teach6(h, kPeerMac, kPeer, now);
  auto s = h.stack.udp_bind(Ipv6Addr::unspecified(), 5353);
  ASSERT_TRUE(s.ok());
  h.rx(ethernet(h.mac, kPeerMac, kIpv4,
                ipv4(peer4, h.addr, kUdpProto, udp(peer4, h.addr, 4000, 5353, as_bytes("four")))),
       now);
  h.rx(ethernet(
           h.mac, kPeerMac, kIpv6,
           ipv6(kPeer, h.global, kUdpProto, udp6(kPeer, h.global, 4001, 5353, as_bytes("six")))),
       now);
  auto d4 = h.stack.udp_receive_from(*s);
  auto d6 = h.stack.udp_receive_from(*s);
  ASSERT_TRUE(d4.has_value() && d6.has_value());
  EXPECT_EQ(d4->src, wire::IpAddr(peer4));  // IPv4 as such, not as ::ffff:10.77.0.9
  EXPECT_TRUE(d4->src.is_v4());
  EXPECT_EQ(d4->src.to_string(), "10.77.0.9");
  EXPECT_EQ(d4->src_port, 4000);
  EXPECT_EQ(d4->dst, wire::IpAddr(h.addr));
  EXPECT_EQ(text_of(d4->payload), "four");
  EXPECT_EQ(d6->src, wire::IpAddr(kPeer));
  EXPECT_EQ(d6->src_port, 4001);
  EXPECT_EQ(d6->dst, wire::IpAddr(h.global));
  EXPECT_EQ(text_of(d6->payload), "six");

  ASSERT_TRUE(h.stack.udp_send_to(*s, d4->src, d4->src_port, as_bytes("r4"), now).ok());
  ASSERT_TRUE(h.stack.udp_send_to(*s, d6->src, d6->src_port, as_bytes("r6"), now).ok());
  auto out = h.drain();
  ASSERT_EQ(out.size(), 2u);
  // The IPv4 reply: from 10.77.0.1:5353 to 10.77.0.9:4000, checksum over IPv4's pseudo-header.
  ASSERT_EQ(load_be16(out[0], 12), kIpv4);
  const Bytes ip4 = Bytes(out[0]).subspan(14);
  EXPECT_EQ(load_u8(ip4, 9), kUdpProto);
  EXPECT_EQ(Ipv4Addr::load(ip4, 12), h.addr);
  EXPECT_EQ(Ipv4Addr::load(ip4, 16), peer4);
  const ByteVec want4 = udp(h.addr, peer4, 5353, 4000, as_bytes("r4"));
  EXPECT_EQ(ByteVec(ip4.begin() + 20, ip4.end()), want4);
  // The IPv6 reply, every byte as built by hand.
  EXPECT_EQ(out[1], ethernet(kPeerMac, h.mac, kIpv6,
                             ipv6(h.global, kPeer, kUdpProto,
                                  udp6(h.global, kPeer, 5353, 4001, as_bytes("r6")))));
}

TEST(UdpOverIpv6, Ipv4WildcardSocketGetsNoIpv6AndCannotSendIt) {
  Host6 h(1);
  const Instant now{};
  teach6(h, kPeerMac, kPeer, now);
  auto s = h.stack.udp_bind(Ipv4Addr::any(), 5353);
  ASSERT_TRUE(s.ok());
  h.rx(ethernet(
           h.mac, kPeerMac, kIpv6,
           ipv6(kPeer, h.global, kUdpProto, udp6(kPeer, h.global, 4001, 5353, as_bytes("six")))),
       now);
  EXPECT_TRUE(h.events().empty());
  EXPECT_FALSE(h.stack.udp_receive_from(*s).has_value());
  EXPECT_EQ(h.stack.stats().udp_rx_no_socket, 1u);
  EXPECT_EQ(h.stack.stats().icmpv6_tx_unreachable, 1u);  // as for a closed port
  h.drain();
  auto sent = h.stack.udp_send_to(*s, kPeer, 4001, as_bytes("x"), now);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error(), SendError::InvalidDestination);
  // Nor from a socket on a specific IPv4 address; and a socket on a specific IPv6
  // address has no IPv4 source.
  auto s4 = h.stack.udp_bind(h.addr, 6000);
  auto s6 = h.stack.udp_bind(h.global, 6001);
  ASSERT_TRUE(s4.ok() && s6.ok());
  EXPECT_EQ(h.stack.udp_send_to(*s4, kPeer, 4001, as_bytes("x"), now).error(),
            SendError::InvalidDestination);
  EXPECT_EQ(h.stack.udp_send_to(*s6, ip(10, 77, 0, 9), 4001, as_bytes("x"), now).error(),
            SendError::InvalidDestination);
  EXPECT_TRUE(h.drain().empty());
  EXPECT_EQ(h.stack.stats().udp_tx, 0u);
}

TEST(UdpOverIpv6, BindConflictsBetweenWildcardsAndAddresses) {
  Host6 h(1);
  const Ipv6Addr any6 = Ipv6Addr::unspecified();
  // :: takes every address of both families: nothing else on its port.
  auto dual = h.stack.udp_bind(any6, 7);
  ASSERT_TRUE(dual.ok());
  EXPECT_EQ(h.stack.udp_bind(Ipv4Addr::any(), 7).error(), BindError::AddrInUse);
  EXPECT_EQ(h.stack.udp_bind(h.addr, 7).error(), BindError::AddrInUse);
  EXPECT_EQ(h.stack.udp_bind(h.global, 7).error(), BindError::AddrInUse);
  EXPECT_EQ(h.stack.udp_bind(any6, 7).error(), BindError::AddrInUse);
  // 0.0.0.0 takes IPv4 only: an IPv6 address may share its port, :: may not.
  ASSERT_TRUE(h.stack.udp_bind(Ipv4Addr::any(), 8).ok());
  EXPECT_EQ(h.stack.udp_bind(any6, 8).error(), BindError::AddrInUse);
  EXPECT_EQ(h.stack.udp_bind(h.addr, 8).error(), BindError::AddrInUse);
  auto on_global = h.stack.udp_bind(h.global, 8);
  ASSERT_TRUE(on_global.ok());
  EXPECT_EQ(h.stack.udp_bind(h.global, 8).error(), BindError::AddrInUse);
  // Two IPv6 addresses of ours on one port; then :: conflicts with either.
  ASSERT_TRUE(h.stack.udp_bind(h.link_local, 9).ok());
  ASSERT_TRUE(h.stack.udp_bind(h.global, 9).ok());
  EXPECT_EQ(h.stack.udp_bind(any6, 9).error(), BindError::AddrInUse);
  EXPECT_EQ(h.stack.udp_bind(a6("fd77::55"), 10).error(), BindError::AddrNotAvailable);
  // Closing :: frees the port for 0.0.0.0.
  h.stack.udp_close(*dual);
  EXPECT_TRUE(h.stack.udp_bind(Ipv4Addr::any(), 7).ok());
  // An ephemeral port picked for :: is taken for 0.0.0.0 too.
  auto eph = h.stack.udp_bind(any6, 0);
  ASSERT_TRUE(eph.ok());
  const auto port = h.stack.udp_local(*eph)->second;
  EXPECT_GE(port, 49152);
  EXPECT_EQ(h.stack.udp_local(*eph)->first, wire::IpAddr(any6));
  EXPECT_EQ(h.stack.udp_bind(Ipv4Addr::any(), port).error(), BindError::AddrInUse);

  // On port 8 the IPv6 datagram reaches the socket on h.global, not the IPv4 wildcard.
  const Instant now{};
  h.rx(ethernet(h.mac, kPeerMac, kIpv6,
                ipv6(kPeer, h.global, kUdpProto, udp6(kPeer, h.global, 4001, 8, as_bytes("to8")))),
       now);
  auto d = h.stack.udp_receive_from(*on_global);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(text_of(d->payload), "to8");
}

TEST(UdpOverIpv6, ZeroChecksumIsDroppedAndCountedUnlikeIpv4) {
  Host6 h(1);
  const Instant now{};
  auto s = h.stack.udp_bind(Ipv6Addr::unspecified(), 5353);
  ASSERT_TRUE(s.ok());
  // RFC 768 lets IPv4 send no checksum (0); RFC 8200 §8.1 does not let IPv6.
  ByteVec d6 = udp6(kPeer, h.global, 4001, 5353, as_bytes("no sum"));
  store_be16(d6, 6, 0);
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, ipv6(kPeer, h.global, kUdpProto, d6)), now);
  EXPECT_FALSE(h.stack.udp_receive_from(*s).has_value());
  EXPECT_EQ(h.stack.stats().udp_rx, 1u);
  EXPECT_EQ(h.stack.stats().udp_rx_zero_checksum6, 1u);
  EXPECT_EQ(h.stack.stats().udp_rx_bad_checksum, 0u);
  EXPECT_TRUE(h.drain().empty());  // no error message either

  const Ipv4Addr peer4 = ip(10, 77, 0, 9);
  ByteVec d4 = udp(peer4, h.addr, 4000, 5353, as_bytes("no sum"));
  store_be16(d4, 6, 0);
  h.rx(ethernet(h.mac, kPeerMac, kIpv4, ipv4(peer4, h.addr, kUdpProto, d4)), now);
  auto got = h.stack.udp_receive_from(*s);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(text_of(got->payload), "no sum");
  EXPECT_EQ(h.stack.stats().udp_rx_zero_checksum6, 1u);
}

TEST(UdpOverIpv6, BadChecksumAndBadLengthAreDropped) {
  Host6 h(1);
  const Instant now{};
  auto s = h.stack.udp_bind(Ipv6Addr::unspecified(), 5353);
  ASSERT_TRUE(s.ok());
  ByteVec bad = udp6(kPeer, h.global, 4001, 5353, as_bytes("payload"));
  bad.back() ^= std::byte{0x01};
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, ipv6(kPeer, h.global, kUdpProto, bad)), now);
  // Checksummed for another destination: the IPv6 pseudo-header counts.
  const ByteVec other = udp6(kPeer, a6("fd77::3"), 4001, 5353, as_bytes("payload"));
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, ipv6(kPeer, h.global, kUdpProto, other)), now);
  // A UDP length past the IPv6 payload.
  ByteVec longer = udp6(kPeer, h.global, 4001, 5353, as_bytes("payload"));
  store_be16(longer, 4, static_cast<std::uint16_t>(longer.size() + 1));
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, ipv6(kPeer, h.global, kUdpProto, longer)), now);
  EXPECT_FALSE(h.stack.udp_receive_from(*s).has_value());
  EXPECT_EQ(h.stack.stats().udp_rx, 3u);
  EXPECT_EQ(h.stack.stats().udp_rx_bad_checksum, 2u);
  EXPECT_EQ(h.stack.stats().udp_rx_malformed, 1u);
  EXPECT_TRUE(h.drain().empty());
}

TEST(UdpOverIpv6, ClosedPortAnswersPortUnreachableQuotingThePacket) {
  Host6 h(1);
  const Instant now{};
  teach6(h, kPeerMac, kPeer, now);
  const ByteVec offending = ipv6(kPeer, h.global, kUdpProto,
                                 udp6(kPeer, h.global, 4001, 9999, as_bytes("anyone there?")));
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, offending), now);
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  const ByteVec& f = out[0];
  // RFC 4443 §3.1: type 1, code 4, 4 unused bytes, then as much of the packet as fits.
  ASSERT_EQ(load_be16(f, 12), kIpv6);
  EXPECT_EQ(load_u8(f, 14 + 6), kIcmp6);
  EXPECT_EQ(Ipv6Addr::load(f, 14 + 8), h.global);
  EXPECT_EQ(Ipv6Addr::load(f, 14 + 24), kPeer);
  EXPECT_EQ(load_u8(f, 54), 1);
  EXPECT_EQ(load_u8(f, 55), 4);
  EXPECT_EQ(load_be32(f, 58), 0u);
  EXPECT_EQ(ByteVec(f.begin() + 62, f.end()), offending);
  // Every byte, checksum included, as built by hand.
  EXPECT_EQ(f, icmp6_frame(kPeerMac, h.mac, h.global, kPeer, 1, 4,
                           Builder{}.u32(0).raw(offending).out, 64));
  const auto msg = parse_icmp6(f);
  EXPECT_EQ(msg.type, 1);
  EXPECT_EQ(msg.code, 4);
  EXPECT_EQ(h.stack.stats().udp_rx_no_socket, 1u);
  EXPECT_EQ(h.stack.stats().icmpv6_tx_unreachable, 1u);
}

TEST(UdpOverIpv6, NoPortUnreachableForAMulticastDestination) {
  Host6 h(1);
  const Instant now{};
  teach6(h, kPeerMac, kPeer, now);
  const Ipv6Addr group = Ipv6Addr::all_nodes();
  h.rx(ethernet(group.multicast_mac(), kPeerMac, kIpv6,
                ipv6(kPeer, group, kUdpProto, udp6(kPeer, group, 4001, 9999, as_bytes("all")))),
       now);
  EXPECT_TRUE(h.drain().empty());
  EXPECT_EQ(h.stack.stats().udp_rx, 1u);
  EXPECT_EQ(h.stack.stats().udp_rx_no_socket, 1u);
  EXPECT_EQ(h.stack.stats().icmpv6_tx_unreachable, 0u);
  // A socket on :: does get a datagram to ff02::1.
  auto s = h.stack.udp_bind(Ipv6Addr::unspecified(), 9999);
  ASSERT_TRUE(s.ok());
  h.rx(ethernet(group.multicast_mac(), kPeerMac, kIpv6,
                ipv6(kPeer, group, kUdpProto, udp6(kPeer, group, 4001, 9999, as_bytes("all")))),
       now);
  auto d = h.stack.udp_receive_from(*s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->dst, wire::IpAddr(group));
  EXPECT_EQ(text_of(d->payload), "all");
}

TEST(UdpOverIpv6, LargeDatagramLeavesInFragmentsAndIsReassembledByteExact) {
  Host6 a(1), b(2);
  Segment seg({&a, &b});
  auto server = b.stack.udp_bind(Ipv6Addr::unspecified(), 7);
  auto client = a.stack.udp_bind(Ipv6Addr::unspecified(), 5000);
  ASSERT_TRUE(server.ok() && client.ok());
  const ByteVec data = pattern(4000);
  ASSERT_TRUE(a.stack.udp_send_to(*client, b.global, 7, data, seg.now).ok());
  seg.pump();
  auto d = b.stack.udp_receive_from(*server);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload, data);
  EXPECT_EQ(d->src, wire::IpAddr(a.global));
  EXPECT_EQ(d->src_port, 5000);
  EXPECT_EQ(b.stack.stats().ipv6_reasm_ok, 1u);

  // RFC 8200 §4.5: the IPv6 header, a Fragment header, then at most MTU - 48 bytes
  // rounded down to 8 (all but the last); one Identification, M set on all but the last.
  const std::size_t mtu = 1500;
  const std::size_t per = (mtu - 40 - 8) & ~std::size_t{7};
  const std::size_t upper = 8 + data.size();
  ByteVec joined;
  std::optional<std::uint32_t> ident;
  std::size_t n = 0;
  for (const auto& f : seg.log) {
    if (load_be16(f, 12) != kIpv6 || load_u8(f, 14 + 6) != kFragProto) continue;
    EXPECT_LE(f.size(), 14 + mtu);
    const Bytes ip = Bytes(f).subspan(14);
    EXPECT_EQ(Ipv6Addr::load(ip, 8), a.global);
    EXPECT_EQ(Ipv6Addr::load(ip, 24), b.global);
    const Bytes fh = ip.subspan(40, 8);
    EXPECT_EQ(load_u8(fh, 0), kUdpProto);  // Next Header after reassembly
    EXPECT_EQ(load_u8(fh, 1), 0);          // reserved
    const std::uint16_t off_flags = load_be16(fh, 2);
    const std::size_t offset = (off_flags >> 3) * 8u;
    const bool more = (off_flags & 1) != 0;
    EXPECT_EQ(off_flags & 6, 0);  // reserved bits
    if (!ident) ident = load_be32(fh, 4);
    EXPECT_EQ(load_be32(fh, 4), *ident);
    EXPECT_EQ(offset, joined.size());
    const Bytes frag_data = ip.subspan(48, load_be16(ip, 4) - 8);
    EXPECT_EQ(more, offset + frag_data.size() < upper);
    if (more) {
      EXPECT_EQ(frag_data.size(), per);
    }
    joined.insert(joined.end(), frag_data.begin(), frag_data.end());
    ++n;
  }
  EXPECT_EQ(n, (upper + per - 1) / per);
  EXPECT_EQ(a.stack.stats().ipv6_tx_fragments, n);
  // The fragments joined are the whole datagram with a valid checksum.
  const ByteVec want = udp6(a.global, b.global, 5000, 7, data);
  EXPECT_EQ(joined, want);
}

TEST(UdpOverIpv6, LargestDatagramGoesAndOneMoreIsMessageTooLong) {
  Host6 a(1), b(2);
  Segment seg({&a, &b});
  auto server = b.stack.udp_bind(Ipv6Addr::unspecified(), 7);
  auto client = a.stack.udp_bind(Ipv6Addr::unspecified(), 5000);
  ASSERT_TRUE(server.ok() && client.ok());
  // Neighbour resolution first: the wait queue holds fewer packets than 64 KiB of fragments.
  ASSERT_TRUE(a.stack.udp_send_to(*client, b.global, 7, as_bytes("hi"), seg.now).ok());
  seg.pump();
  ASSERT_TRUE(b.stack.udp_receive_from(*server).has_value());

  const std::size_t max = 0xffff - 8;  // the payload length field less the UDP header
  const ByteVec too_long = pattern(max + 1);
  auto sent = a.stack.udp_send_to(*client, b.global, 7, too_long, seg.now);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error(), SendError::MessageTooLong);
  EXPECT_EQ(a.stack.stats().ipv6_tx_too_long, 1u);
  EXPECT_TRUE(a.drain().empty());

  const ByteVec largest = pattern(max);
  ASSERT_TRUE(a.stack.udp_send_to(*client, b.global, 7, largest, seg.now).ok());
  seg.pump();
  auto d = b.stack.udp_receive_from(*server);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload, largest);
  EXPECT_EQ(a.stack.stats().udp_tx, 2u);
}

}  // namespace
}  // namespace synack::stack::test
