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

}  // namespace
}  // namespace synack::stack
