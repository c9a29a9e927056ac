// The dissector reads every field of real frames: built with the wire emitters (so the
// expected values are the ones put in) and recorded by a simulated run.
#include "dissect.hpp"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "synack/wire/arp.hpp"
#include "synack/wire/icmp.hpp"
#include "synack/wire/ipv6.hpp"
#include "view_test_util.hpp"

namespace synack::view {
namespace {

using namespace testing;

const Layer* layer(const std::vector<Layer>& ls, std::string_view name) {
  for (const auto& l : ls)
    if (l.name == name) return &l;
  return nullptr;
}

// The value of the first field called `name` (at any depth), or "<missing>".
std::string field(const Layer* l, std::string_view name) {
  if (!l) return "<no layer>";
  for (const auto& f : l->fields)
    if (f.name == name) return f.value;
  return "<missing " + std::string(name) + ">";
}

const Field* field_ptr(const Layer* l, std::string_view name) {
  for (const auto& f : l->fields)
    if (f.name == name) return &f;
  return nullptr;
}

wire::TcpRepr syn_repr() {
  wire::TcpRepr t;
  t.src_port = 49152;
  t.dst_port = 80;
  t.seq = SeqNum(1000000);
  t.flags.bits = wire::TcpFlags::kSyn | wire::TcpFlags::kEce | wire::TcpFlags::kCwr;
  t.window = 65535;
  t.options.mss = 1460;
  t.options.window_scale = 7;
  t.options.sack_permitted = true;
  t.options.timestamps = wire::TcpTimestamps{123456, 0};
  return t;
}

TEST(Dissect, TcpSynEveryHeaderField) {
  const ByteVec bytes = tcp_frame(syn_repr(), /*dscp_ecn=*/0xb8 | 0b10);  // EF, ECT(0)
  const auto ls =
      dissect(RecordedFrame{Instant::zero(), Side::Left, false, LinkType::Ethernet, bytes});
  ASSERT_EQ(ls.size(), 3u);  // no payload layer for a SYN without data

  const Layer* eth = layer(ls, "Ethernet II");
  ASSERT_NE(eth, nullptr);
  EXPECT_EQ(field(eth, "destination"), "02:00:00:00:00:02");
  EXPECT_EQ(field(eth, "source"), "02:00:00:00:00:01");
  EXPECT_EQ(field(eth, "type"), "0x0800 (IPv4)");

  const Layer* ip = layer(ls, "Internet Protocol Version 4");
  ASSERT_NE(ip, nullptr);
  EXPECT_EQ(field(ip, "version"), "4");
  EXPECT_EQ(field(ip, "header length (IHL)"), "5 (20 bytes)");
  EXPECT_EQ(field(ip, "DSCP"), "46");  // 0xb8 >> 2: Expedited Forwarding
  EXPECT_EQ(field(ip, "ECN"), "0b10 ECT(0)");
  const std::size_t tcp_len = syn_repr().total_len();
  EXPECT_EQ(field(ip, "total length"), std::to_string(20 + tcp_len));
  EXPECT_EQ(field(ip, "identification"), "0x1234 (4660)");
  EXPECT_EQ(field(ip, "flags"), "0x2 (DF)");
  EXPECT_EQ(field(ip, "don't fragment"), "1 (set)");
  EXPECT_EQ(field(ip, "more fragments"), "0");
  EXPECT_EQ(field(ip, "fragment offset"), "0 (0 bytes)");
  EXPECT_EQ(field(ip, "time to live"), "64");
  EXPECT_EQ(field(ip, "protocol"), "6 (TCP)");
  EXPECT_TRUE(field(ip, "header checksum").ends_with("(correct)")) << field(ip, "header checksum");
  EXPECT_EQ(field(ip, "source address"), "10.77.0.1");
  EXPECT_EQ(field(ip, "destination address"), "10.77.0.2");

  const Layer* tcp = layer(ls, "Transmission Control Protocol");
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(field(tcp, "source port"), "49152");
  EXPECT_EQ(field(tcp, "destination port"), "80");
  EXPECT_EQ(field(tcp, "sequence number (raw)"), "1000000");
  EXPECT_EQ(field(tcp, "next sequence number"), "1000001");  // the SYN takes one
  EXPECT_EQ(field(tcp, "acknowledgment number (raw)"), "0 (ACK not set: ignored)");
  EXPECT_EQ(field(tcp, "data offset"),
            fmt::format("{} ({} bytes)", syn_repr().header_len() / 4, syn_repr().header_len()));
  EXPECT_EQ(field(tcp, "flags"), "0x0c2 (CWR, ECE, SYN)");
  EXPECT_EQ(field(tcp, "SYN (synchronize)"), "1 (set)");
  EXPECT_EQ(field(tcp, "ACK (acknowledgment)"), "0");
  EXPECT_EQ(field(tcp, "ECE (ECN-echo)"), "1 (set)");
  EXPECT_EQ(field(tcp, "CWR (congestion window reduced)"), "1 (set)");
  EXPECT_EQ(field(tcp, "FIN (finish)"), "0");
  EXPECT_EQ(field(tcp, "window (raw)"), "65535");
  EXPECT_TRUE(field(tcp, "checksum").ends_with("(correct)")) << field(tcp, "checksum");
  EXPECT_EQ(field(tcp, "urgent pointer"), "0");
  EXPECT_EQ(field(tcp, "MSS"), "1460 bytes");
  EXPECT_EQ(field(tcp, "shift count"), "7 (multiply by 128)");
  EXPECT_EQ(field(tcp, "SACK Permitted"), "kind 4, length 2");
  EXPECT_EQ(field(tcp, "TSval"), "123456");
  EXPECT_EQ(field(tcp, "TSecr"), "0");
  EXPECT_EQ(field(tcp, "payload length"), "0 bytes");
  // No analysis given: no relative numbers.
  EXPECT_EQ(field_ptr(tcp, "sequence number (relative)"), nullptr);

  // Each field names its own bytes: the source port is at 34, the sequence number at 38.
  const Field* sport = field_ptr(tcp, "source port");
  ASSERT_NE(sport, nullptr);
  EXPECT_EQ(sport->offset, 34u);
  EXPECT_EQ(sport->length, 2u);
  EXPECT_EQ(load_be16(bytes, sport->offset), 49152);
  const Field* seq = field_ptr(tcp, "sequence number (raw)");
  EXPECT_EQ(load_be32(bytes, seq->offset), 1000000u);
  const Field* mss = field_ptr(tcp, "MSS");
  EXPECT_EQ(load_be16(bytes, mss->offset), 1460);
  EXPECT_EQ(mss->depth, 2);
}

TEST(Dissect, RelativeNumbersScaledWindowAndPayload) {
  wire::TcpRepr t;
  t.src_port = 80;
  t.dst_port = 49152;
  t.seq = SeqNum(5001);
  t.ack = SeqNum(1000036);
  t.flags.bits = wire::TcpFlags::kAck | wire::TcpFlags::kPsh;
  t.window = 250;
  const std::string body = "HTTP/1.0 200 OK\r\n";
  t.payload = as_bytes(body);
  const ByteVec bytes = tcp_frame(t);
  SegmentInfo seg;
  seg.seq = 1;
  seg.ack = 36;
  seg.len = static_cast<std::uint32_t>(body.size());
  seg.raw_window = 250;
  seg.window = 250 << 7;
  const auto ls = dissect({Instant::zero(), Side::Right, false, LinkType::Ethernet, bytes}, &seg);
  const Layer* tcp = layer(ls, "Transmission Control Protocol");
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(field(tcp, "sequence number (relative)"), "1");
  EXPECT_EQ(field(tcp, "sequence number (raw)"), "5001");
  EXPECT_EQ(field(tcp, "next sequence number"), fmt::format("{} (relative)", 1 + body.size()));
  EXPECT_EQ(field(tcp, "acknowledgment number (relative)"), "36");
  EXPECT_EQ(field(tcp, "acknowledgment number (raw)"), "1000036");
  EXPECT_EQ(field(tcp, "flags"), "0x018 (ACK, PSH)");
  EXPECT_EQ(field(tcp, "window (raw)"), "250");
  EXPECT_EQ(field(tcp, "window (scaled)"), "32000 bytes");
  EXPECT_EQ(field(tcp, "payload length"), fmt::format("{} bytes", body.size()));
  EXPECT_EQ(tcp->summary, fmt::format("80 > 49152 [P.] seq 1 ack 36 len {}", body.size()));
  const Layer* data = layer(ls, "Data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->offset, 54u);
  EXPECT_EQ(data->length, body.size());
  EXPECT_EQ(field(data, "text"), "HTTP/1.0 200 OK..");
}

TEST(Dissect, WrongChecksumsAreReportedNotRefused) {
  ByteVec bytes = tcp_frame(syn_repr());
  bytes[34 + 16] ^= std::byte{0xff};  // TCP checksum
  bytes[14 + 10] ^= std::byte{0x01};  // IPv4 header checksum
  const auto ls = dissect({Instant::zero(), Side::Left, false, LinkType::Ethernet, bytes});
  const Layer* tcp = layer(ls, "Transmission Control Protocol");
  ASSERT_NE(tcp, nullptr);  // still dissected
  EXPECT_NE(field(tcp, "checksum").find("incorrect, should be 0x"), std::string::npos);
  // The right value is the one the emitter wrote.
  const std::uint16_t right = load_be16(bytes, 34 + 16) ^ 0xff00;
  EXPECT_NE(field(tcp, "checksum").find(fmt::format("should be 0x{:04x}", right)),
            std::string::npos)
      << field(tcp, "checksum");
  EXPECT_NE(field(layer(ls, "Internet Protocol Version 4"), "header checksum").find("incorrect"),
            std::string::npos);
  EXPECT_EQ(field(tcp, "MSS"), "1460 bytes");
}

TEST(Dissect, SegmentCutByTheSnapLength) {
  wire::TcpRepr t;
  t.src_port = 80;
  t.dst_port = 49152;
  t.flags.bits = wire::TcpFlags::kAck;
  const std::string body(100, 'x');
  t.payload = as_bytes(body);
  ByteVec bytes = tcp_frame(t);
  bytes.resize(bytes.size() - 60);  // the capture kept the first 40 payload bytes
  const auto ls = dissect({Instant::zero(), Side::Right, false, LinkType::Ethernet, bytes});
  const Layer* tcp = layer(ls, "Transmission Control Protocol");
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(field(tcp, "payload length"), "100 bytes (40 captured)");
  EXPECT_TRUE(field(tcp, "checksum")
                  .ends_with("(not checked: the capture holds 60 of the segment's 120 bytes)"))
      << field(tcp, "checksum");
  EXPECT_EQ(field(layer(ls, "Internet Protocol Version 4"), "total length"),
            "140 (more than the frame holds)");
  EXPECT_EQ(layer(ls, "Data")->length, 40u);
}

TEST(Dissect, RawIpFrames) {
  const ByteVec eth = tcp_frame(syn_repr());
  const ByteVec raw(eth.begin() + 14, eth.end());
  const auto ls = dissect({Instant::zero(), Side::Left, false, LinkType::RawIp, raw});
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(ls[0].name, "Internet Protocol Version 4");
  EXPECT_EQ(field(&ls[1], "source port"), "49152");
  EXPECT_EQ(field_ptr(&ls[1], "source port")->offset, 20u);
}

// An Ethernet + IPv6 frame holding syn_repr() behind a Hop-by-Hop Router Alert (the
// wire layer's emitter): 14 + 40 + 8 + TCP.
ByteVec ipv6_syn_frame(std::uint8_t tclass, std::uint32_t flow) {
  const wire::TcpRepr t = syn_repr();
  wire::Ipv6Repr ip;
  ip.src = wire::Ipv6Addr::from_groups(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
  ip.dst = wire::Ipv6Addr::from_groups(0x2001, 0xdb8, 0, 0, 0, 0, 0xab, 2);
  ip.traffic_class = tclass;
  ip.flow_label = flow;
  ip.next_header = 0;
  ip.hop_limit = 61;
  ByteVec f(14 + 40 + 8 + t.total_len());
  wire::emit_router_alert_hbh(MutBytes(f).subspan(54), 6, 0);
  t.emit(MutBytes(f).subspan(62), ip.pseudo_header());
  ip.payload = Bytes(f).subspan(54);
  ip.emit(MutBytes(f).subspan(14));
  wire::EthernetRepr eth{kMacB, kMacA, static_cast<std::uint16_t>(wire::EtherType::Ipv6),
                         Bytes(f).subspan(14)};
  eth.emit(f);
  return f;
}

TEST(Dissect, Ipv6HeaderFieldsWithOffsets) {
  const ByteVec bytes = ipv6_syn_frame(0xb8 | 0b01, 0xabcde);  // EF, ECT(1)
  const auto ls =
      dissect(RecordedFrame{Instant::zero(), Side::Left, false, LinkType::Ethernet, bytes});
  ASSERT_EQ(ls.size(), 4u);  // Ethernet, IPv6, Hop-by-Hop, TCP
  EXPECT_EQ(field(&ls[0], "type"), "0x86dd (IPv6)");
  const Layer* ip = layer(ls, "Internet Protocol Version 6");
  ASSERT_NE(ip, nullptr);
  EXPECT_EQ(ip->offset, 14u);
  EXPECT_EQ(ip->length, 40u);
  EXPECT_EQ(ip->summary, "2001:db8::1 > 2001:db8::ab:2");
  struct Want {
    const char* name;
    std::string value;
    std::uint32_t offset, length;
  };
  const std::size_t payload_len = 8 + syn_repr().total_len();
  for (const Want& w : std::vector<Want>{
           {"version", "6", 14, 1},
           {"traffic class", "0xb9", 14, 2},
           {"DSCP", "46", 14, 2},
           {"ECN", "0b01 ECT(1)", 15, 1},
           {"flow label", "0xabcde", 15, 3},
           {"payload length", std::to_string(payload_len), 18, 2},
           {"next header", "0 (Hop-by-Hop Options)", 20, 1},
           {"hop limit", "61", 21, 1},
           {"source address", "2001:db8::1", 22, 16},
           {"destination address", "2001:db8::ab:2", 38, 16},
       }) {
    const Field* f = field_ptr(ip, w.name);
    ASSERT_NE(f, nullptr) << w.name;
    EXPECT_EQ(f->value, w.value) << w.name;
    EXPECT_EQ(f->offset, w.offset) << w.name;
    EXPECT_EQ(f->length, w.length) << w.name;
  }
  // The bytes the fields name hold what they say.
  EXPECT_EQ(load_be16(bytes, field_ptr(ip, "payload length")->offset), payload_len);
  EXPECT_EQ(load_u8(bytes, field_ptr(ip, "hop limit")->offset), 61);
  EXPECT_EQ(load_be32(bytes, 14) & 0xfffff, 0xabcdeu);

  const Layer* hbh = layer(ls, "IPv6 Hop-by-Hop Options");
  ASSERT_NE(hbh, nullptr);
  EXPECT_EQ(hbh->offset, 54u);
  EXPECT_EQ(hbh->length, 8u);
  EXPECT_EQ(field(hbh, "next header"), "6 (TCP)");
  EXPECT_EQ(field(hbh, "header extension length"), "0 (8 bytes)");
  EXPECT_EQ(field(hbh, "Router Alert"), "type 5, value 0 (MLD)");
  EXPECT_EQ(field_ptr(hbh, "Router Alert")->offset, 56u);
  EXPECT_EQ(field_ptr(hbh, "Router Alert")->length, 4u);

  const Layer* tcp = layer(ls, "Transmission Control Protocol");
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->offset, 62u);
  EXPECT_EQ(field(tcp, "source port"), "49152");
  // The checksum is checked over the IPv6 pseudo-header.
  EXPECT_TRUE(field(tcp, "checksum").ends_with("(correct)")) << field(tcp, "checksum");
  ByteVec bad = bytes;
  bad[62 + wire::TcpRepr::kChecksumOffset] ^= std::byte{0x80};
  const auto bls =
      dissect(RecordedFrame{Instant::zero(), Side::Left, false, LinkType::Ethernet, bad});
  const std::string want = fmt::format("should be 0x{:04x}", load_be16(bytes, 62 + 16));
  EXPECT_NE(field(layer(bls, "Transmission Control Protocol"), "checksum").find(want),
            std::string::npos)
      << field(layer(bls, "Transmission Control Protocol"), "checksum");

  // The same packet as raw IPv6: every offset 14 less.
  const ByteVec raw(bytes.begin() + 14, bytes.end());
  const auto rls = dissect({Instant::zero(), Side::Left, false, LinkType::RawIp, raw});
  ASSERT_EQ(rls.size(), 3u);
  EXPECT_EQ(rls[0].name, "Internet Protocol Version 6");
  EXPECT_EQ(field_ptr(&rls[0], "source address")->offset, 8u);
  EXPECT_EQ(rls[2].offset, 48u);
}

TEST(Dissect, TruncatedIpv6SaysWhatIsWrong) {
  const ByteVec bytes = ipv6_syn_frame(0, 0);
  auto ls = dissect({Instant::zero(), Side::Left, false, LinkType::Ethernet,
                     ByteVec(bytes.begin(), bytes.begin() + 14 + 39)});
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(ls[1].name, "Malformed");
  EXPECT_EQ(ls[1].summary, "IPv6: truncated header");
  ls = dissect({Instant::zero(), Side::Left, false, LinkType::Ethernet,
                ByteVec(bytes.begin(), bytes.begin() + 14 + 40 + 5)});
  ASSERT_EQ(ls.size(), 3u);
  EXPECT_EQ(ls[2].name, "Malformed");
  EXPECT_EQ(ls[2].summary, "IPv6 Hop-by-Hop Options: runs past the capture");
  EXPECT_EQ(ls[2].offset, 54u);
}

TEST(Dissect, UdpAndIcmp) {
  const std::string msg = "ping";
  wire::UdpRepr u{5353, 53, as_bytes(msg)};
  const ByteVec ub = ipv4_frame(17, u.total_len(), [&](MutBytes out) {
    return u.emit(out, {kIpA, kIpB});
  });
  auto ls = dissect({Instant::zero(), Side::Left, false, LinkType::Ethernet, ub});
  const Layer* udp = layer(ls, "User Datagram Protocol");
  ASSERT_NE(udp, nullptr);
  EXPECT_EQ(field(udp, "source port"), "5353");
  EXPECT_EQ(field(udp, "destination port"), "53");
  EXPECT_EQ(field(udp, "length"), "12");
  EXPECT_TRUE(field(udp, "checksum").ends_with("(correct)")) << field(udp, "checksum");
  EXPECT_EQ(field(layer(ls, "Data"), "text"), "ping");

  const std::string data(16, 'x');
  wire::IcmpRepr m;
  m.type = 8;
  m.ident = 77;
  m.seq_no = 3;
  m.data = as_bytes(data);
  const ByteVec ib = ipv4_frame(1, m.total_len(), [&](MutBytes out) { return m.emit(out); });
  ls = dissect({Instant::zero(), Side::Left, false, LinkType::Ethernet, ib});
  const Layer* icmp = layer(ls, "Internet Control Message Protocol");
  ASSERT_NE(icmp, nullptr);
  EXPECT_EQ(field(icmp, "type"), "8 (echo request)");
  EXPECT_EQ(field(icmp, "code"), "0");
  EXPECT_EQ(field(icmp, "identifier"), "77");
  EXPECT_EQ(field(icmp, "sequence number"), "3");
  EXPECT_EQ(field(icmp, "data"), "16 bytes");
  EXPECT_TRUE(field(icmp, "checksum").ends_with("(correct)")) << field(icmp, "checksum");
}

TEST(Dissect, TruncatedFramesSayWhatIsWrong) {
  const ByteVec eth = tcp_frame(syn_repr());
  auto ls = dissect({Instant::zero(), Side::Left, false, LinkType::Ethernet,
                     ByteVec(eth.begin(), eth.begin() + 40)});
  ASSERT_FALSE(ls.empty());
  EXPECT_EQ(ls.back().name, "Malformed");
  ls = dissect({Instant::zero(), Side::Left, false, LinkType::Ethernet,
                ByteVec(eth.begin(), eth.begin() + 10)});
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0].name, "Malformed");
}

// The frames of a simulated request-response: the ARP exchange and the SYN as the
// stack sent them.
TEST(Dissect, SimulatedRun) {
  const Recording r = sim_recording("request-response");
  ASSERT_EQ(r.frames.size(), 9u);  // ARP x2, SYN, SYN-ACK, request, response, FIN, FIN, ACK
  auto ls = dissect(r.frames[0]);
  const Layer* arp = layer(ls, "Address Resolution Protocol");
  ASSERT_NE(arp, nullptr);
  EXPECT_EQ(field(layer(ls, "Ethernet II"), "destination"), "ff:ff:ff:ff:ff:ff (broadcast)");
  EXPECT_EQ(field(arp, "opcode"), "1 (request)");
  EXPECT_EQ(field(arp, "sender IP address"), "10.77.0.1");
  EXPECT_EQ(field(arp, "sender MAC address"), "02:00:00:00:00:01");
  EXPECT_EQ(field(arp, "target IP address"), "10.77.0.2");
  ls = dissect(r.frames[1]);
  EXPECT_EQ(field(layer(ls, "Address Resolution Protocol"), "opcode"), "2 (reply)");
  EXPECT_EQ(field(layer(ls, "Address Resolution Protocol"), "sender MAC address"),
            "02:00:00:00:00:02");

  // The SYN: what the wire parser reads, the dissector shows.
  const RecordedFrame& syn = r.frames[2];
  auto eth = wire::EthernetRepr::parse(syn.bytes);
  ASSERT_TRUE(eth);
  auto ip = wire::Ipv4Repr::parse(eth->payload);
  ASSERT_TRUE(ip);
  auto t = wire::TcpRepr::parse(ip->payload, {ip->src, ip->dst});
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->flags.syn());
  ls = dissect(syn);
  const Layer* tcp = layer(ls, "Transmission Control Protocol");
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(field(tcp, "sequence number (raw)"), std::to_string(t->seq.raw()));
  EXPECT_EQ(field(tcp, "source port"), std::to_string(t->src_port));
  EXPECT_EQ(field(tcp, "MSS"), fmt::format("{} bytes", *t->options.mss));
  EXPECT_EQ(field(tcp, "TSval"), std::to_string(t->options.timestamps->tsval));
  EXPECT_EQ(field(tcp, "shift count").substr(0, 2), fmt::format("{} ", *t->options.window_scale));
  EXPECT_TRUE(field(tcp, "checksum").ends_with("(correct)"));
  // Every frame of the run dissects without a malformed layer, checksums correct.
  for (const auto& f : r.frames) {
    for (const auto& l : dissect(f)) {
      EXPECT_NE(l.name, "Malformed") << l.summary;
      for (const auto& fl : l.fields) {
        if (fl.name.find("checksum") != std::string::npos) {
          EXPECT_EQ(fl.value.find("incorrect"), std::string::npos) << fl.value;
        }
      }
    }
  }
}

// Any bytes: every prefix of real frames and random corruptions of them dissect without
// reading outside the frame (ASan checks the reads), and every field's bytes lie inside it.
TEST(Dissect, AnyBytesStayInsideTheFrame) {
  std::vector<RecordedFrame> frames = sim_recording("request-response").frames;
  frames.push_back({Instant::zero(), Side::Left, false, LinkType::Ethernet, tcp_frame(syn_repr())});
  frames.push_back(
      {Instant::zero(), Side::Left, false, LinkType::Ethernet, ipv6_syn_frame(0xb9, 0xabcde)});
  std::uint64_t x = 0x9e3779b97f4a7c15ull;  // xorshift: the same corruptions every run
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  auto check = [](const RecordedFrame& f) {
    for (const Layer& l : dissect(f)) {
      EXPECT_LE(l.offset + l.length, f.bytes.size()) << l.name;
      for (const Field& fl : l.fields) EXPECT_LE(fl.offset + fl.length, f.bytes.size()) << fl.name;
    }
  };
  std::size_t runs = 0;
  for (const auto& f : frames) {
    for (std::size_t n = 0; n <= f.bytes.size(); ++n) {
      RecordedFrame cut = f;
      cut.bytes.resize(n);
      check(cut);
      cut.link = LinkType::RawIp;
      if (n >= 14) cut.bytes.erase(cut.bytes.begin(), cut.bytes.begin() + 14);
      check(cut);
      runs += 2;
    }
    for (int k = 0; k < 300; ++k) {
      RecordedFrame bad = f;
      for (int flips = 1 + static_cast<int>(next() % 4); flips > 0; --flips) {
        // Mostly in the headers, where the lengths and offsets are.
        const std::size_t at = next() % std::min<std::size_t>(bad.bytes.size(), 80);
        bad.bytes[at] = static_cast<std::byte>(next());
      }
      check(bad);
      ++runs;
    }
  }
  EXPECT_GT(runs, 4000u);  // 11 frames: every prefix twice, 300 corruptions each
}

}  // namespace
}  // namespace synack::view
