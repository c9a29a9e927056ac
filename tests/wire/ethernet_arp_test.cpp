#include <gtest/gtest.h>

#include "synack/wire/arp.hpp"
#include "synack/wire/ethernet.hpp"
#include "wire_test_util.hpp"

namespace synack::wire {
namespace {

using test::hex;
using test::view;

const MacAddr kMacA{{0x26, 0x1d, 0xdb, 0x77, 0xfc, 0x00}};
const MacAddr kMacB{{0x52, 0xe5, 0xe7, 0x9f, 0xe8, 0x0f}};

TEST(Ethernet, ParsesHeaderAndPayload) {
  ByteVec f = hex("ffffffffffff 261ddb77fc00 0806 0001 0800");
  auto r = EthernetRepr::parse(view(f));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->dst.is_broadcast());
  EXPECT_EQ(r->src, kMacA);
  EXPECT_EQ(r->ethertype, static_cast<std::uint16_t>(EtherType::Arp));
  ASSERT_EQ(r->payload.size(), 4u);
  EXPECT_EQ(r->payload.data(), f.data() + 14);  // a view, not a copy
}

TEST(Ethernet, TruncatedBelowHeader) {
  ByteVec f = hex("ffffffffffff 261ddb77fc00 08");
  auto r = EthernetRepr::parse(view(f));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), WireError::Truncated);
  ByteVec header_only = hex("ffffffffffff 261ddb77fc00 0800");
  auto h = EthernetRepr::parse(view(header_only));
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->payload.empty());
}

TEST(Ethernet, EmitRoundTripsWithPayloadElsewhere) {
  ByteVec payload = test::bytes_of("payload bytes");
  EthernetRepr e{kMacB, kMacA, static_cast<std::uint16_t>(EtherType::Ipv4), view(payload)};
  ByteVec out(e.total_len() + 5, std::byte{0xee});
  ASSERT_EQ(e.emit(out), 14 + payload.size());
  EXPECT_EQ(ByteVec(out.begin(), out.begin() + 14), hex("52e5e79fe80f 261ddb77fc00 0800"));
  auto r = EthernetRepr::parse(Bytes(out.data(), e.total_len()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dst, kMacB);
  EXPECT_EQ(r->src, kMacA);
  EXPECT_EQ(r->ethertype, 0x0800);
  EXPECT_EQ(ByteVec(r->payload.begin(), r->payload.end()), payload);
  EXPECT_EQ(out[e.total_len()], std::byte{0xee});  // nothing written past the frame
}

TEST(Ethernet, EmitWithPayloadAlreadyInPlace) {
  ByteVec out(14 + 6);
  ByteVec payload = hex("010203040506");
  std::copy(payload.begin(), payload.end(), out.begin() + 14);
  EthernetRepr e{kMacA, kMacB, 0x0806, Bytes(out.data() + 14, 6)};
  ASSERT_EQ(e.emit(out), 20u);
  EXPECT_EQ(out, hex("261ddb77fc00 52e5e79fe80f 0806 010203040506"));
}

// The ARP request Linux sent in tests/vectors/kernel.pcap.
const char* kArpRequest = "0001 0800 0604 0001 261ddb77fc00 0a4d0001 000000000000 0a4d0002";

TEST(Arp, ParsesKernelRequest) {
  ByteVec p = hex(kArpRequest);
  auto r = ArpRepr::parse(view(p));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->op, ArpOp::Request);
  EXPECT_EQ(r->sender_mac, kMacA);
  EXPECT_EQ(r->sender_ip, Ipv4Addr::from_octets(10, 77, 0, 1));
  EXPECT_EQ(r->target_mac, MacAddr{});
  EXPECT_EQ(r->target_ip, Ipv4Addr::from_octets(10, 77, 0, 2));
}

TEST(Arp, EmitMatchesWireBytesAndRoundTrips) {
  ArpRepr req{ArpOp::Request, kMacA, Ipv4Addr::from_octets(10, 77, 0, 1), MacAddr{},
              Ipv4Addr::from_octets(10, 77, 0, 2)};
  ByteVec out(ArpRepr::kLen);
  ASSERT_EQ(req.emit(out), ArpRepr::kLen);
  EXPECT_EQ(out, hex(kArpRequest));

  ArpRepr reply{ArpOp::Reply, kMacB, Ipv4Addr::from_octets(10, 77, 0, 2), kMacA,
                Ipv4Addr::from_octets(10, 77, 0, 1)};
  ASSERT_EQ(reply.emit(out), ArpRepr::kLen);
  auto r = ArpRepr::parse(view(out));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, reply);
}

TEST(Arp, IgnoresEthernetPadding) {
  ByteVec p = hex(kArpRequest);
  p.resize(46, std::byte{0});  // a 60-byte minimum Ethernet frame minus the header
  auto r = ArpRepr::parse(view(p));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->target_ip, Ipv4Addr::from_octets(10, 77, 0, 2));
}

TEST(Arp, MalformedCases) {
  struct Case {
    std::size_t offset;
    const char* bytes;
    WireError want;
  } cases[] = {
      {0, "0006", WireError::Unsupported},  // htype IEEE 802
      {2, "86dd", WireError::Unsupported},  // ptype IPv6
      {4, "08", WireError::BadHeaderLength}, {5, "10", WireError::BadHeaderLength},
      {6, "0003", WireError::Unsupported},  // RARP request
      {6, "0000", WireError::Unsupported},
  };
  for (const auto& c : cases) {
    ByteVec p = hex(kArpRequest);
    ByteVec patch = hex(c.bytes);
    std::copy(patch.begin(), patch.end(), p.begin() + static_cast<std::ptrdiff_t>(c.offset));
    auto r = ArpRepr::parse(view(p));
    ASSERT_FALSE(r.ok()) << c.bytes;
    EXPECT_EQ(r.error(), c.want) << c.bytes;
  }
  ByteVec shortp = hex(kArpRequest);
  shortp.pop_back();
  auto r = ArpRepr::parse(view(shortp));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), WireError::Truncated);
}

}  // namespace
}  // namespace synack::wire
