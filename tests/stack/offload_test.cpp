// The stack with a link that offloads (a TAP with IFF_VNET_HDR): a GRO/GSO
// super-segment is taken as one TCP segment, a checksum the link vouched for is not
// verified again (and one it did not vouch for always is), and on an interface that
// offers checksum offload TCP leaves the checksum to the link.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "harness.hpp"
#include "synack/wire/tcp.hpp"
#include "tso_wire.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint8_t kTcp = 6;

// The TCP segment inside an Ethernet + IPv4 (no options) frame.
Bytes tcp_bytes(const ByteVec& frame) {
  return Bytes(frame).subspan(kTransportOffset);
}

std::uint16_t pseudo_sum(Ipv4Addr src, Ipv4Addr dst, std::size_t len) {
  Checksum c;
  c.add_u32(src.value).add_u32(dst.value).add_u16(kTcp).add_u16(static_cast<std::uint16_t>(len));
  return c.sum16();
}

// A connected pair: a (10.77.0.1) connected to b's listener on port 80, accepted.
struct Pair {
  Host a{1};
  Host b{2};
  Segment seg{{&a, &b}};
  tcp::ConnId client{};
  tcp::ConnId server{};

  void connect() {
    auto lid = b.stack.tcp().listen(tcp::Endpoint{Ipv4Addr::any(), 80}, 8);
    ASSERT_TRUE(lid.ok());
    auto cid = a.stack.tcp().connect(tcp::Endpoint{a.addr, 0}, tcp::Endpoint{b.addr, 80}, seg.now);
    ASSERT_TRUE(cid.ok());
    client = *cid;
    a.stack.flush_tcp(seg.now);
    seg.pump();
    auto child = b.stack.tcp().accept(*lid);
    ASSERT_TRUE(child.ok());
    server = *child;
    a.events();
    b.events();
  }

  // The last frame a sent to b: the handshake's ACK, whose numbers a super-segment
  // continues from.
  wire::TcpRepr last_from_a() const {
    for (auto it = seg.log.rbegin(); it != seg.log.rend(); ++it) {
      if (wire::MacAddr::load(*it, 6) != a.mac || load_be16(*it, 12) != kIpv4) continue;
      auto r = wire::TcpRepr::parse(tcp_bytes(*it), wire::PseudoHeader{a.addr, b.addr});
      if (r) return *r;
    }
    ADD_FAILURE() << "no TCP segment from a";
    return {};
  }
};

// What the kernel hands a TAP reader for one GRO'd (or TSO'd) send: one IPv4 packet
// of many MSS with the checksum field holding only the pseudo-header sum.
ByteVec super_frame(const Pair& p, const wire::TcpRepr& after, const ByteVec& payload) {
  wire::TcpRepr r = after;
  r.flags.bits = wire::TcpFlags::kAck | wire::TcpFlags::kPsh;
  r.payload = payload;
  ByteVec seg(r.total_len());
  r.emit(seg, wire::PseudoHeader{p.a.addr, p.b.addr}, wire::ChecksumFill::PseudoHeaderOnly);
  return ethernet(p.b.mac, p.a.mac, kIpv4, ipv4(p.a.addr, p.b.addr, kTcp, seg));
}

ByteVec pattern(std::size_t n) {
  ByteVec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 7 + i / 251) & 0xff);
  return v;
}

TEST(StackOffload, A20KBSuperSegmentWithAPartialChecksumIsOneSegmentDeliveredWhole) {
  Pair p;
  p.connect();
  const wire::TcpRepr ack = p.last_from_a();
  const ByteVec data = pattern(20000);
  const ByteVec frame = super_frame(p, ack, data);
  ASSERT_EQ(frame.size(), 14u + 20u + ack.header_len() + 20000u);
  ASSERT_GT(frame.size() - 14, p.b.stack.interface(p.b.iface)->mtu);  // larger than the MTU

  // Without the link's word the stack verifies the checksum, and a pseudo-header sum
  // is not one: dropped, counted.
  p.b.stack.on_frame(p.b.iface, frame, p.seg.now);
  EXPECT_EQ(p.b.stack.stats().tcp_rx_bad_checksum, 1u);
  EXPECT_EQ(p.b.stack.tcp().conn_stats(p.server)->bytes_in, 0u);
  p.b.drain();

  // With it (NEEDS_CSUM), the whole super-segment is one segment for TCP.
  const RxMeta meta{RxChecksum::Partial, 1448, 34, 16};
  const std::uint64_t segs_before = p.b.stack.tcp().stats().segs_in;
  const Bytes frames[] = {frame};
  const RxMeta metas[] = {meta};
  p.b.stack.on_frames(p.b.iface, frames, metas, p.seg.now);
  EXPECT_EQ(p.b.stack.stats().tcp_rx_bad_checksum, 1u);
  EXPECT_EQ(p.b.stack.stats().rx_csum_partial, 1u);
  EXPECT_EQ(p.b.stack.stats().rx_super_frames, 1u);
  EXPECT_EQ(p.b.stack.tcp().stats().segs_in, segs_before + 1);
  EXPECT_EQ(p.b.stack.tcp().conn_stats(p.server)->bytes_in, 20000u);

  // It is acknowledged at once (more than two full-sized segments), all 20000 bytes.
  auto out = p.b.drain();
  ASSERT_FALSE(out.empty());
  auto reply = wire::TcpRepr::parse(tcp_bytes(out.back()), wire::PseudoHeader{p.b.addr, p.a.addr});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->ack, ack.seq + 20000u);

  // The bytes are the ones sent, in order.
  ByteVec got(30000);
  auto n = p.b.stack.tcp().receive(p.server, got);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 20000u);
  got.resize(*n);
  EXPECT_EQ(got, data);
}

TEST(StackOffload, AChecksumTheLinkVerifiedIsNotVerifiedAgain) {
  Pair p;
  p.connect();
  const wire::TcpRepr ack = p.last_from_a();
  ByteVec frame = super_frame(p, ack, pattern(3000));
  // A wrong value in the field: only a link that verified the real one may say so.
  store_be16(frame, kTransportOffset + 16, 0x1234);
  const Bytes frames[] = {frame};
  const RxMeta valid[] = {RxMeta{RxChecksum::Verified, 0, 0, 0}};
  p.b.stack.on_frames(p.b.iface, frames, valid, p.seg.now);
  EXPECT_EQ(p.b.stack.stats().rx_csum_verified_by_link, 1u);
  EXPECT_EQ(p.b.stack.stats().tcp_rx_bad_checksum, 0u);
  EXPECT_EQ(p.b.stack.tcp().conn_stats(p.server)->bytes_in, 3000u);
}

TEST(StackOffload, AUdpDatagramWithAPartialChecksumIsDelivered) {
  Host b(2);
  Instant now;
  auto sock = b.stack.udp_bind(Ipv4Addr::any(), 53);
  ASSERT_TRUE(sock.ok());
  const Ipv4Addr src = ip(10, 77, 0, 9);
  ByteVec udp = Builder{}.u16(4000).u16(53).u16(8 + 5).u16(0).raw(as_bytes("hello")).out;
  Checksum ph;
  ph.add_u32(src.value).add_u32(b.addr.value).add_u16(17).add_u16(13);
  store_be16(udp, 6, ph.sum16());  // NEEDS_CSUM: the pseudo-header sum only
  const ByteVec frame = ethernet(b.mac, mac(9), kIpv4, ipv4(src, b.addr, 17, udp));
  b.stack.on_frame(b.iface, frame, now);
  EXPECT_EQ(b.stack.stats().udp_rx_bad_checksum, 1u);
  b.stack.on_frame(b.iface, frame, RxMeta{RxChecksum::Partial, 0, 34, 6}, now);
  auto d = b.stack.udp_receive_from(*sock);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(d->payload.data()), d->payload.size()),
            "hello");
}

// A stack whose interface finishes checksums: TCP's data segments leave with the
// pseudo-header sum and a TxMeta saying where the link puts the real one; finished,
// they are byte for byte what a stack without offloads sends.
TEST(StackOffload, OnAnInterfaceWithChecksumOffloadTcpLeavesTheChecksumToTheLink) {
  const LinkOffloads csum{true, 0};
  SeededRandom r1(7), r2(7);
  Stack off(Host::numbered({}, 1), r1);
  Stack plain(Host::numbered({}, 1), r2);
  const auto us = ip(10, 77, 0, 1), peer = ip(10, 77, 0, 9);
  const auto if_off = off.add_interface(mac(1), Ipv4Cidr{us, 24}, 1500, csum);
  const auto if_plain = plain.add_interface(mac(1), Ipv4Cidr{us, 24}, 1500);
  EXPECT_TRUE(off.tcp().config().tx_checksum_offload);
  EXPECT_FALSE(plain.tcp().config().tx_checksum_offload);
  Instant now;
  const ByteVec teach_arp =
      ethernet(MacAddr::broadcast(), mac(9), 0x0806, arp(1, mac(9), peer, {}, us));
  off.on_frame(if_off, teach_arp, now);
  plain.on_frame(if_plain, teach_arp, now);
  while (off.pop_frame()) {
  }
  while (plain.pop_frame()) {
  }
  ASSERT_TRUE(off.tcp().connect(tcp::Endpoint{us, 0}, tcp::Endpoint{peer, 80}, now).ok());
  ASSERT_TRUE(plain.tcp().connect(tcp::Endpoint{us, 0}, tcp::Endpoint{peer, 80}, now).ok());
  off.flush_tcp(now);
  plain.flush_tcp(now);
  auto f_off = off.pop_frame();
  auto f_plain = plain.pop_frame();
  ASSERT_TRUE(f_off && f_plain);
  EXPECT_EQ(f_plain->tx, TxMeta{});
  ASSERT_EQ(f_off->tx.csum_start, kTransportOffset);
  ASSERT_EQ(f_off->tx.csum_offset, 16u);
  EXPECT_EQ(f_off->tx.gso_size, 0u);
  const std::size_t len = f_off->bytes.size() - kTransportOffset;
  EXPECT_EQ(load_be16(f_off->bytes, kTransportOffset + 16), pseudo_sum(us, peer, len));
  EXPECT_NE(f_off->bytes, f_plain->bytes);
  ASSERT_TRUE(
      wire::finish_partial_checksum(f_off->bytes, f_off->tx.csum_start, f_off->tx.csum_offset));
  EXPECT_EQ(f_off->bytes, f_plain->bytes);
  EXPECT_EQ(off.stats().tx_csum_offloaded, 1u);
  EXPECT_TRUE(wire::TcpRepr::parse(tcp_bytes(f_off->bytes), wire::PseudoHeader{us, peer}).ok());
}

// TCP's checksum is partial whenever every interface offers offload; a segment that
// does not reach such a link after all (to ourselves, or waiting for ARP) is finished
// by the stack, so nothing incomplete is ever delivered or queued.
TEST(StackOffload, APartialChecksumThatMeetsNoOffloadIsFinishedInSoftware) {
  SeededRandom rng(3);
  Stack s(Host::numbered({}, 1), rng);
  const auto us = ip(10, 77, 0, 1);
  const auto iface = s.add_interface(mac(1), Ipv4Cidr{us, 24}, 1500, LinkOffloads{true, 0});
  (void)iface;
  Instant now;
  // To ourselves: the loopback path verifies checksums like any input.
  auto lid = s.tcp().listen(tcp::Endpoint{Ipv4Addr::any(), 80}, 8);
  ASSERT_TRUE(lid.ok());
  ASSERT_TRUE(s.tcp().connect(tcp::Endpoint{us, 0}, tcp::Endpoint{us, 80}, now).ok());
  s.flush_tcp(now);
  EXPECT_EQ(s.stats().tcp_rx_bad_checksum, 0u);
  EXPECT_GE(s.stats().tx_csum_in_software, 2u);  // SYN, SYN-ACK, ACK went round
  EXPECT_TRUE(s.tcp().accept(*lid).ok());
  // To a neighbour not resolved yet: the SYN waits in the ARP queue, finished.
  ASSERT_TRUE(s.tcp().connect(tcp::Endpoint{us, 0}, tcp::Endpoint{ip(10, 77, 0, 5), 80}, now).ok());
  s.flush_tcp(now);
  while (auto f = s.pop_frame()) EXPECT_EQ(f->tx, TxMeta{});  // the ARP request only
  s.on_frame(iface, ethernet(mac(1), mac(5), 0x0806, arp(2, mac(5), ip(10, 77, 0, 5), mac(1), us)),
             now);
  auto syn = s.pop_frame();
  ASSERT_TRUE(syn.has_value());
  EXPECT_EQ(syn->tx, TxMeta{});
  EXPECT_TRUE(
      wire::TcpRepr::parse(tcp_bytes(syn->bytes), wire::PseudoHeader{us, ip(10, 77, 0, 5)}).ok());
}

}  // namespace
}  // namespace synack::stack::test

namespace synack::stack::test {
namespace {

TEST(StackOffload, WithTsoTheSenderEmitsSuperSegmentsOfWholeMssPiecesThatArriveIntact) {
  TsoWire w(LinkOffloads{true, 65535});
  EXPECT_EQ(w.a.tcp().config().tso_max, 65535u);
  EXPECT_EQ(w.b.tcp().config().tso_max, 0u);
  const ByteVec data = pattern(300000);
  const ByteVec got = w.transfer(data);
  ASSERT_EQ(got.size(), data.size());
  EXPECT_EQ(got, data);

  // The super-segments: pieces of the effective MSS (1448 with timestamps).
  const std::size_t supers = checked_super_frames(w, 1448).size();
  EXPECT_GT(supers, 0u);
  EXPECT_EQ(w.a.stats().tx_super_frames, supers);
  EXPECT_EQ(w.b.stats().rx_super_frames, supers);
  EXPECT_EQ(w.b.stats().tcp_rx_bad_checksum, 0u);
}

TEST(StackOffload, WithoutChecksumOffloadThereIsNoTso) {
  SeededRandom r(1);
  Stack s(Host::numbered({}, 1), r);
  s.add_interface(mac(1), Ipv4Cidr{ip(10, 77, 0, 1), 24}, 1500, LinkOffloads{false, 65535, 65535});
  EXPECT_FALSE(s.tcp().config().tx_checksum_offload);
  EXPECT_EQ(s.tcp().config().tso_max, 0u);
  EXPECT_EQ(s.tcp().config().tso6_max, 0u);
  // And one interface without TSO turns it off for all (TCP does not know the route).
  SeededRandom r2(1);
  Stack t(Host::numbered({}, 1), r2);
  t.add_interface(mac(1), Ipv4Cidr{ip(10, 77, 0, 1), 24}, 1500, LinkOffloads{true, 65535, 65535});
  EXPECT_EQ(t.tcp().config().tso_max, 65535u);
  EXPECT_EQ(t.tcp().config().tso6_max, 65535u);
  t.add_interface(mac(2), Ipv4Cidr{ip(10, 78, 0, 1), 24}, 1500, LinkOffloads{true, 0, 0});
  EXPECT_EQ(t.tcp().config().tso_max, 0u);
  EXPECT_EQ(t.tcp().config().tso6_max, 0u);
  EXPECT_TRUE(t.tcp().config().tx_checksum_offload);
}

}  // namespace
}  // namespace synack::stack::test
