// Router discovery, SLAAC, Redirect and MLD through the Stack (RFC 4861 §6 and §8,
// RFC 4862 §5.5, RFC 3810), with hand-built messages and the Linux kernel's own
// (tests/vectors/kernel6.pcap).
#include <gtest/gtest.h>

#include "../wire/wire_test_util.hpp"
#include "ipv6_harness.hpp"

namespace synack::stack::test {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr std::uint8_t kOnLink = 0x80, kAuto = 0x40;

TEST(Ipv6Router, AdvertisementGivesAddressRouterAndMtu) {
  Host6 h(1, quiet6(), Ipv6Cidr{a6("fd77::1"), 64}, /*slaac=*/true);
  const Instant now = Instant{} + seconds(3);
  const ByteVec opts = cat({opt_prefix(a6("2001:db8:1::"), 64, kOnLink | kAuto, 3600, 1800),
                            opt_mtu(1400), opt_lla(1, kRouterMac)});
  h.rx(ra_frame(600, opts), now);
  // RFC 4862 §5.5.3(d): prefix + modified EUI-64 of 02:00:00:00:00:01.
  const Ipv6Addr slaac = a6("2001:db8:1::ff:fe00:1");
  auto a = h.address(slaac);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->origin, Ipv6AddrOrigin::Slaac);
  EXPECT_EQ(a->state, Ipv6AddrState::Preferred);  // no DAD in this config
  EXPECT_EQ(a->preferred_until, now + seconds(1800));
  EXPECT_EQ(a->valid_until, now + seconds(3600));
  EXPECT_EQ(h.stack.stats().slaac_addresses, 1u);
  // Its solicited-node group is the link-local address's (the same low 24 bits): already
  // joined, so no new report.
  EXPECT_TRUE(h.drain().empty());
  auto groups = h.stack.ipv6_groups(h.iface);
  EXPECT_NE(std::find(groups.begin(), groups.end(), slaac.solicited_node()), groups.end());
  // The default router, with the RA's lifetime, learnt Stale with IsRouter.
  auto routers = h.stack.ipv6_routers();
  ASSERT_EQ(routers.size(), 1u);
  EXPECT_EQ(routers[0].addr, kRouter);
  EXPECT_EQ(routers[0].expires, now + seconds(600));
  ASSERT_TRUE(h.neighbor(kRouter));
  EXPECT_EQ(h.neighbor(kRouter)->state, NudState::Stale);
  EXPECT_TRUE(h.neighbor(kRouter)->is_router);
  // The MTU option lowers the IPv6 link MTU.
  EXPECT_EQ(h.stack.ipv6_mtu(h.iface), 1400u);
  // The prefix is on-link; anything else goes via the router, from the global address.
  auto on_link = h.stack.route6(a6("2001:db8:1::99"));
  ASSERT_TRUE(on_link);
  EXPECT_EQ(on_link->next_hop, a6("2001:db8:1::99"));
  EXPECT_EQ(on_link->src, slaac);
  auto off = h.stack.route6(a6("2001:db8:2::5"));
  ASSERT_TRUE(off);
  EXPECT_EQ(off->next_hop, kRouter);
  EXPECT_EQ(off->src, slaac);  // longest match over fd77::1 (RFC 6724 rule 8)
  // Router Lifetime 0: no longer a default router.
  h.rx(ra_frame(0, {}), now);
  EXPECT_TRUE(h.stack.ipv6_routers().empty());
  EXPECT_FALSE(h.stack.route6(a6("2001:db8:2::5")));
  EXPECT_EQ(h.stack.stats().ndp_routers_removed, 1u);
}

TEST(Ipv6Router, MtuOptionOutOfRangeIgnored) {
  Host6 h(1);
  h.rx(ra_frame(600, opt_mtu(1200)), Instant{});
  h.rx(ra_frame(600, opt_mtu(9000)), Instant{});
  EXPECT_EQ(h.stack.ipv6_mtu(h.iface), 1500u);
  EXPECT_EQ(h.stack.stats().ndp_mtu_updates, 0u);
}

TEST(Ipv6Router, AdvertisementFromGlobalSourceIsInvalid) {
  Host6 h(1);
  h.rx(ra_frame(600, {}, a6("fd77::50")), Instant{});
  EXPECT_TRUE(h.stack.ipv6_routers().empty());
  EXPECT_EQ(h.stack.stats().ndp_rx_invalid, 1u);
}

TEST(Ipv6Router, RouterExpires) {
  Host6 h(1);
  h.rx(ra_frame(30, {}), Instant{});
  ASSERT_EQ(h.stack.ipv6_routers().size(), 1u);
  EXPECT_EQ(h.stack.next_deadline(), Instant{} + seconds(30));
  h.stack.on_timer(Instant{} + seconds(30));
  EXPECT_TRUE(h.stack.ipv6_routers().empty());
}

TEST(Ipv6Slaac, LifetimesAndTheTwoHourRule) {
  Host6 h(1, quiet6(), std::nullopt, true);
  const Ipv6Addr slaac = a6("fd77::ff:fe00:1");  // the harness's fd77::1 is static; this is SLAAC
  Instant now = Instant{};
  h.rx(ra_frame(600, opt_prefix(a6("fd77::"), 64, kAuto, 86400, 60)), now);
  ASSERT_TRUE(h.address(slaac));
  // The preferred lifetime runs out: Deprecated, and avoided as a source (rule 3).
  now = now + seconds(60);
  h.stack.on_timer(now);
  EXPECT_EQ(h.address(slaac)->state, Ipv6AddrState::Deprecated);
  EXPECT_EQ(h.stack.route6(a6("fd77::99"))->src, h.global);
  // RFC 4862 §5.5.3(e): a valid lifetime of 60 s with 86340 s remaining: two hours.
  h.rx(ra_frame(600, opt_prefix(a6("fd77::"), 64, kAuto, 60, 60)), now);
  EXPECT_EQ(h.address(slaac)->valid_until, now + hours(2));
  EXPECT_EQ(h.address(slaac)->state, Ipv6AddrState::Preferred);
  // Remaining two hours or less: a short lifetime is ignored.
  h.rx(ra_frame(600, opt_prefix(a6("fd77::"), 64, kAuto, 60, 60)), now + seconds(1));
  EXPECT_EQ(h.address(slaac)->valid_until, now + hours(2));
  // A longer one is taken.
  h.rx(ra_frame(600, opt_prefix(a6("fd77::"), 64, kAuto, 10000, 60)), now + seconds(1));
  EXPECT_EQ(h.address(slaac)->valid_until, now + seconds(1) + seconds(10000));
  // Valid lifetime over: removed.
  h.stack.on_timer(now + seconds(1) + seconds(10000));
  EXPECT_FALSE(h.address(slaac));
  // Preferred > valid: ignored; a prefix length other than 64: no address.
  h.rx(ra_frame(600, opt_prefix(a6("fd78::"), 64, kAuto, 10, 20)), now);
  h.rx(ra_frame(600, opt_prefix(a6("fd79::"), 48, kAuto, 100, 20)), now);
  EXPECT_EQ(h.stack.stats().slaac_addresses, 1u);
}

TEST(Ipv6Slaac, OffWithoutSlaac) {
  Host6 h(1);
  h.rx(ra_frame(600, opt_prefix(a6("2001:db8:1::"), 64, kOnLink | kAuto, 3600, 1800)), Instant{});
  EXPECT_FALSE(h.address(a6("2001:db8:1::ff:fe00:1")));
  // The prefix is still on-link.
  EXPECT_EQ(h.stack.route6(a6("2001:db8:1::99"))->next_hop, a6("2001:db8:1::99"));
}

ByteVec redirect_frame(const Host6& h, const Ipv6Addr& from, const Ipv6Addr& target,
                       const Ipv6Addr& dst) {
  Builder b;
  b.u32(0);
  put6(b, target);
  put6(b, dst);
  b.raw(opt_lla(2, mac(51)));
  return icmp6_frame(h.mac, kRouterMac, from, h.global, kRedirect, 0, b.out);
}

TEST(Ipv6Redirect, AcceptedOnlyFromTheFirstHopRouter) {
  Host6 h(1);
  h.rx(ra_frame(600, {}), Instant{});
  const Ipv6Addr dst = a6("2001:db8:2::5");
  const Ipv6Addr better = a6("fe80::2");
  // From another link-local node: not our first hop for dst.
  h.rx(redirect_frame(h, a6("fe80::3"), better, dst), Instant{});
  EXPECT_EQ(h.stack.route6(dst)->next_hop, kRouter);
  EXPECT_EQ(h.stack.stats().ndp_rx_redirect_ignored, 1u);
  // From the router: the destination cache sends dst to the better router.
  h.rx(redirect_frame(h, kRouter, better, dst), Instant{});
  EXPECT_EQ(h.stack.stats().ndp_rx_redirect_accepted, 1u);
  EXPECT_EQ(h.stack.route6(dst)->next_hop, better);
  ASSERT_TRUE(h.neighbor(better));
  EXPECT_EQ(h.neighbor(better)->mac, mac(51));
  EXPECT_TRUE(h.neighbor(better)->is_router);
  // Other destinations still use the default router.
  EXPECT_EQ(h.stack.route6(a6("2001:db8:3::5"))->next_hop, kRouter);
}

TEST(Ipv6Mld, GeneralQueryAnsweredWithAllGroups) {
  Host6 h(1, quiet6(), Ipv6Cidr{a6("fd77::ab:cd01"), 64});
  // MLDv2 general query: Maximum Response Code 1000 ms, from the link-local router.
  Builder q;
  q.u16(1000).u16(0);
  put6(q, Ipv6Addr::unspecified());
  q.u8(2).u8(125).u16(0);
  h.rx(icmp6_frame(Ipv6Addr::all_nodes().multicast_mac(), kRouterMac, kRouter,
                   Ipv6Addr::all_nodes(), kMldQuery, 0, q.out, 1),
       Instant{});
  EXPECT_TRUE(h.drain().empty());  // after a random delay
  auto when = h.stack.next_deadline();
  ASSERT_TRUE(when);
  EXPECT_LE(*when, Instant{} + std::chrono::milliseconds(1000));
  h.stack.on_timer(*when);
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  auto ip = wire::Ipv6Repr::parse(Bytes(out[0]).subspan(14));
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->src, h.link_local);
  EXPECT_EQ(ip->dst, Ipv6Addr::all_mldv2_routers());
  EXPECT_EQ(ip->hop_limit, 1);
  EXPECT_EQ(ip->next_header, 0);  // Hop-by-Hop with Router Alert
  auto chain = wire::walk_ipv6_headers(*ip);
  EXPECT_EQ(chain.router_alert, 0);
  auto m = parse_icmp6(out[0]);
  ASSERT_EQ(m.record_count, 2);
  EXPECT_EQ(m.records[0].type, wire::MldRecord::kModeIsExclude);
  EXPECT_EQ(m.records[0].group, h.link_local.solicited_node());
  EXPECT_EQ(m.records[1].group, h.global.solicited_node());
  EXPECT_EQ(h.stack.stats().mld_rx_queries, 1u);
  // A group-specific query for a group we are not in: nothing.
  Builder g;
  g.u16(1000).u16(0);
  put6(g, a6("ff02::1:ff00:1234"));
  g.u8(2).u8(125).u16(0);
  h.rx(icmp6_frame(Ipv6Addr::all_nodes().multicast_mac(), kRouterMac, kRouter,
                   Ipv6Addr::all_nodes(), kMldQuery, 0, g.out, 1),
       Instant{} + seconds(2));
  h.stack.on_timer(Instant{} + seconds(4));
  EXPECT_TRUE(h.drain().empty());
  // Group-specific queries for one of our groups: one answer, however many arrive.
  Builder mine;
  mine.u16(1000).u16(0);
  put6(mine, h.global.solicited_node());
  mine.u8(2).u8(125).u16(0);
  for (int i = 0; i < 5; ++i) {
    h.rx(icmp6_frame(Ipv6Addr::all_nodes().multicast_mac(), kRouterMac, kRouter,
                     Ipv6Addr::all_nodes(), kMldQuery, 0, mine.out, 1),
         Instant{} + seconds(10));
  }
  h.stack.on_timer(Instant{} + seconds(12));
  out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  m = parse_icmp6(out[0]);
  ASSERT_EQ(m.record_count, 1);
  EXPECT_EQ(m.records[0].group, h.global.solicited_node());
  EXPECT_EQ(m.records[0].type, wire::MldRecord::kModeIsExclude);
}

// --- the Linux kernel's messages ---------------------------------------------------

const MacAddr kKernelMacA{{0x9e, 0xc8, 0x5c, 0x2e, 0x93, 0x1c}};
const MacAddr kKernelMacB{{0x1a, 0xa8, 0xce, 0x1a, 0x15, 0xf8}};

TEST(Ipv6Kernel, RadvdAdvertisementConfiguresSlaac) {
  auto frames = wire::test::load_vector_frames("kernel6.pcap");
  ASSERT_GE(frames.size(), 19u);
  // Frame 16: radvd's RA for fd00:77::/64 (on-link, autonomous), MTU 1500, lifetime 300 s.
  SeededRandom rng(1);
  Stack s(quiet6(), rng);
  const MacAddr ours{{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
  IfaceId i = s.add_interface(ours, Ipv4Cidr{ip(10, 77, 0, 1), 24});
  ASSERT_TRUE(s.enable_ipv6(i, std::nullopt, true, Instant{}));
  s.on_frame(i, frames[15], Instant{});
  auto addrs = s.ipv6_addresses(i);
  ASSERT_EQ(addrs.size(), 2u);
  EXPECT_EQ(addrs[1].cidr, (Ipv6Cidr{a6("fd00:77::11:22ff:fe33:4455"), 64}));
  EXPECT_EQ(addrs[1].valid_until, Instant{} + seconds(86400));
  EXPECT_EQ(addrs[1].preferred_until, Instant{} + seconds(14400));
  auto routers = s.ipv6_routers();
  ASSERT_EQ(routers.size(), 1u);
  EXPECT_EQ(routers[0].addr, a6("fe80::18a8:ceff:fe1a:15f8"));
  EXPECT_EQ(s.ndp().find(NdpKey{i, routers[0].addr})->mac, kKernelMacB);
  EXPECT_EQ(s.stats().ndp_rx_ra, 1u);
}

TEST(Ipv6Kernel, KernelSolicitationAnsweredLikeTheKernel) {
  auto frames = wire::test::load_vector_frames("kernel6.pcap");
  ASSERT_GE(frames.size(), 19u);
  // Frame 18: fd00:77::1 (MAC A) asks for fd00:77::2; frame 19 is the kernel's answer
  // from B. We stand in for B (same MAC and address).
  SeededRandom rng(1);
  Stack s(quiet6(), rng);
  IfaceId i = s.add_interface(kKernelMacB, Ipv4Cidr{ip(10, 77, 0, 2), 24});
  ASSERT_TRUE(s.enable_ipv6(i, Ipv6Cidr{a6("fd00:77::2"), 64}, false, Instant{}));
  while (s.pop_frame()) {
  }
  s.on_frame(i, frames[17], Instant{});
  auto f = s.pop_frame();
  ASSERT_TRUE(f);
  // The kernel's NA, but B was a router (R set) and its flow label is its own: ours has
  // R clear and flow label 0. Everything else is byte for byte.
  ByteVec want = frames[18];
  want[14 + 1] = std::byte{0};
  want[14 + 2] = std::byte{0};
  want[14 + 3] = std::byte{0};
  want[14 + 40 + 4] = std::byte{kS | kO};
  store_be16(want, 14 + 40 + 2, 0);
  Builder ph;
  ph.raw(Bytes(want).subspan(14 + 8, 32)).u32(32).u32(kIcmp6);
  Checksum c;
  c.add(ph.out).add(Bytes(want).subspan(14 + 40));
  store_be16(want, 14 + 40 + 2, c.finish());
  EXPECT_EQ(f->bytes, want);
  EXPECT_EQ(s.ndp().find(NdpKey{i, a6("fd00:77::1")})->mac, kKernelMacA);
}

}  // namespace
}  // namespace synack::stack::test
