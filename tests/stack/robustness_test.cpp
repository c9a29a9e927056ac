// Hostile input: mutated and random frames never crash the Stack, every frame is
// counted, and nothing it sends is larger than the MTU allows.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace synack::stack::test {
namespace {

TEST(StackRobustness, MutatedFramesAreSurvivedAndCounted) {
  Host b(2);
  auto s = b.stack.udp_bind(Ipv4Addr::any(), 53);
  ASSERT_TRUE(s.ok());
  Ipv4Addr src = ip(10, 77, 0, 9);
  std::vector<ByteVec> seeds = {
      ethernet(b.mac, mac(9), 0x0800,
               ipv4(src, b.addr, 17, udp(src, b.addr, 1000, 53, as_bytes("query")))),
      ethernet(b.mac, mac(9), 0x0800, ipv4(src, b.addr, 1, icmp(8, 0, 0x10001, as_bytes("p")))),
      ethernet(b.mac, mac(9), 0x0800,
               ipv4(src, b.addr, 1, icmp(3, 3, 0, ipv4(b.addr, src, 6, ByteVec(20))))),
      ethernet(MacAddr::broadcast(), mac(9), 0x0806, arp(1, mac(9), src, MacAddr{}, b.addr)),
  };
  SeededRandom rng(2024);
  Instant now;
  constexpr int kFrames = 4000;
  for (int i = 0; i < kFrames; ++i) {
    ByteVec f = seeds[rng.below(seeds.size())];
    auto flips = 1 + rng.below(4);
    for (std::uint64_t k = 0; k < flips; ++k) {
      // Mutate the headers mostly; keep the Ethernet destination deliverable.
      std::size_t at = 12 + rng.below(f.size() - 12);
      f[at] = static_cast<std::byte>(rng.next_u32());
    }
    if (rng.chance(0.1)) f.resize(rng.below(f.size() + 1));
    now += std::chrono::milliseconds(1);
    b.stack.on_frame(b.iface, f, now);
    b.stack.on_timer(now);
    while (auto out = b.stack.pop_frame()) {
      ASSERT_LE(out->bytes.size(), 14u + 1500u);
      ASSERT_GE(out->bytes.size(), 14u + 28u);
    }
    while (b.stack.pop_event()) {
    }
    while (b.stack.udp_receive_from(*s)) {
    }
  }
  const Stats& st = b.stack.stats();
  EXPECT_EQ(st.eth_rx_frames, static_cast<std::uint64_t>(kFrames));
  // Every frame was either dropped at the Ethernet layer or went to ARP or IPv4.
  EXPECT_EQ(
      st.eth_rx_malformed + st.eth_rx_not_for_us + st.eth_rx_unknown_type + st.arp_rx + st.ip_rx,
      static_cast<std::uint64_t>(kFrames));
  // Every IPv4 packet was dropped by one IP check, went to reassembly, or reached one
  // protocol; so did every reassembled datagram.
  EXPECT_EQ(st.ip_rx_truncated + st.ip_rx_bad_header + st.ip_rx_bad_checksum + st.ip_rx_bad_src +
                st.ip_rx_not_for_us + st.ip_rx_fragments + st.ip_rx_broadcast_dropped +
                st.ip_rx_unknown_protocol + st.icmp_rx + st.udp_rx + st.tcp_rx +
                st.tcp_rx_malformed + st.tcp_rx_bad_checksum,
            st.ip_rx + st.ip_reasm_ok);
  EXPECT_GT(st.ip_rx_bad_checksum, 0u);
  EXPECT_GT(st.udp_rx, 0u);
}

}  // namespace
}  // namespace synack::stack::test
