// Captures of real-looking Ethernet/ARP/IPv4/UDP/ICMP frames, checked by tshark:
// it must read them without errors and report no malformed packets, warnings or
// errors in its expert info. tshark is a required test dependency (apt package
// `tshark`); when it is missing these tests fail, they do not skip.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "synack/base/checksum.hpp"
#include "synack/link/pcapng.hpp"
#include "synack/wire/arp.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/icmp.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/udp.hpp"

namespace synack::link {
namespace {

constexpr std::uint8_t kMacA[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr std::uint8_t kMacB[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
constexpr std::uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr std::uint32_t kIpA = 0x0a4d0001;  // 10.77.0.1
constexpr std::uint32_t kIpB = 0x0a4d0002;  // 10.77.0.2

// ---- Hand-built frames (independent of the wire layer) ----

void put_mac(ByteVec& f, std::size_t off, const std::uint8_t (&mac)[6]) {
  for (int i = 0; i < 6; ++i) f[off + i] = std::byte{mac[i]};
}

ByteVec ethernet(const std::uint8_t (&dst)[6], const std::uint8_t (&src)[6], std::uint16_t type,
                 std::size_t payload_len) {
  ByteVec f(14 + payload_len);
  put_mac(f, 0, dst);
  put_mac(f, 6, src);
  store_be16(f, 12, type);
  return f;
}

// RFC 826 request/reply for IPv4 over Ethernet.
ByteVec arp(bool reply) {
  ByteVec f = ethernet(reply ? kMacA : kBroadcast, reply ? kMacB : kMacA, 0x0806, 28);
  MutBytes a = MutBytes(f).subspan(14);
  store_be16(a, 0, 1);       // hardware type Ethernet
  store_be16(a, 2, 0x0800);  // protocol IPv4
  store_u8(a, 4, 6);
  store_u8(a, 5, 4);
  store_be16(a, 6, reply ? 2 : 1);
  put_mac(f, 14 + 8, reply ? kMacB : kMacA);
  store_be32(a, 14, reply ? kIpB : kIpA);
  if (reply) put_mac(f, 14 + 18, kMacA);  // request: target MAC left zero
  store_be32(a, 24, reply ? kIpA : kIpB);
  return f;
}

// IPv4 header (RFC 791) with a correct header checksum, payload space after it.
ByteVec ipv4(std::uint32_t src, std::uint32_t dst, std::uint8_t proto, std::uint16_t ident,
             std::size_t payload_len, const std::uint8_t (&dmac)[6],
             const std::uint8_t (&smac)[6]) {
  ByteVec f = ethernet(dmac, smac, 0x0800, 20 + payload_len);
  MutBytes ip = MutBytes(f).subspan(14, 20);
  store_u8(ip, 0, 0x45);
  store_be16(ip, 2, static_cast<std::uint16_t>(20 + payload_len));
  store_be16(ip, 4, ident);
  store_be16(ip, 6, 0x4000);  // DF
  store_u8(ip, 8, 64);
  store_u8(ip, 9, proto);
  store_be32(ip, 12, src);
  store_be32(ip, 16, dst);
  store_be16(ip, 10, internet_checksum(ip));
  return f;
}

ByteVec udp(bool a_to_b, std::uint16_t sport, std::uint16_t dport, std::string_view text) {
  const std::uint32_t src = a_to_b ? kIpA : kIpB, dst = a_to_b ? kIpB : kIpA;
  const auto len = static_cast<std::uint16_t>(8 + text.size());
  ByteVec f = ipv4(src, dst, 17, sport, len, a_to_b ? kMacB : kMacA, a_to_b ? kMacA : kMacB);
  MutBytes u = MutBytes(f).subspan(34);
  store_be16(u, 0, sport);
  store_be16(u, 2, dport);
  store_be16(u, 4, len);
  for (std::size_t i = 0; i < text.size(); ++i) u[8 + i] = std::byte(text[i]);
  // RFC 768: checksum over the pseudo-header, header and data.
  Checksum c;
  c.add_u32(src).add_u32(dst).add_u16(17).add_u16(len).add(u);
  std::uint16_t sum = c.finish();
  store_be16(u, 6, sum == 0 ? 0xffff : sum);
  return f;
}

ByteVec icmp_echo(bool request, std::uint16_t seq) {
  const std::uint32_t src = request ? kIpA : kIpB, dst = request ? kIpB : kIpA;
  const std::string_view data = "synack-ping-data";
  ByteVec f =
      ipv4(src, dst, 1, seq, 8 + data.size(), request ? kMacB : kMacA, request ? kMacA : kMacB);
  MutBytes m = MutBytes(f).subspan(34);
  store_u8(m, 0, request ? 8 : 0);
  store_be16(m, 4, 0x1234);
  store_be16(m, 6, seq);
  for (std::size_t i = 0; i < data.size(); ++i) m[8 + i] = std::byte(data[i]);
  store_be16(m, 2, internet_checksum(m));
  return f;
}

// ---- Frames emitted by the wire layer ----

wire::MacAddr mac(const std::uint8_t (&m)[6]) {
  return {{m[0], m[1], m[2], m[3], m[4], m[5]}};
}

ByteVec wire_udp(bool a_to_b, std::uint16_t sport, std::uint16_t dport, std::string_view text) {
  wire::PseudoHeader ph{{a_to_b ? kIpA : kIpB}, {a_to_b ? kIpB : kIpA}};
  wire::UdpRepr u{sport, dport, as_bytes(text)};
  ByteVec f(14 + 20 + u.total_len());
  MutBytes out(f);
  u.emit(out.subspan(34), ph);
  wire::Ipv4Repr ip;
  ip.src = ph.src;
  ip.dst = ph.dst;
  ip.protocol = static_cast<std::uint8_t>(wire::IpProto::Udp);
  ip.ident = sport;
  ip.payload = Bytes(out.subspan(34));
  ip.emit(out.subspan(14));
  wire::EthernetRepr eth{mac(a_to_b ? kMacB : kMacA), mac(a_to_b ? kMacA : kMacB), 0x0800,
                         Bytes(out.subspan(14))};
  eth.emit(out);
  return f;
}

ByteVec wire_arp_request() {
  wire::ArpRepr a;
  a.op = wire::ArpOp::Request;
  a.sender_mac = mac(kMacA);
  a.sender_ip = {kIpA};
  a.target_ip = {kIpB};
  ByteVec f(14 + wire::ArpRepr::kLen);
  MutBytes out(f);
  a.emit(out.subspan(14));
  wire::EthernetRepr eth{wire::MacAddr::broadcast(), mac(kMacA), 0x0806, Bytes(out.subspan(14))};
  eth.emit(out);
  return f;
}

ByteVec wire_icmp_echo(std::uint16_t seq) {
  const std::string_view data = "wire-ping";
  wire::IcmpRepr m;
  m.type = static_cast<std::uint8_t>(wire::IcmpType::EchoRequest);
  m.ident = 0x4242;
  m.seq_no = seq;
  m.data = as_bytes(data);
  ByteVec f(14 + 20 + m.total_len());
  MutBytes out(f);
  m.emit(out.subspan(34));
  wire::Ipv4Repr ip;
  ip.src = {kIpA};
  ip.dst = {kIpB};
  ip.protocol = static_cast<std::uint8_t>(wire::IpProto::Icmp);
  ip.ident = seq;
  ip.payload = Bytes(out.subspan(34));
  ip.emit(out.subspan(14));
  wire::EthernetRepr eth{mac(kMacB), mac(kMacA), 0x0800, Bytes(out.subspan(14))};
  eth.emit(out);
  return f;
}

// ---- Running tshark ----

struct TsharkRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string find_tshark() {
  for (const char* p : {"/usr/bin/tshark", "/usr/local/bin/tshark"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return {};
}

// Runs tshark with stdout and stderr captured separately.
TsharkRun run_tshark(const std::string& args, const std::string& tag) {
  const std::string base = (std::filesystem::temp_directory_path() /
                            ("synack-tshark-" + tag + "-" + std::to_string(::getpid())))
                               .string();
  const std::string cmd = find_tshark() + " " + args + " >" + base + ".out 2>" + base + ".err";
  TsharkRun r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  std::filesystem::remove(base + ".out");
  std::filesystem::remove(base + ".err");
  return r;
}

// tshark warns when run as root; that line is about the environment, not the file.
std::string without_root_notice(const std::string& s) {
  std::stringstream in(s);
  std::string line, kept;
  while (std::getline(in, line)) {
    if (line.find("Running as user \"root\"") != std::string::npos) continue;
    kept += line + "\n";
  }
  return kept;
}

struct Captured {
  Instant at;
  ByteVec frame;
  Direction dir;
  std::string comment;
};

std::string write_capture(const std::vector<Captured>& frames, const std::string& tag) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("synack-tshark-" + tag + "-" + std::to_string(::getpid()) + ".pcapng"))
                               .string();
  auto w = PcapngWriter::open_file(path);
  EXPECT_TRUE(w.ok());
  if (!w.ok()) return path;
  const auto id = w->add_interface("sim0");
  for (const auto& c : frames) EXPECT_TRUE(w->write(id, c.at, c.frame, c.dir, c.comment));
  EXPECT_TRUE(w->flush());
  return path;
}

// Checksum validation is off by default in tshark; turn it on so a bad
// checksum shows up as an expert error.
const std::string kChecks =
    "-n -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE";

void expect_clean(const TsharkRun& r, const std::string& what) {
  EXPECT_EQ(r.exit_code, 0) << what << " stderr:\n" << r.err;
  EXPECT_EQ(without_root_notice(r.err), "") << what;
  for (const char* bad : {"Malformed", "Warning", "Error", "Bad checksum", "[incorrect"}) {
    EXPECT_EQ(r.out.find(bad), std::string::npos) << what << " contains " << bad << ":\n" << r.out;
  }
}

void check_with_tshark(const std::vector<Captured>& frames, const std::string& tag) {
  ASSERT_FALSE(find_tshark().empty())
      << "tshark is required by this test: apt-get install -y tshark (package tshark)";
  const std::string path = write_capture(frames, tag);
  const TsharkRun verbose = run_tshark(kChecks + " -r " + path + " -V", tag);
  expect_clean(verbose, "tshark -V");
  const TsharkRun expert = run_tshark(kChecks + " -r " + path + " -q -z expert", tag);
  expect_clean(expert, "tshark -z expert");
  const TsharkRun fields = run_tshark(kChecks + " -r " + path +
                                          " -T fields -e frame.time_epoch -e frame.interface_name"
                                          " -e frame.len -e frame.comment -e pkt_comment",
                                      tag);
  EXPECT_EQ(fields.exit_code, 0) << fields.err;
  std::filesystem::remove(path);

  // tshark saw every frame with its nanosecond timestamp, interface and length.
  std::stringstream lines(fields.out);
  std::string line;
  std::size_t n = 0;
  while (std::getline(lines, line) && n < frames.size()) {
    const std::int64_t t = frames[n].at.nanos();
    char epoch[64];
    std::snprintf(epoch, sizeof epoch, "%lld.%09lld", static_cast<long long>(t / 1'000'000'000),
                  static_cast<long long>(t % 1'000'000'000));
    EXPECT_EQ(
        line.rfind(std::string(epoch) + "\tsim0\t" + std::to_string(frames[n].frame.size()), 0), 0u)
        << "line " << n << ": " << line;
    if (!frames[n].comment.empty()) {
      EXPECT_NE(line.find(frames[n].comment), std::string::npos) << line;
    }
    ++n;
  }
  EXPECT_EQ(n, frames.size()) << fields.out;
  // Checksum validation really ran: one good IPv4 header checksum per IPv4 frame.
  std::size_t ipv4_frames = 0, good_headers = 0;
  for (const auto& c : frames) ipv4_frames += load_be16(c.frame, 12) == 0x0800;
  for (std::size_t pos = 0;
       (pos = verbose.out.find("[Header checksum status: Good]", pos)) != std::string::npos;
       ++pos) {
    ++good_headers;
  }
  EXPECT_EQ(good_headers, ipv4_frames);
  EXPECT_NE(verbose.out.find("Direction: Outbound"), std::string::npos) << verbose.out;
  EXPECT_NE(verbose.out.find("Direction: Inbound"), std::string::npos);
}

Instant at_ns(std::int64_t n) {
  return Instant::from_nanos(n);
}

TEST(PcapngTshark, HandBuiltFramesDecodeCleanly) {
  const std::vector<Captured> frames = {
      {at_ns(1'000'000'123), arp(false), Direction::Outbound, "who has 10.77.0.2"},
      {at_ns(1'000'500'000), arp(true), Direction::Inbound, ""},
      {at_ns(1'001'000'001), udp(true, 40000, 7, "hello, echo"), Direction::Outbound, "udp out"},
      {at_ns(1'002'000'002), udp(false, 7, 40000, "hello, echo"), Direction::Inbound, ""},
      {at_ns(2'000'000'000), icmp_echo(true, 1), Direction::Outbound, ""},
      {at_ns(2'000'250'999), icmp_echo(false, 1), Direction::Inbound, "echo reply"},
  };
  check_with_tshark(frames, "hand");
}

TEST(PcapngTshark, WireLayerFramesDecodeCleanly) {
  const std::vector<Captured> frames = {
      {at_ns(5'000'000'007), wire_arp_request(), Direction::Outbound, ""},
      {at_ns(5'000'100'000), wire_udp(true, 50000, 9, "discard me"), Direction::Outbound, "wire"},
      {at_ns(5'000'200'000), wire_udp(false, 9, 50000, "and me"), Direction::Inbound, ""},
      {at_ns(5'000'300'000), wire_icmp_echo(3), Direction::Outbound, ""},
  };
  check_with_tshark(frames, "wire");
}

// The checker must be able to fail: a frame with a broken UDP checksum has to
// be flagged, or a clean result above would mean nothing.
TEST(PcapngTshark, BadChecksumIsDetected) {
  ASSERT_FALSE(find_tshark().empty())
      << "tshark is required by this test: apt-get install -y tshark (package tshark)";
  ByteVec bad = udp(true, 40000, 7, "hello, echo");
  bad[bad.size() - 1] ^= std::byte{0x01};
  const std::string path = write_capture({{at_ns(1), bad, Direction::Outbound, ""}}, "bad");
  const TsharkRun expert = run_tshark(kChecks + " -r " + path + " -q -z expert", "bad");
  std::filesystem::remove(path);
  EXPECT_EQ(expert.exit_code, 0);
  EXPECT_NE(expert.out.find("Error"), std::string::npos) << expert.out;
}

}  // namespace
}  // namespace synack::link
