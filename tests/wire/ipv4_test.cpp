#include "synack/wire/ipv4.hpp"

#include <gtest/gtest.h>

#include "wire_test_util.hpp"

namespace synack::wire {
namespace {

using test::hex;
using test::view;

// The worked example of RFC 1071-style header checksumming (Wikipedia, "IPv4 header
// checksum"): 192.168.0.1 -> 192.168.0.199, UDP, total length 115, checksum 0xb861.
const char* kExampleHeader = "4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7";

ByteVec example_packet() {
  ByteVec p = hex(kExampleHeader);
  for (int i = 0; i < 95; ++i) p.push_back(std::byte(i));
  return p;
}

void expect_error(const ByteVec& p, WireError want) {
  auto r = Ipv4Repr::parse(view(p));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), want) << to_string(r.error());
}

TEST(Ipv4, ParsesKnownHeader) {
  ByteVec p = example_packet();
  auto r = Ipv4Repr::parse(view(p));
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src, Ipv4Addr::from_octets(192, 168, 0, 1));
  EXPECT_EQ(r->dst, Ipv4Addr::from_octets(192, 168, 0, 199));
  EXPECT_EQ(r->protocol, static_cast<std::uint8_t>(IpProto::Udp));
  EXPECT_EQ(r->ttl, 64);
  EXPECT_EQ(r->ident, 0);
  EXPECT_TRUE(r->dont_fragment);
  EXPECT_FALSE(r->is_fragment());
  EXPECT_EQ(r->header_len, 20u);
  EXPECT_TRUE(r->options.empty());
  ASSERT_EQ(r->payload.size(), 95u);
  EXPECT_EQ(r->payload.data(), p.data() + 20);
}

TEST(Ipv4, EmitProducesKnownChecksum) {
  ByteVec p = example_packet();
  Ipv4Repr r;
  r.src = Ipv4Addr::from_octets(192, 168, 0, 1);
  r.dst = Ipv4Addr::from_octets(192, 168, 0, 199);
  r.protocol = static_cast<std::uint8_t>(IpProto::Udp);
  r.ttl = 64;
  r.ident = 0;
  r.dont_fragment = true;
  r.payload = Bytes(p.data() + 20, 95);
  ByteVec out(r.total_len());
  ASSERT_EQ(r.emit(out), 115u);
  EXPECT_EQ(out, p);
}

TEST(Ipv4, RoundTripWithoutDf) {
  ByteVec payload = test::bytes_of("ping");
  Ipv4Repr r;
  r.src = Ipv4Addr::from_octets(10, 77, 0, 1);
  r.dst = Ipv4Addr::from_octets(10, 77, 0, 2);
  r.protocol = 1;
  r.ttl = 3;
  r.dscp_ecn = 0xb8;
  r.ident = 0xbeef;
  r.dont_fragment = false;
  r.payload = view(payload);
  ByteVec out(r.total_len());
  r.emit(out);
  EXPECT_EQ(load_be16(view(out), 6), 0);  // flags and offset all zero
  auto p = Ipv4Repr::parse(view(out));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->src, r.src);
  EXPECT_EQ(p->dst, r.dst);
  EXPECT_EQ(p->protocol, 1);
  EXPECT_EQ(p->ttl, 3);
  EXPECT_EQ(p->dscp_ecn, 0xb8);
  EXPECT_EQ(p->ident, 0xbeef);
  EXPECT_FALSE(p->dont_fragment);
  EXPECT_EQ(ByteVec(p->payload.begin(), p->payload.end()), payload);
}

TEST(Ipv4, EmitWithPayloadInPlace) {
  ByteVec out(20 + 4);
  out[20] = std::byte{1};
  out[23] = std::byte{4};
  Ipv4Repr r;
  r.protocol = 17;
  r.payload = Bytes(out.data() + 20, 4);
  r.emit(out);
  auto p = Ipv4Repr::parse(view(out));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(ByteVec(p->payload.begin(), p->payload.end()), hex("01000004"));
}

TEST(Ipv4, TrailingEthernetPaddingIgnored) {
  ByteVec p = example_packet();
  p.resize(p.size() + 6, std::byte{0});
  auto r = Ipv4Repr::parse(view(p));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload.size(), 95u);
}

TEST(Ipv4, OptionsAreSkippedAndExposed) {
  // IHL 6 with a Router Alert option (RFC 2113: 94 04 00 00).
  ByteVec p = hex("4600 001c 1234 0000 4002 0000 0a4d0001 e0000016 94040000 aabbccdd");
  store_be16(p, 10, internet_checksum(Bytes(p.data(), 24)));
  auto r = Ipv4Repr::parse(view(p));
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->header_len, 24u);
  EXPECT_EQ(ByteVec(r->options.begin(), r->options.end()), hex("94040000"));
  EXPECT_EQ(ByteVec(r->payload.begin(), r->payload.end()), hex("aabbccdd"));
  EXPECT_FALSE(r->dont_fragment);
}

TEST(Ipv4, FragmentsRecognised) {
  ByteVec p = hex("4500 001c 0001 20b9 4011 0000 0a4d0001 0a4d0002 0102030405060708");
  store_be16(p, 10, internet_checksum(Bytes(p.data(), 20)));
  auto r = Ipv4Repr::parse(view(p));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->more_fragments);
  EXPECT_FALSE(r->dont_fragment);
  EXPECT_EQ(r->fragment_offset, 0xb9);
  EXPECT_TRUE(r->is_fragment());

  // The last fragment: MF clear, offset non-zero.
  store_be16(p, 6, 0x0010);
  store_be16(p, 10, 0);
  store_be16(p, 10, internet_checksum(Bytes(p.data(), 20)));
  auto last = Ipv4Repr::parse(view(p));
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->more_fragments);
  EXPECT_EQ(last->fragment_offset, 0x10);
  EXPECT_TRUE(last->is_fragment());
}

TEST(Ipv4, FragmentFieldsEmitted) {
  // The same fragment as above (MF, offset 0xb9, no DF), built by emit: the bytes match
  // the hand-written header, checksum included.
  ByteVec want = hex("4500 001c 0001 20b9 4011 0000 0a4d0001 0a4d0002 0102030405060708");
  store_be16(want, 10, internet_checksum(Bytes(want.data(), 20)));
  const ByteVec data = hex("0102030405060708");
  Ipv4Repr r;
  r.src = Ipv4Addr::from_octets(10, 77, 0, 1);
  r.dst = Ipv4Addr::from_octets(10, 77, 0, 2);
  r.protocol = 17;
  r.ttl = 64;
  r.ident = 1;
  r.dont_fragment = false;
  r.more_fragments = true;
  r.fragment_offset = 0xb9;
  r.payload = view(data);
  ByteVec out(r.total_len());
  ASSERT_EQ(r.emit(out), want.size());
  EXPECT_EQ(out, want);
}

TEST(Ipv4, Malformed) {
  ByteVec good = example_packet();
  expect_error(ByteVec(good.begin(), good.begin() + 19), WireError::Truncated);
  expect_error(ByteVec{}, WireError::Truncated);

  ByteVec v6 = good;
  v6[0] = std::byte{0x65};
  expect_error(v6, WireError::BadVersion);

  ByteVec ihl4 = good;
  ihl4[0] = std::byte{0x44};
  expect_error(ihl4, WireError::BadHeaderLength);

  // IHL 15 (60 bytes) on a 40-byte buffer: the header itself is cut short.
  ByteVec ihl15(good.begin(), good.begin() + 40);
  ihl15[0] = std::byte{0x4f};
  store_be16(ihl15, 2, 40);
  expect_error(ihl15, WireError::Truncated);

  ByteVec below_header = good;
  store_be16(below_header, 2, 19);
  expect_error(below_header, WireError::BadTotalLength);

  ByteVec short_buffer(good.begin(), good.end() - 1);  // total length says 115
  expect_error(short_buffer, WireError::Truncated);
}

TEST(Ipv4, EverySingleBitFlipInChecksummedFieldsIsCaught) {
  // Bytes 8..19: TTL, protocol, checksum, addresses. (Flips in version/IHL/length
  // are caught earlier as other errors.)
  for (std::size_t bit = 8 * 8; bit < 20 * 8; ++bit) {
    ByteVec p = example_packet();
    test::flip_bit(p, bit);
    expect_error(p, WireError::BadChecksum);
  }
  for (std::size_t bit = 4 * 8; bit < 8 * 8; ++bit) {  // ident, flags, offset
    ByteVec p = example_packet();
    test::flip_bit(p, bit);
    expect_error(p, WireError::BadChecksum);
  }
}

TEST(Ipv4, PseudoHeaderPartialIsTheSumOfItsWords) {
  auto sum = pseudo_header_partial(Ipv4Addr::from_octets(10, 77, 0, 1),
                                   Ipv4Addr::from_octets(10, 77, 0, 2), 6, 40);
  EXPECT_EQ(sum, 0x0a4du + 0x0001u + 0x0a4du + 0x0002u + 6u + 40u);
  auto big = pseudo_header_partial(Ipv4Addr{0xffffffff}, Ipv4Addr{0xffffffff}, 17, 0xffff);
  EXPECT_EQ(big, 4u * 0xffffu + 17u + 0xffffu);
}

}  // namespace
}  // namespace synack::wire
