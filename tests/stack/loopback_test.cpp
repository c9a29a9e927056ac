// Packets to one of the stack's own addresses are delivered internally, never
// reaching a link and never needing ARP.
#include <gtest/gtest.h>

#include <array>

#include "harness.hpp"

namespace synack::stack::test {
namespace {

TEST(StackLoopback, PingOwnAddress) {
  Host a(1);
  Instant now;
  ASSERT_TRUE(a.stack.send_ping(a.addr, 9, 1, as_bytes("me"), now).ok());
  EXPECT_TRUE(a.drain().empty());
  auto ev = a.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<PingReply>(ev[0]), (PingReply{a.addr, 9, 1, bytes_of("me")}));
  EXPECT_EQ(a.stack.stats().ip_loopback, 2u);  // request and reply
  EXPECT_EQ(a.stack.stats().arp_tx_requests, 0u);
}

TEST(StackLoopback, UdpToOwnAddressAndPortUnreachable) {
  Host a(1);
  Instant now;
  auto s1 = a.stack.udp_bind(Ipv4Addr::any(), 1000);
  auto s2 = a.stack.udp_bind(a.addr, 2000);
  ASSERT_TRUE(s1.ok() && s2.ok());
  ASSERT_TRUE(a.stack.udp_send_to(*s1, a.addr, 2000, as_bytes("hi me"), now).ok());
  auto d = a.stack.udp_receive_from(*s2);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->src, a.addr);
  EXPECT_EQ(d->src_port, 1000);
  EXPECT_EQ(text_of(d->payload), "hi me");
  // A closed port answers with ICMP to ourselves; nothing goes on the wire.
  ASSERT_TRUE(a.stack.udp_send_to(*s1, a.addr, 3000, as_bytes("?"), now).ok());
  EXPECT_EQ(a.stack.stats().icmp_tx_port_unreachable, 1u);
  EXPECT_EQ(a.stack.stats().icmp_rx_errors, 1u);
  EXPECT_TRUE(a.drain().empty());
}

TEST(StackLoopback, TcpConnectToSelf) {
  Host a(1);
  Instant now;
  auto lid = a.stack.tcp().listen(tcp::Endpoint{a.addr, 7}, 4);
  ASSERT_TRUE(lid.ok());
  auto cid = a.stack.tcp().connect(tcp::Endpoint{a.addr, 0}, tcp::Endpoint{a.addr, 7}, now);
  ASSERT_TRUE(cid.ok());
  a.stack.flush_tcp(now);
  auto child = a.stack.tcp().accept(*lid);
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(a.stack.tcp().send(*cid, as_bytes("loop")).ok());
  a.stack.flush_tcp(now);
  std::array<std::byte, 16> buf{};
  auto n = a.stack.tcp().receive(*child, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "loop");
  EXPECT_TRUE(a.drain().empty());
  EXPECT_EQ(a.stack.stats().ip_loopback_dropped, 0u);
}

}  // namespace
}  // namespace synack::stack::test
