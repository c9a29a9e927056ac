// IPv6 frames captured from the Linux kernel by tests/vectors/capture6.sh (namespaces A,
// B (router + radvd) and C over veth, offloads off; tcpdump on A's interface). The
// expected values below were read from `tcpdump -r tests/vectors/kernel6.pcap -n -e -vv`
// and `tshark -V` / `tshark -T fields -e icmpv6.checksum ...`, not from our code.
// Re-running capture6.sh produces new MACs, nonces, ids and ports: update them here.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "synack/wire/ethernet.hpp"
#include "synack/wire/icmpv6.hpp"
#include "synack/wire/ipv6.hpp"
#include "synack/wire/tcp.hpp"
#include "synack/wire/udp.hpp"
#include "wire_test_util.hpp"

namespace synack::wire {
namespace {

using test::view;

const MacAddr kMacA{{0x9e, 0xc8, 0x5c, 0x2e, 0x93, 0x1c}};
const MacAddr kMacB{{0x1a, 0xa8, 0xce, 0x1a, 0x15, 0xf8}};
const Ipv6Addr kA = *Ipv6Addr::parse("fd00:77::1");
const Ipv6Addr kB = *Ipv6Addr::parse("fd00:77::2");
const Ipv6Addr kC = *Ipv6Addr::parse("fd00:77::3");
const Ipv6Addr kLlA = *Ipv6Addr::parse("fe80::9cc8:5cff:fe2e:931c");
const Ipv6Addr kLlB = *Ipv6Addr::parse("fe80::18a8:ceff:fe1a:15f8");

std::vector<ByteVec> load_frames() {
  return test::load_vector_frames("kernel6.pcap");
}

std::string str(Bytes b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

ByteVec bytes(Bytes b) {
  return ByteVec(b.begin(), b.end());
}

class KernelPcap6 : public ::testing::Test {
 protected:
  void SetUp() override { frames_ = load_frames(); }

  // tcpdump numbers frames from 1.
  const ByteVec& frame(std::size_t n) const { return frames_.at(n - 1); }

  EthernetRepr eth(std::size_t n) const {
    auto e = EthernetRepr::parse(view(frame(n)));
    EXPECT_TRUE(e.ok());
    EXPECT_EQ(e->ethertype, static_cast<std::uint16_t>(EtherType::Ipv6));
    return e.value();
  }
  Ipv6Repr ip(std::size_t n) const {
    auto r = Ipv6Repr::parse(eth(n).payload);
    EXPECT_TRUE(r.ok()) << to_string(r.error());
    return r.value();
  }
  Ipv6HeaderChain chain(std::size_t n) const { return walk_ipv6_headers(ip(n)); }
  // The upper-layer bytes of an unfragmented packet.
  Bytes upper(std::size_t n, std::uint8_t proto) const {
    auto c = chain(n);
    EXPECT_EQ(c.verdict, Ipv6Verdict::Deliver);
    EXPECT_EQ(c.upper_protocol, proto);
    return c.upper_payload;
  }
  Icmpv6Repr icmp(std::size_t n) const {
    auto i = ip(n);
    auto r = Icmpv6Repr::parse(upper(n, 58), i.pseudo_header());
    EXPECT_TRUE(r.ok()) << to_string(r.error());
    return r.value();
  }
  // Re-emits `m` with frame n's pseudo-header; expects the kernel's bytes exactly.
  void expect_icmp_reemit(std::size_t n, const Icmpv6Repr& m) const {
    ByteVec out(m.total_len());
    ASSERT_EQ(m.emit(out, ip(n).pseudo_header()), out.size());
    EXPECT_EQ(out, bytes(upper(n, 58))) << "frame " << n;
  }
  // The whole frame again from its parsed Ethernet and IPv6 headers.
  void expect_frame_reemit(std::size_t n) const {
    auto e = eth(n);
    auto i = ip(n);
    ByteVec packet(i.total_len());
    i.emit(packet);
    e.payload = view(packet);
    ByteVec out(e.total_len());
    e.emit(out);
    EXPECT_EQ(out, frame(n)) << "frame " << n;
  }

  std::vector<ByteVec> frames_;
};

TEST_F(KernelPcap6, HasAllFrames) {
  EXPECT_EQ(frames_.size(), 44u);
  for (std::size_t n = 1; n <= frames_.size(); ++n) expect_frame_reemit(n);
}

TEST_F(KernelPcap6, MldV2ReportFromTheUnspecifiedAddress) {
  // 1: :: > ff02::16, hlim 1, HBH (rtalert: 0x0000) (padn), report v2 with 2 records
  // [ff02::1:ff2e:931c to_ex { }] [ff02::1:ff00:1 to_ex { }], checksum 0xda24.
  auto e = eth(1);
  EXPECT_EQ(e.src, kMacA);
  EXPECT_EQ(e.dst, (MacAddr{{0x33, 0x33, 0, 0, 0, 0x16}}));
  EXPECT_EQ(e.dst, Ipv6Addr::all_mldv2_routers().multicast_mac());
  auto i = ip(1);
  EXPECT_EQ(i.src, Ipv6Addr::unspecified());
  EXPECT_EQ(i.dst, Ipv6Addr::all_mldv2_routers());
  EXPECT_EQ(i.hop_limit, 1);
  EXPECT_EQ(i.next_header, 0);
  EXPECT_EQ(i.payload.size(), 56u);
  EXPECT_EQ(i.traffic_class, 0);
  EXPECT_EQ(i.flow_label, 0u);
  auto c = chain(1);
  EXPECT_EQ(c.verdict, Ipv6Verdict::Deliver);
  EXPECT_EQ(c.upper_protocol, 58);
  EXPECT_EQ(c.upper_offset, 48u);
  EXPECT_EQ(c.extension_count, 1u);
  ASSERT_TRUE(c.router_alert.has_value());
  EXPECT_EQ(*c.router_alert, 0);

  auto m = icmp(1);
  EXPECT_EQ(m.type, static_cast<std::uint8_t>(Icmpv6Type::MldV2Report));
  EXPECT_EQ(load_be16(upper(1, 58), 2), 0xda24);
  EXPECT_EQ(m.records_total, 2);
  ASSERT_EQ(m.record_count, 2);
  EXPECT_EQ(m.records[0], (MldRecord{MldRecord::kChangeToExclude, 0, kLlA.solicited_node()}));
  EXPECT_EQ(m.records[1], (MldRecord{MldRecord::kChangeToExclude, 0, kA.solicited_node()}));
  EXPECT_EQ(describe(m), "multicast listener report v2, 2 group record(s)");
  expect_icmp_reemit(1, m);

  // Built from scratch, the whole packet is the kernel's.
  Icmpv6Repr report;
  report.type = static_cast<std::uint8_t>(Icmpv6Type::MldV2Report);
  report.records[0] = {MldRecord::kChangeToExclude, 0, *Ipv6Addr::parse("ff02::1:ff2e:931c")};
  report.records[1] = {MldRecord::kChangeToExclude, 0, *Ipv6Addr::parse("ff02::1:ff00:1")};
  report.record_count = 2;
  ByteVec out(48 + report.total_len());
  ASSERT_EQ(emit_mld_report_packet(out, Ipv6Addr::unspecified(), report), 96u);
  EXPECT_EQ(out, bytes(eth(1).payload));

  // 12: from fe80::18a8:ceff:fe1a:15f8, 4 records, checksum 0x57ec.
  auto m12 = icmp(12);
  EXPECT_EQ(ip(12).src, kLlB);
  ASSERT_EQ(m12.record_count, 4);
  EXPECT_EQ(m12.records[0].group, *Ipv6Addr::parse("ff02::1:ff00:0"));
  EXPECT_EQ(m12.records[1].group, *Ipv6Addr::parse("ff02::1:ff1a:15f8"));
  EXPECT_EQ(m12.records[2].group, *Ipv6Addr::parse("ff02::1:ff00:2"));
  EXPECT_EQ(m12.records[3].group, Ipv6Addr::all_routers());
  EXPECT_EQ(load_be16(upper(12, 58), 2), 0x57ec);
  ByteVec out12(48 + m12.total_len());
  emit_mld_report_packet(out12, kLlB, m12);
  EXPECT_EQ(out12, bytes(eth(12).payload));
}

TEST_F(KernelPcap6, DuplicateAddressDetection) {
  // 2: :: > ff02::1:ff00:1, hlim 255, neighbor solicitation, who has fd00:77::1, nonce
  // option (14) 17fb ce72 79df, checksum 0x0ed8; to 33:33:ff:00:00:01.
  auto e = eth(2);
  EXPECT_EQ(e.dst, (MacAddr{{0x33, 0x33, 0xff, 0x00, 0x00, 0x01}}));
  auto i = ip(2);
  EXPECT_EQ(i.src, Ipv6Addr::unspecified());
  EXPECT_EQ(i.dst, *Ipv6Addr::parse("ff02::1:ff00:1"));
  EXPECT_EQ(i.hop_limit, 255);
  auto ns = icmp(2);
  EXPECT_EQ(ns.type, static_cast<std::uint8_t>(Icmpv6Type::NeighborSolicit));
  EXPECT_EQ(ns.code, 0);
  EXPECT_EQ(ns.target, kA);
  EXPECT_FALSE(ns.options.source_lla.has_value());
  ASSERT_TRUE(ns.options.nonce.has_value());
  EXPECT_EQ(*ns.options.nonce, (std::array<std::uint8_t, 6>{0x17, 0xfb, 0xce, 0x72, 0x79, 0xdf}));
  EXPECT_EQ(load_be16(upper(2, 58), 2), 0x0ed8);
  EXPECT_EQ(validate_ndp(i, ns), NdpCheck::Ok);
  EXPECT_EQ(describe(ns), "neighbor solicitation, who has fd00:77::1");
  expect_icmp_reemit(2, ns);

  // 4: DAD of the link-local address, checksum 0xa546; 17: of the SLAAC one, 0xc23f.
  auto ll = icmp(4);
  EXPECT_EQ(ll.target, kLlA);
  EXPECT_EQ(ip(4).dst, kLlA.solicited_node());
  EXPECT_EQ(*ll.options.nonce, (std::array<std::uint8_t, 6>{0x3b, 0x5e, 0x31, 0x96, 0x3d, 0x85}));
  expect_icmp_reemit(4, ll);
  auto slaac = icmp(17);
  EXPECT_EQ(slaac.target, *Ipv6Addr::parse("fd00:77::9cc8:5cff:fe2e:931c"));
  EXPECT_EQ(load_be16(upper(17, 58), 2), 0xc23f);
  expect_icmp_reemit(17, slaac);

  // The same DAD solicitation, seen from another router hop, would not be valid.
  Ipv6Repr forwarded = i;
  forwarded.hop_limit = 254;
  EXPECT_EQ(validate_ndp(forwarded, ns), NdpCheck::HopLimit);
}

TEST_F(KernelPcap6, RouterSolicitation) {
  // 10: fe80::9cc8:5cff:fe2e:931c > ff02::2, hlim 255, router solicitation with source
  // link-address 9e:c8:5c:2e:93:1c, checksum 0x6307.
  auto i = ip(10);
  EXPECT_EQ(i.src, kLlA);
  EXPECT_EQ(i.dst, Ipv6Addr::all_routers());
  EXPECT_EQ(i.payload.size(), 16u);
  auto rs = icmp(10);
  EXPECT_EQ(rs.type, static_cast<std::uint8_t>(Icmpv6Type::RouterSolicit));
  EXPECT_EQ(rs.options.source_lla, kMacA);
  EXPECT_EQ(load_be16(upper(10, 58), 2), 0x6307);
  EXPECT_EQ(validate_ndp(i, rs), NdpCheck::Ok);
  EXPECT_EQ(describe(rs), "router solicitation");
  expect_icmp_reemit(10, rs);
  // From :: it must not carry the option.
  Ipv6Repr unspec = i;
  unspec.src = Ipv6Addr::unspecified();
  EXPECT_EQ(validate_ndp(unspec, rs), NdpCheck::UnspecifiedSourceWithLla);
}

TEST_F(KernelPcap6, RouterAdvertisementFromRadvd) {
  // 16: fe80::18a8:ceff:fe1a:15f8 > ff02::1, flowlabel 0x6e0c8, hlim 255: hop limit 64,
  // Flags [none], pref medium, router lifetime 300s, reachable time 30000ms, retrans
  // timer 1000ms; prefix info fd00:77::/64 [onlink, auto] valid 86400s pref. 14400s;
  // mtu 1500; source link-address 1a:a8:ce:1a:15:f8; checksum 0xf069.
  auto e = eth(16);
  EXPECT_EQ(e.src, kMacB);
  EXPECT_EQ(e.dst, Ipv6Addr::all_nodes().multicast_mac());
  auto i = ip(16);
  EXPECT_EQ(i.src, kLlB);
  EXPECT_EQ(i.dst, Ipv6Addr::all_nodes());
  EXPECT_EQ(i.flow_label, 0x6e0c8u);
  EXPECT_EQ(i.hop_limit, 255);
  auto ra = icmp(16);
  EXPECT_EQ(ra.type, static_cast<std::uint8_t>(Icmpv6Type::RouterAdvert));
  EXPECT_EQ(ra.cur_hop_limit, 64);
  EXPECT_EQ(ra.ra_flags, 0);
  EXPECT_FALSE(ra.ra_managed());
  EXPECT_FALSE(ra.ra_other());
  EXPECT_EQ(ra.router_lifetime, 300);
  EXPECT_EQ(ra.reachable_time, 30000u);
  EXPECT_EQ(ra.retrans_timer, 1000u);
  ASSERT_EQ(ra.options.prefix_count, 1);
  const NdpPrefixInfo& p = ra.options.prefixes[0];
  EXPECT_EQ(p.prefix, *Ipv6Addr::parse("fd00:77::"));
  EXPECT_EQ(p.prefix_len, 64);
  EXPECT_TRUE(p.on_link);
  EXPECT_TRUE(p.autonomous);
  EXPECT_EQ(p.valid_lifetime, 86400u);
  EXPECT_EQ(p.preferred_lifetime, 14400u);
  EXPECT_EQ(ra.options.mtu, 1500u);
  EXPECT_EQ(ra.options.source_lla, kMacB);
  EXPECT_FALSE(ra.options.target_lla.has_value());
  EXPECT_EQ(load_be16(upper(16, 58), 2), 0xf069);
  EXPECT_EQ(validate_ndp(i, ra), NdpCheck::Ok);
  EXPECT_EQ(describe(ra), "router advertisement, hop limit 64, router lifetime 300s");
  expect_icmp_reemit(16, ra);
  // An RA from a global address is not valid (RFC 4861 §6.1.2).
  Ipv6Repr global = i;
  global.src = kB;
  EXPECT_EQ(validate_ndp(global, ra), NdpCheck::SourceNotLinkLocal);
}

TEST_F(KernelPcap6, AddressResolution) {
  // 18: fd00:77::1 > ff02::1:ff00:2: neighbor solicitation, who has fd00:77::2, source
  // link-address 9e:c8:5c:2e:93:1c, checksum 0xf096.
  auto i18 = ip(18);
  EXPECT_EQ(i18.src, kA);
  EXPECT_EQ(i18.dst, kB.solicited_node());
  EXPECT_EQ(eth(18).dst, kB.solicited_node().multicast_mac());
  auto ns = icmp(18);
  EXPECT_EQ(ns.target, kB);
  EXPECT_EQ(ns.options.source_lla, kMacA);
  EXPECT_FALSE(ns.options.nonce.has_value());
  EXPECT_EQ(load_be16(upper(18, 58), 2), 0xf096);
  EXPECT_EQ(validate_ndp(i18, ns), NdpCheck::Ok);
  expect_icmp_reemit(18, ns);

  // 19: fd00:77::2 > fd00:77::1: neighbor advertisement, tgt is fd00:77::2, Flags
  // [router, solicited, override], destination link-address 1a:a8:ce:1a:15:f8, 0x9e7b.
  auto i19 = ip(19);
  EXPECT_EQ(eth(19).dst, kMacA);
  auto na = icmp(19);
  EXPECT_EQ(na.type, static_cast<std::uint8_t>(Icmpv6Type::NeighborAdvert));
  EXPECT_EQ(na.target, kB);
  EXPECT_TRUE(na.na_router());
  EXPECT_TRUE(na.na_solicited());
  EXPECT_TRUE(na.na_override());
  EXPECT_EQ(na.options.target_lla, kMacB);
  EXPECT_EQ(load_be16(upper(19, 58), 2), 0x9e7b);
  EXPECT_EQ(validate_ndp(i19, na), NdpCheck::Ok);
  EXPECT_EQ(describe(na),
            "neighbor advertisement, tgt is fd00:77::2, Flags [router, solicited, override]");
  expect_icmp_reemit(19, na);
  // Solicited to a multicast address is invalid (RFC 4861 §7.1.2).
  Ipv6Repr to_all = i19;
  to_all.dst = Ipv6Addr::all_nodes();
  EXPECT_EQ(validate_ndp(to_all, na), NdpCheck::SolicitedToMulticast);
}

TEST_F(KernelPcap6, EchoRequestAndReply) {
  // 20: fd00:77::1 > fd00:77::2, flowlabel 0x51002, hlim 64, echo request, id 7355, seq 1
  // (payload length 64: 56 bytes of data), checksum 0xf1ea; 21: the reply, 0xf0ea.
  auto i = ip(20);
  EXPECT_EQ(i.flow_label, 0x51002u);
  EXPECT_EQ(i.hop_limit, 64);
  EXPECT_EQ(i.payload.size(), 64u);
  auto req = icmp(20);
  EXPECT_EQ(req.type, 128);
  EXPECT_EQ(req.ident, 7355);
  EXPECT_EQ(req.seq_no, 1);
  EXPECT_EQ(req.data.size(), 56u);
  EXPECT_EQ(load_be16(upper(20, 58), 2), 0xf1ea);
  EXPECT_EQ(describe(req), "echo request, id 7355, seq 1");
  expect_icmp_reemit(20, req);
  auto rep = icmp(21);
  EXPECT_EQ(rep.type, 129);
  EXPECT_EQ(ip(21).flow_label, 0x4d62au);
  EXPECT_EQ(rep.ident, 7355);
  EXPECT_EQ(str(rep.data), str(req.data));
  EXPECT_EQ(load_be16(upper(21, 58), 2), 0xf0ea);
  expect_icmp_reemit(21, rep);
  // The wrong pseudo-header fails the checksum.
  EXPECT_EQ(Icmpv6Repr::parse(upper(20, 58), PseudoHeader::ipv6(kA, kC)).error(),
            WireError::BadChecksum);
}

TEST_F(KernelPcap6, FragmentedEcho) {
  // 22-24: frag (0x4be816b2:0|1448), (0x4be816b2:1448|1448), (0x4be816b2:2896|112),
  // payload lengths 1456, 1456, 120.
  struct Want {
    std::size_t frame;
    std::uint16_t offset_bytes;
    bool more;
    std::size_t len;
  };
  for (auto w : {Want{22, 0, true, 1448}, Want{23, 1448, true, 1448}, Want{24, 2896, false, 112}}) {
    auto i = ip(w.frame);
    EXPECT_EQ(i.next_header, 44);
    auto c = walk_ipv6_headers(i);
    EXPECT_EQ(c.verdict, Ipv6Verdict::Reassemble) << w.frame;
    ASSERT_TRUE(c.fragment.has_value());
    EXPECT_EQ(c.fragment->ident, 0x4be816b2u);
    EXPECT_EQ(c.fragment->next_header, 58);
    EXPECT_EQ(c.fragment->byte_offset(), w.offset_bytes);
    EXPECT_EQ(c.fragment->more, w.more);
    EXPECT_EQ(c.fragment_data.size(), w.len);
    EXPECT_EQ(c.fragment_at, 40u);
    EXPECT_EQ(c.fragment_next_header_at, 6u);
    EXPECT_TRUE(first_fragment_chain_complete(c));
    ByteVec fh(8);
    c.fragment->emit(fh);
    EXPECT_EQ(fh, bytes(i.payload.first(8)));
  }
  // The reassembled request: the fragments' data in order is one ICMPv6 echo request
  // (id 7356, seq 1, 3000 bytes of data) whose checksum (0x6c38) verifies.
  ByteVec whole;
  for (std::size_t n : {22, 23, 24}) {
    auto c = chain(n);
    whole.insert(whole.end(), c.fragment_data.begin(), c.fragment_data.end());
  }
  ASSERT_EQ(whole.size(), 3008u);
  auto m = Icmpv6Repr::parse(view(whole), ip(22).pseudo_header());
  ASSERT_TRUE(m.ok()) << to_string(m.error());
  EXPECT_EQ(m->ident, 7356);
  EXPECT_EQ(m->data.size(), 3000u);
  EXPECT_EQ(load_be16(view(whole), 2), 0x6c38);
  // The reply came back fragmented too (0x9dfdcf3e).
  EXPECT_EQ(chain(25).fragment->ident, 0x9dfdcf3eu);
  EXPECT_EQ(chain(27).fragment->byte_offset(), 2896u);
  // A first fragment holding no byte of its ICMPv6 header would be incomplete (one with
  // 2 bytes is not a multiple of 8 long: a Parameter Problem before that).
  Ipv6Repr cut = ip(22);
  cut.payload = cut.payload.first(8 + 2);
  EXPECT_EQ(walk_ipv6_headers(cut).problem_pointer, 4u);
  cut.payload = cut.payload.first(8);
  auto c = walk_ipv6_headers(cut);
  ASSERT_EQ(c.verdict, Ipv6Verdict::Reassemble);
  EXPECT_FALSE(first_fragment_chain_complete(c));
}

TEST_F(KernelPcap6, UdpOverIpv6) {
  // 28: fd00:77::1.40000 > fd00:77::2.7777, flowlabel 0x395b9, UDP length 11, checksum
  // 0x16a7 ("udp sum ok").
  auto i = ip(28);
  EXPECT_EQ(i.flow_label, 0x395b9u);
  auto seg = upper(28, 17);
  auto u = UdpRepr::parse(seg, i.pseudo_header());
  ASSERT_TRUE(u.ok()) << to_string(u.error());
  EXPECT_EQ(u->src_port, 40000);
  EXPECT_EQ(u->dst_port, 7777);
  EXPECT_EQ(str(u->payload), "hello udp6\n");
  EXPECT_EQ(load_be16(seg, 6), 0x16a7);
  ByteVec out(u->total_len());
  u->emit(out, i.pseudo_header());
  EXPECT_EQ(out, bytes(seg));
}

TEST_F(KernelPcap6, TcpOverIpv6) {
  // 29: 47347 > 8080 [S], cksum 0xf4d8, seq 2600315246, win 64800, options [mss 1440,
  // sackOK,TS val 3771424105 ecr 0,nop,wscale 10].
  auto i29 = ip(29);
  auto s29 = upper(29, 6);
  auto syn = TcpRepr::parse(s29, i29.pseudo_header());
  ASSERT_TRUE(syn.ok()) << to_string(syn.error());
  EXPECT_EQ(syn->flags.to_string(), "S");
  EXPECT_EQ(syn->src_port, 47347);
  EXPECT_EQ(syn->dst_port, 8080);
  EXPECT_EQ(syn->seq, SeqNum(2600315246u));
  EXPECT_EQ(syn->window, 64800);
  EXPECT_EQ(format_tcp_options(syn->options),
            "<mss 1440,sackOK,TS val 3771424105 ecr 0,nop,wscale 10>");
  EXPECT_EQ(load_be16(s29, 16), 0xf4d8);
  // 30: [S.], cksum 0x5b2b, seq 444747186, ack 2600315247, win 64260.
  auto i30 = ip(30);
  auto synack = TcpRepr::parse(upper(30, 6), i30.pseudo_header());
  ASSERT_TRUE(synack.ok());
  EXPECT_EQ(synack->seq, SeqNum(444747186u));
  EXPECT_EQ(synack->ack, SeqNum(2600315247u));
  EXPECT_EQ(synack->window, 64260);
  // 32: [P.], cksum 0x520c, seq 1:12 -> "hello tcp6\n"; 34: [P.], 0x7c48, "reply: ...".
  auto data = TcpRepr::parse(upper(32, 6), ip(32).pseudo_header());
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(str(data->payload), "hello tcp6\n");
  auto reply = TcpRepr::parse(upper(34, 6), ip(34).pseudo_header());
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(str(reply->payload), "reply: hello tcp6\n");
  EXPECT_EQ(load_be16(upper(34, 6), 16), 0x7c48);
  // Every segment of the connection re-emits byte for byte, checksum included.
  for (std::size_t n = 29; n <= 38; ++n) {
    auto i = ip(n);
    auto seg = upper(n, 6);
    auto t = TcpRepr::parse(seg, i.pseudo_header());
    ASSERT_TRUE(t.ok()) << n;
    ByteVec out(t->total_len());
    t->emit(out, i.pseudo_header());
    EXPECT_EQ(out, bytes(seg)) << "frame " << n;
    // And with the IPv4 pseudo-header of nothing in particular, it does not verify.
    EXPECT_EQ(TcpRepr::parse(seg, PseudoHeader{}).error(), WireError::BadChecksum);
  }
}

TEST_F(KernelPcap6, PacketTooBig) {
  // 39: fd00:77::1 > fd00:77::3 echo request, id 7373, seq 1, payload length 1408.
  // 40: fd00:77::2 > fd00:77::1, packet too big, mtu 1280, payload length 1240
  // (RFC 4443 §2.4(c): the invoking packet cut so the error fits in 1280), 0x2a6c.
  auto i39 = ip(39);
  EXPECT_EQ(i39.dst, kC);
  EXPECT_EQ(i39.payload.size(), 1408u);
  auto i40 = ip(40);
  EXPECT_EQ(i40.src, kB);
  EXPECT_EQ(i40.dst, kA);
  EXPECT_EQ(i40.payload.size(), 1240u);
  auto ptb = icmp(40);
  EXPECT_EQ(ptb.type, static_cast<std::uint8_t>(Icmpv6Type::PacketTooBig));
  EXPECT_EQ(ptb.code, 0);
  EXPECT_EQ(ptb.mtu, 1280u);
  EXPECT_EQ(ptb.data.size(), Icmpv6Repr::kMaxErrorData);
  EXPECT_EQ(load_be16(upper(40, 58), 2), 0x2a6c);
  EXPECT_EQ(describe(ptb), "packet too big, mtu 1280");
  // The data is the start of frame 39's IPv6 packet.
  const Bytes invoking = eth(39).payload;
  EXPECT_EQ(bytes(ptb.data), bytes(invoking.first(1232)));
  auto inner = Ipv6Repr::parse(invoking);
  ASSERT_TRUE(inner.ok());
  // Emitting it from the whole invoking packet cuts it the same way.
  Icmpv6Repr mine;
  mine.type = static_cast<std::uint8_t>(Icmpv6Type::PacketTooBig);
  mine.mtu = 1280;
  mine.data = invoking;
  EXPECT_EQ(mine.total_len(), 1240u);
  expect_icmp_reemit(40, mine);

  // 41-42: the retry, now fragmented for 1280: frag (0x6c1bcfe8:0|1232), (:1232|176).
  auto c41 = chain(41);
  EXPECT_EQ(c41.fragment->ident, 0x6c1bcfe8u);
  EXPECT_EQ(c41.fragment_data.size(), 1232u);
  EXPECT_EQ(ip(41).total_len(), 1280u);
  auto c42 = chain(42);
  EXPECT_EQ(c42.fragment->byte_offset(), 1232u);
  EXPECT_FALSE(c42.fragment->more);
  EXPECT_EQ(c42.fragment_data.size(), 176u);
  // 43: the reply through B: hlim 63.
  EXPECT_EQ(ip(43).hop_limit, 63);
  EXPECT_EQ(chain(43).fragment->ident, 0xf21cfbcau);
}

}  // namespace
}  // namespace synack::wire
