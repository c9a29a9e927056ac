// The virtio_net_hdr a TAP with IFF_VNET_HDR puts before every frame: exact bytes
// both ways, what a received one means for the stack, what a send asks of the kernel.
#include "synack/link/vnet_hdr.hpp"

#include <gtest/gtest.h>

#include <array>

namespace synack::link {
namespace {

ByteVec bytes(std::initializer_list<int> v) {
  ByteVec out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(VnetHdr, EncodesTenLittleEndianBytesInTheKernelsOrder) {
  // What Linux's tun reads for a TSO write of 1448-byte segments behind 66 bytes of
  // headers (Ethernet 14 + IPv4 20 + TCP 32), checksum at 34 + 16.
  VnetHdr h;
  h.flags = VnetHdr::kNeedsCsum;
  h.gso_type = VnetHdr::kGsoTcpV4;
  h.hdr_len = 66;
  h.gso_size = 1448;
  h.csum_start = 34;
  h.csum_offset = 16;
  ByteVec out(VnetHdr::kLen);
  h.encode(out);
  EXPECT_EQ(out, bytes({0x01, 0x01, 0x42, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00}));
  EXPECT_EQ(VnetHdr::decode(out), h);
}

TEST(VnetHdr, DecodesWhatTheKernelWritesAndRejectsAShortHeader) {
  // A GRO'd receive: DATA_VALID, TCPV4 with the ECN bit, gso_size 1460.
  const ByteVec in =
      bytes({0x02, 0x81, 0x36, 0x00, 0xb4, 0x05, 0x00, 0x00, 0x00, 0x00, 0xff /* frame */});
  auto h = VnetHdr::decode(in);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->flags, VnetHdr::kDataValid);
  EXPECT_EQ(h->gso_type, VnetHdr::kGsoTcpV4 | VnetHdr::kGsoEcn);
  EXPECT_EQ(h->hdr_len, 54);
  EXPECT_EQ(h->gso_size, 1460);
  EXPECT_EQ(h->csum_start, 0);
  EXPECT_EQ(h->csum_offset, 0);
  EXPECT_FALSE(VnetHdr::decode(Bytes(in).first(9)).has_value());
}

TEST(VnetHdr, RxMetaSaysWhatTheStackMaySkip) {
  VnetHdr plain;
  auto m = rx_meta(plain, 60);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->checksum, stack::RxChecksum::Unverified);
  EXPECT_EQ(m->gso_size, 0);

  VnetHdr partial;
  partial.flags = VnetHdr::kNeedsCsum;
  partial.csum_start = 34;
  partial.csum_offset = 16;
  m = rx_meta(partial, 54);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->checksum, stack::RxChecksum::Partial);
  EXPECT_EQ(m->csum_start, 34);
  EXPECT_EQ(m->csum_offset, 16);
  // The field it points at must be inside the frame: 34 + 16 + 2 = 52 bytes at least.
  EXPECT_TRUE(rx_meta(partial, 52).has_value());
  EXPECT_FALSE(rx_meta(partial, 51).has_value());

  VnetHdr valid;
  valid.flags = VnetHdr::kDataValid;
  valid.gso_type = VnetHdr::kGsoTcpV4 | VnetHdr::kGsoEcn;
  valid.gso_size = 1448;
  m = rx_meta(valid, 20000);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->checksum, stack::RxChecksum::Verified);
  EXPECT_EQ(m->gso_size, 1448);

  // UDP segmentation offloads are never offered: such a frame is refused.
  VnetHdr uso;
  uso.gso_type = VnetHdr::kGsoUdpL4;
  EXPECT_FALSE(rx_meta(uso, 2000).has_value());
  uso.gso_type = VnetHdr::kGsoUdp;
  EXPECT_FALSE(rx_meta(uso, 2000).has_value());
}

TEST(VnetHdr, FromTxAsksTheKernelForWhatTheStackLeftUndone) {
  EXPECT_EQ(VnetHdr::from_tx(stack::TxMeta{}), VnetHdr{});
  stack::TxMeta csum;
  csum.csum_start = 34;
  csum.csum_offset = 16;
  VnetHdr h = VnetHdr::from_tx(csum);
  EXPECT_EQ(h.flags, VnetHdr::kNeedsCsum);
  EXPECT_EQ(h.gso_type, VnetHdr::kGsoNone);
  EXPECT_EQ(h.csum_start, 34);
  EXPECT_EQ(h.csum_offset, 16);
  stack::TxMeta tso = csum;
  tso.gso_size = 1448;
  tso.hdr_len = 66;
  h = VnetHdr::from_tx(tso);
  EXPECT_EQ(h.flags, VnetHdr::kNeedsCsum);
  EXPECT_EQ(h.gso_type, VnetHdr::kGsoTcpV4);
  EXPECT_EQ(h.gso_size, 1448);
  EXPECT_EQ(h.hdr_len, 66);
  tso.gso_ecn = true;  // a super-segment with CWR
  EXPECT_EQ(VnetHdr::from_tx(tso).gso_type, VnetHdr::kGsoTcpV4 | VnetHdr::kGsoEcn);
  tso.gso_ipv6 = true;  // TSO6
  tso.hdr_len = 86;
  h = VnetHdr::from_tx(tso);
  EXPECT_EQ(h.gso_type, VnetHdr::kGsoTcpV6 | VnetHdr::kGsoEcn);
  EXPECT_EQ(h.hdr_len, 86);
}

}  // namespace
}  // namespace synack::link
