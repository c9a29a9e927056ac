#include <gtest/gtest.h>

#include "synack/stack/stats.hpp"

namespace synack::stack {
namespace {

TEST(StackStats, FormatsOneLine) {
  Stats s;
  EXPECT_EQ(format_stats(s), "");
  s.udp_tx = 3;
  s.arp_tx_requests = 1;
  // Declaration order, non-zero only by default.
  EXPECT_EQ(format_stats(s), "arp_tx_requests=1 udp_tx=3");
  std::string all = format_stats(s, false);
  EXPECT_NE(all.find("eth_rx_frames=0 "), std::string::npos);
  EXPECT_NE(all.find(" udp_tx=3 "), std::string::npos);
  EXPECT_EQ(all.find('\n'), std::string::npos);
}

TEST(StackStats, FormatsTcpCountersWithPrefix) {
  tcp::ProtocolStats t;
  EXPECT_EQ(format_tcp_stats(t), "");
  t.challenge_acks_rst = 2;
  t.segs_in = 5;
  EXPECT_EQ(format_tcp_stats(t), "tcp_segs_in=5 tcp_challenge_acks_rst=2");
  const std::string all = format_tcp_stats(t, false);
  EXPECT_EQ(all.rfind("tcp_segs_in=5 tcp_segs_out=0 ", 0), 0u);
  EXPECT_NE(all.find(" tcp_ooo_dropped=0"), std::string::npos);
}

}  // namespace
}  // namespace synack::stack
