// TCP over IPv6 through the Stack: two hosts on one segment (NDP, then the handshake
// in IPv6 packets), a dual-stack listener reached over both families, ICMPv6 errors
// handed to TCP (Packet Too Big validated against the sequence space, RFC 5927 §4.1;
// port unreachable ending a connection attempt), and IPv4-mapped addresses refused on
// the wire.
#include <gtest/gtest.h>

#include <string>

#include "ipv6_harness.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint8_t kTcpProto = 6;

// The TCP segment inside an IPv6 frame (checksum verified over the IPv6 pseudo-header).
struct Tcp6 {
  wire::Ipv6Repr ip;
  wire::TcpRepr seg;
};
std::optional<Tcp6> tcp6_of(const ByteVec& frame) {
  if (frame.size() < 14 || load_be16(frame, 12) != kIpv6) return std::nullopt;
  auto ip = wire::Ipv6Repr::parse(Bytes(frame).subspan(14));
  if (!ip || ip->next_header != kTcpProto) return std::nullopt;
  auto seg = wire::TcpRepr::parse(ip->payload, ip->pseudo_header());
  EXPECT_TRUE(seg.ok()) << "a TCP segment over IPv6 with a bad checksum";
  if (!seg) return std::nullopt;
  return Tcp6{*ip, *seg};
}

std::string read_all(Stack& s, tcp::ConnId id) {
  std::string out;
  std::array<std::byte, 4096> buf{};
  for (int i = 0; i < 10'000; ++i) {
    auto n = s.tcp().receive(id, buf);
    if (!n.ok() || *n == 0) break;
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  return out;
}

TEST(TcpOverIpv6, TwoStacksHandshakeTransferAndClose) {
  Host6 a(1), b(2);
  Segment seg({&a, &b});
  auto lid = b.stack.tcp().listen(tcp::Endpoint{b.global, 80}, 4);
  ASSERT_TRUE(lid.ok());
  auto src = a.stack.source_address(b.global);
  ASSERT_TRUE(src.ok());
  EXPECT_EQ(*src, wire::IpAddr(a.global));
  auto cid = a.stack.tcp().connect(tcp::Endpoint{*src, 0}, tcp::Endpoint{b.global, 80}, seg.now);
  ASSERT_TRUE(cid.ok());
  a.stack.flush_tcp(seg.now);
  seg.pump();
  // On the wire: an NS for b first (the SYN waited for it), then the SYN in IPv6.
  std::optional<Tcp6> syn;
  for (const auto& f : seg.log) {
    if (auto t = tcp6_of(f); t && !syn) syn = t;
  }
  ASSERT_TRUE(syn.has_value());
  EXPECT_EQ(syn->seg.flags.to_string(), "S");
  EXPECT_EQ(syn->ip.src, a.global);
  EXPECT_EQ(syn->ip.dst, b.global);
  EXPECT_EQ(syn->ip.hop_limit, 64);
  ASSERT_TRUE(syn->seg.options.mss.has_value());
  EXPECT_EQ(*syn->seg.options.mss, 1440);  // 1500 - 40 - 20
  EXPECT_EQ(a.stack.tcp().state(*cid), tcp::State::Established);
  auto child = b.stack.tcp().accept(*lid);
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(b.stack.tcp().remote_endpoint(*child)->addr, wire::IpAddr(a.global));

  // 200 KB each way, then both close.
  std::string up(200'000, ' '), down(150'000, ' ');
  for (std::size_t i = 0; i < up.size(); ++i) up[i] = static_cast<char>('a' + i % 26);
  for (std::size_t i = 0; i < down.size(); ++i) down[i] = static_cast<char>('A' + i % 23);
  std::size_t sent_up = 0, sent_down = 0;
  std::string got_up, got_down;
  for (int round = 0; round < 2000 && (got_up.size() < up.size() || got_down.size() < down.size());
       ++round) {
    if (sent_up < up.size()) {
      auto n = a.stack.tcp().send(*cid, as_bytes(std::string_view(up).substr(sent_up)));
      if (n.ok()) sent_up += *n;
    }
    if (sent_down < down.size()) {
      auto n = b.stack.tcp().send(*child, as_bytes(std::string_view(down).substr(sent_down)));
      if (n.ok()) sent_down += *n;
    }
    a.stack.flush_tcp(seg.now);
    b.stack.flush_tcp(seg.now);
    seg.pump();
    got_up += read_all(b.stack, *child);
    got_down += read_all(a.stack, *cid);
    seg.advance(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(got_up == up) << got_up.size() << " of " << up.size();
  EXPECT_TRUE(got_down == down) << got_down.size() << " of " << down.size();
  ASSERT_TRUE(a.stack.tcp().close(*cid).ok());
  ASSERT_TRUE(b.stack.tcp().close(*child).ok());
  a.stack.flush_tcp(seg.now);
  b.stack.flush_tcp(seg.now);
  seg.pump();
  EXPECT_EQ(a.stack.tcp().state(*cid), tcp::State::TimeWait);
  // Every data segment fit the link: IPv6 header + TCP + at most 1440 bytes.
  for (const auto& f : seg.log) {
    if (auto t = tcp6_of(f)) {
      EXPECT_LE(t->seg.payload.size(), 1440u);
    }
  }
  EXPECT_EQ(a.stack.stats().tcp_tx_dropped, 0u);
  EXPECT_EQ(b.stack.stats().tcp_rx_bad_checksum, 0u);
}

TEST(TcpOverIpv6, ListenerOnUnspecifiedTakesIpv4AndIpv6Clients) {
  Host6 a(1), b(2);
  Segment seg({&a, &b});
  auto lid = b.stack.tcp().listen(tcp::Endpoint{wire::Ipv6Addr::unspecified(), 80}, 4);
  ASSERT_TRUE(lid.ok());
  auto c4 = a.stack.tcp().connect(tcp::Endpoint{a.addr, 0}, tcp::Endpoint{b.addr, 80}, seg.now);
  auto c6 = a.stack.tcp().connect(tcp::Endpoint{a.global, 0}, tcp::Endpoint{b.global, 80}, seg.now);
  ASSERT_TRUE(c4.ok() && c6.ok());
  a.stack.flush_tcp(seg.now);
  seg.pump();
  EXPECT_EQ(a.stack.tcp().state(*c4), tcp::State::Established);
  EXPECT_EQ(a.stack.tcp().state(*c6), tcp::State::Established);
  auto first = b.stack.tcp().accept(*lid);
  auto second = b.stack.tcp().accept(*lid);
  ASSERT_TRUE(first.ok() && second.ok());
  std::vector<wire::IpAddr> peers{b.stack.tcp().remote_endpoint(*first)->addr,
                                  b.stack.tcp().remote_endpoint(*second)->addr};
  std::sort(peers.begin(), peers.end());
  EXPECT_EQ(peers[0], wire::IpAddr(a.addr));  // IPv4 as such, not as ::ffff:10.77.0.1
  EXPECT_TRUE(peers[0].is_v4());
  EXPECT_EQ(peers[1], wire::IpAddr(a.global));
}

// An established IPv6 connection from host 1 to a peer the test plays (fd77::9).
struct Established6 {
  Established6() {
    teach6(h, kPeerMac, kPeer, now);
    cid = h.stack.tcp()
              .connect(tcp::Endpoint{h.global, 0}, tcp::Endpoint{wire::IpAddr(kPeer), 80}, now)
              .value();
    h.stack.flush_tcp(now);
    auto out = h.drain();
    for (const auto& f : out) {
      if (auto t = tcp6_of(f)) syn = t->seg;
    }
    EXPECT_EQ(syn.flags.to_string(), "S");
    port = syn.src_port;
    wire::TcpRepr sa;
    sa.src_port = 80;
    sa.dst_port = port;
    sa.seq = SeqNum(5000);
    sa.ack = syn.seq + 1;
    sa.flags.bits = wire::TcpFlags::kSyn | wire::TcpFlags::kAck;
    sa.window = 65535;
    sa.options.mss = 1440;
    h.rx(segment_frame(sa), now);
    h.drain();
    EXPECT_EQ(h.stack.tcp().state(cid), tcp::State::Established);
  }
  ByteVec segment_frame(const wire::TcpRepr& r) const {
    ByteVec t(r.total_len());
    r.emit(t, wire::PseudoHeader::ipv6(kPeer, h.global));
    return ethernet(h.mac, kPeerMac, kIpv6, ipv6(kPeer, h.global, kTcpProto, t));
  }
  // An ICMPv6 error from a router (fd77::fe) quoting `quoted` (an IPv6 packet we sent).
  ByteVec error_frame(std::uint8_t type, std::uint8_t code, std::uint32_t param,
                      Bytes quoted) const {
    const ByteVec body = Builder{}.u32(param).raw(quoted).out;
    const Ipv6Addr router = a6("fd77::fe");
    return icmp6_frame(h.mac, kPeerMac, router, h.global, type, code, body, 64);
  }
  Host6 h{1};
  Instant now{};
  tcp::ConnId cid;
  wire::TcpRepr syn;
  std::uint16_t port = 0;
};

TEST(TcpOverIpv6, PacketTooBigInFlightLowersTheMssOutOfFlightIsIgnored) {
  Established6 e;
  const std::string data(6000, 'x');
  ASSERT_TRUE(e.h.stack.tcp().send(e.cid, as_bytes(data)).ok());
  e.h.stack.flush_tcp(e.now);
  auto out = e.h.drain();
  ASSERT_GE(out.size(), 2u);
  auto first = tcp6_of(out[0]);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->seg.payload.size(), 1440u);
  const Bytes quoted = Bytes(out[0]).subspan(14, 1232);  // as much as fits in 1280

  // A PTB quoting a sequence number outside the flight: RFC 5927 §4.1, ignored by TCP.
  ByteVec stale(quoted.begin(), quoted.end());
  store_be32(stale, 40 + 4, first->seg.seq.raw() - 100000);
  e.h.rx(e.error_frame(2, 0, 1280, stale), e.now);
  e.h.stack.flush_tcp(e.now);
  EXPECT_TRUE(e.h.drain().empty());
  EXPECT_EQ(e.h.stack.tcp_info(e.cid, e.now)->snd_mss, 1440u);

  // The real one: the segment is sent again, cut to the 1280-byte path.
  e.h.rx(e.error_frame(2, 0, 1280, quoted), e.now);
  e.h.stack.flush_tcp(e.now);
  auto again = e.h.drain();
  ASSERT_FALSE(again.empty());
  auto re = tcp6_of(again[0]);
  ASSERT_TRUE(re.has_value());
  EXPECT_EQ(re->seg.seq, first->seg.seq);
  EXPECT_EQ(re->seg.payload.size(), 1220u);  // 1280 - 40 - 20
  EXPECT_EQ(again[0].size(), 14u + 1280u);
  EXPECT_EQ(e.h.stack.path_mtu6(kPeer), 1280u);

  // The next connection to the same destination starts from the cached path MTU: its
  // SYN announces 1280 - 60.
  auto next = e.h.stack.tcp().connect(tcp::Endpoint{e.h.global, 0},
                                      tcp::Endpoint{wire::IpAddr(kPeer), 81}, e.now);
  ASSERT_TRUE(next.ok());
  e.h.stack.flush_tcp(e.now);
  std::optional<Tcp6> syn;
  for (const auto& f : e.h.drain()) {
    if (auto t = tcp6_of(f); t && t->seg.dst_port == 81) syn = t;
  }
  ASSERT_TRUE(syn.has_value());
  EXPECT_EQ(syn->seg.options.mss, 1220);
}

TEST(TcpOverIpv6, RouterAdvertisedMtuSetsTheMssOfNewConnections) {
  // RFC 4861 §6.3.4: the RA's MTU option sets the link MTU; TCP's MSS follows it
  // (RFC 9293 §3.7.1: MSS = MTU - 60 over IPv6), on both ends of a handshake.
  Host6 a(1), b(2);
  b.rx(ra_frame(600, opt_mtu(1400)), Instant{});
  a.rx(ra_frame(600, opt_mtu(1380)), Instant{});
  ASSERT_EQ(b.stack.ipv6_mtu(b.iface), 1400u);
  a.drain();
  b.drain();
  Segment seg({&a, &b});
  ASSERT_TRUE(b.stack.tcp().listen(tcp::Endpoint{b.global, 80}, 4).ok());
  auto cid =
      a.stack.tcp().connect(tcp::Endpoint{a.global, 0}, tcp::Endpoint{b.global, 80}, seg.now);
  ASSERT_TRUE(cid.ok());
  a.stack.flush_tcp(seg.now);
  seg.pump();
  std::optional<Tcp6> syn, syn_ack;
  for (const auto& f : seg.log) {
    auto t = tcp6_of(f);
    if (!t) continue;
    if (t->seg.flags.to_string() == "S") syn = t;
    if (t->seg.flags.to_string() == "S.") syn_ack = t;
  }
  ASSERT_TRUE(syn.has_value());
  ASSERT_TRUE(syn_ack.has_value());
  EXPECT_EQ(syn->seg.options.mss, 1320);      // 1380 - 60
  EXPECT_EQ(syn_ack->seg.options.mss, 1340);  // 1400 - 60
  // min(1340, 1320) less the 12-byte timestamp option every segment carries.
  ASSERT_TRUE(a.stack.tcp_info(*cid, seg.now)->timestamps);
  EXPECT_EQ(a.stack.tcp_info(*cid, seg.now)->snd_mss, 1308u);
  EXPECT_EQ(a.stack.tcp_info(*cid, seg.now)->pmtu, 1380u);
  // A connection over IPv4 is not affected by the IPv6 link MTU.
  auto v4 = a.stack.tcp().connect(tcp::Endpoint{a.addr, 0}, tcp::Endpoint{b.addr, 9}, seg.now);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(a.stack.tcp_info(*v4, seg.now)->pmtu, 1500u);
}

TEST(TcpOverIpv6, PortUnreachableEndsAConnectionAttempt) {
  Host6 h(1);
  Instant now{};
  teach6(h, kPeerMac, kPeer, now);
  const auto cid = h.stack.tcp().connect(tcp::Endpoint{h.global, 0},
                                         tcp::Endpoint{wire::IpAddr(kPeer), 81}, now);
  ASSERT_TRUE(cid.ok());
  h.stack.flush_tcp(now);
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(tcp6_of(out[0]).has_value());
  const ByteVec body = Builder{}.u32(0).raw(Bytes(out[0]).subspan(14)).out;
  h.rx(icmp6_frame(h.mac, kPeerMac, kPeer, h.global, 1, 4, body, 64), now);
  h.stack.flush_tcp(now);
  EXPECT_EQ(h.stack.tcp().state(*cid), tcp::State::Closed);
  EXPECT_EQ(h.stack.stats().icmp_rx_errors_tcp, 1u);
  bool refused = false;
  for (const auto& ev : h.events()) {
    if (const auto* t = std::get_if<tcp::Event>(&ev);
        t && t->kind == tcp::EventKind::Error && t->error == tcp::ConnError::PortUnreachable)
      refused = true;
  }
  EXPECT_TRUE(refused);
}

TEST(TcpOverIpv6, Ipv4MappedAddressesAreDroppedOnTheWire) {
  Host6 h(1);
  auto lid = h.stack.tcp().listen(tcp::Endpoint{wire::Ipv6Addr::unspecified(), 80}, 4);
  ASSERT_TRUE(lid.ok());
  // A SYN over IPv6 from ::ffff:10.77.0.9 would pose as an IPv4 peer.
  const Ipv6Addr mapped = Ipv6Addr::from_v4(ip(10, 77, 0, 9));
  wire::TcpRepr syn;
  syn.src_port = 4000;
  syn.dst_port = 80;
  syn.seq = SeqNum(1);
  syn.flags.bits = wire::TcpFlags::kSyn;
  syn.window = 1000;
  ByteVec t(syn.total_len());
  syn.emit(t, wire::PseudoHeader::ipv6(mapped, h.global));
  h.rx(ethernet(h.mac, kPeerMac, kIpv6, ipv6(mapped, h.global, kTcpProto, t)), Instant{});
  EXPECT_EQ(h.stack.stats().ipv6_rx_bad_src, 1u);
  EXPECT_EQ(h.stack.stats().tcp_rx, 0u);
  EXPECT_TRUE(h.drain().empty());
}

}  // namespace
}  // namespace synack::stack::test
