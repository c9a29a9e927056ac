// The Stack's TCP hook: segments for us are parsed (pseudo-header checksum) and
// given to tcp::TcpProtocol; its output is wrapped in IPv4 + Ethernet (with ARP
// resolution like any packet); its events come out of Stack::pop_event().
#include <gtest/gtest.h>

#include <array>

#include "harness.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint8_t kTcp = 6;

TEST(StackTcp, SynToClosedPortIsAnsweredWithRstInIpv4AndEthernet) {
  Host b(2);
  Instant now;
  MacAddr peer = mac(9);
  Ipv4Addr src = ip(10, 77, 0, 9);
  teach(b, peer, src, now);
  ByteVec syn = tcp_raw(src, b.addr, 33000, 81, 1000, 0, 0x02);
  b.stack.on_frame(b.iface, ethernet(b.mac, peer, kIpv4, ipv4(src, b.addr, kTcp, syn)), now);
  auto out = b.drain();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_GE(out[0].size(), 14u + 20u + 20u);
  ByteVec seg(out[0].begin() + 34, out[0].end());
  // The IPv4 and Ethernet wrapping is ours, byte for byte.
  EXPECT_EQ(out[0], ethernet(peer, b.mac, kIpv4, ipv4(b.addr, src, kTcp, seg, {.ident = 0x200})));
  // RFC 9293 §3.10.7.1, ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
  EXPECT_EQ(load_be16(seg, 0), 81);
  EXPECT_EQ(load_be16(seg, 2), 33000);
  EXPECT_EQ(load_be32(seg, 4), 0u);
  EXPECT_EQ(load_be32(seg, 8), 1001u);
  EXPECT_EQ(load_u8(seg, 13), 0x14);
  Checksum c;
  c.add_u32(b.addr.value)
      .add_u32(src.value)
      .add_u16(kTcp)
      .add_u16(static_cast<std::uint16_t>(seg.size()))
      .add(seg);
  EXPECT_EQ(c.finish(), 0);  // a valid checksum sums to zero
  EXPECT_EQ(b.stack.stats().tcp_rx, 1u);
  EXPECT_EQ(b.stack.stats().tcp_tx, 1u);
}

TEST(StackTcp, BadSegmentsAreCountedNotDelivered) {
  Host b(2);
  Instant now;
  MacAddr peer = mac(9);
  Ipv4Addr src = ip(10, 77, 0, 9);
  ByteVec syn = tcp_raw(src, b.addr, 33000, 81, 1000, 0, 0x02);
  ByteVec bad_sum = syn;
  bad_sum[16] ^= std::byte{0x01};
  b.stack.on_frame(b.iface, ethernet(b.mac, peer, kIpv4, ipv4(src, b.addr, kTcp, bad_sum)), now);
  ByteVec bad_off = syn;
  bad_off[12] = std::byte{0x40};  // data offset 4 < 5
  b.stack.on_frame(b.iface, ethernet(b.mac, peer, kIpv4, ipv4(src, b.addr, kTcp, bad_off)), now);
  // RFC 9293 MUST-57: nothing for TCP in a broadcast.
  ByteVec bsyn = tcp_raw(src, Ipv4Addr::broadcast(), 33000, 81, 1000, 0, 0x02);
  b.stack.on_frame(
      b.iface,
      ethernet(MacAddr::broadcast(), peer, kIpv4, ipv4(src, Ipv4Addr::broadcast(), kTcp, bsyn)),
      now);
  EXPECT_EQ(b.stack.stats().tcp_rx_bad_checksum, 1u);
  EXPECT_EQ(b.stack.stats().tcp_rx_malformed, 1u);
  EXPECT_EQ(b.stack.stats().ip_rx_broadcast_dropped, 1u);
  EXPECT_EQ(b.stack.stats().tcp_rx, 0u);
  EXPECT_EQ(b.stack.tcp().stats().segs_in, 0u);
  EXPECT_TRUE(b.drain().empty());
}

// An ICMP error quoting the SYN we actually sent reaches that connection: TCP finds
// it by the 4-tuple the Stack extracted, so it does not count it as ignored.
TEST(StackTcp, IcmpErrorQuotingOurSynReachesTheConnection) {
  Host a(1);
  Instant now;
  Ipv4Addr remote = ip(10, 77, 0, 9);
  MacAddr remote_mac = mac(9);
  teach(a, remote_mac, remote, now);
  auto cid = a.stack.tcp().connect(tcp::Endpoint{a.addr, 0}, tcp::Endpoint{remote, 80}, now);
  ASSERT_TRUE(cid.ok());
  a.stack.flush_tcp(now);
  auto out = a.drain();
  ASSERT_EQ(out.size(), 1u);
  ByteVec syn_packet(out[0].begin() + 14, out[0].end());
  ByteVec quote(syn_packet.begin(), syn_packet.begin() + 20 + 8);
  a.stack.on_frame(
      a.iface, ethernet(a.mac, remote_mac, kIpv4, ipv4(remote, a.addr, 1, icmp(3, 3, 0, quote))),
      now);
  EXPECT_EQ(a.stack.stats().icmp_rx_errors_tcp, 1u);
  EXPECT_EQ(a.stack.tcp().stats().icmp_ignored, 0u);

  // The same error for a port we never used is ignored by TCP.
  store_be16(quote, 20, 1);
  a.stack.on_frame(
      a.iface, ethernet(a.mac, remote_mac, kIpv4, ipv4(remote, a.addr, 1, icmp(3, 3, 0, quote))),
      now);
  EXPECT_EQ(a.stack.stats().icmp_rx_errors_tcp, 2u);
  EXPECT_EQ(a.stack.tcp().stats().icmp_ignored, 1u);
}

std::vector<tcp::Event> tcp_events(Host& h) {
  std::vector<tcp::Event> out;
  for (auto& e : h.events()) {
    if (auto* t = std::get_if<tcp::Event>(&e)) out.push_back(*t);
  }
  return out;
}

bool has(const std::vector<tcp::Event>& ev, tcp::EventKind k) {
  for (const auto& e : ev) {
    if (e.kind == k) return true;
  }
  return false;
}

TEST(StackTcp, TwoStacksConnectAndExchangeData) {
  Host a(1), b(2);
  Segment seg({&a, &b});
  auto lid = b.stack.tcp().listen(tcp::Endpoint{Ipv4Addr::any(), 80}, 8);
  ASSERT_TRUE(lid.ok());
  auto r = a.stack.route(b.addr);
  ASSERT_TRUE(r.has_value());
  auto cid = a.stack.tcp().connect(tcp::Endpoint{r->src, 0}, tcp::Endpoint{b.addr, 80}, seg.now);
  ASSERT_TRUE(cid.ok());
  a.stack.flush_tcp(seg.now);
  seg.pump();  // ARP, SYN, SYN-ACK, ACK
  EXPECT_TRUE(has(tcp_events(a), tcp::EventKind::Connected));
  EXPECT_TRUE(has(tcp_events(b), tcp::EventKind::AcceptReady));
  auto child = b.stack.tcp().accept(*lid);
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(a.stack.stats().arp_tx_requests, 1u);

  auto sent = a.stack.tcp().send(*cid, as_bytes("hello over synack"));
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*sent, 17u);
  a.stack.flush_tcp(seg.now);
  seg.pump();
  // Let delayed ACKs and the like run out on the virtual clock (bounded).
  for (int i = 0; i < 10; ++i) {
    auto da = a.stack.next_deadline(), db = b.stack.next_deadline();
    if (!da && !db) break;
    Instant next = da && db ? std::min(*da, *db) : (da ? *da : *db);
    if (next > seg.now + std::chrono::seconds(1)) break;
    seg.advance(next - seg.now);
    seg.pump();
  }
  std::array<std::byte, 64> buf{};
  auto n = b.stack.tcp().receive(*child, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "hello over synack");
  EXPECT_GE(a.stack.stats().tcp_tx, 3u);  // SYN, ACK, data
  EXPECT_GE(b.stack.stats().tcp_rx, 2u);
  EXPECT_EQ(a.stack.stats().tcp_rx_bad_checksum + b.stack.stats().tcp_rx_bad_checksum, 0u);
}

}  // namespace
}  // namespace synack::stack::test
