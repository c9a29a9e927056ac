#include "synack/wire/icmp.hpp"

#include <gtest/gtest.h>

#include "wire_test_util.hpp"

namespace synack::wire {
namespace {

using test::hex;
using test::view;

IcmpRepr round_trip(const IcmpRepr& in, ByteVec& out) {
  out.assign(in.total_len(), std::byte{0xaa});
  EXPECT_EQ(in.emit(out), in.total_len());
  auto r = IcmpRepr::parse(view(out));
  EXPECT_TRUE(r.ok()) << to_string(r.error());
  return r.value();
}

void expect_same(const IcmpRepr& a, const IcmpRepr& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.ident, b.ident);
  EXPECT_EQ(a.seq_no, b.seq_no);
  EXPECT_EQ(a.next_hop_mtu, b.next_hop_mtu);
  EXPECT_EQ(a.pointer, b.pointer);
  EXPECT_EQ(ByteVec(a.data.begin(), a.data.end()), ByteVec(b.data.begin(), b.data.end()));
}

TEST(Icmp, EchoRequestBytes) {
  // 08 00 | ~(0x0800 + 0x0001 + 0x0002) = 0xf7fc | ident 1 | seq 2
  IcmpRepr e;
  e.type = static_cast<std::uint8_t>(IcmpType::EchoRequest);
  e.ident = 1;
  e.seq_no = 2;
  ByteVec out(8);
  ASSERT_EQ(e.emit(out), 8u);
  EXPECT_EQ(out, hex("0800 f7fc 0001 0002"));
  auto r = IcmpRepr::parse(view(out));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ident, 1);
  EXPECT_EQ(r->seq_no, 2);
  EXPECT_TRUE(r->data.empty());
}

TEST(Icmp, EchoRoundTripWithData) {
  ByteVec data = test::bytes_of("0123456789abcdefg");  // odd length
  for (auto type : {IcmpType::EchoRequest, IcmpType::EchoReply}) {
    IcmpRepr e;
    e.type = static_cast<std::uint8_t>(type);
    e.ident = 0x1bb1;
    e.seq_no = 0xfffe;
    e.data = view(data);
    ByteVec out;
    expect_same(round_trip(e, out), e);
  }
}

TEST(Icmp, FragNeededCarriesNextHopMtu) {
  ByteVec invoking = hex("4500 05dc 0000 4000 4006 0000 0a4d0001 0a4d0002 0102030405060708");
  IcmpRepr e;
  e.type = static_cast<std::uint8_t>(IcmpType::DestUnreachable);
  e.code = static_cast<std::uint8_t>(UnreachCode::FragNeeded);
  e.next_hop_mtu = 1400;
  e.data = view(invoking);
  ByteVec out;
  IcmpRepr r = round_trip(e, out);
  expect_same(r, e);
  // RFC 1191 §4: unused (16 bits) then Next-Hop MTU (16 bits).
  EXPECT_EQ(ByteVec(out.begin() + 4, out.begin() + 8), hex("0000 0578"));
}

TEST(Icmp, ErrorMessagesRoundTrip) {
  ByteVec invoking = hex("4500 0028 0000 4000 4011 0000 0a4d0001 0a4d0002 9c40 0009 0014 0000");
  struct Msg {
    IcmpType type;
    std::uint8_t code;
  } msgs[] = {{IcmpType::DestUnreachable, 3}, {IcmpType::DestUnreachable, 1},
              {IcmpType::TimeExceeded, 0},    {IcmpType::TimeExceeded, 1},
              {IcmpType::SourceQuench, 0},    {IcmpType::ParameterProblem, 0}};
  for (const auto& m : msgs) {
    IcmpRepr e;
    e.type = static_cast<std::uint8_t>(m.type);
    e.code = m.code;
    e.data = view(invoking);
    if (m.type == IcmpType::ParameterProblem) e.pointer = 9;
    ByteVec out;
    IcmpRepr r = round_trip(e, out);
    expect_same(r, e);
    if (m.type == IcmpType::ParameterProblem) {
      EXPECT_EQ(ByteVec(out.begin() + 4, out.begin() + 8), hex("0900 0000"));
    } else {
      EXPECT_EQ(ByteVec(out.begin() + 4, out.begin() + 8), hex("0000 0000"));
    }
  }
}

TEST(Icmp, EmitWithDataInPlace) {
  ByteVec out(8 + 4);
  out[8] = std::byte{0xde};
  out[11] = std::byte{0xef};
  IcmpRepr e;
  e.type = 8;
  e.data = Bytes(out.data() + 8, 4);
  e.emit(out);
  auto r = IcmpRepr::parse(view(out));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ByteVec(r->data.begin(), r->data.end()), hex("de0000ef"));
}

TEST(Icmp, Malformed) {
  ByteVec good = hex("0800 f7fc 0001 0002");
  auto shortr = IcmpRepr::parse(Bytes(good.data(), 7));
  ASSERT_FALSE(shortr.ok());
  EXPECT_EQ(shortr.error(), WireError::Truncated);

  for (std::size_t bit = 0; bit < good.size() * 8; ++bit) {
    ByteVec p = good;
    test::flip_bit(p, bit);
    auto r = IcmpRepr::parse(view(p));
    ASSERT_FALSE(r.ok()) << bit;
    EXPECT_EQ(r.error(), WireError::BadChecksum) << bit;
  }

  // A timestamp request (type 13) with a valid checksum is well-formed but not ours.
  ByteVec ts = hex("0d00 0000 0001 0002");
  store_be16(ts, 2, internet_checksum(view(ts)));
  auto r = IcmpRepr::parse(view(ts));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), WireError::Unsupported);
}

}  // namespace
}  // namespace synack::wire
