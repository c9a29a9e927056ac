#include "synack/wire/udp.hpp"

#include <gtest/gtest.h>

#include "wire_test_util.hpp"

namespace synack::wire {
namespace {

using test::hex;
using test::view;

const PseudoHeader kPh{Ipv4Addr::from_octets(10, 77, 0, 1), Ipv4Addr::from_octets(10, 77, 0, 2)};

// The datagram Linux sent in tests/vectors/kernel.pcap: 40000 -> 7777 "hello udp\n".
const char* kKernelUdp = "9c40 1e61 0012 072b 68656c6c6f207564700a";

void expect_error(const ByteVec& d, PseudoHeader ph, WireError want) {
  auto r = UdpRepr::parse(view(d), ph);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), want) << to_string(r.error());
}

TEST(Udp, ParsesKernelDatagram) {
  ByteVec d = hex(kKernelUdp);
  auto r = UdpRepr::parse(view(d), kPh);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 40000);
  EXPECT_EQ(r->dst_port, 7777);
  EXPECT_EQ(ByteVec(r->payload.begin(), r->payload.end()), test::bytes_of("hello udp\n"));
}

TEST(Udp, EmitMatchesKernelBytes) {
  ByteVec payload = test::bytes_of("hello udp\n");
  UdpRepr u{40000, 7777, view(payload)};
  ByteVec out(u.total_len());
  ASSERT_EQ(u.emit(out, kPh), 18u);
  EXPECT_EQ(out, hex(kKernelUdp));
}

TEST(Udp, RoundTripOddPayloadAndInPlace) {
  ByteVec out(8 + 5);
  ByteVec payload = hex("0102030405");
  std::copy(payload.begin(), payload.end(), out.begin() + 8);
  UdpRepr u{53, 33333, Bytes(out.data() + 8, 5)};
  u.emit(out, kPh);
  auto r = UdpRepr::parse(view(out), kPh);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->src_port, 53);
  EXPECT_EQ(r->dst_port, 33333);
  EXPECT_EQ(ByteVec(r->payload.begin(), r->payload.end()), payload);
}

TEST(Udp, ComputedZeroChecksumIsSentAsAllOnes) {
  // Choose two payload bytes that make the one's-complement sum 0xffff: the
  // checksum computed with those bytes zeroed is exactly the word that does it.
  ByteVec probe = hex("0007 0007 000a 0000 0000");
  Checksum c;
  c.add_u32(kPh.src.value).add_u32(kPh.dst.value).add_u16(17).add_u16(10).add(view(probe));
  std::uint16_t word = c.finish();
  ByteVec payload(2);
  store_be16(payload, 0, word);
  UdpRepr u{7, 7, view(payload)};
  ByteVec out(u.total_len());
  u.emit(out, kPh);
  EXPECT_EQ(load_be16(view(out), 6), 0xffff);  // RFC 768: zero is sent as all ones
  auto r = UdpRepr::parse(view(out), kPh);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
}

TEST(Udp, ZeroChecksumMeansNone) {
  ByteVec d = hex(kKernelUdp);
  store_be16(d, 6, 0);
  d[10] ^= std::byte{0xff};  // would fail any checksum
  auto r = UdpRepr::parse(view(d), kPh);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload.size(), 10u);
}

TEST(Udp, LengthFieldBoundsThePayload) {
  ByteVec d = hex(kKernelUdp);
  d.push_back(std::byte{0});  // bytes past the UDP length (IP padding) are ignored
  d.push_back(std::byte{0});
  auto r = UdpRepr::parse(view(d), kPh);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload.size(), 10u);
}

TEST(Udp, Malformed) {
  ByteVec good = hex(kKernelUdp);
  expect_error(ByteVec(good.begin(), good.begin() + 7), kPh, WireError::Truncated);
  ByteVec tiny = good;
  store_be16(tiny, 4, 7);
  expect_error(tiny, kPh, WireError::BadTotalLength);
  ByteVec longer = good;
  store_be16(longer, 4, 19);
  expect_error(longer, kPh, WireError::Truncated);
  // Another destination in the pseudo-header: the datagram was not meant for us.
  expect_error(good, PseudoHeader{kPh.src, Ipv4Addr::from_octets(10, 77, 0, 3)},
               WireError::BadChecksum);
}

TEST(Udp, EverySingleBitFlipIsCaught) {
  // Skip the length field (bits 32..47), which fails earlier as a length error, and
  // the checksum field flipping to zero is impossible from 0x072b with one bit.
  ByteVec good = hex(kKernelUdp);
  for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
    if (bit >= 32 && bit < 48) continue;
    ByteVec d = good;
    test::flip_bit(d, bit);
    expect_error(d, kPh, WireError::BadChecksum);
  }
}

}  // namespace
}  // namespace synack::wire
