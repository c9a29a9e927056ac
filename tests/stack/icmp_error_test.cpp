// ICMP errors received by the Stack (RFC 792, RFC 1122 §3.2.2): those quoting a TCP
// segment we sent go to tcp::TcpProtocol (those quoting UDP: udp_error_test.cpp); the
// rest are counted and dropped.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint8_t kIcmp = 1, kTcp = 6;

// The first bytes of a TCP segment: ports, sequence number, then the rest of the header.
ByteVec tcp_head(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq) {
  return Builder{}.u16(sport).u16(dport).u32(seq).u32(0).u16(0x5002).u16(1024).u32(0).out;
}

struct IcmpErrors : ::testing::Test {
  Host b{2};
  Instant now;
  MacAddr router = mac(0xfe);
  Ipv4Addr router_ip = ip(10, 77, 0, 254);
  Ipv4Addr remote = ip(192, 0, 2, 7);

  void inject(std::uint8_t type, std::uint8_t code, std::uint32_t rest, const ByteVec& quoted) {
    b.stack.on_frame(b.iface,
                     ethernet(b.mac, router, kIpv4,
                              ipv4(router_ip, b.addr, kIcmp, icmp(type, code, rest, quoted))),
                     now);
  }
};

TEST_F(IcmpErrors, ErrorsQuotingOurTcpSegmentsGoToTcp) {
  // What we would have sent: B -> remote, TCP, 8+ bytes of header quoted.
  ByteVec quoted = ipv4(b.addr, remote, kTcp, tcp_head(40000, 80, 0x01020304));
  inject(3, 1, 0, quoted);                                            // host unreachable
  inject(3, 4, 1400, quoted);                                         // frag needed, mtu
  inject(11, 0, 0, quoted);                                           // time exceeded
  inject(12, 0, 0x14000000, quoted);                                  // parameter problem
  inject(4, 0, 0, ByteVec(quoted.begin(), quoted.begin() + 20 + 8));  // quench, minimal quote
  EXPECT_EQ(b.stack.stats().icmp_rx_errors, 5u);
  EXPECT_EQ(b.stack.stats().icmp_rx_errors_tcp, 5u);
  EXPECT_EQ(b.stack.stats().icmp_rx_errors_ignored, 0u);
  EXPECT_TRUE(b.drain().empty());  // never an ICMP error about an ICMP error
}

TEST_F(IcmpErrors, UnattributableErrorsAreIgnored) {
  // Quoting a packet that did not come from us.
  inject(3, 3, 0, ipv4(ip(10, 77, 0, 50), remote, kTcp, tcp_head(1, 2, 3)));
  // Quote too short to hold the ports and sequence number (RFC 792: 64 bits of data).
  ByteVec full = ipv4(b.addr, remote, kTcp, tcp_head(1, 2, 3));
  inject(3, 3, 0, ByteVec(full.begin(), full.begin() + 20 + 7));
  // Not an IPv4 header at all.
  inject(3, 3, 0, ByteVec(28, std::byte{0x60}));
  EXPECT_EQ(b.stack.stats().icmp_rx_errors, 3u);
  EXPECT_EQ(b.stack.stats().icmp_rx_errors_tcp, 0u);
  EXPECT_EQ(b.stack.stats().icmp_rx_errors_ignored, 2u);
  EXPECT_EQ(b.stack.stats().icmp_rx_errors_truncated, 1u);
}

TEST_F(IcmpErrors, UnknownTypesAreSilentlyDiscarded) {
  inject(13, 0, 0, ByteVec(12));  // timestamp request: not implemented
  inject(42, 0, 0, {});
  EXPECT_EQ(b.stack.stats().icmp_rx_other, 2u);
  EXPECT_TRUE(b.drain().empty());
}

TEST_F(IcmpErrors, EchoReplyBecomesPingReplyEvent) {
  inject(0, 0, (std::uint32_t{77} << 16) | 3, bytes_of("abc"));
  auto ev = b.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<PingReply>(ev[0]), (PingReply{router_ip, 77, 3, bytes_of("abc")}));
}

TEST_F(IcmpErrors, EventQueueIsBounded) {
  StackConfig cfg;
  cfg.max_events = 2;
  Host h(2, cfg);
  for (std::uint16_t i = 0; i < 3; ++i) {
    h.stack.on_frame(h.iface,
                     ethernet(h.mac, router, kIpv4,
                              ipv4(router_ip, h.addr, kIcmp, icmp(0, 0, i, bytes_of("p")))),
                     now);
  }
  EXPECT_EQ(h.events().size(), 2u);
  EXPECT_EQ(h.stack.stats().events_dropped, 1u);
}

}  // namespace
}  // namespace synack::stack::test
