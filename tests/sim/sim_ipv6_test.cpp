// `synack sim --ip6` (WorldOptions::ip6): the scenarios over IPv6. The hosts pass
// Duplicate Address Detection before the scenario starts, resolve each other by NDP,
// and every frame either sends is IPv6 (no ARP, no IPv4); a black-hole hop of IPv6's
// minimum MTU is found by RFC 4821 probing; one seed gives one run, byte for byte.
#include <gtest/gtest.h>

#include <string>

#include "sim_scenarios.hpp"
#include "synack/base/bytes.hpp"
#include "world.hpp"

namespace synack::cli {
namespace {

WorldOptions ip6_options(std::uint64_t seed = 1) {
  WorldOptions wo;
  wo.seed = seed;
  wo.ip6 = true;
  wo.link.delay = std::chrono::milliseconds(1);  // `synack sim`'s default --delay
  return wo;
}

bool run(World& w, const std::string& scenario, ScenarioParams p = {}) {
  const Scenario* sc = find_scenario(scenario);
  EXPECT_NE(sc, nullptr) << scenario;
  return sc && sc->run(w, p);
}

std::uint16_t ethertype(const view::RecordedFrame& f) {
  return load_be16(f.bytes, 12);
}

TEST(SimIpv6, AddressesPassDadBeforeTheScenarioStarts) {
  World w(ip6_options());
  EXPECT_EQ(w.client().ip.to_string(), "fd00:77::1");
  EXPECT_EQ(w.server().ip.to_string(), "fd00:77::2");
  // Built: both hosts' addresses (the ULA and the link-local) are usable already.
  for (Host* h : {&w.client(), &w.server()}) {
    const auto addrs = h->stack->ipv6_addresses(h->iface);
    ASSERT_EQ(addrs.size(), 2u) << h->name;
    for (const auto& a : addrs) EXPECT_EQ(a.state, stack::Ipv6AddrState::Preferred) << h->name;
    EXPECT_TRUE(h->stack->is_local_address6(h->ip.v6()));
    EXPECT_TRUE(h->stack->is_local_address6(h->link_local));
    EXPECT_EQ(h->stack->stats().dad_succeeded, 2u);
    EXPECT_EQ(h->stack->stats().ndp_tx_rs, 0u);  // no router on the cable: not solicited
  }
  // DAD waits a random 0..1 s, then RetransTimer (1 s) with no answer.
  EXPECT_GE(w.now(), Instant::zero() + std::chrono::seconds(1));
  EXPECT_LE(w.now(), Instant::zero() + std::chrono::seconds(2));
  // What the ladder showed: one DAD solicitation per address, from ::.
  std::size_t dad = 0;
  for (const auto& f : w.recording().frames) {
    ASSERT_EQ(ethertype(f), 0x86dd);
    // ICMPv6 type 135 from the unspecified address (bytes 22..37 all zero).
    bool from_unspecified = true;
    for (std::size_t i = 22; i < 38; ++i)
      from_unspecified = from_unspecified && f.bytes[i] == std::byte{0};
    if (f.bytes[20] == std::byte{58} && f.bytes[54] == std::byte{135} && from_unspecified) ++dad;
  }
  EXPECT_EQ(dad, 4u);
  EXPECT_NE(w.output().find("fd00:77::1 preferred (RFC 4862 §5.4)"), std::string::npos);
}

TEST(SimIpv6, PingUdpRunsOnNdpAndIcmpv6Only) {
  World w(ip6_options());
  ASSERT_TRUE(run(w, "ping-udp")) << w.output();
  const auto& c = w.client().stack->stats();
  const auto& s = w.server().stack->stats();
  EXPECT_EQ(c.icmpv6_tx_echo_requests, 3u);
  EXPECT_EQ(c.icmpv6_rx_echo_replies, 3u);
  EXPECT_EQ(s.icmpv6_tx_echo_replies, 3u);
  EXPECT_EQ(c.icmp_tx_echo_requests + c.arp_tx_requests + s.arp_tx_replies, 0u);
  EXPECT_EQ(c.ndp_rx_na, 1u);  // the server's answer to the one resolution
  EXPECT_EQ(c.udp_rx, 3u);
  for (const auto& f : w.recording().frames) EXPECT_EQ(ethertype(f), 0x86dd);
  EXPECT_NE(w.output().find("udp from [fd00:77::1]:"), std::string::npos);
}

TEST(SimIpv6, BlackHoleOfTheMinimumMtuIsFoundByProbing) {
  World w(ip6_options());
  TransferReport r;
  ScenarioParams p;
  p.report = &r;
  ASSERT_TRUE(run(w, "black-hole", p)) << w.output().substr(w.output().rfind("summary:"));
  ASSERT_TRUE(r.ok);
  // Full-size packets (1500) vanished in the hop and three timeouts made it a black
  // hole. Over IPv6 the base size is the 1280 bytes every path carries, so the
  // segments were cut for the hop's MTU at once, and every probe above it was lost.
  EXPECT_GT(w.link().stats(link::End::A).too_big, 0u);
  EXPECT_EQ(r.sender.mtu_black_holes, 1u);
  EXPECT_EQ(r.sender.mtu_probes_acked, 0u);
  EXPECT_GT(r.sender.mtu_probes_lost, 0u);
  EXPECT_EQ(r.sender.packet_mtu, 1280u);
  // The SYN announced the MSS of a 1500-byte IPv6 link: 1500 - 40 - 20.
  EXPECT_NE(w.output().find("S   seq 0 win 65535 <mss 1440,"), std::string::npos);
}

TEST(SimIpv6, OneSeedOneRunByteForByte) {
  auto play = [](std::uint64_t seed) {
    World w(ip6_options(seed));
    auto o = w.link().config(link::End::A);
    o.loss = 0.05;
    w.link().set_config(link::End::A, o);
    w.link().set_config(link::End::B, o);
    EXPECT_TRUE(run(w, "transfer"));
    ByteVec all;
    for (const auto& f : w.recording().frames)
      all.insert(all.end(), f.bytes.begin(), f.bytes.end());
    return std::pair{w.output(), all};
  };
  const auto a = play(3), b = play(3), c = play(4);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  EXPECT_NE(a.first, c.first);
}

}  // namespace
}  // namespace synack::cli
