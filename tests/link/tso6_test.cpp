// TSO over IPv6 (and IPv4) end to end in memory: a stack whose link offers TSO6 sends an
// IPv6 connection's data in super-frames whose virtio_net_hdr fields say what the kernel
// needs, and which, cut as the kernel cuts them (segment_super_frame, the software
// GSO), give segments that each carry the right checksum; a link with TSO4 only gets
// whole segments over IPv6.
#include <gtest/gtest.h>

#include <algorithm>

#include "../stack/tso_wire.hpp"
#include "synack/link/gso.hpp"
#include "synack/link/vnet_hdr.hpp"

namespace synack::stack::test {
namespace {

ByteVec pattern(std::size_t n) {
  ByteVec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 13 + i / 257) & 0xff);
  return v;
}

// `super` cut in software: every piece a valid segment of the wire's family (its IP
// header and TCP checksum right), the pieces' payloads the super-segment's in order.
void check_pieces(const TsoWire& w, const Frame& super) {
  const std::size_t tcp_at = super.tx.csum_start;
  const auto pieces = link::segment_super_frame(super.bytes, super.tx);
  const std::size_t payload = super.bytes.size() - super.tx.hdr_len;
  ASSERT_EQ(pieces.size(), payload / super.tx.gso_size);
  const std::uint32_t seq = load_be32(super.bytes, tcp_at + 4);
  const std::uint8_t flags = load_u8(super.bytes, tcp_at + 13);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const ByteVec& p = pieces[i];
    EXPECT_LE(p.size() - kEthHeaderLen, 1500u);
    Bytes tcp;
    wire::PseudoHeader ph;
    if (w.v6) {
      auto ip = wire::Ipv6Repr::parse(Bytes(p).subspan(kEthHeaderLen));
      ASSERT_TRUE(ip.ok());
      EXPECT_EQ(ip->payload.size(), p.size() - tcp_at);  // the Payload Length
      tcp = ip->payload;
      ph = ip->pseudo_header();
    } else {
      auto ip = wire::Ipv4Repr::parse(Bytes(p).subspan(kEthHeaderLen));  // header checksum
      ASSERT_TRUE(ip.ok());
      EXPECT_EQ(ip->ident, static_cast<std::uint16_t>(load_be16(super.bytes, 18) + i));
      tcp = ip->payload;
      ph = wire::PseudoHeader{ip->src, ip->dst};
    }
    auto seg = wire::TcpRepr::parse(tcp, ph);  // verifies the finished checksum
    ASSERT_TRUE(seg.ok()) << "piece " << i << " of " << pieces.size();
    EXPECT_EQ(seg->seq.raw(), seq + i * super.tx.gso_size);
    EXPECT_EQ(seg->payload.size(), super.tx.gso_size);
    EXPECT_TRUE(std::equal(seg->payload.begin(), seg->payload.end(),
                           super.bytes.begin() + static_cast<std::ptrdiff_t>(
                                                     super.tx.hdr_len + i * super.tx.gso_size)));
    // PSH (and FIN) on the last piece only, as the super-segment had them.
    const bool last = i + 1 == pieces.size();
    const std::uint8_t end_flags = wire::TcpFlags::kPsh | wire::TcpFlags::kFin;
    EXPECT_EQ(seg->flags.bits & end_flags, last ? (flags & end_flags) : 0);
  }
}

TEST(Tso6, AnIpv6ConnectionOnATso6LinkSendsSuperFramesThatCutIntoValidSegments) {
  TsoWire w(LinkOffloads{true, 65535, 65535}, true);
  EXPECT_EQ(w.a.tcp().config().tso6_max, 65535u);
  const ByteVec data = pattern(300000);
  const ByteVec got = w.transfer(data);
  ASSERT_EQ(got.size(), data.size());
  EXPECT_EQ(got, data);
  // Pieces of the effective MSS: 1500 - 40 (IPv6) - 20 (TCP) - 12 (timestamps).
  const auto supers = checked_super_frames(w, 1428);
  ASSERT_FALSE(supers.empty());
  for (const Frame* f : supers) {
    // What TapLink writes before it: the kernel's instructions for TCPv6 GSO.
    const link::VnetHdr h = link::VnetHdr::from_tx(f->tx);
    EXPECT_EQ(h.flags, link::VnetHdr::kNeedsCsum);
    EXPECT_EQ(h.gso_type & ~link::VnetHdr::kGsoEcn, link::VnetHdr::kGsoTcpV6);
    EXPECT_EQ(h.gso_size, 1428);
    EXPECT_EQ(h.csum_start, kIpv6TransportOffset);
    EXPECT_EQ(h.csum_offset, 16);
    EXPECT_EQ(h.hdr_len, f->tx.hdr_len);
    check_pieces(w, *f);
  }
  EXPECT_EQ(w.a.stats().tx_super_frames, supers.size());
  EXPECT_EQ(w.b.stats().rx_super_frames, supers.size());
  EXPECT_EQ(w.b.stats().tcp_rx_bad_checksum, 0u);
}

TEST(Tso6, ALinkWithTso4OnlySendsWholeSegmentsOverIpv6) {
  TsoWire w(LinkOffloads{true, 65535, 0}, true);
  EXPECT_EQ(w.a.tcp().config().tso_max, 65535u);
  EXPECT_EQ(w.a.tcp().config().tso6_max, 0u);
  const ByteVec data = pattern(100000);
  const ByteVec got = w.transfer(data);
  ASSERT_EQ(got.size(), data.size());
  EXPECT_EQ(got, data);
  EXPECT_TRUE(checked_super_frames(w, 1428).empty());
  EXPECT_EQ(w.a.stats().tx_super_frames, 0u);
  // The checksums are still the link's to finish.
  EXPECT_GT(w.a.stats().tx_csum_offloaded, 70u);
  EXPECT_EQ(w.b.stats().tcp_rx_bad_checksum, 0u);
}

TEST(Gso, AnIpv4SuperFrameCutsIntoValidSegmentsAsOverIpv6) {
  TsoWire w(LinkOffloads{true, 65535});
  const ByteVec data = pattern(200000);
  ASSERT_EQ(w.transfer(data), data);
  const auto supers = checked_super_frames(w, 1448);
  ASSERT_FALSE(supers.empty());
  for (const Frame* f : supers) {
    EXPECT_EQ(link::VnetHdr::from_tx(f->tx).gso_type & ~link::VnetHdr::kGsoEcn,
              link::VnetHdr::kGsoTcpV4);
    check_pieces(w, *f);
  }
}

TEST(Gso, WhatIsNoSuperSegmentIsNotCut) {
  const ByteVec frame(200);
  EXPECT_TRUE(link::segment_super_frame(frame, TxMeta{}).empty());
  TxMeta tx;
  tx.csum_start = 34;
  tx.csum_offset = 16;
  tx.gso_size = 100;
  tx.hdr_len = 300;  // longer than the frame
  EXPECT_TRUE(link::segment_super_frame(frame, tx).empty());
  tx.hdr_len = 66;
  tx.csum_start = 0;  // TSO without checksum offload
  EXPECT_TRUE(link::segment_super_frame(frame, tx).empty());
}

}  // namespace
}  // namespace synack::stack::test
