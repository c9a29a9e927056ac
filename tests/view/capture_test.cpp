// The capture reader behind `synack trace`: the link types tcpdump writes, pcap and
// pcapng, and a clear error naming the offset for anything else; TCP over IPv4 and over
// IPv6 (extension headers, fragments, ICMPv6 beside it). Files are written here with
// libpcap's own writer (pcap_dump), from segments built with the wire layer.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "analysis.hpp"
#include "capture.hpp"
#include "connection_view.hpp"
#include "dissect.hpp"
#include "ladder.hpp"
#include "synack/wire/icmpv6.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/ipv6.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::view {
namespace {

const wire::Ipv4Addr kA = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
const wire::Ipv4Addr kB = wire::Ipv4Addr::from_octets(10, 77, 0, 2);

struct Seg {
  bool from_a;
  std::uint32_t seq, ack;
  std::uint8_t flags;
  std::size_t len = 0;
  std::uint16_t window = 1000;
};

// An IPv4 packet holding one TCP segment between kA:40000 and kB:80.
ByteVec packet(const Seg& s) {
  std::vector<std::byte> payload(s.len, std::byte{'x'});
  wire::TcpRepr t;
  t.src_port = s.from_a ? 40000 : 80;
  t.dst_port = s.from_a ? 80 : 40000;
  t.seq = SeqNum(s.seq);
  t.ack = SeqNum(s.ack);
  t.flags.bits = s.flags;
  t.window = s.window;
  t.payload = payload;
  wire::Ipv4Repr ip;
  ip.src = s.from_a ? kA : kB;
  ip.dst = s.from_a ? kB : kA;
  ip.protocol = static_cast<std::uint8_t>(wire::IpProto::Tcp);
  ByteVec out(20 + t.total_len());
  t.emit(MutBytes(out).subspan(20), {ip.src, ip.dst});
  ip.payload = Bytes(out).subspan(20);
  ip.emit(out);
  return out;
}

// The same segment between [2001:db8::1]:40000 and [2001:db8::2]:80 in an IPv6 packet,
// after the extension headers `ext` (each whole, its Next Header byte rewritten here to
// chain them: the last names TCP).
const wire::Ipv6Addr kA6 = wire::Ipv6Addr::from_groups(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const wire::Ipv6Addr kB6 = wire::Ipv6Addr::from_groups(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

ByteVec packet6(const Seg& s, const std::vector<ByteVec>& ext = {}, std::uint8_t tclass = 0) {
  std::vector<std::byte> payload(s.len, std::byte{'x'});
  wire::TcpRepr t;
  t.src_port = s.from_a ? 40000 : 80;
  t.dst_port = s.from_a ? 80 : 40000;
  t.seq = SeqNum(s.seq);
  t.ack = SeqNum(s.ack);
  t.flags.bits = s.flags;
  t.window = s.window;
  t.payload = payload;
  wire::Ipv6Repr ip;
  ip.src = s.from_a ? kA6 : kB6;
  ip.dst = s.from_a ? kB6 : kA6;
  ip.traffic_class = tclass;
  ip.flow_label = 0x12345;
  std::size_t ext_len = 0;
  for (const auto& e : ext) ext_len += e.size();
  ByteVec out(40 + ext_len + t.total_len());
  std::size_t at = 40;
  std::uint8_t* next = &ip.next_header;
  for (const auto& e : ext) {
    std::memcpy(out.data() + at, e.data(), e.size());
    *next = static_cast<std::uint8_t>(e[0]);  // the header's own type, kept in byte 0 here
    next = reinterpret_cast<std::uint8_t*>(out.data() + at);
    at += e.size();
  }
  *next = static_cast<std::uint8_t>(wire::IpProto::Tcp);
  t.emit(MutBytes(out).subspan(at), wire::PseudoHeader::ipv6(ip.src, ip.dst));
  ip.payload = Bytes(out).subspan(40);
  ip.emit(out);
  return out;
}

// An extension header of `type` (its Next Header byte holds the type until packet6
// chains it): `len` bytes, options area a PadN.
ByteVec ext_header(std::uint8_t type, std::size_t len) {
  ByteVec h(len);
  h[0] = std::byte{type};
  h[1] = std::byte(static_cast<std::uint8_t>(len / 8 - 1));
  h[2] = std::byte{1};  // PadN over the rest
  h[3] = std::byte(static_cast<std::uint8_t>(len - 4));
  return h;
}

using F = wire::TcpFlags;
// A connection with a lost-and-retransmitted segment and a dup ACK: SYN, SYN-ACK,
// ACK, data 1..101, data 101..201, dup ACK 101, data 101..201 again, ACK 201, FINs.
std::vector<Seg> conversation() {
  return {{true, 1000, 0, F::kSyn},
          {false, 5000, 1001, F::kSyn | F::kAck},
          {true, 1001, 5001, F::kAck},
          {true, 1001, 5001, F::kAck | F::kPsh, 100},
          {true, 1101, 5001, F::kAck | F::kPsh, 100},
          {false, 5001, 1101, F::kAck},
          {false, 5001, 1101, F::kAck},
          {true, 1101, 5001, F::kAck | F::kPsh, 100},
          {false, 5001, 1201, F::kAck},
          {true, 1201, 5001, F::kAck | F::kFin},
          {false, 5001, 1202, F::kAck | F::kFin},
          {true, 1202, 5002, F::kAck}};
}

std::size_t count_of(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("synack-capture-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

// Writes the conversation with libpcap as link type `dlt`, each packet behind `prefix`
// (an Ethernet or Linux cooked header).
std::string write_pcap(const std::string& name, int dlt,
                       const std::function<ByteVec(const ByteVec&)>& frame,
                       std::size_t snaplen = 65535,
                       const std::function<ByteVec(const Seg&)>& make = packet) {
  std::string path = temp(name);
  pcap_t* dead = pcap_open_dead(dlt, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  EXPECT_NE(d, nullptr) << pcap_geterr(dead);
  int i = 0;
  for (const auto& s : conversation()) {
    ByteVec f = frame(make(s));
    pcap_pkthdr h{};
    h.ts.tv_sec = 1'700'000'000;
    h.ts.tv_usec = 1000 * i++;  // 1 ms apart
    h.len = static_cast<bpf_u_int32>(f.size());
    h.caplen = static_cast<bpf_u_int32>(std::min(f.size(), snaplen));
    pcap_dump(reinterpret_cast<u_char*>(d), &h, reinterpret_cast<const u_char*>(f.data()));
  }
  pcap_dump_close(d);
  pcap_close(dead);
  return path;
}

ByteVec ethernet(const ByteVec& ip) {
  ByteVec f(14 + ip.size());
  f[12] = std::byte{0x08};
  std::memcpy(f.data() + 14, ip.data(), ip.size());
  return f;
}

ByteVec sll(const ByteVec& ip) {  // Linux cooked v1: 16 bytes, protocol at 14
  ByteVec f(16 + ip.size());
  f[14] = std::byte{0x08};
  std::memcpy(f.data() + 16, ip.data(), ip.size());
  return f;
}

ByteVec ethernet6(const ByteVec& ip) {
  ByteVec f = ethernet(ip);
  f[12] = std::byte{0x86};
  f[13] = std::byte{0xdd};
  return f;
}

ByteVec sll6(const ByteVec& ip) {
  ByteVec f = sll(ip);
  f[14] = std::byte{0x86};
  f[15] = std::byte{0xdd};
  return f;
}

ByteVec plain6(const Seg& s) {
  return packet6(s);
}

void expect_conversation(const Capture& cap, const std::string& a_end = "10.77.0.1:40000",
                         const std::string& b_end = "10.77.0.2:80") {
  ASSERT_EQ(cap.frames.size(), conversation().size());
  EXPECT_EQ(cap.frames[1].t, Instant::from_nanos(1'000'000));  // times from the first frame
  EXPECT_EQ(cap.start_ns, 1'700'000'000LL * 1'000'000'000);
  Analysis a = analyze(cap.frames);
  ASSERT_EQ(a.connections.size(), 1u);
  const Connection& c = a.connections.front();
  EXPECT_EQ(c.a.to_string(), a_end);
  EXPECT_EQ(c.b.to_string(), b_end);
  EXPECT_TRUE(c.saw_syn);
  EXPECT_EQ(c.dir[0].bytes, 200u);
  EXPECT_EQ(c.dir[0].retransmissions, 1u);
  EXPECT_EQ(c.dir[0].retransmitted_bytes, 100u);
  ASSERT_EQ(c.segments.size(), 12u);
  EXPECT_EQ(c.segments[3].seq, 1u);  // relative to the ISN
  EXPECT_EQ(c.segments[5].ack, 101u);
  EXPECT_TRUE(c.segments[6].marks & mark::kDupAck);
  EXPECT_EQ(c.segments[6].dup_ack_count, 1u);
  EXPECT_FALSE(c.segments[5].marks & mark::kDupAck);
  EXPECT_TRUE(c.segments[7].marks & mark::kRetransmission);
  // 2 ms after the first sending, far below any RTO, no dup ACK before it? There was
  // one: so not a tail loss probe.
  EXPECT_FALSE(c.segments[7].marks & mark::kProbe);
  // Karn: the retransmitted segment gives no RTT sample; SYN and first data do.
  for (const auto& r : c.rtt) EXPECT_NE(r.t, c.segments[8].t);
  // Both ends closed: A actively (TIME-WAIT), B passively (CLOSED).
  std::vector<std::string> a_states, b_states;
  for (const auto& s : c.states) (s.end == Dir::AtoB ? a_states : b_states).push_back(s.to);
  EXPECT_EQ(a_states, (std::vector<std::string>{"SYN-SENT", "ESTABLISHED", "FIN-WAIT-1",
                                                "FIN-WAIT-2", "TIME-WAIT"}));
  EXPECT_EQ(b_states, (std::vector<std::string>{"SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT",
                                                "LAST-ACK", "CLOSED"}));
}

TEST(Capture, ReadsEthernetPcap) {
  auto path = write_pcap("eth.pcap", DLT_EN10MB, ethernet);
  auto cap = read_capture_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->link_name, "EN10MB");
  EXPECT_EQ(cap->frames[0].link, LinkType::Ethernet);
  expect_conversation(*cap);
}

TEST(Capture, ReadsRawIpPcap) {
  auto path = write_pcap("raw.pcap", DLT_RAW, [](const ByteVec& ip) { return ip; });
  auto cap = read_capture_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->frames[0].link, LinkType::RawIp);
  expect_conversation(*cap);
}

TEST(Capture, ReadsLinuxCookedPcap) {  // tcpdump -i any
  auto path = write_pcap("sll.pcap", DLT_LINUX_SLL, sll);
  auto cap = read_capture_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->link_name, "LINUX_SLL");
  expect_conversation(*cap);
}

TEST(Capture, SnapLengthCutFramesStillReadFromTheirHeaders) {  // tcpdump -s 54
  auto path = write_pcap("snap.pcap", DLT_EN10MB, ethernet, 14 + 20 + 20);
  auto cap = read_capture_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->truncated, 3u);  // the three data segments
  EXPECT_EQ(cap->frames[3].bytes.size(), 54u);
  EXPECT_EQ(cap->frames[3].wire_len, 154u);
  expect_conversation(*cap);
}

TEST(Capture, RefusesOtherLinkTypesByName) {
  auto path = write_pcap("wifi.pcap", DLT_IEEE802_11, ethernet);
  auto cap = read_capture_file(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(cap);
  EXPECT_NE(cap.error().find("IEEE802_11"), std::string::npos) << cap.error();
}

TEST(Capture, GarbageIsRefusedAtByteZero) {
  std::string junk = "this is not a capture file at all, just text\n";
  auto cap = read_capture_bytes({reinterpret_cast<const std::byte*>(junk.data()), junk.size()});
  ASSERT_FALSE(cap);
  EXPECT_EQ(cap.error().rfind("at byte 0: ", 0), 0u) << cap.error();
  auto empty = read_capture_bytes({});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error(), "at byte 0: empty file");
}

TEST(Capture, TruncatedFileNamesWhereItStopped) {
  auto path = write_pcap("cut.pcap", DLT_EN10MB, ethernet);
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  std::filesystem::remove(path);
  // pcap: 24-byte file header, then per packet a 16-byte record header and the frame.
  // Cut in the middle of the third packet's bytes.
  std::size_t first = 24 + 16 + (14 + 40), second = first + 16 + (14 + 40);
  std::size_t cut = second + 16 + 10;
  ASSERT_LT(cut, bytes.size());
  auto cap = read_capture_bytes({reinterpret_cast<const std::byte*>(bytes.data()), cut});
  ASSERT_FALSE(cap);
  EXPECT_EQ(cap.error().rfind("at byte " + std::to_string(second) + ": ", 0), 0u) << cap.error();
}

TEST(Capture, KernelCaptureReadsAsTcpdumpShowsIt) {
  // tests/vectors/kernel.pcap: Linux to Linux over a veth (tests/vectors/capture.sh).
  auto cap = read_capture_file(std::string(SYNACK_SOURCE_DIR) + "/tests/vectors/kernel.pcap");
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->frames.size(), 17u);  // `tcpdump -r kernel.pcap | wc -l`
  Analysis a = analyze(cap->frames);
  ASSERT_EQ(a.connections.size(), 1u);
  const Connection& c = a.connections.front();
  EXPECT_EQ(c.b.port, 8080);
  EXPECT_EQ(c.dir[0].bytes, 10u);  // the client's request
  EXPECT_EQ(c.dir[1].bytes, 17u);  // the server's answer
  EXPECT_EQ(c.dir[0].wscale, 10);
  EXPECT_EQ(c.dir[0].mss, 1460);
  EXPECT_EQ(a.skipped, 17u - 10u);  // ARP, ICMP, UDP
  // Windows are scaled by the sender's shift once both SYNs offered scaling.
  EXPECT_EQ(c.segments[2].window, std::uint64_t{c.segments[2].raw_window} << 10);
}

TEST(Capture, HostileWindowScaleIsCappedAt14) {  // fuzz_capture found a shift of 246
  std::vector<RecordedFrame> frames;
  for (const Seg& s : {Seg{true, 1000, 0, F::kSyn}, Seg{false, 5000, 1001, F::kSyn | F::kAck},
                       Seg{true, 1001, 5001, F::kAck}}) {
    ByteVec p = packet(s);
    RecordedFrame f;
    f.link = LinkType::RawIp;
    f.bytes = p;
    frames.push_back(f);
  }
  // Rewrite both SYNs with wscale 246 (kind 3, len 3) in a 4-byte option area.
  for (int i : {0, 1}) {
    auto seg = packet({i == 0, i == 0 ? 1000u : 5000u, i == 0 ? 0u : 1001u,
                       static_cast<std::uint8_t>(i == 0 ? F::kSyn : F::kSyn | F::kAck)});
    wire::TcpRepr t =
        *wire::TcpRepr::parse(Bytes(seg).subspan(20), {i == 0 ? kA : kB, i == 0 ? kB : kA});
    t.options.window_scale = 246;
    wire::Ipv4Repr ip = *wire::Ipv4Repr::parse(seg);
    ByteVec out(20 + t.total_len());
    t.emit(MutBytes(out).subspan(20), {ip.src, ip.dst});
    ip.payload = Bytes(out).subspan(20);
    ip.emit(out);
    frames[static_cast<std::size_t>(i)].bytes = out;
  }
  Analysis a = analyze(frames);
  ASSERT_EQ(a.connections.size(), 1u);
  EXPECT_EQ(a.connections[0].segments[2].window, std::uint64_t{1000} << 14);
}

TEST(Capture, MidConnectionCaptureCountsFromTheFirstNumberSeen) {
  std::vector<RecordedFrame> frames;
  auto conv = conversation();
  for (std::size_t i = 3; i < conv.size(); ++i) {
    frames.push_back({Instant::from_nanos(static_cast<std::int64_t>(i)), Side::Left, false,
                      LinkType::RawIp, packet(conv[i])});
  }
  Analysis a = analyze(frames);
  ASSERT_EQ(a.connections.size(), 1u);
  const Connection& c = a.connections.front();
  EXPECT_FALSE(c.saw_syn);
  EXPECT_EQ(c.segments[0].seq, 0u);
  EXPECT_EQ(c.segments[1].seq, 100u);
  ASSERT_FALSE(c.states.empty());
  EXPECT_EQ(c.states.front().from, "ESTABLISHED");  // synchronized before the capture
  auto v = connection_view(frames, c);
  std::string text = render_ladder(v.recording, &v.analysis);
  EXPECT_NE(text.find("seq 0:100 ack 0"), std::string::npos) << text;
  EXPECT_NE(text.find("(retransmission)"), std::string::npos) << text;
  EXPECT_NE(text.find("(dup ack #1)"), std::string::npos) << text;
  EXPECT_NE(text.find("ESTABLISHED -> FIN-WAIT-1 (inferred)  [rfc9293_3_10_4_close_established]"),
            std::string::npos)
      << text;
}

// A pcapng with one Ethernet interface (microsecond stamps) and one enhanced packet
// block stamped `micros` after the epoch.
ByteVec pcapng_with_stamp(std::uint64_t micros) {
  ByteVec out;
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(std::byte(v >> (8 * i)));  // little endian
  };
  auto u16 = [&](std::uint16_t v) {
    out.push_back(std::byte(v & 0xff));
    out.push_back(std::byte(v >> 8));
  };
  // Section header block: type, length 28, byte-order magic, version 1.0, length -1.
  u32(0x0A0D0D0A), u32(28), u32(0x1A2B3C4D), u16(1), u16(0), u32(0xffffffff), u32(0xffffffff),
      u32(28);
  // Interface description block: Ethernet, snap length 65535.
  u32(1), u32(20), u16(1), u16(0), u32(65535), u32(20);
  ByteVec frame = ethernet(packet({true, 1000, 0, F::kSyn}));
  auto padded = static_cast<std::uint32_t>((frame.size() + 3) & ~std::size_t{3});
  std::uint32_t len = 32 + padded;
  u32(6), u32(len), u32(0), u32(static_cast<std::uint32_t>(micros >> 32)),
      u32(static_cast<std::uint32_t>(micros)), u32(static_cast<std::uint32_t>(frame.size())),
      u32(static_cast<std::uint32_t>(frame.size()));
  out.insert(out.end(), frame.begin(), frame.end());
  out.resize(out.size() + (padded - frame.size()));
  u32(len);
  return out;
}

TEST(Capture, TimestampPastYear2242IsRefusedNotOverflowed) {  // fuzz_capture found this
  // 9,511,602,413 s after 1970: nanoseconds would overflow a signed 64-bit count.
  ByteVec far = pcapng_with_stamp(std::uint64_t{9'511'602'413} * 1'000'000);
  auto cap = read_capture_bytes(far);
  ASSERT_FALSE(cap);
  EXPECT_EQ(cap.error(), "at byte 48: timestamp 9511602413.000000000 is out of range");
  // The same file stamped today reads.
  ByteVec now = pcapng_with_stamp(std::uint64_t{1'790'000'000} * 1'000'000 + 5);
  auto ok = read_capture_bytes(now);
  ASSERT_TRUE(ok) << ok.error();
  ASSERT_EQ(ok->frames.size(), 1u);
  EXPECT_EQ(ok->start_ns, 1'790'000'000LL * 1'000'000'000 + 5'000);
}

// --- IPv6

TEST(Capture, ReadsEthernetIpv6Pcap) {
  auto path = write_pcap("eth6.pcap", DLT_EN10MB, ethernet6, 65535, plain6);
  auto cap = read_capture_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->frames[0].link, LinkType::Ethernet);
  expect_conversation(*cap, "[2001:db8::1]:40000", "[2001:db8::2]:80");
}

TEST(Capture, ReadsRawIpv6Pcap) {
  auto path = write_pcap(
      "raw6.pcap", DLT_RAW, [](const ByteVec& ip) { return ip; }, 65535, plain6);
  auto cap = read_capture_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->frames[0].link, LinkType::RawIp);
  expect_conversation(*cap, "[2001:db8::1]:40000", "[2001:db8::2]:80");
  // libpcap's link type for IPv6 only (LINKTYPE_IPV6) reads the same.
  path = write_pcap(
      "ipv6.pcap", DLT_IPV6, [](const ByteVec& ip) { return ip; }, 65535, plain6);
  cap = read_capture_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->frames[0].link, LinkType::RawIp);
  expect_conversation(*cap, "[2001:db8::1]:40000", "[2001:db8::2]:80");
}

TEST(Capture, ReadsLinuxCookedIpv6Pcap) {
  auto path = write_pcap("sll6.pcap", DLT_LINUX_SLL, sll6, 65535, plain6);
  auto cap = read_capture_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->other_network, 0u);
  expect_conversation(*cap, "[2001:db8::1]:40000", "[2001:db8::2]:80");
}

TEST(Capture, SnapLengthCutIpv6FramesStillReadFromTheirHeaders) {
  auto path = write_pcap("snap6.pcap", DLT_EN10MB, ethernet6, 14 + 40 + 20, plain6);
  auto cap = read_capture_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->truncated, 3u);  // the three data segments
  EXPECT_EQ(cap->frames[3].wire_len, 14u + 40u + 20u + 100u);
  expect_conversation(*cap, "[2001:db8::1]:40000", "[2001:db8::2]:80");
}

// tests/vectors/kernel6.pcap (tests/vectors/capture6.sh): among DAD, MLD, router and
// neighbour discovery, echoes and fragments, one TCP connection over IPv6: handshake,
// "hello tcp6\n" and "reply: hello tcp6\n", the client's FIN, then the server's.
TEST(Capture, Kernel6CaptureInfersTheWholeConnection) {
  auto cap = read_capture_file(std::string(SYNACK_SOURCE_DIR) + "/tests/vectors/kernel6.pcap");
  ASSERT_TRUE(cap) << cap.error();
  EXPECT_EQ(cap->frames.size(), 44u);  // `tcpdump -r kernel6.pcap | wc -l`
  Analysis a = analyze(cap->frames);
  EXPECT_EQ(a.tcp_segments, 10u);   // `tcpdump -r kernel6.pcap tcp | wc -l`
  EXPECT_EQ(a.skipped, 44u - 10u);  // ICMPv6 (NDP, MLD, echo), fragments, UDP
  EXPECT_EQ(a.tcp_fragments, 0u);   // the fragments are of echoes
  ASSERT_EQ(a.connections.size(), 1u);
  const Connection& c = a.connections.front();
  EXPECT_TRUE(c.saw_syn);
  EXPECT_EQ(c.a.ip, wire::IpAddr(*wire::Ipv6Addr::parse("fd00:77::1")));
  EXPECT_EQ(c.b.to_string(), "[fd00:77::2]:8080");
  EXPECT_EQ(c.dir[0].bytes, std::string("hello tcp6\n").size());
  EXPECT_EQ(c.dir[1].bytes, std::string("reply: hello tcp6\n").size());
  EXPECT_EQ(c.dir[0].mss, 1440);  // 1500 - 40 - 20
  EXPECT_EQ(c.dir[0].wscale, 10);
  EXPECT_EQ(c.dir[0].retransmissions + c.dir[1].retransmissions, 0u);
  for (const auto& s : c.segments) EXPECT_FALSE(s.marks & mark::kBadChecksum) << s.frame;
  // The textbook ladder: the client opens and closes first.
  std::vector<std::string> a_states, b_states;
  for (const auto& s : c.states) {
    (s.end == Dir::AtoB ? a_states : b_states).push_back(s.from + " -> " + s.to);
  }
  EXPECT_EQ(a_states,
            (std::vector<std::string>{"CLOSED -> SYN-SENT", "SYN-SENT -> ESTABLISHED",
                                      "ESTABLISHED -> FIN-WAIT-1", "FIN-WAIT-1 -> FIN-WAIT-2",
                                      "FIN-WAIT-2 -> TIME-WAIT"}));
  EXPECT_EQ(b_states,
            (std::vector<std::string>{"LISTEN -> SYN-RECEIVED", "SYN-RECEIVED -> ESTABLISHED",
                                      "ESTABLISHED -> CLOSE-WAIT", "CLOSE-WAIT -> LAST-ACK",
                                      "LAST-ACK -> CLOSED"}));
  auto v = connection_view(cap->frames, c);
  std::string text = render_ladder(v.recording, &v.analysis);
  EXPECT_NE(text.find("client [fd00:77::1]:47347"), std::string::npos) << text;
  EXPECT_NE(text.find("47347 > 8080 P.  seq 1:12 ack 1 win 64 len 11"), std::string::npos) << text;
}

TEST(Capture, Ipv6ExtensionHeadersBeforeTcpAreSteppedOver) {
  // Hop-by-Hop (8 bytes) then Destination Options (16 bytes), then TCP.
  const std::vector<ByteVec> ext{ext_header(0, 8), ext_header(60, 16)};
  std::vector<RecordedFrame> frames;
  for (const Seg& s : conversation()) {
    frames.push_back({Instant::zero(), Side::Left, false, LinkType::RawIp, packet6(s, ext)});
  }
  // The walk a host does agrees that TCP follows the two headers.
  auto ip = wire::Ipv6Repr::parse(frames[0].bytes);
  ASSERT_TRUE(ip);
  auto chain = wire::walk_ipv6_headers(*ip);
  ASSERT_EQ(chain.verdict, wire::Ipv6Verdict::Deliver);
  ASSERT_EQ(chain.upper_protocol, 6);
  ASSERT_EQ(chain.upper_offset, 40u + 8u + 16u);

  Analysis a = analyze(frames);
  EXPECT_EQ(a.tcp_segments, frames.size());
  ASSERT_EQ(a.connections.size(), 1u);
  const Connection& c = a.connections.front();
  EXPECT_EQ(c.dir[0].bytes, 200u);
  EXPECT_TRUE(c.segments[7].marks & mark::kRetransmission);
  EXPECT_EQ(c.states.back().to, "CLOSED");
  Ladder l("a", "b", false);
  EXPECT_EQ(l.describe(frames[0]), "40000 > 80 S   seq 0 win 1000");
  // The dissector shows both headers where they are.
  auto ls = dissect(frames[0]);
  ASSERT_GE(ls.size(), 4u);
  EXPECT_EQ(ls[1].name, "IPv6 Hop-by-Hop Options");
  EXPECT_EQ(ls[1].offset, 40u);
  EXPECT_EQ(ls[1].length, 8u);
  EXPECT_EQ(ls[2].name, "IPv6 Destination Options");
  EXPECT_EQ(ls[2].offset, 48u);
  EXPECT_EQ(ls[2].length, 16u);
  EXPECT_EQ(ls[3].name, "Transmission Control Protocol");
  EXPECT_EQ(ls[3].offset, 64u);
}

TEST(Capture, EcnFromTheIpv6TrafficClass) {
  // DSCP 10 with CE (0b11) on the data segment, ECT(0) on the rest.
  std::vector<RecordedFrame> frames;
  auto conv = conversation();
  for (std::size_t i = 0; i < conv.size(); ++i) {
    const std::uint8_t tclass = static_cast<std::uint8_t>((10 << 2) | (i == 3 ? 0b11 : 0b10));
    frames.push_back(
        {Instant::zero(), Side::Left, false, LinkType::RawIp, packet6(conv[i], {}, tclass)});
  }
  Analysis a = analyze(frames);
  ASSERT_EQ(a.connections.size(), 1u);
  for (const auto& s : a.connections[0].segments) {
    EXPECT_EQ(s.ecn, s.frame == 3 ? 3 : 2) << s.frame;
    EXPECT_EQ((s.marks & mark::kEcnCe) != 0, s.frame == 3) << s.frame;
  }
}

TEST(Capture, BadTcpChecksumOverIpv6IsMarked) {
  std::vector<RecordedFrame> frames;
  for (const Seg& s : conversation()) {
    frames.push_back({Instant::zero(), Side::Left, false, LinkType::RawIp, packet6(s)});
  }
  // Frame 3 (data) with one bit of its TCP checksum flipped.
  frames[3].bytes[40 + wire::TcpRepr::kChecksumOffset] ^= std::byte{0x01};
  Analysis a = analyze(frames);
  ASSERT_EQ(a.connections.size(), 1u);
  const Connection& c = a.connections.front();
  ASSERT_EQ(c.segments.size(), frames.size());  // shown, not dropped
  for (const auto& s : c.segments) {
    EXPECT_EQ((s.marks & mark::kBadChecksum) != 0, s.frame == 3) << s.frame;
  }
  // The IPv4 pseudo-header would not have matched the good ones: the IPv6 one is used.
  auto v = connection_view(frames, c);
  std::string text = render_ladder(v.recording, &v.analysis);
  EXPECT_EQ(count_of(text, "bad checksum"), 1u) << text;
}

TEST(Capture, Ipv6FragmentsAreSkippedAndCounted) {
  // The data segment (frame 3) as two fragments, and the SYN in an atomic fragment
  // (offset 0, M clear: a whole packet, RFC 6946).
  std::vector<RecordedFrame> frames;
  auto conv = conversation();
  for (std::size_t i = 0; i < conv.size(); ++i) {
    ByteVec p = packet6(conv[i]);
    if (i == 0 || i == 3) {
      ByteVec atomic(p.size() + 8);
      std::memcpy(atomic.data(), p.data(), 40);
      wire::Ipv6FragmentHeader fh{6, 0, false, 0x77};
      fh.emit(MutBytes(atomic).subspan(40));
      std::memcpy(atomic.data() + 48, p.data() + 40, p.size() - 40);
      atomic[6] = std::byte{44};
      store_be16(atomic, 4, static_cast<std::uint16_t>(atomic.size() - 40));
      if (i == 0) {
        frames.push_back({Instant::zero(), Side::Left, false, LinkType::RawIp, atomic});
        continue;
      }
      // Split the fragmentable part (TCP) at 64 bytes: offset 0 with M, then offset 8.
      ByteVec first(atomic.begin(), atomic.begin() + 48 + 64);
      ByteVec second(atomic.begin(), atomic.begin() + 48);
      second.insert(second.end(), atomic.begin() + 48 + 64, atomic.end());
      wire::Ipv6FragmentHeader{6, 0, true, 0x78}.emit(MutBytes(first).subspan(40));
      wire::Ipv6FragmentHeader{6, 8, false, 0x78}.emit(MutBytes(second).subspan(40));
      store_be16(first, 4, static_cast<std::uint16_t>(first.size() - 40));
      store_be16(second, 4, static_cast<std::uint16_t>(second.size() - 40));
      frames.push_back({Instant::zero(), Side::Left, false, LinkType::RawIp, first});
      frames.push_back({Instant::zero(), Side::Left, false, LinkType::RawIp, second});
      continue;
    }
    frames.push_back({Instant::zero(), Side::Left, false, LinkType::RawIp, p});
  }
  Analysis a = analyze(frames);
  EXPECT_EQ(a.tcp_fragments, 2u);
  EXPECT_EQ(a.skipped, 2u);
  EXPECT_EQ(a.tcp_segments, conv.size() - 1);  // the atomic SYN included
  ASSERT_EQ(a.connections.size(), 1u);
  EXPECT_TRUE(a.connections[0].saw_syn);
  Ladder l("a", "b", false);
  EXPECT_EQ(l.describe(frames[3]), "IPv6 fragment id 120 offset 0 +");
  EXPECT_EQ(l.describe(frames[4]), "IPv6 fragment id 120 offset 64");
}

// One ICMPv6 message from `src` to `dst` in an Ethernet frame, checksum and all.
ByteVec icmpv6_frame(const wire::Icmpv6Repr& m, const wire::Ipv6Addr& src,
                     const wire::Ipv6Addr& dst) {
  wire::Ipv6Repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.next_header = 58;
  ip.hop_limit = 255;
  ByteVec p(40 + m.total_len());
  m.emit(MutBytes(p).subspan(40), ip.pseudo_header());
  ip.payload = Bytes(p).subspan(40);
  ip.emit(p);
  return ethernet6(p);
}

TEST(Capture, Icmpv6AndNdpAreNotTcp) {
  // A neighbour solicitation from the kernel's own traffic and one built here.
  wire::Icmpv6Repr ns;
  ns.type = static_cast<std::uint8_t>(wire::Icmpv6Type::NeighborSolicit);
  ns.target = kB6;
  std::vector<RecordedFrame> frames{{Instant::zero(), Side::Left, false, LinkType::Ethernet,
                                     icmpv6_frame(ns, kA6, kB6.solicited_node())}};
  for (const Seg& s : conversation())
    frames.push_back(
        {Instant::zero(), Side::Left, false, LinkType::Ethernet, ethernet6(packet6(s))});
  Analysis a = analyze(frames);
  EXPECT_EQ(a.skipped, 1u);
  EXPECT_EQ(a.tcp_segments, frames.size() - 1);
  ASSERT_EQ(a.connections.size(), 1u);
  EXPECT_EQ(a.connections[0].segments.front().frame, 1u);
  Ladder l("a", "b", false);
  EXPECT_EQ(l.describe(frames[0]),
            "ICMPv6 neighbor solicitation who-has 2001:db8::2 tell 2001:db8::1");
  auto ls = dissect(frames[0]);
  ASSERT_EQ(ls.size(), 3u);
  EXPECT_EQ(ls[2].name, "Internet Control Message Protocol v6");
  EXPECT_EQ(ls[2].summary, "neighbor solicitation (type 135 code 0)");
  EXPECT_EQ(ls[2].offset, 14u + 40u);
}

TEST(Capture, LadderTellsNdpEchoAndPacketTooBigApart) {
  // NDP in ARP's words, as `synack sim --ip6` shows it (RFC 4861 §7.2, RFC 4862 §5.4).
  using T = wire::Icmpv6Type;
  Ladder l("a", "b", false);
  auto text = [&](const wire::Icmpv6Repr& m, const wire::Ipv6Addr& src, const wire::Ipv6Addr& dst) {
    return l.describe(RecordedFrame{Instant::zero(), Side::Left, false, LinkType::Ethernet,
                                    icmpv6_frame(m, src, dst)});
  };
  wire::Icmpv6Repr dad;
  dad.type = static_cast<std::uint8_t>(T::NeighborSolicit);
  dad.target = kA6;
  EXPECT_EQ(text(dad, wire::Ipv6Addr::unspecified(), kA6.solicited_node()),
            "ICMPv6 neighbor solicitation who-has 2001:db8::1 (DAD)");
  wire::Icmpv6Repr na;
  na.type = static_cast<std::uint8_t>(T::NeighborAdvert);
  na.target = kB6;
  na.na_flags = wire::Icmpv6Repr::kNaSolicited | wire::Icmpv6Repr::kNaOverride;
  na.options.target_lla = wire::MacAddr{{0x02, 0, 0, 0, 0, 0x02}};
  EXPECT_EQ(text(na, kB6, kA6),
            "ICMPv6 neighbor advertisement 2001:db8::2 is-at 02:00:00:00:00:02 [SO]");
  const ByteVec data(19);
  wire::Icmpv6Repr echo;
  echo.type = static_cast<std::uint8_t>(T::EchoRequest);
  echo.ident = 1;
  echo.seq_no = 3;
  echo.data = data;
  EXPECT_EQ(text(echo, kA6, kB6), "ICMPv6 echo request id 1 seq 3 len 19");
  wire::Icmpv6Repr ptb;
  ptb.type = static_cast<std::uint8_t>(T::PacketTooBig);
  ptb.mtu = 1280;
  ptb.data = data;
  EXPECT_EQ(text(ptb, kB6, kA6), "ICMPv6 packet too big mtu 1280");
  // A bad checksum: not parsed, named by its type only.
  ByteVec bad = icmpv6_frame(echo, kA6, kB6);
  bad.back() ^= std::byte{1};
  EXPECT_EQ(l.describe(RecordedFrame{Instant::zero(), Side::Left, false, LinkType::Ethernet, bad}),
            "ICMPv6 echo request (type 128 code 0)");
}

TEST(Capture, TruncatedIpv6FramesAreRefusedCleanly) {
  const std::vector<ByteVec> ext{ext_header(0, 8), ext_header(60, 16)};
  const ByteVec whole = ethernet6(packet6({true, 1000, 0, F::kSyn, 10}, ext));
  // Every cut: no TCP is read from less than the whole packet (its length says more),
  // the ladder names IPv6 and the dissector ends with what is wrong.
  for (std::size_t n = 14; n < whole.size(); ++n) {
    RecordedFrame f{Instant::zero(), Side::Left, false, LinkType::Ethernet,
                    ByteVec(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n))};
    Analysis a = analyze(std::span(&f, 1));
    EXPECT_EQ(a.tcp_segments, 0u) << n;
    EXPECT_EQ(a.skipped, 1u) << n;
    Ladder l("a", "b", false);
    EXPECT_EQ(l.describe(f).rfind("IPv6", 0), 0u) << n << ": " << l.describe(f);
    auto ls = dissect(f);
    ASSERT_FALSE(ls.empty());
    for (const auto& layer : ls) EXPECT_LE(layer.offset + layer.length, n) << n;
    if (n < 14 + 40 + 8 + 16 + 20) {
      EXPECT_EQ(ls.back().name, "Malformed") << n;
    }
  }
  // The whole frame reads.
  RecordedFrame f{Instant::zero(), Side::Left, false, LinkType::Ethernet, whole};
  EXPECT_EQ(analyze(std::span(&f, 1)).tcp_segments, 1u);
}

}  // namespace
}  // namespace synack::view
