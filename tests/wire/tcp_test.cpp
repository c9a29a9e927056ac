#include "synack/wire/tcp.hpp"

#include <gtest/gtest.h>

#include "wire_test_util.hpp"

namespace synack::wire {
namespace {

using test::hex;
using test::view;

const PseudoHeader kPh{Ipv4Addr::from_octets(10, 77, 0, 1), Ipv4Addr::from_octets(10, 77, 0, 2)};

// The SYN Linux sent in tests/vectors/kernel.pcap (checksum verified by tcpdump).
const char* kKernelSyn =
    "c0c4 1f90 4557f58c 00000000 a002 faf0 d5e9 0000 020405b4 0402080a f8db4e71 00000000 "
    "0103030a";

// Writes a valid checksum into a hand-made segment (so other errors can be tested).
void fix_checksum(ByteVec& seg, PseudoHeader ph) {
  store_be16(seg, 16, 0);
  Checksum c;
  c.add_u32(ph.src.value).add_u32(ph.dst.value).add_u16(6);
  c.add_u16(static_cast<std::uint16_t>(seg.size())).add(view(seg));
  store_be16(seg, 16, c.finish());
}

void expect_error(const ByteVec& seg, WireError want) {
  auto r = TcpRepr::parse(view(seg), kPh);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), want) << to_string(r.error());
}

TcpRepr sample() {
  TcpRepr t;
  t.src_port = 49348;
  t.dst_port = 8080;
  t.seq = SeqNum(1163392396);
  t.ack = SeqNum(0);
  t.flags.bits = TcpFlags::kSyn;
  t.window = 64240;
  t.options.mss = 1460;
  t.options.sack_permitted = true;
  t.options.timestamps = TcpTimestamps{4175122033u, 0};
  t.options.window_scale = 10;
  return t;
}

TEST(TcpFlags, TcpdumpStyle) {
  auto s = [](std::uint8_t bits) { return TcpFlags{bits}.to_string(); };
  EXPECT_EQ(s(TcpFlags::kSyn), "S");
  EXPECT_EQ(s(TcpFlags::kSyn | TcpFlags::kAck), "S.");
  EXPECT_EQ(s(TcpFlags::kAck), ".");
  EXPECT_EQ(s(TcpFlags::kPsh | TcpFlags::kAck), "P.");
  EXPECT_EQ(s(TcpFlags::kFin | TcpFlags::kAck), "F.");
  EXPECT_EQ(s(TcpFlags::kFin | TcpFlags::kPsh | TcpFlags::kAck), "FP.");
  EXPECT_EQ(s(TcpFlags::kRst), "R");
  EXPECT_EQ(s(TcpFlags::kRst | TcpFlags::kAck), "R.");
  // tcpdump prints ACK before URG/ECE/CWR: an ECN-setup SYN-ACK is "S.E".
  EXPECT_EQ(s(TcpFlags::kSyn | TcpFlags::kAck | TcpFlags::kEce), "S.E");
  EXPECT_EQ(s(TcpFlags::kSyn | TcpFlags::kEce | TcpFlags::kCwr), "SEW");
  EXPECT_EQ(s(0xff), "FSRP.UEW");
  EXPECT_EQ(s(0), "none");
}

TEST(Tcp, ParsesKernelSyn) {
  ByteVec seg = hex(kKernelSyn);
  auto r = TcpRepr::parse(view(seg), kPh);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 49348);
  EXPECT_EQ(r->dst_port, 8080);
  EXPECT_EQ(r->seq, SeqNum(1163392396));
  EXPECT_EQ(r->flags.to_string(), "S");
  EXPECT_EQ(r->window, 64240);
  EXPECT_EQ(r->options, sample().options);
  EXPECT_EQ(r->header_len(), 40u);
  EXPECT_EQ(r->seg_len(), 1u);
  EXPECT_TRUE(r->payload.empty());
}

TEST(Tcp, EmitMatchesKernelSyn) {
  TcpRepr t = sample();
  ByteVec out(t.total_len());
  ASSERT_EQ(t.emit(out, kPh), 40u);
  EXPECT_EQ(out, hex(kKernelSyn));
}

TEST(Tcp, RoundTripWithPayload) {
  ByteVec payload = test::bytes_of("GET / HTTP/1.1\r\n\r\n!");  // odd length
  TcpRepr t;
  t.src_port = 1;
  t.dst_port = 65535;
  t.seq = SeqNum(0xfffffff0);
  t.ack = SeqNum(0x10);
  t.flags.bits = TcpFlags::kPsh | TcpFlags::kAck | TcpFlags::kFin;
  t.window = 0;
  t.urgent = 7;
  t.options.timestamps = TcpTimestamps{5, 6};
  t.options.sack_count = 1;
  t.options.sack_blocks[0] = {SeqNum(0x20), SeqNum(0x30)};
  t.payload = view(payload);
  ByteVec out(t.total_len());
  ASSERT_EQ(t.emit(out, kPh), 20u + 12u + 12u + payload.size());
  EXPECT_EQ(std::to_integer<int>(out[12]) >> 4, 11);  // data offset in words
  auto r = TcpRepr::parse(view(out), kPh);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 1);
  EXPECT_EQ(r->dst_port, 65535);
  EXPECT_EQ(r->seq, t.seq);
  EXPECT_EQ(r->ack, t.ack);
  EXPECT_EQ(r->flags, t.flags);
  EXPECT_EQ(r->window, 0);
  EXPECT_EQ(r->urgent, 7);
  EXPECT_EQ(r->options, t.options);
  EXPECT_EQ(ByteVec(r->payload.begin(), r->payload.end()), payload);
  EXPECT_EQ(r->seg_len(), payload.size() + 1);
}

TEST(Tcp, EmitWithPayloadInPlace) {
  TcpRepr t = sample();
  t.flags.bits = TcpFlags::kAck;
  ByteVec out(t.header_len() + 3);
  out[t.header_len()] = std::byte{'a'};
  out[t.header_len() + 1] = std::byte{'b'};
  out[t.header_len() + 2] = std::byte{'c'};
  t.payload = Bytes(out.data() + t.header_len(), 3);
  t.emit(out, kPh);
  auto r = TcpRepr::parse(view(out), kPh);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ByteVec(r->payload.begin(), r->payload.end()), test::bytes_of("abc"));
}

// A payload summed while it was copied into place (Checksum::add_copy) gives the same
// segment, checksum included, as emit summing it itself: odd and even lengths, across
// the vector loop's bounds.
TEST(Tcp, EmitWithTheCallersPayloadSumMatchesEmitSummingIt) {
  for (std::size_t len : {1u, 2u, 127u, 128u, 1448u, 1449u, 8948u}) {
    ByteVec src(len);
    for (std::size_t i = 0; i < len; ++i) src[i] = std::byte(i * 29 + 3);
    TcpRepr t = sample();
    ByteVec plain(t.header_len() + len), fused(t.header_len() + len);
    std::copy(src.begin(), src.end(), plain.begin() + static_cast<long>(t.header_len()));
    t.payload = Bytes(plain.data() + t.header_len(), len);
    ASSERT_EQ(t.emit(plain, kPh), plain.size());
    Checksum payload_sum;
    payload_sum.add_copy(MutBytes(fused).subspan(t.header_len()), src);
    t.payload = Bytes(fused.data() + t.header_len(), len);
    ASSERT_EQ(t.emit(fused, kPh, payload_sum), fused.size());
    EXPECT_EQ(fused, plain) << len;
    EXPECT_TRUE(TcpRepr::parse(view(fused), kPh).ok()) << len;  // the checksum verifies
  }
}

TEST(Tcp, EmitMovesPayloadStagedInsideTheHeaderArea) {
  // A caller staged the payload right after a 20-byte header, then added options.
  ByteVec out(60);
  ByteVec payload = test::bytes_of("0123456789abcdefghij");
  std::copy(payload.begin(), payload.end(), out.begin() + 20);
  TcpRepr t = sample();
  t.payload = Bytes(out.data() + 20, payload.size());
  ASSERT_EQ(t.emit(out, kPh), 60u);
  auto r = TcpRepr::parse(view(out), kPh);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->options, sample().options);
  EXPECT_EQ(ByteVec(r->payload.begin(), r->payload.end()), payload);
}

TEST(Tcp, Malformed) {
  ByteVec good = hex(kKernelSyn);
  expect_error(ByteVec(good.begin(), good.begin() + 19), WireError::Truncated);

  ByteVec off4 = good;
  off4[12] = std::byte{0x40};
  fix_checksum(off4, kPh);
  expect_error(off4, WireError::BadDataOffset);

  ByteVec off15 = good;  // 60-byte header claimed in a 40-byte segment
  off15[12] = std::byte{0xf0};
  fix_checksum(off15, kPh);
  expect_error(off15, WireError::BadDataOffset);

  ByteVec bad_opt = good;
  bad_opt[21] = std::byte{3};  // MSS length 3
  fix_checksum(bad_opt, kPh);
  expect_error(bad_opt, WireError::BadOptionLength);

  ByteVec past = good;
  past[37] = std::byte{4};  // window scale option claims 4 bytes, 3 remain
  fix_checksum(past, kPh);
  expect_error(past, WireError::BadOptionLength);

  auto wrong_dst = TcpRepr::parse(view(good), PseudoHeader{kPh.dst, kPh.src});
  ASSERT_TRUE(wrong_dst.ok());  // swapping src/dst keeps the same sum
  auto other =
      TcpRepr::parse(view(good), PseudoHeader{kPh.src, Ipv4Addr::from_octets(10, 77, 0, 9)});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error(), WireError::BadChecksum);
}

TEST(Tcp, EverySingleBitFlipOutsideDataOffsetIsCaught) {
  ByteVec good = hex(kKernelSyn);
  for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
    if (bit >= 96 && bit < 100) continue;  // data offset: caught as BadDataOffset or checksum
    ByteVec seg = good;
    test::flip_bit(seg, bit);
    expect_error(seg, WireError::BadChecksum);
  }
}

}  // namespace
}  // namespace synack::wire
