// NDP through the Stack (RFC 4861): NS answered with NA, address resolution, the NUD
// states of Appendix C on a fake clock, the wait queue bound, and Duplicate Address
// Detection (RFC 4862 §5.4).
#include <gtest/gtest.h>

#include "ipv6_harness.hpp"

namespace synack::stack::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Ipv6Ndp, SolicitationAnsweredWithSolicitedAdvertisement) {
  Host6 h(1);
  Instant now = Instant{} + seconds(1);
  h.rx(icmp6_frame(h.global.solicited_node().multicast_mac(), kPeerMac, kPeer,
                   h.global.solicited_node(), kNs, 0, ns_body(h.global, opt_lla(1, kPeerMac))),
       now);
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  // RFC 4861 §7.2.4: unicast to the solicitor, S and O set, R clear, our MAC as the
  // Target Link-Layer Address, hop limit 255.
  EXPECT_EQ(out[0], icmp6_frame(kPeerMac, h.mac, h.global, kPeer, kNa, 0,
                                na_body(kS | kO, h.global, opt_lla(2, h.mac))));
  // The solicitor was learnt Stale, and sending the NA moved it to Delay (§7.3.3).
  auto e = h.neighbor(kPeer);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->state, NudState::Delay);
  EXPECT_EQ(e->mac, kPeerMac);
  EXPECT_EQ(h.stack.stats().ndp_rx_ns, 1u);
  EXPECT_EQ(h.stack.stats().ndp_tx_na, 1u);
}

TEST(Ipv6Ndp, SolicitationForAnotherAddressIsNotAnswered) {
  Host6 h(1);
  const Ipv6Addr other = a6("fd77::55");
  h.rx(icmp6_frame(other.solicited_node().multicast_mac(), kPeerMac, kPeer, other.solicited_node(),
                   kNs, 0, ns_body(other, opt_lla(1, kPeerMac))),
       Instant{});
  // Not a group we joined: dropped before NDP.
  EXPECT_TRUE(h.drain().empty());
  EXPECT_EQ(h.stack.stats().ipv6_rx_mcast_not_joined, 1u);
  // A hop limit other than 255 is invalid (§7.1.1).
  h.rx(icmp6_frame(h.mac, kPeerMac, kPeer, h.global, kNs, 0,
                   ns_body(h.global, opt_lla(1, kPeerMac)), 64),
       Instant{});
  EXPECT_TRUE(h.drain().empty());
  EXPECT_EQ(h.stack.stats().ndp_rx_invalid, 1u);
}

TEST(Ipv6Ndp, ReachabilityStatesOfAppendixC) {
  Host6 h(1);
  Instant now = Instant{} + seconds(10);
  const ByteVec data = bytes_of("nud");
  // No entry, packet to send: INCOMPLETE and a multicast NS to the solicited-node group.
  ASSERT_TRUE(h.stack.send_ping6(kPeer, 1, 1, data, now).ok());
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], icmp6_frame(kPeer.solicited_node().multicast_mac(), h.mac, h.global,
                                kPeer.solicited_node(), kNs, 0, ns_body(kPeer, opt_lla(1, h.mac))));
  ASSERT_EQ(h.neighbor(kPeer)->state, NudState::Incomplete);
  EXPECT_EQ(h.neighbor(kPeer)->queued, 1u);

  // A solicited NA with the link-layer address: REACHABLE, the queued echo goes out.
  h.rx(icmp6_frame(h.mac, kPeerMac, kPeer, h.global, kNa, 0,
                   na_body(kS | kO, kPeer, opt_lla(2, kPeerMac))),
       now);
  out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], ethernet(kPeerMac, h.mac, kIpv6,
                             ipv6(h.global, kPeer, kIcmp6,
                                  icmp6(h.global, kPeer, kEchoReq, 0, echo_body(1, 1, data)))));
  EXPECT_EQ(h.neighbor(kPeer)->state, NudState::Reachable);

  // ReachableTime (randomised 0.5..1.5 x 30 s) passes: STALE.
  const Duration reachable = h.stack.ndp().reachable_time();
  EXPECT_GE(reachable, seconds(15));
  EXPECT_LE(reachable, seconds(45));
  now = now + reachable;
  h.stack.on_timer(now);
  EXPECT_EQ(h.neighbor(kPeer)->state, NudState::Stale);
  EXPECT_TRUE(h.drain().empty());

  // Sending to a Stale entry: sent at once, DELAY.
  ASSERT_TRUE(h.stack.send_ping6(kPeer, 1, 2, data, now).ok());
  EXPECT_EQ(h.drain().size(), 1u);
  EXPECT_EQ(h.neighbor(kPeer)->state, NudState::Delay);

  // DELAY_FIRST_PROBE_TIME (5 s) without confirmation: PROBE, a unicast NS.
  EXPECT_EQ(h.stack.next_deadline(), now + seconds(5));
  now = now + seconds(5);
  h.stack.on_timer(now);
  out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], icmp6_frame(kPeerMac, h.mac, h.global, kPeer, kNs, 0,
                                ns_body(kPeer, opt_lla(1, h.mac))));
  EXPECT_EQ(h.neighbor(kPeer)->state, NudState::Probe);

  // MAX_UNICAST_SOLICIT (3) probes RetransTimer (1 s) apart, then the entry goes.
  for (int i = 0; i < 2; ++i) {
    now = now + seconds(1);
    h.stack.on_timer(now);
    EXPECT_EQ(h.drain().size(), 1u);
    EXPECT_EQ(h.neighbor(kPeer)->probes_sent, 2u + i);
  }
  now = now + seconds(1);
  h.stack.on_timer(now);
  EXPECT_TRUE(h.drain().empty());
  EXPECT_FALSE(h.neighbor(kPeer));
  EXPECT_EQ(h.stack.stats().ndp_resolution_failed, 1u);
}

TEST(Ipv6Ndp, ProbeAnsweredGoesBackToReachable) {
  Host6 h(1);
  Instant now = Instant{} + seconds(1);
  teach6(h, kPeerMac, kPeer, now);
  ASSERT_EQ(h.neighbor(kPeer)->state, NudState::Delay);  // our NA was sent to it
  now = now + seconds(5);
  h.stack.on_timer(now);
  ASSERT_EQ(h.neighbor(kPeer)->state, NudState::Probe);
  h.drain();
  h.rx(icmp6_frame(h.mac, kPeerMac, kPeer, h.global, kNa, 0, na_body(kS, kPeer)), now);
  EXPECT_EQ(h.neighbor(kPeer)->state, NudState::Reachable);
  EXPECT_EQ(h.neighbor(kPeer)->mac, kPeerMac);
  // An NA with O clear and another address: Reachable becomes Stale, the MAC stays.
  h.rx(
      icmp6_frame(h.mac, kPeerMac, kPeer, h.global, kNa, 0, na_body(0, kPeer, opt_lla(2, mac(44)))),
      now);
  EXPECT_EQ(h.neighbor(kPeer)->state, NudState::Stale);
  EXPECT_EQ(h.neighbor(kPeer)->mac, kPeerMac);
  // With O set it is taken: Stale with the new MAC (not solicited).
  h.rx(icmp6_frame(h.mac, kPeerMac, kPeer, h.global, kNa, 0,
                   na_body(kO, kPeer, opt_lla(2, mac(44)))),
       now);
  EXPECT_EQ(h.neighbor(kPeer)->state, NudState::Stale);
  EXPECT_EQ(h.neighbor(kPeer)->mac, mac(44));
}

TEST(Ipv6Ndp, UnsolicitedAdvertisementCreatesNoEntry) {
  Host6 h(1);
  h.rx(icmp6_frame(Ipv6Addr::all_nodes().multicast_mac(), kPeerMac, kPeer, Ipv6Addr::all_nodes(),
                   kNa, 0, na_body(kO, kPeer, opt_lla(2, kPeerMac))),
       Instant{});
  EXPECT_FALSE(h.neighbor(kPeer));
  EXPECT_EQ(h.stack.stats().ndp_rx_na, 1u);
  EXPECT_EQ(h.stack.stats().ndp_rx_na_ignored, 1u);
}

TEST(Ipv6Ndp, IncompleteGivesUpAndTheQueueIsBounded) {
  StackConfig cfg = quiet6();
  cfg.ipv6.max_queued_per_neighbor = 2;
  Host6 h(1, cfg);
  Instant now = Instant{} + seconds(1);
  for (std::uint16_t seq = 1; seq <= 3; ++seq) {
    ASSERT_TRUE(h.stack.send_ping6(kPeer, 1, seq, {}, now).ok());
  }
  EXPECT_EQ(h.drain().size(), 1u);  // one NS; the echoes wait
  EXPECT_EQ(h.neighbor(kPeer)->queued, 2u);
  EXPECT_EQ(h.stack.stats().ndp_drop_queue_full, 1u);
  EXPECT_EQ(h.stack.ndp().queued_total(), 2u);
  // MAX_MULTICAST_SOLICIT (3) solicitations, RetransTimer apart, then the entry and its
  // packets are dropped.
  for (int i = 0; i < 2; ++i) {
    now = now + seconds(1);
    h.stack.on_timer(now);
    auto out = h.drain();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0],
              icmp6_frame(kPeer.solicited_node().multicast_mac(), h.mac, h.global,
                          kPeer.solicited_node(), kNs, 0, ns_body(kPeer, opt_lla(1, h.mac))));
  }
  now = now + seconds(1);
  h.stack.on_timer(now);
  EXPECT_TRUE(h.drain().empty());
  EXPECT_FALSE(h.neighbor(kPeer));
  EXPECT_EQ(h.stack.stats().ndp_resolution_failed, 1u);
  EXPECT_EQ(h.stack.stats().ndp_drop_unresolved, 2u);
  EXPECT_EQ(h.stack.ndp().queued_total(), 0u);
}

TEST(Ipv6Ndp, CacheIsBounded) {
  StackConfig cfg = quiet6();
  cfg.ipv6.max_neighbors = 4;
  Host6 h(1, cfg);
  for (std::uint8_t n = 10; n < 20; ++n) {
    teach6(h, mac(n), Ipv6Addr::from_groups(0xfd77, 0, 0, 0, 0, 0, 0, n), Instant{} + seconds(n));
  }
  EXPECT_EQ(h.stack.ndp().size(), 4u);
  // The least recently used went first: the last four remain.
  EXPECT_TRUE(h.neighbor(a6("fd77::13")));
  EXPECT_FALSE(h.neighbor(a6("fd77::a")));
}

// --- Duplicate Address Detection ---------------------------------------------------

StackConfig dad_config() {
  StackConfig c;
  c.ipv6.max_rtr_solicitations = 0;
  c.ipv6.mld_robustness = 1;
  return c;
}

TEST(Ipv6Dad, ProbesThenPreferred) {
  // An address whose solicited-node group is not the link-local address's.
  Host6 h(1, dad_config(), Ipv6Cidr{a6("fd77::ab:cd01"), 64});
  // RFC 4862 §5.4.2: the solicited-node groups are joined first (MLDv2 reports from ::
  // while no address is valid, RFC 3810 §5.2.13).
  ASSERT_EQ(h.initial.size(), 2u);
  for (const ByteVec& f : h.initial) {
    auto ip = wire::Ipv6Repr::parse(Bytes(f).subspan(14));
    ASSERT_TRUE(ip.ok());
    EXPECT_TRUE(ip->src.is_unspecified());
    EXPECT_EQ(ip->dst, Ipv6Addr::all_mldv2_routers());
    EXPECT_EQ(ip->hop_limit, 1);
    auto m = parse_icmp6(f);
    EXPECT_EQ(m.type, 143);
    ASSERT_EQ(m.record_count, 1);
    EXPECT_EQ(m.records[0].type, wire::MldRecord::kChangeToExclude);
  }
  EXPECT_EQ(parse_icmp6(h.initial[0]).records[0].group, h.link_local.solicited_node());
  EXPECT_EQ(parse_icmp6(h.initial[1]).records[0].group, h.global.solicited_node());
  EXPECT_EQ(h.address(h.global)->state, Ipv6AddrState::Tentative);
  EXPECT_EQ(h.address(h.link_local)->state, Ipv6AddrState::Tentative);
  EXPECT_FALSE(h.stack.is_local_address6(h.global));

  // The probes: NS from :: to the solicited-node group, no options, after a random delay
  // of at most MAX_RTR_SOLICITATION_DELAY (1 s).
  std::vector<ByteVec> probes;
  Instant now = Instant{};
  for (int i = 0; i < 10 && probes.size() < 2; ++i) {
    auto d = h.stack.next_deadline();
    ASSERT_TRUE(d);
    ASSERT_LE(*d, Instant{} + seconds(1));
    now = *d;
    h.stack.on_timer(now);
    for (auto& f : h.drain()) probes.push_back(std::move(f));
  }
  ASSERT_EQ(probes.size(), 2u);
  for (const Ipv6Addr& a : {h.link_local, h.global}) {
    ByteVec want = icmp6_frame(a.solicited_node().multicast_mac(), h.mac, Ipv6Addr::unspecified(),
                               a.solicited_node(), kNs, 0, ns_body(a));
    EXPECT_TRUE(probes[0] == want || probes[1] == want) << a.to_string();
  }
  // RetransTimer after the last probe without an answer: Preferred.
  h.stack.on_timer(now + seconds(1) + seconds(1));
  EXPECT_EQ(h.address(h.global)->state, Ipv6AddrState::Preferred);
  EXPECT_EQ(h.address(h.link_local)->state, Ipv6AddrState::Preferred);
  EXPECT_TRUE(h.stack.is_local_address6(h.global));
  EXPECT_EQ(h.stack.stats().dad_started, 2u);
  EXPECT_EQ(h.stack.stats().dad_succeeded, 2u);
  EXPECT_TRUE(h.events().empty());
}

TEST(Ipv6Dad, AdvertisementForTentativeAddressIsDuplicate) {
  Host6 h(1, dad_config());
  // While tentative, an echo to the address is not received (§5.4).
  h.rx(ethernet(
           h.mac, kPeerMac, kIpv6,
           ipv6(kPeer, h.global, kIcmp6, icmp6(kPeer, h.global, kEchoReq, 0, echo_body(1, 1, {})))),
       Instant{});
  EXPECT_EQ(h.stack.stats().ipv6_rx_tentative, 1u);
  EXPECT_TRUE(h.drain().empty());
  // Another node defends it: NA to all-nodes with its MAC.
  h.rx(icmp6_frame(Ipv6Addr::all_nodes().multicast_mac(), kPeerMac, h.global, Ipv6Addr::all_nodes(),
                   kNa, 0, na_body(kO, h.global, opt_lla(2, kPeerMac))),
       Instant{});
  EXPECT_EQ(h.address(h.global)->state, Ipv6AddrState::Duplicate);
  EXPECT_EQ(h.stack.stats().dad_duplicates, 1u);
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<Ipv6DadFailed>(ev[0]), (Ipv6DadFailed{h.iface, h.global}));
  // It never becomes ours; the link-local address does.
  h.stack.on_timer(Instant{} + seconds(5));  // the link-local probe
  h.stack.on_timer(Instant{} + seconds(7));  // and its end
  EXPECT_EQ(h.address(h.global)->state, Ipv6AddrState::Duplicate);
  EXPECT_EQ(h.address(h.link_local)->state, Ipv6AddrState::Preferred);
  EXPECT_FALSE(h.stack.is_local_address6(h.global));
  h.drain();
  h.rx(ethernet(
           h.mac, kPeerMac, kIpv6,
           ipv6(kPeer, h.global, kIcmp6, icmp6(kPeer, h.global, kEchoReq, 0, echo_body(1, 1, {})))),
       Instant{} + seconds(7));
  EXPECT_EQ(h.stack.stats().ipv6_rx_not_for_us, 1u);
}

TEST(Ipv6Dad, DuplicateLinkLocalFromTheMacDisablesIpv6OnTheInterface) {
  Host6 h(1, dad_config());
  // Another node defends fe80::ff:fe00:1, the address formed from our MAC (EUI-64).
  h.rx(icmp6_frame(Ipv6Addr::all_nodes().multicast_mac(), kPeerMac, h.link_local,
                   Ipv6Addr::all_nodes(), kNa, 0, na_body(kO, h.link_local, opt_lla(2, kPeerMac))),
       Instant{});
  // RFC 4862 §5.4.5: "IP operation on the interface SHOULD be disabled".
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<Ipv6DadFailed>(ev[0]), (Ipv6DadFailed{h.iface, h.link_local, true}));
  EXPECT_EQ(h.stack.stats().ipv6_disabled_dad, 1u);
  EXPECT_FALSE(h.stack.ipv6_enabled(h.iface));
  EXPECT_TRUE(h.stack.ipv6_addresses(h.iface).empty());
  // Quiet: no DAD probe for the other address, no MLD report (neither the joins'
  // retransmissions nor a leave), no router solicitation, whatever time passes.
  EXPECT_TRUE(h.drain().empty());
  EXPECT_FALSE(h.stack.next_deadline().has_value());
  for (int s = 1; s <= 10; ++s) h.stack.on_timer(Instant{} + seconds(s));
  EXPECT_TRUE(h.drain().empty());
  // Deaf: an echo request to our static address, a probe for it, are dropped and counted.
  h.rx(ethernet(
           h.mac, kPeerMac, kIpv6,
           ipv6(kPeer, h.global, kIcmp6, icmp6(kPeer, h.global, kEchoReq, 0, echo_body(1, 1, {})))),
       Instant{} + seconds(10));
  h.rx(icmp6_frame(h.mac, kPeerMac, Ipv6Addr::unspecified(), h.global.solicited_node(), kNs, 0,
                   ns_body(h.global)),
       Instant{} + seconds(10));
  EXPECT_EQ(h.stack.stats().ipv6_rx_disabled, 2u);
  EXPECT_TRUE(h.drain().empty());
  // Nothing leaves for an IPv6 destination, and it cannot be switched back on.
  auto u = h.stack.udp_bind(Ipv6Addr::unspecified(), 0);
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(h.stack.udp_send_to(*u, kPeer, 7, as_bytes("x"), Instant{} + seconds(10)).ok());
  EXPECT_TRUE(h.drain().empty());
  EXPECT_FALSE(h.stack.enable_ipv6(h.iface, std::nullopt, false, Instant{} + seconds(10)));
  // IPv4 on the interface goes on.
  ASSERT_TRUE(h.stack.udp_send_to(*u, ip(10, 77, 0, 9), 7, as_bytes("x"), Instant{}).ok());
  EXPECT_EQ(h.drain().size(), 1u);  // the ARP request for 10.77.0.9
}

TEST(Ipv6Dad, DuplicateStaticAddressLeavesItsGroupWithMldv2Reports) {
  StackConfig cfg = dad_config();
  cfg.ipv6.mld_robustness = 2;
  // An address whose solicited-node group is its own (not the link-local one's).
  Host6 h(1, cfg, Ipv6Cidr{a6("fd77::ab:cd01"), 64});
  const Ipv6Addr group = h.global.solicited_node();
  ASSERT_EQ(group, a6("ff02::1:ffab:cd01"));
  // Another node probing the same address: ours is a duplicate.
  h.rx(icmp6_frame(group.multicast_mac(), kPeerMac, Ipv6Addr::unspecified(), group, kNs, 0,
                   ns_body(h.global)),
       Instant{});
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<Ipv6DadFailed>(ev[0]), (Ipv6DadFailed{h.iface, h.global, false}));
  // RFC 3810 §6.1: a State Change Report, CHANGE_TO_INCLUDE_MODE (3) with no sources,
  // from :: (the link-local address is still tentative, §5.2.13) to ff02::16, hop limit
  // 1, behind a Hop-by-Hop header with Router Alert (RFC 2711, value 0: MLD).
  const Ipv6Addr mld_routers = Ipv6Addr::all_mldv2_routers();
  Builder report;
  report.u8(143).u8(0).u16(0).u16(0).u16(1);  // type, code, checksum, reserved, 1 record
  report.u8(3).u8(0).u16(0);                  // CHANGE_TO_INCLUDE, no aux data, no sources
  put6(report, group);
  Builder ph;
  put6(ph, Ipv6Addr::unspecified());
  put6(ph, mld_routers);
  ph.u32(static_cast<std::uint32_t>(report.out.size())).u32(kIcmp6);
  Checksum c;
  c.add(ph.out).add(report.out);
  store_be16(report.out, 2, c.finish());
  const ByteVec hbh = Builder{}.u8(kIcmp6).u8(0).u8(5).u8(2).u16(0).u8(1).u8(0).out;
  const ByteVec leave = ethernet(
      mld_routers.multicast_mac(), h.mac, kIpv6,
      ipv6(Ipv6Addr::unspecified(), mld_routers, 0, cat({hbh, report.out}), /*hop_limit=*/1));
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], leave);
  EXPECT_EQ(mld_routers.multicast_mac(), (MacAddr{{0x33, 0x33, 0, 0, 0, 0x16}}));
  const std::vector<Ipv6Addr> groups = h.stack.ipv6_groups(h.iface);
  EXPECT_EQ(std::count(groups.begin(), groups.end(), group), 0);
  // Robustness Variable 2: one more leave within the Unsolicited Report Interval (1 s);
  // the join's retransmission for that group is never sent.
  std::vector<ByteVec> later;
  for (int ms = 100; ms <= 1500; ms += 100) {
    h.stack.on_timer(Instant{} + milliseconds(ms));
    for (auto& f : h.drain()) {
      if (load_u8(f, 14 + 40 + 8) == 143) later.push_back(std::move(f));
    }
  }
  std::size_t leaves = 0;
  for (const ByteVec& f : later) {
    const auto m = parse_icmp6(f);
    ASSERT_EQ(m.record_count, 1);
    if (m.records[0].group == group) {
      EXPECT_EQ(f, leave);
      ++leaves;
    } else {
      EXPECT_EQ(m.records[0].type, wire::MldRecord::kChangeToExclude);  // the link-local's
    }
  }
  EXPECT_EQ(leaves, 1u);
  EXPECT_EQ(h.stack.stats().mld_tx_leaves, 2u);
}

TEST(Ipv6Dad, SolicitationFromAnotherProberIsDuplicate) {
  Host6 h(1, dad_config());
  // Another node probing the same address: NS from :: to the solicited-node group.
  h.rx(icmp6_frame(h.global.solicited_node().multicast_mac(), kPeerMac, Ipv6Addr::unspecified(),
                   h.global.solicited_node(), kNs, 0, ns_body(h.global)),
       Instant{});
  EXPECT_EQ(h.address(h.global)->state, Ipv6AddrState::Duplicate);
  EXPECT_EQ(h.stack.stats().dad_duplicates, 1u);
  // An NS from a unicast source for a tentative address is address resolution: ignored.
  h.rx(icmp6_frame(h.link_local.solicited_node().multicast_mac(), kPeerMac, kPeer,
                   h.link_local.solicited_node(), kNs, 0,
                   ns_body(h.link_local, opt_lla(1, kPeerMac))),
       Instant{});
  EXPECT_EQ(h.address(h.link_local)->state, Ipv6AddrState::Tentative);
  EXPECT_TRUE(h.drain().empty());
}

TEST(Ipv6Dad, ProbeForOurAddressIsDefended) {
  Host6 h(1);  // no DAD: the addresses are ours at once
  h.rx(icmp6_frame(h.global.solicited_node().multicast_mac(), kPeerMac, Ipv6Addr::unspecified(),
                   h.global.solicited_node(), kNs, 0, ns_body(h.global)),
       Instant{});
  auto out = h.drain();
  ASSERT_EQ(out.size(), 1u);
  // RFC 4861 §7.2.4: to all-nodes, S clear.
  EXPECT_EQ(out[0],
            icmp6_frame(Ipv6Addr::all_nodes().multicast_mac(), h.mac, h.global,
                        Ipv6Addr::all_nodes(), kNa, 0, na_body(kO, h.global, opt_lla(2, h.mac))));
}

}  // namespace
}  // namespace synack::stack::test
