// TCP over IPv6 at the TCP layer: the IPv6 pseudo-header checksum (RFC 8200 §8.1), MSS
// = MTU - 60 and the 1220 default (RFC 9293 MUST-15), dual-stack listeners (an IPv4
// peer reaches a listener on ::, as with Linux's default), the IPv6 minimum MTU for
// Packet Too Big (RFC 8201 §4), and SYN cookies and Fast Open cookies keyed on IPv6
// addresses. Driven with raw segments; the bytes are parsed back and checked.
#include <gtest/gtest.h>

#include "synack/tcp/fastopen.hpp"
#include "synack/tcp/icmpv6_error.hpp"
#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

const wire::IpAddr kSix1 = wire::Ipv6Addr::parse("fd77::1").value();
const wire::IpAddr kSix2 = wire::Ipv6Addr::parse("fd77::2").value();
const wire::IpAddr kAny6 = wire::Ipv6Addr::unspecified();

TcpConfig plain() {
  TcpConfig c;
  c.timestamps = false;
  c.window_scaling = false;
  return c;
}

Peer six_peer() {
  Peer p;
  p.addr = kSix2;
  p.to_addr = kSix1;
  return p;
}

wire::TcpOptions mss(std::uint16_t v) {
  wire::TcpOptions o;
  o.mss = v;
  return o;
}

struct Server {
  explicit Server(Endpoint on, TcpConfig c = plain()) : cfg(c), proto(cfg, rng) {
    lid = proto.listen(on, 4).value();
  }
  TcpConfig cfg;
  SeededRandom rng{7};
  TcpProtocol proto;
  ListenerId lid;
};

TEST(TcpIpv6, SynAckOverIpv6CarriesMtuMinus60AndTheIpv6Checksum) {
  Server s(Endpoint{kSix1, 80});
  const Peer peer = six_peer();
  s.proto.on_segment(peer.seg(F::kSyn, 5000, 0, 8192, {}, mss(1440)), at_ms(0));
  auto out = drain(s.proto);  // parsed with the pseudo-header of out.src/out.dst
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags(), "S.");
  EXPECT_EQ(out[0].out.src, kSix1);
  EXPECT_EQ(out[0].out.dst, kSix2);
  ASSERT_TRUE(out[0].seg.options.mss.has_value());
  EXPECT_EQ(*out[0].seg.options.mss, 1440);  // 1500 - 40 (IPv6) - 20 (TCP)
  // Room for Ethernet and the 40-byte IPv6 header in front of the segment.
  EXPECT_EQ(out[0].out.buffer.size() - out[0].out.bytes().size(), kSegmentHeadroom6);
  // The checksum covers the IPv6 pseudo-header: the same bytes fail under any other.
  const Bytes seg = out[0].out.bytes();
  EXPECT_TRUE(wire::TcpRepr::parse(seg, wire::PseudoHeader::ipv6(kSix1.v6(), kSix2.v6())).ok());
  EXPECT_EQ(wire::TcpRepr::parse(seg, wire::PseudoHeader::ipv6(kSix1.v6(), kSix1.v6())).error(),
            wire::WireError::BadChecksum);
  EXPECT_EQ(wire::TcpRepr::parse(seg, wire::PseudoHeader{kAddrA, kAddrB}).error(),
            wire::WireError::BadChecksum);

  s.proto.on_segment(peer.seg(F::kAck, 5001, out[0].seg.seq.raw() + 1, 8192), at_ms(10));
  const ConnId c = s.proto.accept(s.lid).value();
  EXPECT_EQ(s.proto.state(c), State::Established);
  const Tcb* t = s.proto.tcb(c);
  EXPECT_EQ(t->local().addr, kSix1);
  EXPECT_EQ(t->remote().addr, kSix2);
  // MUST-16: min(1440 + 20, 1500 - 40) - 20.
  EXPECT_EQ(t->eff_snd_mss(), 1440u);
}

TEST(TcpIpv6, DefaultSendMssIs1220WithoutOption) {
  // MUST-15: "536 (576 - 40) for IPv4 or 1220 (1280 - 60) for IPv6".
  Server s(Endpoint{kSix1, 80});
  const Peer peer = six_peer();
  s.proto.on_segment(peer.seg(F::kSyn, 1, 0, 8192), at_ms(0));
  auto sa = drain(s.proto);
  ASSERT_EQ(sa.size(), 1u);
  s.proto.on_segment(peer.seg(F::kAck, 2, sa[0].seg.seq.raw() + 1, 8192), at_ms(1));
  EXPECT_EQ(s.proto.tcb(s.proto.accept(s.lid).value())->eff_snd_mss(), 1220u);
}

TEST(TcpIpv6, ListenerOnUnspecifiedIpv6TakesBothFamilies) {
  Server s(Endpoint{kAny6, 80});
  // An IPv4 peer: the answer is IPv4 from the address the SYN was sent to.
  const Peer four;
  s.proto.on_segment(four.seg(F::kSyn, 100, 0, 8192, {}, mss(1460)), at_ms(0));
  auto sa4 = drain(s.proto);
  ASSERT_EQ(sa4.size(), 1u);
  EXPECT_EQ(sa4[0].out.src, wire::IpAddr(kAddrA));
  EXPECT_EQ(sa4[0].out.dst, wire::IpAddr(kAddrB));
  EXPECT_TRUE(sa4[0].out.src.is_v4());
  EXPECT_EQ(*sa4[0].seg.options.mss, 1460);  // IPv4 headers
  // An IPv6 peer on the same port.
  const Peer six = six_peer();
  s.proto.on_segment(six.seg(F::kSyn, 900, 0, 8192, {}, mss(1440)), at_ms(1));
  auto sa6 = drain(s.proto);
  ASSERT_EQ(sa6.size(), 1u);
  EXPECT_EQ(sa6[0].out.dst, kSix2);
  EXPECT_EQ(*sa6[0].seg.options.mss, 1440);
  s.proto.on_segment(four.seg(F::kAck, 101, sa4[0].seg.seq.raw() + 1, 8192), at_ms(2));
  s.proto.on_segment(six.seg(F::kAck, 901, sa6[0].seg.seq.raw() + 1, 8192), at_ms(2));
  const ConnId c4 = s.proto.accept(s.lid).value();
  const ConnId c6 = s.proto.accept(s.lid).value();
  EXPECT_EQ(s.proto.tcb(c4)->local().addr, wire::IpAddr(kAddrA));
  EXPECT_EQ(s.proto.tcb(c6)->local().addr, kSix1);
}

TEST(TcpIpv6, ListenerOnIpv4AnyRefusesIpv6AndSpecificListenersWin) {
  Server s(Endpoint{wire::Ipv4Addr::any(), 80});
  const Peer six = six_peer();
  s.proto.on_segment(six.seg(F::kSyn, 900, 0, 8192), at_ms(0));
  auto out = drain(s.proto);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags(), "R.");  // no listener for IPv6: reset (§3.10.7.1)
  EXPECT_EQ(out[0].out.dst, kSix2);
  EXPECT_EQ(out[0].seg.ack.raw(), 901u);

  // :: overlaps 0.0.0.0 on the same port (as Linux without IPV6_V6ONLY)...
  EXPECT_EQ(s.proto.listen(Endpoint{kAny6, 80}, 4).error(), ListenError::AddressInUse);
  // ...a specific IPv6 address does not, and takes its own SYNs.
  const ListenerId specific = s.proto.listen(Endpoint{kSix1, 80}, 4).value();
  s.proto.on_segment(six.seg(F::kSyn, 900, 0, 8192), at_ms(1));
  auto sa = drain(s.proto);
  ASSERT_EQ(sa.size(), 1u);
  EXPECT_EQ(sa[0].flags(), "S.");
  s.proto.on_segment(six.seg(F::kAck, 901, sa[0].seg.seq.raw() + 1, 8192), at_ms(2));
  EXPECT_TRUE(s.proto.accept(specific).ok());
  EXPECT_EQ(s.proto.accept(s.lid).error(), AcceptError::WouldBlock);
}

TEST(TcpIpv6, ConnectRefusesMixedFamiliesAndMulticast) {
  SeededRandom rng(3);
  TcpConfig cfg = plain();
  TcpProtocol p(cfg, rng);
  EXPECT_EQ(p.connect(Endpoint{kAddrA, 0}, Endpoint{kSix2, 80}, at_ms(0)).error(),
            ConnectError::InvalidAddress);
  EXPECT_EQ(p.connect(Endpoint{kSix1, 0}, Endpoint{kAddrB, 80}, at_ms(0)).error(),
            ConnectError::InvalidAddress);
  const wire::IpAddr all_nodes = wire::Ipv6Addr::all_nodes();
  EXPECT_EQ(p.connect(Endpoint{kSix1, 0}, Endpoint{all_nodes, 80}, at_ms(0)).error(),
            ConnectError::InvalidAddress);  // MUST-46
  auto c = p.connect(Endpoint{kSix1, 0}, Endpoint{kSix2, 80}, at_ms(0));
  ASSERT_TRUE(c.ok());
  auto syn = drain(p);
  ASSERT_EQ(syn.size(), 1u);
  EXPECT_EQ(syn[0].flags(), "S");
  EXPECT_EQ(syn[0].out.src, kSix1);
  EXPECT_EQ(*syn[0].seg.options.mss, 1440);
  EXPECT_GE(syn[0].seg.src_port, cfg.ephemeral_first);  // RFC 6056 over IPv6 too
}

TEST(TcpIpv6, PacketTooBigNeverLowersThePathBelow1280) {
  Server s(Endpoint{kSix1, 80});
  const Peer peer = six_peer();
  s.proto.on_segment(peer.seg(F::kSyn, 5000, 0, 65535, {}, mss(1440)), at_ms(0));
  auto sa = drain(s.proto);
  const std::uint32_t iss = sa.at(0).seg.seq.raw();
  s.proto.on_segment(peer.seg(F::kAck, 5001, iss + 1, 65535), at_ms(1));
  const ConnId c = s.proto.accept(s.lid).value();
  const std::string data = pattern(4000);
  ASSERT_TRUE(
      s.proto.send(c, Bytes(reinterpret_cast<const std::byte*>(data.data()), data.size())).ok());
  auto sent = drain(s.proto);
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent[0].data.size(), 1440u);
  // An ICMPv6 Packet Too Big (as the stack hands it over: type 3 code 4) claiming a
  // 600-byte MTU: RFC 8201 §4 keeps the estimate at the IPv6 minimum, 1280.
  IcmpErrorIn err;
  err.type = 3;
  err.code = 4;
  err.next_hop_mtu = 600;
  err.local = Endpoint{kSix1, 80};
  err.remote = Endpoint{kSix2, 40000};
  err.quoted_seq = SeqNum(iss + 1);
  s.proto.on_icmp_error(err, at_ms(2));
  EXPECT_EQ(s.proto.tcb(c)->eff_snd_mss(), 1220u);  // 1280 - 40 - 20
  auto resent = drain(s.proto);
  ASSERT_FALSE(resent.empty());
  EXPECT_EQ(resent[0].seg.seq.raw(), iss + 1);
  EXPECT_EQ(resent[0].data.size(), 1220u);
}

TEST(TcpIpv6, SynCookieConnectionOverIpv6) {
  TcpConfig cfg = plain();
  cfg.syn_cookies = SynCookies::Always;
  Server s(Endpoint{kSix1, 80}, cfg);
  const Peer peer = six_peer();
  s.proto.on_segment(peer.seg(F::kSyn, 7000, 0, 8192, {}, mss(1440)), at_ms(0));
  auto sa = drain(s.proto);
  ASSERT_EQ(sa.size(), 1u);
  EXPECT_EQ(*sa[0].seg.options.mss, 1440);  // MTU - 60 in the stateless SYN,ACK too
  EXPECT_EQ(s.proto.stats().syn_cookies_sent, 1u);
  // The cookie is keyed on the IPv6 addresses: the same ACK from another address fails.
  Peer other = peer;
  other.addr = wire::Ipv6Addr::parse("fd77::3").value();
  s.proto.on_segment(other.seg(F::kAck, 7001, sa[0].seg.seq.raw() + 1, 8192), at_ms(1));
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 0u);
  drain(s.proto);
  s.proto.on_segment(peer.seg(F::kAck, 7001, sa[0].seg.seq.raw() + 1, 8192), at_ms(1));
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 1u);
  const ConnId c = s.proto.accept(s.lid).value();
  EXPECT_EQ(s.proto.tcb(c)->remote().addr, kSix2);
  EXPECT_EQ(s.proto.tcb(c)->eff_snd_mss(), 1440u);
}

TEST(TcpIpv6, SynCookieMssComesFromTheIpv6Table) {
  // The cookie carries an index into Linux's IPv6 table {1220, 1420, 1440, 8940}: a SYN
  // without an MSS option gets 1220 (MUST-15 for IPv6), not IPv4's 536; 1430 rounds
  // down to 1420, which the IPv4 table does not have.
  TcpConfig cfg = plain();
  cfg.syn_cookies = SynCookies::Always;
  cfg.mtu = 9000;
  Server s(Endpoint{kSix1, 80}, cfg);
  const std::pair<std::optional<std::uint16_t>, std::uint32_t> cases[] = {
      {std::nullopt, 1220u}, {1430, 1420u}, {9000, 8940u}};
  std::uint16_t port = 40000;
  for (const auto& [peer_mss, want] : cases) {
    Peer peer = six_peer();
    peer.port = port++;
    wire::TcpOptions o;
    o.mss = peer_mss;
    s.proto.on_segment(peer.seg(F::kSyn, 7000, 0, 8192, {}, o), at_ms(0));
    auto sa = drain(s.proto);
    ASSERT_EQ(sa.size(), 1u);
    s.proto.on_segment(peer.seg(F::kAck, 7001, sa[0].seg.seq.raw() + 1, 8192), at_ms(1));
    const ConnId c = s.proto.accept(s.lid).value();
    EXPECT_EQ(s.proto.tcb(c)->eff_snd_mss(), want) << "peer MSS " << peer_mss.value_or(0);
  }
  EXPECT_EQ(s.proto.stats().syn_cookies_valid, 3u);
}

TEST(TcpIpv6, FastOpenCookieIsAMacOfTheIpv6Address) {
  SeededRandom rng(5);
  TfoServerKeys keys(rng, std::chrono::hours(1));
  const TfoCookie six = keys.make(kSix2, at_ms(0));
  EXPECT_EQ(six.len, 8u);
  EXPECT_TRUE(keys.valid(kSix2, six, at_ms(1)));
  EXPECT_FALSE(keys.valid(kSix1, six, at_ms(1)));
  // Another family's address never shares a cookie (16 bytes hashed, not 4).
  const TfoCookie four = keys.make(kAddrB, at_ms(0));
  EXPECT_FALSE(keys.valid(kSix2, four, at_ms(1)));
  EXPECT_FALSE(keys.valid(kAddrB, six, at_ms(1)));
}

TEST(TcpIpv6, Icmpv6ErrorsReadAsTheirIcmpv4Equivalents) {
  // RFC 4443 §3: {ICMPv6 type, code} -> {ICMPv4 type, code} as TCP acts on them.
  struct Case {
    std::uint8_t type6, code6, type4, code4;
  };
  const Case cases[] = {
      {1, 0, 3, 0},   // no route -> network unreachable (soft)
      {1, 1, 3, 13},  // administratively prohibited
      {1, 2, 3, 1},   // beyond scope -> host unreachable
      {1, 3, 3, 1},   // address unreachable -> host unreachable
      {1, 4, 3, 3},   // port unreachable (hard while connecting)
      {1, 5, 3, 13},  // source address failed policy -> prohibited
      {1, 6, 3, 13},  // reject route -> prohibited
      {3, 0, 11, 0},  // hop limit exceeded -> time exceeded
      {3, 1, 11, 1},  // reassembly time exceeded
      {4, 0, 12, 0},  // erroneous header field -> parameter problem
      {4, 1, 3, 2},   // unrecognized Next Header -> protocol unreachable
      {4, 2, 12, 0},  // unrecognized option -> parameter problem
  };
  for (const auto& c : cases) {
    const auto err = icmpv6_error_for_tcp(c.type6, c.code6, 0);
    ASSERT_TRUE(err.has_value()) << int(c.type6) << "/" << int(c.code6);
    EXPECT_EQ(err->type, c.type4) << int(c.type6) << "/" << int(c.code6);
    EXPECT_EQ(err->code, c.code4) << int(c.type6) << "/" << int(c.code6);
    EXPECT_EQ(err->next_hop_mtu, 0);
  }
  // Packet Too Big is "fragmentation needed" with its MTU, capped at 65535.
  const auto ptb = icmpv6_error_for_tcp(2, 0, 1400);
  ASSERT_TRUE(ptb.has_value());
  EXPECT_EQ(ptb->type, 3);
  EXPECT_EQ(ptb->code, 4);
  EXPECT_EQ(ptb->next_hop_mtu, 1400);
  EXPECT_EQ(icmpv6_error_for_tcp(2, 0, 100000)->next_hop_mtu, 65535);
  // Informational messages are not errors.
  EXPECT_FALSE(icmpv6_error_for_tcp(128, 0, 0).has_value());
  EXPECT_FALSE(icmpv6_error_for_tcp(135, 0, 0).has_value());
}

}  // namespace
}  // namespace synack::tcp::testing
