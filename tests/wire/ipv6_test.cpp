// The IPv6 header, the extension-header walk a host does on receive (RFC 8200 §4,
// RFC 4443 §3.4 pointers), the Fragment header, and TCP/UDP checksums over IPv6.
#include "synack/wire/ipv6.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "synack/base/checksum.hpp"
#include "synack/wire/tcp.hpp"
#include "synack/wire/udp.hpp"
#include "wire_test_util.hpp"

namespace synack::wire {
namespace {

using test::hex;
using test::view;

const Ipv6Addr kSrc = *Ipv6Addr::parse("fd00:77::1");
const Ipv6Addr kDst = *Ipv6Addr::parse("fd00:77::2");

// The checksum over RFC 8200 §8.1's pseudo-header laid out as bytes (src, dst, 32-bit
// length, three zero bytes, next header) and the segment: computed without PseudoHeader.
std::uint16_t reference_checksum(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint8_t nh,
                                 Bytes segment) {
  ByteVec buf(40 + segment.size());
  src.store(buf, 0);
  dst.store(buf, 16);
  store_be32(buf, 32, static_cast<std::uint32_t>(segment.size()));
  store_u8(buf, 39, nh);
  std::copy(segment.begin(), segment.end(), buf.begin() + 40);
  return internet_checksum(view(buf));
}

Ipv6Repr packet(std::uint8_t next_header, const ByteVec& payload, Ipv6Addr dst = kDst) {
  Ipv6Repr ip;
  ip.next_header = next_header;
  ip.src = kSrc;
  ip.dst = dst;
  ip.payload = view(payload);
  return ip;
}

ByteVec operator+(ByteVec a, const ByteVec& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

constexpr std::uint8_t kHbh = 0, kTcp = 6, kUdp = 17, kRouting = 43, kFrag = 44, kEsp = 50,
                       kIcmp6 = 58, kNone = 59, kDest = 60;

// --- the fixed header ----------------------------------------------------------

TEST(Ipv6Repr, ParsesTheFixedHeader) {
  // Version 6, traffic class 0xb8 (DSCP 46, Not-ECT) | ECN CE below, flow label 0x12345,
  // payload length 4, next header 59, hop limit 255.
  auto bytes =
      hex("6b b1 23 45 00 04 3b ff"
          "fd00 0077 0000 0000 0000 0000 0000 0001"
          "fd00 0077 0000 0000 0000 0000 0000 0002"
          "de ad be ef"
          "00 00");  // Ethernet padding
  auto r = Ipv6Repr::parse(view(bytes));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->traffic_class, 0xbb);
  EXPECT_EQ(r->ecn(), Ecn::Ce);
  EXPECT_EQ(r->flow_label, 0x12345u);
  EXPECT_EQ(r->next_header, 59);
  EXPECT_EQ(r->hop_limit, 255);
  EXPECT_EQ(r->src, kSrc);
  EXPECT_EQ(r->dst, kDst);
  ASSERT_EQ(r->payload.size(), 4u);
  EXPECT_EQ(r->payload[0], std::byte{0xde});
  EXPECT_EQ(r->payload.data(), bytes.data() + 40);

  ByteVec out(r->total_len());
  EXPECT_EQ(r->emit(out), 44u);
  EXPECT_EQ(out, ByteVec(bytes.begin(), bytes.begin() + 44));
}

TEST(Ipv6Repr, EmitsTheFixedHeader) {
  auto payload = hex("01 02 03");
  Ipv6Repr ip = packet(kUdp, payload);
  ip.traffic_class = with_ecn(0, Ecn::Ect0);
  ip.flow_label = 0xfffff;
  ip.hop_limit = 64;
  ByteVec out(ip.total_len());
  ASSERT_EQ(ip.emit(out), 43u);
  EXPECT_EQ(out, hex("60 2f ff ff 00 03 11 40"
                     "fd00 0077 0000 0000 0000 0000 0000 0001"
                     "fd00 0077 0000 0000 0000 0000 0000 0002"
                     "01 02 03"));
}

TEST(Ipv6Repr, RejectsBadVersionAndShortBuffers) {
  auto bytes =
      hex("60 00 00 00 00 08 3b 40"
          "fd00 0077 0000 0000 0000 0000 0000 0001"
          "fd00 0077 0000 0000 0000 0000 0000 0002"
          "00 00 00 00 00 00 00 00");
  ASSERT_TRUE(Ipv6Repr::parse(view(bytes)).ok());
  EXPECT_EQ(Ipv6Repr::parse(Bytes(bytes).first(39)).error(), WireError::Truncated);
  // Payload length 8 but only 7 bytes after the header.
  EXPECT_EQ(Ipv6Repr::parse(Bytes(bytes).first(47)).error(), WireError::Truncated);
  for (std::uint8_t v : {0x40, 0x00, 0x70, 0xf0}) {
    auto bad = bytes;
    bad[0] = std::byte{v};
    EXPECT_EQ(Ipv6Repr::parse(view(bad)).error(), WireError::BadVersion);
  }
}

// --- the Fragment header ----------------------------------------------------

TEST(Ipv6Fragment, ParsesAndEmits) {
  // Offset 181 (1448 bytes), M set, id 0x4be816b2 (tests/vectors/kernel6.pcap frame 23).
  auto bytes = hex("3a 00 05 a9 4b e8 16 b2");
  auto f = Ipv6FragmentHeader::parse(view(bytes));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->next_header, 58);
  EXPECT_EQ(f->offset, 181);
  EXPECT_EQ(f->byte_offset(), 1448u);
  EXPECT_TRUE(f->more);
  EXPECT_EQ(f->ident, 0x4be816b2u);
  EXPECT_FALSE(f->is_atomic());
  ByteVec out(8);
  EXPECT_EQ(f->emit(out), 8u);
  EXPECT_EQ(out, bytes);
  // Reserved bits are ignored on parse and written as zero.
  auto noisy = hex("3a ff 05 af 4b e8 16 b2");
  auto g = Ipv6FragmentHeader::parse(view(noisy));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, *f);
  EXPECT_EQ(Ipv6FragmentHeader::parse(Bytes(bytes).first(7)).error(), WireError::Truncated);
  Ipv6FragmentHeader last{6, 0x1fff, false, 1};
  last.emit(out);
  EXPECT_EQ(out, hex("06 00 ff f8 00 00 00 01"));
  EXPECT_TRUE((Ipv6FragmentHeader{6, 0, false, 7}).is_atomic());
}

TEST(Ipv6Fragment, RouterAlertHopByHop) {
  ByteVec out(8);
  EXPECT_EQ(emit_router_alert_hbh(out, 58), 8u);
  // What Linux puts in front of every MLD report (kernel6.pcap frame 1).
  EXPECT_EQ(out, hex("3a 00 05 02 00 00 01 00"));
}

// --- the walk -----------------------------------------------------------------

TEST(Ipv6Walk, DeliversTheUpperLayerDirectly) {
  auto payload = hex("00 50 1f 90 00 00 00 00 00 00 00 00 50 02 ff ff 00 00 00 00");
  for (std::uint8_t proto : {kTcp, kUdp, kIcmp6, kNone}) {
    auto c = walk_ipv6_headers(packet(proto, payload));
    EXPECT_EQ(c.verdict, Ipv6Verdict::Deliver);
    EXPECT_EQ(c.upper_protocol, proto);
    EXPECT_EQ(c.upper_offset, 40u);
    EXPECT_EQ(c.upper_payload.data(), payload.data());
    EXPECT_EQ(c.upper_payload.size(), 20u);
    EXPECT_EQ(c.extension_count, 0u);
    EXPECT_FALSE(c.fragment.has_value());
    EXPECT_FALSE(c.router_alert.has_value());
  }
}

TEST(Ipv6Walk, HopByHopRouterAlertAndPadding) {
  // HbH (Router Alert 0, PadN 0), then Destination Options with Pad1 x2, PadN(2) and an
  // unknown skip-type option (0x1e: action 00), 16 bytes long, then ICMPv6.
  auto payload =
      hex("3c 00 05 02 00 00 01 00"
          "3a 01 00 00 01 02 00 00 1e 02 ab cd 01 02 00 00"
          "80 00 00 00");
  auto c = walk_ipv6_headers(packet(kHbh, payload));
  EXPECT_EQ(c.verdict, Ipv6Verdict::Deliver);
  EXPECT_EQ(c.upper_protocol, kIcmp6);
  EXPECT_EQ(c.upper_offset, 40u + 24u);
  EXPECT_EQ(c.upper_payload.size(), 4u);
  EXPECT_EQ(c.extension_count, 2u);
  ASSERT_TRUE(c.router_alert.has_value());
  EXPECT_EQ(*c.router_alert, 0);
}

TEST(Ipv6Walk, HopByHopOnlyFirst) {
  // Destination Options naming Hop-by-Hop: Parameter Problem code 1 at that Next Header
  // field (offset 40, the first byte of the Destination Options header).
  auto payload = hex("00 00 01 04 00 00 00 00  3a 00 01 04 00 00 00 00  80 00 00 00");
  auto c = walk_ipv6_headers(packet(kDest, payload));
  EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem);
  EXPECT_EQ(c.problem_code, ParamProblemCode::UnrecognizedNextHeader);
  EXPECT_EQ(c.problem_pointer, 40u);
  EXPECT_TRUE(c.unrecognized_next_header());
}

TEST(Ipv6Walk, UnknownNextHeader) {
  auto payload = hex("00 00 00 00 00 00 00 00");
  for (std::uint8_t proto : {kEsp, std::uint8_t{51}, std::uint8_t{253}, std::uint8_t{4},
                             std::uint8_t{41}, std::uint8_t{1}}) {
    auto c = walk_ipv6_headers(packet(proto, payload));
    EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem) << int{proto};
    EXPECT_EQ(c.problem_code, ParamProblemCode::UnrecognizedNextHeader);
    EXPECT_EQ(c.problem_pointer, 6u);  // the IPv6 header's Next Header
    EXPECT_TRUE(c.unrecognized_next_header());
  }
  // Behind a Destination Options header: the pointer is that header's Next Header field.
  auto behind = hex("fd 00 01 04 00 00 00 00");
  auto c = walk_ipv6_headers(packet(kDest, behind));
  EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem);
  EXPECT_EQ(c.problem_pointer, 40u);
}

TEST(Ipv6Walk, OptionActionBits) {
  // One Destination Options header with option type T (length 2) at offset 2 of the
  // header, i.e. offset 42 of the packet.
  auto with_option = [](std::uint8_t type) {
    return hex("06 00") + ByteVec{std::byte{type}} + hex("02 00 00 01 00") +
           hex("00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
  };
  const Ipv6Addr mcast = *Ipv6Addr::parse("ff02::1");
  {  // 00: skip
    auto p = with_option(0x3e);
    for (auto dst : {kDst, mcast}) {
      EXPECT_EQ(walk_ipv6_headers(packet(kDest, p, dst)).verdict, Ipv6Verdict::Deliver);
    }
  }
  {  // 01: discard silently
    auto p = with_option(0x7e);
    for (auto dst : {kDst, mcast}) {
      auto c = walk_ipv6_headers(packet(kDest, p, dst));
      EXPECT_EQ(c.verdict, Ipv6Verdict::Discard);
      EXPECT_EQ(c.drop, Ipv6DropReason::OptionAction);
    }
  }
  {  // 10: discard and Parameter Problem code 2 at the option type, even to multicast
    auto p = with_option(0x9e);
    for (auto dst : {kDst, mcast}) {
      auto c = walk_ipv6_headers(packet(kDest, p, dst));
      EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem);
      EXPECT_EQ(c.problem_code, ParamProblemCode::UnrecognizedOption);
      EXPECT_EQ(c.problem_pointer, 42u);
    }
  }
  {  // 11: Parameter Problem only if the destination is not multicast
    auto p = with_option(0xde);
    auto c = walk_ipv6_headers(packet(kDest, p, kDst));
    EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem);
    EXPECT_EQ(c.problem_code, ParamProblemCode::UnrecognizedOption);
    EXPECT_EQ(c.problem_pointer, 42u);
    auto m = walk_ipv6_headers(packet(kDest, p, mcast));
    EXPECT_EQ(m.verdict, Ipv6Verdict::Discard);
    EXPECT_EQ(m.drop, Ipv6DropReason::OptionAction);
  }
  {  // The pointer names the offending option, after others: HbH, Pad1, PadN(1), then it.
    auto p = hex("06 00 00 01 01 00 c2 00  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    auto c = walk_ipv6_headers(packet(kHbh, p));
    EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem);
    EXPECT_EQ(c.problem_pointer, 46u);  // 0xc2, Jumbo Payload: not supported
  }
}

TEST(Ipv6Walk, MalformedOptionsAndHeadersAreDropped) {
  // An option whose length runs past its header.
  auto over = hex("06 00 01 05 00 00 00 00");
  auto c = walk_ipv6_headers(packet(kDest, over));
  EXPECT_EQ(c.verdict, Ipv6Verdict::Discard);
  EXPECT_EQ(c.drop, Ipv6DropReason::BadOptionLength);
  // A type byte alone at the end of the header (no length byte).
  auto lone = hex("06 00 01 03 00 00 00 05");
  EXPECT_EQ(walk_ipv6_headers(packet(kDest, lone)).drop, Ipv6DropReason::BadOptionLength);
  // A header longer than the payload (Hdr Ext Len 1: 16 bytes, only 8 present).
  auto longer = hex("06 01 01 04 00 00 00 00");
  c = walk_ipv6_headers(packet(kDest, longer));
  EXPECT_EQ(c.verdict, Ipv6Verdict::Discard);
  EXPECT_EQ(c.drop, Ipv6DropReason::Truncated);
  // One byte of a header.
  EXPECT_EQ(walk_ipv6_headers(packet(kHbh, hex("06"))).drop, Ipv6DropReason::Truncated);
  EXPECT_EQ(walk_ipv6_headers(packet(kHbh, ByteVec{})).drop, Ipv6DropReason::Truncated);
  EXPECT_EQ(walk_ipv6_headers(packet(kRouting, hex("06 00 00 00 00 00 00"))).drop,
            Ipv6DropReason::Truncated);
  EXPECT_EQ(walk_ipv6_headers(packet(kFrag, hex("06 00 00 00 00 00 00"))).drop,
            Ipv6DropReason::Truncated);
}

TEST(Ipv6Walk, BoundsLongChains) {
  // 17 Destination Options headers in a row: more than kMaxExtensionHeaders.
  ByteVec p;
  for (int i = 0; i < 17; ++i) p = p + hex("3c 00 01 04 00 00 00 00");
  p = p + hex("3b 00 01 04 00 00 00 00");
  auto c = walk_ipv6_headers(packet(kDest, p));
  EXPECT_EQ(c.verdict, Ipv6Verdict::Discard);
  EXPECT_EQ(c.drop, Ipv6DropReason::TooManyHeaders);
  // 16 are fine.
  ByteVec ok;
  for (int i = 0; i < 15; ++i) ok = ok + hex("3c 00 01 04 00 00 00 00");
  ok = ok + hex("3b 00 01 04 00 00 00 00");
  auto d = walk_ipv6_headers(packet(kDest, ok));
  EXPECT_EQ(d.verdict, Ipv6Verdict::Deliver);
  EXPECT_EQ(d.upper_protocol, kNone);
  EXPECT_EQ(d.upper_offset, 40u + 128u);
  EXPECT_EQ(d.extension_count, 16u);
}

TEST(Ipv6Walk, RoutingHeader) {
  // Type 0 (RFC 5095) and an unknown type with Segments Left 0: ignored.
  for (std::uint8_t type : {0, 4, 253}) {
    auto p = hex("06 00") + ByteVec{std::byte{type}} + hex("00 00 00 00 00") +
             hex("00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    auto c = walk_ipv6_headers(packet(kRouting, p));
    EXPECT_EQ(c.verdict, Ipv6Verdict::Deliver) << int{type};
    EXPECT_EQ(c.upper_offset, 48u);
  }
  // Segments Left != 0: Parameter Problem code 0 at the Routing Type (offset 42).
  for (std::uint8_t type : {0, 2, 4, 253}) {
    auto p = hex("06 02") + ByteVec{std::byte{type}} + hex("01 00 00 00 00") +
             hex("fd00 0077 0000 0000 0000 0000 0000 0009");
    auto c = walk_ipv6_headers(packet(kRouting, p));
    EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem) << int{type};
    EXPECT_EQ(c.problem_code, ParamProblemCode::ErroneousField);
    EXPECT_EQ(c.problem_pointer, 42u);
  }
  // Behind a Hop-by-Hop header the pointer moves with it.
  auto p = hex("2b 00 01 04 00 00 00 00  06 00 00 05 00 00 00 00");
  auto c = walk_ipv6_headers(packet(kHbh, p));
  EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem);
  EXPECT_EQ(c.problem_pointer, 50u);
}

TEST(Ipv6Walk, FragmentsGoToReassembly) {
  // HbH, then a first fragment (offset 0, M) of a UDP datagram: 16 bytes of data.
  auto p =
      hex("2c 00 01 04 00 00 00 00"
          "11 00 00 01 12 34 56 78"
          "9c 40 1e 61 00 18 00 00 68 65 6c 6c 6f 21 21 21");
  auto c = walk_ipv6_headers(packet(kHbh, p));
  EXPECT_EQ(c.verdict, Ipv6Verdict::Reassemble);
  ASSERT_TRUE(c.fragment.has_value());
  EXPECT_EQ(c.fragment->next_header, kUdp);
  EXPECT_EQ(c.fragment->offset, 0);
  EXPECT_TRUE(c.fragment->more);
  EXPECT_EQ(c.fragment->ident, 0x12345678u);
  EXPECT_EQ(c.fragment_at, 48u);              // IPv6 header + HbH: the unfragmentable part
  EXPECT_EQ(c.fragment_next_header_at, 40u);  // the HbH header's Next Header
  EXPECT_EQ(c.fragment_data.size(), 16u);
  EXPECT_EQ(c.fragment_data.data(), p.data() + 16);
  EXPECT_TRUE(first_fragment_chain_complete(c));

  // Directly after the IPv6 header.
  auto q = hex("3a 00 00 b9 00 00 00 07  00 00 00 00 00 00 00 00");  // offset 23, M set
  c = walk_ipv6_headers(packet(kFrag, q));
  EXPECT_EQ(c.verdict, Ipv6Verdict::Reassemble);
  EXPECT_EQ(c.fragment->offset, 23);
  EXPECT_EQ(c.fragment_at, 40u);
  EXPECT_EQ(c.fragment_next_header_at, 6u);
  EXPECT_TRUE(first_fragment_chain_complete(c));  // not a first fragment
}

TEST(Ipv6Walk, AtomicFragmentsAreProcessedInPlace) {
  // RFC 6946: offset 0 and M clear.
  auto p = hex("3b 00 00 00 00 00 00 2a");
  auto c = walk_ipv6_headers(packet(kFrag, p));
  EXPECT_EQ(c.verdict, Ipv6Verdict::Deliver);
  EXPECT_EQ(c.upper_protocol, kNone);
  EXPECT_EQ(c.upper_offset, 48u);
  ASSERT_TRUE(c.fragment.has_value());
  EXPECT_TRUE(c.fragment->is_atomic());
  EXPECT_EQ(c.fragment->ident, 42u);
}

TEST(Ipv6Walk, BadFragmentLengthsAreParameterProblems) {
  // M set and 12 bytes of data: not a multiple of 8 -> code 0 at the Payload Length (4).
  auto odd = hex("3b 00 00 01 00 00 00 01  00 00 00 00 00 00 00 00 00 00 00 00");
  auto c = walk_ipv6_headers(packet(kFrag, odd));
  EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem);
  EXPECT_EQ(c.problem_code, ParamProblemCode::ErroneousField);
  EXPECT_EQ(c.problem_pointer, 4u);
  // The last fragment may have any length.
  auto last = hex("3b 00 00 08 00 00 00 01  00 00 00 00 00 00 00 00 00 00 00 00");
  EXPECT_EQ(walk_ipv6_headers(packet(kFrag, last)).verdict, Ipv6Verdict::Reassemble);
  // Offset 8184 (65472 bytes) + 72 bytes of data > 65535: code 0 at the Fragment Offset.
  ByteVec far = hex("3b 00 ff c0 00 00 00 01");
  far.resize(8 + 72);
  c = walk_ipv6_headers(packet(kFrag, far));
  EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem);
  EXPECT_EQ(c.problem_code, ParamProblemCode::ErroneousField);
  EXPECT_EQ(c.problem_pointer, 42u);
  far.resize(8 + 63);  // ends at 65535: fine
  EXPECT_EQ(walk_ipv6_headers(packet(kFrag, far)).verdict, Ipv6Verdict::Reassemble);
  // ... but not behind an 8-byte Destination Options header, which the reassembled
  // packet's Payload Length counts too: the Fragment Offset is then at 48 + 2.
  ByteVec behind = hex("2c 00 01 04 00 00 00 00");
  behind.insert(behind.end(), far.begin(), far.end());
  c = walk_ipv6_headers(packet(kDest, behind));
  EXPECT_EQ(c.verdict, Ipv6Verdict::ParameterProblem);
  EXPECT_EQ(c.problem_pointer, 50u);
}

TEST(Ipv6Walk, Rfc7112IncompleteFirstFragment) {
  // A first fragment holding a Destination Options header and only 8 bytes of TCP.
  auto p = hex("3c 00 00 01 00 00 00 01  06 00 01 04 00 00 00 00  00 50 1f 90 00 00 00 00");
  auto c = walk_ipv6_headers(packet(kFrag, p));
  ASSERT_EQ(c.verdict, Ipv6Verdict::Reassemble);
  EXPECT_FALSE(first_fragment_chain_complete(c));
  // The same with the whole 20-byte TCP header.
  auto full = p + hex("00 00 00 00 50 02 ff ff 00 00 00 00 00 00 00 00");
  c = walk_ipv6_headers(packet(kFrag, full));
  ASSERT_EQ(c.verdict, Ipv6Verdict::Reassemble);
  EXPECT_TRUE(first_fragment_chain_complete(c));
  // The extension header itself cut short.
  auto cut = hex("3c 00 00 01 00 00 00 01  06 01 01 04 00 00 00 00");
  c = walk_ipv6_headers(packet(kFrag, cut));
  ASSERT_EQ(c.verdict, Ipv6Verdict::Reassemble);
  EXPECT_FALSE(first_fragment_chain_complete(c));
  // UDP needs 8 bytes; ICMPv6 4.
  auto udp = hex("11 00 00 01 00 00 00 01  9c 40 1e 61 00 18 00 00");
  c = walk_ipv6_headers(packet(kFrag, udp));
  EXPECT_TRUE(first_fragment_chain_complete(c));
  auto icmp_short = hex("3a 00 00 01 00 00 00 01");
  c = walk_ipv6_headers(packet(kFrag, icmp_short));
  ASSERT_EQ(c.verdict, Ipv6Verdict::Reassemble);
  EXPECT_FALSE(first_fragment_chain_complete(c));
}

// --- transport checksums over IPv6 -----------------------------------------

TEST(Ipv6Checksum, PseudoHeaderPartialIsTheSumOfItsWords) {
  // fd00:77::1 + fd00:77::2: 0xfd00*2 + 0x77*2 + 1 + 2, + next header 6 + length 20.
  EXPECT_EQ(pseudo_header_partial(kSrc, kDst, 6, 20), 2u * 0xfd00 + 2 * 0x77 + 3 + 6 + 20);
  // A 32-bit length contributes both halves (RFC 8200 §8.1).
  EXPECT_EQ(pseudo_header_partial(Ipv6Addr{}, Ipv6Addr{}, 17, 0x10002), 17u + 1 + 2);
  const Ipv6Addr ones = *Ipv6Addr::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(pseudo_header_partial(ones, ones, 58, 0xffff), 16u * 0xffff + 58 + 0xffff);
  const PseudoHeader ph = PseudoHeader::ipv6(kSrc, kDst);
  EXPECT_TRUE(ph.is_ipv6);
  EXPECT_EQ(ph.v6_addr_sum, 2u * 0xfd00 + 2 * 0x77 + 3);
  // Existing IPv4 code builds it from two addresses, as before.
  const PseudoHeader v4{Ipv4Addr::from_octets(10, 0, 0, 1), Ipv4Addr::from_octets(10, 0, 0, 2)};
  EXPECT_FALSE(v4.is_ipv6);
}

TEST(Ipv6Checksum, UdpOverIpv6) {
  auto data = test::bytes_of("hello udp6\n");
  UdpRepr u{40000, 7777, view(data)};
  const PseudoHeader ph = PseudoHeader::ipv6(kSrc, kDst);
  ByteVec out(u.total_len());
  ASSERT_EQ(u.emit(out, ph), 19u);
  // The stored checksum is the reference one (kernel6_pcap_test checks the kernel's).
  store_be16(out, 6, 0);
  const std::uint16_t want = reference_checksum(kSrc, kDst, kUdp, view(out));
  u.emit(out, ph);
  EXPECT_EQ(load_be16(out, 6), want);
  auto back = UdpRepr::parse(view(out), ph);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->src_port, 40000);
  // Another address fails (swapping source and destination does not change the sum).
  EXPECT_EQ(
      UdpRepr::parse(view(out), PseudoHeader::ipv6(kSrc, *Ipv6Addr::parse("fd00:77::3"))).error(),
      WireError::BadChecksum);
  // RFC 8200 §8.1: a zero UDP checksum is invalid over IPv6 (fine over IPv4, RFC 768).
  auto zero = out;
  store_be16(zero, 6, 0);
  EXPECT_EQ(UdpRepr::parse(view(zero), ph).error(), WireError::BadChecksum);
  EXPECT_TRUE(UdpRepr::parse(view(zero), ph, ChecksumCheck::Skip).ok());
  EXPECT_TRUE(UdpRepr::parse(view(zero), PseudoHeader{Ipv4Addr::from_octets(10, 0, 0, 1),
                                                      Ipv4Addr::from_octets(10, 0, 0, 2)})
                  .ok());
}

TEST(Ipv6Checksum, UdpComputedZeroIsSentAsAllOnes) {
  // Choose the last payload word so that the checksum computes to 0: with the word 0 the
  // checksum is C = ~S; a word of C makes the sum 0xffff and the checksum ~0xffff = 0.
  ByteVec data = hex("12 34 00 00");
  UdpRepr u{1, 2, view(data)};
  const PseudoHeader ph = PseudoHeader::ipv6(kSrc, kDst);
  ByteVec out(u.total_len());
  u.emit(out, ph);
  const std::uint16_t c = load_be16(out, 6);
  store_be16(data, 2, c);
  u.payload = view(data);
  u.emit(out, ph);
  EXPECT_EQ(load_be16(out, 6), 0xffff);
  store_be16(out, 6, 0);
  EXPECT_EQ(reference_checksum(kSrc, kDst, kUdp, view(out)), 0);  // truly a computed 0
  store_be16(out, 6, 0xffff);
  EXPECT_TRUE(UdpRepr::parse(view(out), ph).ok());
}

TEST(Ipv6Checksum, TcpOverIpv6) {
  auto data = test::bytes_of("hello tcp6\n");
  TcpRepr t;
  t.src_port = 47347;
  t.dst_port = 8080;
  t.seq = SeqNum(1000);
  t.ack = SeqNum(2000);
  t.flags.bits = TcpFlags::kAck | TcpFlags::kPsh;
  t.window = 64;
  t.options.timestamps = TcpTimestamps{1, 2};
  t.payload = view(data);
  const PseudoHeader ph = PseudoHeader::ipv6(kSrc, kDst);
  ByteVec out(t.total_len());
  ASSERT_EQ(t.emit(out, ph), out.size());
  const std::uint16_t sum = load_be16(out, TcpRepr::kChecksumOffset);
  store_be16(out, TcpRepr::kChecksumOffset, 0);
  EXPECT_EQ(sum, reference_checksum(kSrc, kDst, kTcp, view(out)));
  store_be16(out, TcpRepr::kChecksumOffset, sum);
  ASSERT_TRUE(TcpRepr::parse(view(out), ph).ok());
  EXPECT_EQ(TcpRepr::parse(view(out), PseudoHeader::ipv6(kSrc, kSrc)).error(),
            WireError::BadChecksum);
  // The IPv4 pseudo-header of "the same" segment does not verify.
  EXPECT_EQ(TcpRepr::parse(view(out), PseudoHeader{}).error(), WireError::BadChecksum);

  // The payload-sum emit gives the same bytes.
  ByteVec again(t.total_len());
  std::copy(data.begin(), data.end(), again.begin() + static_cast<long>(t.header_len()));
  Checksum payload_sum;
  payload_sum.add(view(data));
  TcpRepr in_place = t;
  in_place.payload = Bytes(again).subspan(t.header_len());
  in_place.emit(again, ph, payload_sum);
  EXPECT_EQ(again, out);

  // PseudoHeaderOnly: the folded pseudo-header sum; a link finishing it gives the same.
  ByteVec partial(t.total_len());
  t.emit(partial, ph, ChecksumFill::PseudoHeaderOnly);
  const std::uint64_t p =
      pseudo_header_partial(kSrc, kDst, kTcp, static_cast<std::uint32_t>(out.size()));
  std::uint64_t folded = p;
  while (folded >> 16) folded = (folded & 0xffff) + (folded >> 16);
  EXPECT_EQ(load_be16(partial, TcpRepr::kChecksumOffset), folded);
  ASSERT_TRUE(finish_partial_checksum(partial, 0, TcpRepr::kChecksumOffset));
  EXPECT_EQ(partial, out);
}

}  // namespace
}  // namespace synack::wire
