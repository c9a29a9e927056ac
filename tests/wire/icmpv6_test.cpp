// ICMPv6 (RFC 4443), NDP (RFC 4861) and MLD (RFC 2710, RFC 3810) messages built by
// hand: every length and option rule, the error-size cut, and the checks that need the
// IP header. The kernel's own messages are in kernel6_pcap_test.cpp.
#include "synack/wire/icmpv6.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "synack/base/checksum.hpp"
#include "wire_test_util.hpp"

namespace synack::wire {
namespace {

using test::hex;
using test::view;

const Ipv6Addr kSrc = *Ipv6Addr::parse("fe80::1");
const Ipv6Addr kDst = *Ipv6Addr::parse("fe80::2");
const PseudoHeader kPh = PseudoHeader::ipv6(kSrc, kDst);

// Stores the checksum computed over RFC 8200 §8.1's pseudo-header written out as bytes
// (independently of PseudoHeader) and returns the message.
ByteVec with_checksum(ByteVec m, const Ipv6Addr& src = kSrc, const Ipv6Addr& dst = kDst) {
  store_be16(m, 2, 0);
  ByteVec buf(40 + m.size());
  src.store(buf, 0);
  dst.store(buf, 16);
  store_be32(buf, 32, static_cast<std::uint32_t>(m.size()));
  store_u8(buf, 39, 58);
  std::copy(m.begin(), m.end(), buf.begin() + 40);
  store_be16(m, 2, internet_checksum(view(buf)));
  return m;
}

Result<Icmpv6Repr, WireError> parse(const ByteVec& m) {
  return Icmpv6Repr::parse(view(m), kPh);
}

ByteVec emit(const Icmpv6Repr& r, PseudoHeader ph = kPh) {
  ByteVec out(r.total_len());
  EXPECT_EQ(r.emit(out, ph), out.size());
  return out;
}

TEST(Icmpv6, EchoRoundTripAndChecksum) {
  auto m = with_checksum(hex("80 00 00 00 12 34 00 07 61 62 63"));
  auto r = parse(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, 128);
  EXPECT_EQ(r->ident, 0x1234);
  EXPECT_EQ(r->seq_no, 7);
  EXPECT_EQ(r->data.size(), 3u);
  EXPECT_EQ(emit(*r), m);
  auto bad = m;
  test::flip_bit(bad, 8 * 9 + 3);
  EXPECT_EQ(parse(bad).error(), WireError::BadChecksum);
  EXPECT_TRUE(Icmpv6Repr::parse(view(bad), kPh, ChecksumCheck::Skip).ok());
  // The checksum covers the pseudo-header: other addresses fail.
  EXPECT_EQ(Icmpv6Repr::parse(view(m), PseudoHeader::ipv6(kSrc, kSrc)).error(),
            WireError::BadChecksum);
  EXPECT_EQ(parse(hex("80 00 00 00 12 34 00")).error(), WireError::Truncated);
}

TEST(Icmpv6, ErrorsCarryTheInvokingPacketCutTo1280) {
  ByteVec invoking(1500);
  for (std::size_t i = 0; i < invoking.size(); ++i) invoking[i] = std::byte(i * 7);
  for (std::uint8_t type : {1, 2, 3, 4}) {
    Icmpv6Repr e;
    e.type = type;
    e.code = type == 1 ? 4 : 0;
    e.mtu = 1280;
    e.pointer = 0x2a;
    e.data = view(invoking);
    EXPECT_EQ(e.total_len(), 1240u);  // 40 + 1240 = 1280, the minimum MTU
    auto out = emit(e);
    ASSERT_EQ(out.size(), 1240u);
    EXPECT_EQ(out[0], std::byte{type});
    // Bytes 4..7: unused (zero), the MTU, or the pointer.
    const std::uint32_t word = load_be32(view(out), 4);
    EXPECT_EQ(word, type == 2 ? 1280u : type == 4 ? 0x2au : 0u) << int{type};
    EXPECT_TRUE(std::equal(out.begin() + 8, out.end(), invoking.begin()));
    auto back = parse(out);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->data.size(), 1232u);
    EXPECT_EQ(back->mtu, type == 2 ? 1280u : 0u);
    EXPECT_EQ(back->pointer, type == 4 ? 0x2au : 0u);
  }
  // Short enough: all of it.
  Icmpv6Repr small;
  small.type = 1;
  small.code = 4;
  small.data = Bytes(invoking).first(48);
  EXPECT_EQ(small.total_len(), 56u);
  EXPECT_EQ(describe(*parse(emit(small))), "destination unreachable, unreachable port");
}

TEST(Icmpv6, UnknownTypesAreUnsupported) {
  for (std::uint8_t type : {0, 5, 100, 127, 138, 139, 200, 255}) {
    ByteVec m = hex("00 00 00 00 00 00 00 00");
    m[0] = std::byte{type};
    m = with_checksum(m);
    EXPECT_EQ(parse(m).error(), WireError::Unsupported) << int{type};
  }
}

TEST(Ndp, NeighborSolicitationOptions) {
  // NS for fe80::2 with a source link-layer address, an unknown option (type 200,
  // skipped) and a nonce.
  auto m =
      with_checksum(hex("87 00 00 00 00 00 00 00  fe80 0000 0000 0000 0000 0000 0000 0002"
                        "01 01 02 00 00 00 00 01"
                        "c8 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                        "0e 01 01 02 03 04 05 06"));
  auto r = parse(m);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->target, kDst);
  EXPECT_EQ(r->options.source_lla, (MacAddr{{2, 0, 0, 0, 0, 1}}));
  EXPECT_EQ(r->options.nonce, (std::array<std::uint8_t, 6>{1, 2, 3, 4, 5, 6}));
  // Re-emitted without the unknown option.
  auto out = emit(*r);
  EXPECT_EQ(out,
            with_checksum(hex("87 00 00 00 00 00 00 00  fe80 0000 0000 0000 0000 0000 0000 0002"
                              "01 01 02 00 00 00 00 01  0e 01 01 02 03 04 05 06")));
}

TEST(Ndp, ZeroLengthOrOverlongOptionInvalidates) {
  const auto base = hex("87 00 00 00 00 00 00 00  fe80 0000 0000 0000 0000 0000 0000 0002");
  auto cat = [](ByteVec a, const ByteVec& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  // RFC 4861 §4.6: length 0.
  EXPECT_EQ(parse(with_checksum(cat(base, hex("01 00 02 00 00 00 00 01")))).error(),
            WireError::BadOptionLength);
  EXPECT_EQ(parse(with_checksum(cat(base, hex("c8 00 00 00 00 00 00 00")))).error(),
            WireError::BadOptionLength);
  // Past the end of the message.
  EXPECT_EQ(parse(with_checksum(cat(base, hex("01 02 02 00 00 00 00 01")))).error(),
            WireError::BadOptionLength);
  // One stray byte.
  EXPECT_EQ(parse(with_checksum(cat(base, hex("01")))).error(), WireError::BadOptionLength);
  // Prefix Information must be 4 units, MTU 1.
  EXPECT_EQ(parse(with_checksum(cat(base, hex("03 01 00 00 00 00 00 00")))).error(),
            WireError::BadOptionLength);
  EXPECT_EQ(parse(with_checksum(cat(base, hex("05 02 00 00 00 00 05 dc 00 00 00 00 00 00 00 00"))))
                .error(),
            WireError::BadOptionLength);
  // A longer link-layer address (not Ethernet) is skipped, not an error.
  auto r = parse(with_checksum(cat(base, hex("01 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00"))));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->options.source_lla.has_value());
}

TEST(Ndp, ByteLevelValidity) {
  // Code not 0.
  EXPECT_EQ(parse(with_checksum(hex("85 01 00 00 00 00 00 00"))).error(), WireError::BadField);
  EXPECT_EQ(
      parse(with_checksum(hex("87 09 00 00 00 00 00 00  fe80 0000 0000 0000 0000 0000 0000 0002")))
          .error(),
      WireError::BadField);
  // Multicast target in NS and NA.
  EXPECT_EQ(
      parse(with_checksum(hex("87 00 00 00 00 00 00 00  ff02 0000 0000 0000 0000 0000 0000 0001")))
          .error(),
      WireError::BadField);
  EXPECT_EQ(
      parse(with_checksum(hex("88 00 00 00 60 00 00 00  ff02 0000 0000 0000 0000 0000 0000 0001")))
          .error(),
      WireError::BadField);
  // Too short for the fixed part: RS 8, RA 16, NS/NA 24, Redirect 40.
  EXPECT_EQ(parse(with_checksum(hex("86 00 00 00 40 00 01 2c 00 00 00 00 00 00 00"))).error(),
            WireError::Truncated);
  EXPECT_EQ(
      parse(with_checksum(hex("87 00 00 00 00 00 00 00 fe80 0000 0000 0000 0000 0000 0000 00")))
          .error(),
      WireError::Truncated);
  EXPECT_EQ(parse(with_checksum(hex("88 00 00 00 00 00 00 00"))).error(), WireError::Truncated);
  EXPECT_EQ(
      parse(with_checksum(hex("89 00 00 00 00 00 00 00 fe80 0000 0000 0000 0000 0000 0000 0001")))
          .error(),
      WireError::Truncated);
  // An RS with 4 reserved bytes and nothing else is fine.
  auto rs = parse(with_checksum(hex("85 00 00 00 00 00 00 00")));
  ASSERT_TRUE(rs.ok());
  EXPECT_EQ(rs->type, 133);
}

TEST(Ndp, NeighborAdvertisementFlags) {
  // R only; the reserved bits after the flags are ignored and written as zero.
  auto m = with_checksum(hex("88 00 00 00 80 ff ff ff  fd00 0077 0000 0000 0000 0000 0000 0002"));
  auto r = parse(m);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->na_router());
  EXPECT_FALSE(r->na_solicited());
  EXPECT_FALSE(r->na_override());
  EXPECT_EQ(describe(*r), "neighbor advertisement, tgt is fd00:77::2, Flags [router]");
  EXPECT_EQ(emit(*r),
            with_checksum(hex("88 00 00 00 80 00 00 00  fd00 0077 0000 0000 0000 0000 0000 0002")));
  Icmpv6Repr none;
  none.type = 136;
  none.target = kDst;
  EXPECT_EQ(describe(none), "neighbor advertisement, tgt is fe80::2, Flags [none]");
}

TEST(Ndp, RouterAdvertisementRoundTrip) {
  Icmpv6Repr ra;
  ra.type = 134;
  ra.cur_hop_limit = 64;
  ra.ra_flags = Icmpv6Repr::kRaManaged | Icmpv6Repr::kRaOther;
  ra.router_lifetime = 1800;
  ra.reachable_time = 0;
  ra.retrans_timer = 0;
  ra.options.source_lla = MacAddr{{2, 0, 0, 0, 0, 9}};
  ra.options.mtu = 1280;
  ra.options.prefixes[0] = {64,         true,       false,
                            0xffffffff, 0xffffffff, *Ipv6Addr::parse("2001:db8:1::")};
  ra.options.prefixes[1] = {48, false, true, 7200, 3600, *Ipv6Addr::parse("2001:db8:2::")};
  ra.options.prefix_count = 2;
  auto out = emit(ra);
  EXPECT_EQ(
      out,
      with_checksum(hex(
          "86 00 00 00 40 c0 07 08 00 00 00 00 00 00 00 00"
          "03 04 40 80 ff ff ff ff ff ff ff ff 00 00 00 00 2001 0db8 0001 0000 0000 0000 0000 0000"
          "03 04 30 40 00 00 1c 20 00 00 0e 10 00 00 00 00 2001 0db8 0002 0000 0000 0000 0000 0000"
          "05 01 00 00 00 00 05 00"
          "01 01 02 00 00 00 00 09")));
  auto back = parse(out);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->ra_managed());
  EXPECT_TRUE(back->ra_other());
  EXPECT_EQ(back->router_lifetime, 1800);
  ASSERT_EQ(back->options.prefix_count, 2);
  EXPECT_EQ(back->options.prefixes[0], ra.options.prefixes[0]);
  EXPECT_EQ(back->options.prefixes[1], ra.options.prefixes[1]);
  EXPECT_EQ(back->options.mtu, 1280u);
}

TEST(Ndp, ManyPrefixesAreCounted) {
  ByteVec m = hex("86 00 00 00 40 00 01 2c 00 00 00 00 00 00 00 00");
  for (int i = 0; i < 6; ++i) {
    auto p = hex(
        "03 04 40 c0 00 01 51 80 00 00 38 40 00 00 00 00 fd00 0000 0000 0000 0000 0000 0000 0000");
    p[19] = std::byte(i);
    m.insert(m.end(), p.begin(), p.end());
  }
  auto r = parse(with_checksum(m));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->options.prefix_count, NdpOptions::kMaxPrefixes);
  EXPECT_EQ(r->options.prefixes_dropped, 2);
  EXPECT_EQ(r->options.prefixes[3].prefix, *Ipv6Addr::parse("fd00:3::"));
}

TEST(Ndp, Redirect) {
  Icmpv6Repr rd;
  rd.type = 137;
  rd.target = *Ipv6Addr::parse("fe80::99");
  rd.destination = *Ipv6Addr::parse("2001:db8::5");
  rd.options.target_lla = MacAddr{{2, 0, 0, 0, 0, 0x99}};
  auto redirected = hex("60 00 00 00 00 00 3b 40 01 02 03");  // 11 bytes: padded to 16
  rd.options.has_redirected = true;
  rd.options.redirected = view(redirected);
  auto out = emit(rd);
  EXPECT_EQ(out, with_checksum(hex(
                     "89 00 00 00 00 00 00 00"
                     "fe80 0000 0000 0000 0000 0000 0000 0099"
                     "2001 0db8 0000 0000 0000 0000 0000 0005"
                     "02 01 02 00 00 00 00 99"
                     "04 03 00 00 00 00 00 00 60 00 00 00 00 00 3b 40 01 02 03 00 00 00 00 00")));
  auto back = parse(out);
  ASSERT_TRUE(back.ok()) << to_string(back.error());
  EXPECT_EQ(back->target, rd.target);
  EXPECT_EQ(back->destination, rd.destination);
  EXPECT_TRUE(back->options.has_redirected);
  EXPECT_EQ(back->options.redirected.size(), 16u);
  EXPECT_EQ(describe(*back), "redirect, 2001:db8::5 to fe80::99");
  // Multicast destination; a target neither link-local nor the destination.
  auto bad = out;
  store_u8(bad, 24, 0xff);
  EXPECT_EQ(parse(with_checksum(bad)).error(), WireError::BadField);
  bad = out;
  store_u8(bad, 8, 0xfd);
  EXPECT_EQ(parse(with_checksum(bad)).error(), WireError::BadField);
  // Target == destination (the destination is a neighbour): valid.
  Icmpv6Repr onlink = rd;
  onlink.target = onlink.destination;
  EXPECT_TRUE(parse(emit(onlink)).ok());
}

TEST(Ndp, ValidateNeedsTheIpHeader) {
  Ipv6Repr ip;
  ip.hop_limit = 255;
  ip.src = Ipv6Addr::unspecified();
  ip.dst = *Ipv6Addr::parse("ff02::1:ff00:2");
  Icmpv6Repr ns;
  ns.type = 135;
  ns.target = *Ipv6Addr::parse("fd00::2");
  EXPECT_EQ(validate_ndp(ip, ns), NdpCheck::Ok);  // DAD
  ns.options.source_lla = MacAddr{{2, 0, 0, 0, 0, 1}};
  EXPECT_EQ(validate_ndp(ip, ns), NdpCheck::UnspecifiedSourceWithLla);
  ns.options.source_lla.reset();
  ip.dst = *Ipv6Addr::parse("fd00::2");
  EXPECT_EQ(validate_ndp(ip, ns), NdpCheck::UnspecifiedSourceNotSolicited);
  ip.src = *Ipv6Addr::parse("fd00::1");
  EXPECT_EQ(validate_ndp(ip, ns), NdpCheck::Ok);  // unicast NS (reachability probe)
  ip.hop_limit = 64;
  EXPECT_EQ(validate_ndp(ip, ns), NdpCheck::HopLimit);
  ip.hop_limit = 255;
  Icmpv6Repr rd;
  rd.type = 137;
  EXPECT_EQ(validate_ndp(ip, rd), NdpCheck::SourceNotLinkLocal);
  ip.src = kSrc;
  EXPECT_EQ(validate_ndp(ip, rd), NdpCheck::Ok);
  Icmpv6Repr echo;
  echo.type = 128;
  EXPECT_EQ(validate_ndp(ip, echo), NdpCheck::NotNdp);
  EXPECT_EQ(to_string(NdpCheck::HopLimit), "hop limit not 255");
}

TEST(Mld, QueriesV1AndV2) {
  // MLDv1 general query: 24 bytes, max response delay 10000 ms.
  auto v1 = with_checksum(hex("82 00 00 00 27 10 00 00 0000 0000 0000 0000 0000 0000 0000 0000"),
                          kSrc, Ipv6Addr::all_nodes());
  auto q1 = Icmpv6Repr::parse(view(v1), PseudoHeader::ipv6(kSrc, Ipv6Addr::all_nodes()));
  ASSERT_TRUE(q1.ok());
  EXPECT_EQ(q1->mld_version, 1);
  EXPECT_EQ(q1->max_response, 10000);
  EXPECT_TRUE(q1->mld_group.is_unspecified());
  EXPECT_EQ(emit(*q1, PseudoHeader::ipv6(kSrc, Ipv6Addr::all_nodes())), v1);
  // MLDv2 group-and-source query: S set, QRV 2, QQIC 125, two sources.
  auto v2 =
      with_checksum(hex("82 00 00 00 03 e8 00 00 ff05 0000 0000 0000 0000 0000 0000 0101"
                        "fa 7d 00 02"
                        "2001 0db8 0000 0000 0000 0000 0000 0001"
                        "2001 0db8 0000 0000 0000 0000 0000 0002"));
  auto q2 = parse(v2);
  ASSERT_TRUE(q2.ok()) << to_string(q2.error());
  EXPECT_EQ(q2->mld_version, 2);
  EXPECT_EQ(q2->max_response, 1000);
  EXPECT_EQ(q2->mld_group, *Ipv6Addr::parse("ff05::101"));
  EXPECT_TRUE(q2->suppress_router_side);
  EXPECT_EQ(q2->qrv, 2);
  EXPECT_EQ(q2->qqic, 125);
  EXPECT_EQ(q2->mld_sources.size(), 32u);
  EXPECT_EQ(describe(*q2), "multicast listener query v2, group ff05::101");
  auto re = emit(*q2);
  auto v2_clean = v2;
  store_u8(v2_clean, 24, 0x0a);  // the reserved nibble is written as zero
  EXPECT_EQ(re, with_checksum(v2_clean));
  // 25..27 bytes: neither version; sources past the end: truncated.
  EXPECT_EQ(parse(with_checksum(ByteVec(v2.begin(), v2.begin() + 26))).error(),
            WireError::BadTotalLength);
  EXPECT_EQ(parse(with_checksum(ByteVec(v2.begin(), v2.end() - 1))).error(), WireError::Truncated);
  EXPECT_EQ(parse(with_checksum(ByteVec(v1.begin(), v1.end() - 1))).error(), WireError::Truncated);
}

TEST(Mld, V2ReportRecords) {
  // Two records: one with a source and 1 word of auxiliary data, one plain.
  auto m =
      with_checksum(hex("8f 00 00 00 00 00 00 02"
                        "01 01 00 01 ff0e 0000 0000 0000 0000 0000 0000 0101 2001 0db8 0000 0000 "
                        "0000 0000 0000 0001 aa bb cc dd"
                        "04 00 00 00 ff02 0000 0000 0000 0000 0001 ff00 0002"));
  auto r = parse(m);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->records_total, 2);
  ASSERT_EQ(r->record_count, 2);
  EXPECT_EQ(r->records[0],
            (MldRecord{MldRecord::kModeIsInclude, 1, *Ipv6Addr::parse("ff0e::101")}));
  EXPECT_EQ(r->records[1],
            (MldRecord{MldRecord::kChangeToExclude, 0, *Ipv6Addr::parse("ff02::1:ff00:2")}));
  // A record claiming more sources than there are bytes; a missing record.
  auto bad = m;
  store_be16(bad, 10, 3);
  EXPECT_EQ(parse(with_checksum(bad)).error(), WireError::Truncated);
  bad = m;
  store_be16(bad, 6, 3);
  EXPECT_EQ(parse(with_checksum(bad)).error(), WireError::Truncated);
  // A leave: CHANGE_TO_INCLUDE with no sources.
  Icmpv6Repr leave;
  leave.type = 143;
  leave.records[0] = {MldRecord::kChangeToInclude, 0, *Ipv6Addr::parse("ff02::1:ff00:2")};
  leave.record_count = 1;
  EXPECT_EQ(emit(leave), with_checksum(hex("8f 00 00 00 00 00 00 01"
                                           "03 00 00 00 ff02 0000 0000 0000 0000 0001 ff00 0002")));
}

TEST(Mld, V1ReportAndDone) {
  auto m = with_checksum(hex("83 00 00 00 00 00 00 00 ff02 0000 0000 0000 0000 0001 ff00 0002"));
  auto r = parse(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->mld_group, *Ipv6Addr::parse("ff02::1:ff00:2"));
  EXPECT_EQ(emit(*r), m);
  EXPECT_EQ(describe(*r), "multicast listener report, group ff02::1:ff00:2");
  store_u8(m, 0, 0x84);
  auto d = parse(with_checksum(m));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(describe(*d), "multicast listener done, group ff02::1:ff00:2");
}

TEST(Icmpv6, DescribeErrors) {
  Icmpv6Repr e;
  e.type = 3;
  EXPECT_EQ(describe(e), "time exceeded in-transit");
  e.code = 1;
  EXPECT_EQ(describe(e), "time exceeded reassembly");
  e.type = 4;
  e.code = 1;
  e.pointer = 6;
  EXPECT_EQ(describe(e), "parameter problem, code 1, pointer 6");
  e.type = 1;
  e.code = 0;
  EXPECT_EQ(describe(e), "destination unreachable, no route");
  e.code = 9;
  EXPECT_EQ(describe(e), "destination unreachable, code 9");
}

}  // namespace
}  // namespace synack::wire
