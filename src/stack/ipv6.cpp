// Stack: the IPv6 host (RFC 8200, RFC 4861, RFC 4862, RFC 4443, RFC 3810, RFC 6724):
// interface addresses and DAD, NDP with NUD (the cache is ndp.cpp), router discovery
// and SLAAC, input with the extension header walk and reassembly, ICMPv6, output with
// source selection and fragmentation, MLDv2 reports.
#include <algorithm>

#include "synack/base/checksum.hpp"
#include "synack/stack/stack.hpp"
#include "synack/tcp/icmpv6_error.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/icmp.hpp"
#include "synack/wire/udp.hpp"

namespace synack::stack {

namespace {

constexpr std::uint8_t kIcmpv6 = 58;
constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kNoNextHeader = 59;
constexpr std::uint8_t kFragmentHeader = 44;
constexpr std::uint8_t kNdpHopLimit = 255;  // RFC 4861: sent with 255, accepted only with it
constexpr std::uint16_t kEtherIpv6 = static_cast<std::uint16_t>(wire::EtherType::Ipv6);
constexpr std::uint32_t kInfinite = 0xffffffffu;  // RFC 4861 §4.6.2: infinity
constexpr Duration kTwoHours = std::chrono::hours(2);

std::uint8_t type_byte(wire::Icmpv6Type t) {
  return static_cast<std::uint8_t>(t);
}

std::optional<Instant> lifetime_end(std::uint32_t seconds, Instant now) {
  if (seconds == kInfinite) return std::nullopt;
  return now + std::chrono::seconds(seconds);
}

// RFC 6724 §3.1: the scope of a unicast address (link-local 2, global 14; a unique
// local address is global scope there) or a multicast address's scope field.
int scope_of(const wire::Ipv6Addr& a) {
  if (a.is_multicast()) return a.multicast_scope();
  if (a.is_loopback()) return 1;
  if (a.is_link_local()) return 2;
  return 14;
}

std::array<std::byte, 16> key_bytes(const wire::Ipv6Addr& a) {
  std::array<std::byte, 16> out{};
  for (std::size_t i = 0; i < 16; ++i) out[i] = std::byte{a.octets[i]};
  return out;
}

bool receives(Ipv6AddrState s) {
  return s == Ipv6AddrState::Preferred || s == Ipv6AddrState::Deprecated;
}

}  // namespace

std::string_view to_string(Ipv6AddrState s) {
  switch (s) {
    case Ipv6AddrState::Tentative:
      return "tentative";
    case Ipv6AddrState::Preferred:
      return "preferred";
    case Ipv6AddrState::Deprecated:
      return "deprecated";
    case Ipv6AddrState::Duplicate:
      return "duplicate";
  }
  return "?";
}

Duration Stack::random_between(Duration lo, Duration hi) {
  if (hi <= lo) return lo;
  return lo + Duration(static_cast<Duration::rep>(
                  random_.below(static_cast<std::uint64_t>((hi - lo).count()) + 1)));
}

// --- configuration and accessors ----------------------------------------------

bool Stack::enable_ipv6(IfaceId id, std::optional<wire::Ipv6Cidr> static_addr, bool slaac,
                        Instant now) {
  if (id.value >= ifaces_.size() || v6_[id.value].enabled) return false;
  const bool first =
      std::none_of(v6_.begin(), v6_.end(), [](const V6Iface& v) { return v.enabled; });
  if (first) {
    // RFC 4861 §6.3.2: ReachableTime is uniformly distributed between 0.5 and 1.5 times
    // BaseReachableTime (drawn here, not at construction: a Stack without IPv6 draws
    // nothing more from its Random than before).
    const Duration base = config_.ipv6.base_reachable_time;
    ndp_.set_reachable_time(random_between(base / 2, base * 3 / 2));
  }
  V6Iface& v = v6_[id.value];
  v.enabled = true;
  v.slaac = slaac;
  v.mtu = ifaces_[id.value].mtu;
  v.cur_hop_limit = config_.ipv6.hop_limit;
  // RFC 4862 §5.3: the link-local address, always.
  Ipv6AddrInfo ll;
  ll.cidr = wire::Ipv6Cidr{wire::Ipv6Addr::link_local_from_mac(ifaces_[id.value].mac), 64};
  ll.origin = Ipv6AddrOrigin::LinkLocal;
  add_address6(id, ll, now);
  if (static_addr) {
    Ipv6AddrInfo st;
    st.cidr = *static_addr;
    st.origin = Ipv6AddrOrigin::Static;
    add_address6(id, st, now);
    if (static_addr->prefix_len < 128) {
      v.prefixes.push_back(
          Ipv6Prefix{id, wire::Ipv6Cidr{static_addr->network(), static_addr->prefix_len}, {}});
    }
  }
  // RFC 4861 §6.3.7: the first Router Solicitation after a random delay of up to
  // MAX_RTR_SOLICITATION_DELAY.
  if (config_.ipv6.max_rtr_solicitations > 0) {
    v.rs_next = now + random_between(Duration::zero(), config_.ipv6.max_rtr_solicitation_delay);
  }
  return true;
}

bool Stack::ipv6_enabled(IfaceId id) const {
  return id.value < v6_.size() && v6_[id.value].enabled && !v6_[id.value].disabled;
}

std::vector<Ipv6AddrInfo> Stack::ipv6_addresses(IfaceId id) const {
  std::vector<Ipv6AddrInfo> out;
  if (!ipv6_enabled(id)) return out;
  for (const V6Addr& a : v6_[id.value].addrs) out.push_back(a.info);
  return out;
}

std::vector<Ipv6Router> Stack::ipv6_routers() const {
  std::vector<Ipv6Router> out;
  for (const V6Iface& v : v6_) out.insert(out.end(), v.routers.begin(), v.routers.end());
  return out;
}

std::vector<Ipv6Prefix> Stack::ipv6_prefixes() const {
  std::vector<Ipv6Prefix> out;
  for (const V6Iface& v : v6_) out.insert(out.end(), v.prefixes.begin(), v.prefixes.end());
  return out;
}

std::size_t Stack::ipv6_mtu(IfaceId id) const {
  return ipv6_enabled(id) ? v6_[id.value].mtu : 0;
}

std::vector<wire::Ipv6Addr> Stack::ipv6_groups(IfaceId id) const {
  std::vector<wire::Ipv6Addr> out;
  if (!ipv6_enabled(id)) return out;
  out.push_back(wire::Ipv6Addr::all_nodes());
  out.insert(out.end(), v6_[id.value].groups.begin(), v6_[id.value].groups.end());
  return out;
}

std::optional<std::size_t> Stack::path_mtu6(const wire::Ipv6Addr& dst) const {
  auto it = dests_.find(dst);
  if (it == dests_.end() || it->second.pmtu == 0) return std::nullopt;
  return it->second.pmtu;
}

Stack::V6Addr* Stack::find_addr6(IfaceId id, const wire::Ipv6Addr& a) {
  if (!ipv6_enabled(id)) return nullptr;
  for (V6Addr& x : v6_[id.value].addrs) {
    if (x.info.cidr.addr == a) return &x;
  }
  return nullptr;
}

const Stack::V6Addr* Stack::find_addr6(IfaceId id, const wire::Ipv6Addr& a) const {
  return const_cast<Stack*>(this)->find_addr6(id, a);
}

bool Stack::is_local_address6(const wire::Ipv6Addr& a) const {
  for (const Interface& i : ifaces_) {
    const V6Addr* x = find_addr6(i.id, a);
    if (x && receives(x->info.state)) return true;
  }
  return false;
}

std::optional<wire::Ipv6Addr> Stack::link_local6(IfaceId id) const {
  if (!ipv6_enabled(id)) return std::nullopt;
  for (const V6Addr& a : v6_[id.value].addrs) {
    if (a.info.origin == Ipv6AddrOrigin::LinkLocal && receives(a.info.state)) {
      return a.info.cidr.addr;
    }
  }
  return std::nullopt;
}

// RFC 6724 §5, rules 1-3 (then 8, longest matching prefix, as a tie-break).
std::optional<wire::Ipv6Addr> Stack::select_source6(IfaceId id, const wire::Ipv6Addr& dst) const {
  if (!ipv6_enabled(id)) return std::nullopt;
  const int dscope = scope_of(dst);
  auto common = [&](const wire::Ipv6Addr& a) {
    int n = 0;
    for (std::size_t i = 0; i < 16; ++i) {
      auto x = static_cast<std::uint8_t>(a.octets[i] ^ dst.octets[i]);
      if (x == 0) {
        n += 8;
        continue;
      }
      while ((x & 0x80) == 0) {
        ++n;
        x = static_cast<std::uint8_t>(x << 1);
      }
      break;
    }
    return n;
  };
  // True if SA is better than SB.
  auto better = [&](const V6Addr& a, const V6Addr& b) {
    const wire::Ipv6Addr& sa = a.info.cidr.addr;
    const wire::Ipv6Addr& sb = b.info.cidr.addr;
    // Rule 1: prefer the same address.
    if (sa == dst) return true;
    if (sb == dst) return false;
    // Rule 2: prefer appropriate scope.
    const int as = scope_of(sa), bs = scope_of(sb);
    if (as < bs) return as >= dscope;
    if (bs < as) return bs < dscope;
    // Rule 3: avoid deprecated addresses.
    const bool ad = a.info.state == Ipv6AddrState::Deprecated;
    const bool bd = b.info.state == Ipv6AddrState::Deprecated;
    if (ad != bd) return !ad;
    // Rule 8: the longest matching prefix.
    return common(sa) > common(sb);
  };
  const V6Addr* best = nullptr;
  for (const V6Addr& a : v6_[id.value].addrs) {
    if (!receives(a.info.state)) continue;
    if (!best || better(a, *best)) best = &a;
  }
  if (!best) return std::nullopt;
  return best->info.cidr.addr;
}

bool Stack::on_link6(IfaceId id, const wire::Ipv6Addr& dst) const {
  if (dst.is_link_local() || dst.is_multicast()) return true;
  for (const Ipv6Prefix& p : v6_[id.value].prefixes) {
    if (p.prefix.contains(dst)) return true;
  }
  return false;
}

std::optional<Route6> Stack::route6(const wire::Ipv6Addr& dst, const wire::Ipv6Addr& src_hint,
                                    std::optional<IfaceId> zone) const {
  if (dst.is_unspecified() || dst.is_loopback()) return std::nullopt;
  std::optional<IfaceId> first;
  for (const Interface& i : ifaces_) {
    if (ipv6_enabled(i.id)) {
      first = i.id;
      break;
    }
  }
  if (!first) return std::nullopt;
  Route6 r;
  bool found = false;
  if (dst.is_multicast() || dst.is_link_local()) {
    // Scoped to one link: the zone given, else the first interface with IPv6.
    r.iface = zone && ipv6_enabled(*zone) ? *zone : *first;
    r.next_hop = dst;
    r.multicast = dst.is_multicast();
    found = true;
  }
  if (!found) {
    // A Redirect's next hop (RFC 4861 §8.3), then the on-link prefixes (longest wins),
    // then the first default router (RFC 4861 §5.2, §6.3.6).
    auto d = dests_.find(dst);
    if (d != dests_.end() && d->second.redirect && ipv6_enabled(d->second.iface)) {
      r.iface = d->second.iface;
      r.next_hop = *d->second.redirect;
      found = true;
    }
  }
  if (!found) {
    int best_len = -1;
    for (const Interface& i : ifaces_) {
      if (!ipv6_enabled(i.id)) continue;
      if (find_addr6(i.id, dst)) {  // one of our own addresses: looped back
        r.iface = i.id;
        r.next_hop = dst;
        best_len = 129;
        break;
      }
      for (const Ipv6Prefix& p : v6_[i.id.value].prefixes) {
        if (p.prefix.contains(dst) && p.prefix.prefix_len > best_len) {
          best_len = p.prefix.prefix_len;
          r.iface = i.id;
          r.next_hop = dst;
        }
      }
    }
    found = best_len >= 0;
  }
  if (!found) {
    // RFC 4861 §6.3.6: prefer a router known reachable (not Incomplete) over others.
    const Ipv6Router* pick = nullptr;
    for (const V6Iface& v : v6_) {
      for (const Ipv6Router& rt : v.routers) {
        auto e = ndp_.find(NdpKey{rt.iface, rt.addr});
        const bool good = e && e->state != NudState::Incomplete;
        if (!pick || (good && !ndp_.find(NdpKey{pick->iface, pick->addr}))) pick = &rt;
        if (good) break;
      }
    }
    if (!pick) return std::nullopt;
    r.iface = pick->iface;
    r.next_hop = pick->addr;
  }
  const V6Addr* hinted = src_hint.is_unspecified() ? nullptr : find_addr6(r.iface, src_hint);
  if (hinted && receives(hinted->info.state)) {
    r.src = src_hint;
  } else {
    auto s = select_source6(r.iface, dst);
    if (!s) return std::nullopt;
    r.src = *s;
  }
  r.mtu = v6_[r.iface.value].mtu;
  if (auto p = path_mtu6(dst)) r.mtu = std::min(r.mtu, *p);
  return r;
}

// --- addresses, DAD, MLD -------------------------------------------------------

void Stack::add_address6(IfaceId id, Ipv6AddrInfo info, Instant now) {
  V6Iface& v = v6_[id.value];
  if (v.addrs.size() >= config_.ipv6.max_addresses) return;
  V6Addr a;
  a.info = info;
  if (config_.ipv6.dad_transmits == 0) {
    a.info.state = Ipv6AddrState::Preferred;
  } else {
    // RFC 4862 §5.4.2: join the solicited-node group first, then send the first probe
    // after a random delay of up to MAX_RTR_SOLICITATION_DELAY.
    a.info.state = Ipv6AddrState::Tentative;
    a.dad_left = config_.ipv6.dad_transmits;
    a.dad_next = now + random_between(Duration::zero(), config_.ipv6.max_rtr_solicitation_delay);
    ++stats_.dad_started;
  }
  const wire::Ipv6Addr group = info.cidr.addr.solicited_node();
  v.addrs.push_back(a);
  join_group6(id, group, now);
}

void Stack::join_group6(IfaceId id, const wire::Ipv6Addr& group, Instant now) {
  V6Iface& v = v6_[id.value];
  if (std::find(v.groups.begin(), v.groups.end(), group) != v.groups.end()) return;
  v.groups.push_back(group);
  // CHANGE_TO_EXCLUDE_MODE with no sources is a join.
  mld_state_change(id, group, wire::MldRecord::kChangeToExclude, now);
}

void Stack::mld_state_change(IfaceId id, const wire::Ipv6Addr& group, std::uint8_t record_type,
                             Instant now) {
  V6Iface& v = v6_[id.value];
  // RFC 3810 §6.1: a state-change report, sent now and [Robustness Variable] - 1 more
  // times at random intervals within the Unsolicited Report Interval; it replaces the
  // retransmissions still pending of an earlier change of the same group.
  std::erase_if(v.mld, [&](const MldPending& p) { return p.group == group; });
  send_mld_report(id, std::span(&group, 1), record_type, now);
  Instant at = now;
  for (std::uint32_t i = 1; i < config_.ipv6.mld_robustness; ++i) {
    at = at + random_between(Duration::zero(), config_.ipv6.mld_unsolicited_interval);
    v.mld.push_back(MldPending{at, group, record_type});
  }
}

void Stack::send_mld_report(IfaceId id, std::span<const wire::Ipv6Addr> groups,
                            std::uint8_t record_type, Instant /*now*/) {
  wire::Icmpv6Repr m;
  m.type = type_byte(wire::Icmpv6Type::MldV2Report);
  for (const wire::Ipv6Addr& g : groups) {
    if (m.record_count == wire::Icmpv6Repr::kMaxMldRecords) break;
    m.records[m.record_count++] = wire::MldRecord{record_type, 0, g};
  }
  if (m.record_count == 0) return;
  // RFC 3810 §5.2.13: from a link-local address, or :: while none is valid (DAD).
  const wire::Ipv6Addr src = link_local6(id).value_or(wire::Ipv6Addr::unspecified());
  ByteVec frame(kEthHeaderLen + wire::Ipv6Repr::kHeaderLen + 8 + m.total_len());
  wire::emit_mld_report_packet(MutBytes(frame).subspan(kEthHeaderLen), src, m);
  ++stats_.mld_tx_reports;
  if (record_type == wire::MldRecord::kChangeToInclude) ++stats_.mld_tx_leaves;
  ++stats_.ipv6_tx;
  emit_frame(id, wire::Ipv6Addr::all_mldv2_routers().multicast_mac(), kEtherIpv6, std::move(frame));
}

void Stack::dad_failed(IfaceId id, std::size_t index, Instant now) {
  V6Iface& v = v6_[id.value];
  V6Addr& a = v.addrs[index];
  if (a.info.state != Ipv6AddrState::Tentative) return;
  // RFC 4862 §5.4.5: "the address MUST NOT be assigned to the interface" and the
  // condition SHOULD be logged: an event and a counter.
  a.info.state = Ipv6AddrState::Duplicate;
  ++stats_.dad_duplicates;
  const wire::Ipv6Addr addr = a.info.cidr.addr;
  // "If the address is a link-local address formed from an interface identifier based
  // on the hardware address, which is supposed to be uniquely assigned (e.g., EUI-64
  // for an Ethernet interface), IP operation on the interface SHOULD be disabled."
  // Disabled, the interface sends nothing more (no MLD leave either: another node
  // holds that address and its solicited-node group) and takes no IPv6 packet in.
  if (a.info.origin == Ipv6AddrOrigin::LinkLocal &&
      addr == wire::Ipv6Addr::link_local_from_mac(ifaces_[id.value].mac)) {
    v.disabled = true;
    v.mld.clear();
    v.rs_next.reset();
    ndp_.clear_iface(id);
    ++stats_.ipv6_disabled_dad;
    push_event(Ipv6DadFailed{id, addr, true});
    return;
  }
  push_event(Ipv6DadFailed{id, addr, false});
  leave_group6(id, addr.solicited_node(), now);
}

void Stack::leave_group6(IfaceId id, const wire::Ipv6Addr& group, Instant now) {
  V6Iface& v = v6_[id.value];
  // Still needed by another address of ours (the solicited-node group of a SLAAC
  // address is usually the link-local address's).
  const bool needed = std::any_of(v.addrs.begin(), v.addrs.end(), [&](const V6Addr& a) {
    return a.info.state != Ipv6AddrState::Duplicate && a.info.cidr.addr.solicited_node() == group;
  });
  auto it = std::find(v.groups.begin(), v.groups.end(), group);
  if (needed || it == v.groups.end()) return;
  v.groups.erase(it);
  // RFC 3810 §6.1: "CHANGE_TO_INCLUDE_MODE" with no sources is a leave.
  mld_state_change(id, group, wire::MldRecord::kChangeToInclude, now);
}

// --- timers ----------------------------------------------------------------------

void Stack::ipv6_timers(Instant now) {
  for (const Interface& iface : ifaces_) {
    V6Iface& v = v6_[iface.id.value];
    if (!ipv6_enabled(iface.id)) continue;
    // DAD (RFC 4862 §5.4.2): DupAddrDetectTransmits solicitations RetransTimer apart;
    // no conflict RetransTimer after the last one: the address is ours.
    for (V6Addr& a : v.addrs) {
      if (a.info.state != Ipv6AddrState::Tentative || now < a.dad_next) continue;
      if (a.dad_left > 0) {
        --a.dad_left;
        a.dad_next = now + ndp_.retrans_timer();
        send_neighbor_solicit(iface.id, a.info.cidr.addr, std::nullopt, true, now);
        continue;
      }
      a.info.state = Ipv6AddrState::Preferred;
      ++stats_.dad_succeeded;
    }
    // Lifetimes (RFC 4862 §5.5.4): preferred over -> Deprecated; valid over -> removed.
    for (V6Addr& a : v.addrs) {
      if (a.info.preferred_until && now >= *a.info.preferred_until &&
          a.info.state == Ipv6AddrState::Preferred) {
        a.info.state = Ipv6AddrState::Deprecated;
      }
    }
    // Only SLAAC addresses expire; their modified EUI-64 identifier usually shares its
    // low 24 bits (and so its solicited-node group) with the link-local address, in
    // which case leave_group6 keeps the group.
    std::vector<wire::Ipv6Addr> gone;
    std::erase_if(v.addrs, [&](const V6Addr& a) {
      const bool expired = a.info.valid_until && now >= *a.info.valid_until;
      if (expired) gone.push_back(a.info.cidr.addr.solicited_node());
      return expired;
    });
    for (const wire::Ipv6Addr& g : gone) leave_group6(iface.id, g, now);
    // Router solicitation (RFC 4861 §6.3.7).
    if (v.rs_next && now >= *v.rs_next) {
      send_router_solicit(iface.id, now);
      ++v.rs_sent;
      if (v.rs_sent < config_.ipv6.max_rtr_solicitations) {
        v.rs_next = now + config_.ipv6.rtr_solicitation_interval;
      } else {
        v.rs_next.reset();
      }
    }
    // Default routers and prefixes whose lifetime ran out (RFC 4861 §6.3.5).
    stats_.ndp_routers_removed +=
        std::erase_if(v.routers, [&](const Ipv6Router& r) { return now >= r.expires; });
    std::erase_if(v.prefixes, [&](const Ipv6Prefix& p) { return p.expires && now >= *p.expires; });
    // MLD reports that are due.
    std::vector<MldPending> due;
    for (auto it = v.mld.begin(); it != v.mld.end();) {
      if (now >= it->at) {
        due.push_back(*it);
        it = v.mld.erase(it);
      } else {
        ++it;
      }
    }
    for (const MldPending& p : due) {
      if (p.group) {
        // A join's retransmission while the group is still joined; a leave's (its
        // group is gone) always.
        const bool joined = std::find(v.groups.begin(), v.groups.end(), *p.group) != v.groups.end();
        if (joined != (p.record_type == wire::MldRecord::kChangeToInclude)) {
          send_mld_report(iface.id, std::span(&*p.group, 1), p.record_type, now);
        }
      } else {
        send_mld_report(iface.id, v.groups, p.record_type, now);
      }
    }
  }
  // Neighbour Unreachability Detection (RFC 4861 §7.3.3).
  auto r = ndp_.on_timer(now);
  for (const NdpKey& k : r.multicast_solicit) {
    send_neighbor_solicit(k.iface, k.addr, std::nullopt, false, now);
  }
  for (const auto& [k, mac] : r.unicast_solicit) {
    send_neighbor_solicit(k.iface, k.addr, mac, false, now);
  }
  stats_.ndp_resolution_failed += r.gave_up;
  stats_.ndp_drop_unresolved += r.dropped_frames;
  // Path MTU estimates age out (RFC 8201 §4); an entry with nothing left goes.
  for (auto it = dests_.begin(); it != dests_.end();) {
    DestEntry& d = it->second;
    if (d.pmtu != 0 && now >= d.pmtu_expires) d.pmtu = 0;
    it = d.pmtu == 0 && !d.redirect ? dests_.erase(it) : std::next(it);
  }
}

std::optional<Instant> Stack::ipv6_deadline() const {
  std::optional<Instant> best;
  auto take = [&](std::optional<Instant> t) {
    if (t && (!best || *t < *best)) best = t;
  };
  for (const V6Iface& v : v6_) {
    if (!v.enabled || v.disabled) continue;
    for (const V6Addr& a : v.addrs) {
      if (a.info.state == Ipv6AddrState::Tentative) take(a.dad_next);
      if (a.info.state == Ipv6AddrState::Preferred) take(a.info.preferred_until);
      take(a.info.valid_until);
    }
    take(v.rs_next);
    for (const Ipv6Router& r : v.routers) take(r.expires);
    for (const Ipv6Prefix& p : v.prefixes) take(p.expires);
    for (const MldPending& m : v.mld) take(m.at);
  }
  for (const auto& [dst, d] : dests_) {
    if (d.pmtu != 0) take(d.pmtu_expires);
  }
  return best;
}

// --- output ------------------------------------------------------------------------

void Stack::emit6(IfaceId iface, wire::MacAddr dst_mac, const wire::Ipv6Addr& src,
                  const wire::Ipv6Addr& dst, std::uint8_t hop_limit, ByteVec frame) {
  wire::Ipv6Repr ip;
  ip.next_header = kIcmpv6;
  ip.hop_limit = hop_limit;
  ip.src = src;
  ip.dst = dst;
  ip.payload = Bytes(frame).subspan(kIpv6TransportOffset);
  ip.emit(MutBytes(frame).subspan(kEthHeaderLen));
  ++stats_.ipv6_tx;
  emit_frame(iface, dst_mac, kEtherIpv6, std::move(frame));
}

void Stack::send_neighbor_solicit(IfaceId iface, const wire::Ipv6Addr& target,
                                  std::optional<wire::MacAddr> unicast, bool dad, Instant /*now*/) {
  // RFC 4861 §7.2.2: from one of our addresses (RFC 4862 §5.4.2: from :: for DAD, with
  // no Source Link-Layer Address option).
  wire::Ipv6Addr src;
  if (!dad) {
    auto s = select_source6(iface, target);
    if (!s) return;
    src = *s;
  }
  wire::Icmpv6Repr ns;
  ns.type = type_byte(wire::Icmpv6Type::NeighborSolicit);
  ns.target = target;
  if (!dad) ns.options.source_lla = ifaces_[iface.value].mac;
  const wire::Ipv6Addr dst = unicast ? target : target.solicited_node();
  ByteVec frame(kIpv6TransportOffset + ns.total_len());
  ns.emit(MutBytes(frame).subspan(kIpv6TransportOffset), wire::PseudoHeader::ipv6(src, dst));
  ++stats_.ndp_tx_ns;
  emit6(iface, unicast ? *unicast : dst.multicast_mac(), src, dst, kNdpHopLimit, std::move(frame));
}

void Stack::send_neighbor_advert(IfaceId iface, const wire::Ipv6Addr& target,
                                 const wire::Ipv6Addr& dst, bool solicited, Instant now) {
  // RFC 4861 §7.2.4: Target the solicited address, S set when answering a unicast-sourced
  // solicitation, O set (ours is no anycast address), the Target Link-Layer Address.
  wire::Icmpv6Repr na;
  na.type = type_byte(wire::Icmpv6Type::NeighborAdvert);
  na.target = target;
  na.na_flags = wire::Icmpv6Repr::kNaOverride;
  if (solicited) na.na_flags |= wire::Icmpv6Repr::kNaSolicited;
  na.options.target_lla = ifaces_[iface.value].mac;
  Route6 r;
  r.iface = iface;
  r.next_hop = dst;
  r.src = target;
  r.mtu = v6_[iface.value].mtu;
  r.multicast = dst.is_multicast();
  ++stats_.ndp_tx_na;
  (void)send_icmpv6(r, target, dst, na, kNdpHopLimit, false, now);
}

void Stack::send_router_solicit(IfaceId iface, Instant /*now*/) {
  // RFC 4861 §6.3.7: to all-routers; with the Source Link-Layer Address option unless
  // the source is :: (no link-local address valid yet).
  const auto src = link_local6(iface);
  wire::Icmpv6Repr rs;
  rs.type = type_byte(wire::Icmpv6Type::RouterSolicit);
  if (src) rs.options.source_lla = ifaces_[iface.value].mac;
  const wire::Ipv6Addr s = src.value_or(wire::Ipv6Addr::unspecified());
  const wire::Ipv6Addr dst = wire::Ipv6Addr::all_routers();
  ByteVec frame(kIpv6TransportOffset + rs.total_len());
  rs.emit(MutBytes(frame).subspan(kIpv6TransportOffset), wire::PseudoHeader::ipv6(s, dst));
  ++stats_.ndp_tx_rs;
  emit6(iface, dst.multicast_mac(), s, dst, kNdpHopLimit, std::move(frame));
}

Status<SendError> Stack::send_icmpv6(const Route6& route, const wire::Ipv6Addr& src,
                                     const wire::Ipv6Addr& dst, const wire::Icmpv6Repr& msg,
                                     std::uint8_t hop_limit, bool may_fragment, Instant now) {
  const wire::Ipv6Addr s = src.is_unspecified() ? route.src : src;
  ByteVec frame(kIpv6TransportOffset + msg.total_len());
  msg.emit(MutBytes(frame).subspan(kIpv6TransportOffset), wire::PseudoHeader::ipv6(s, dst));
  return send_ipv6(route, s, dst, kIcmpv6, std::move(frame), hop_limit, may_fragment, now);
}

Status<SendError> Stack::send_ipv6(const Route6& route, const wire::Ipv6Addr& src,
                                   const wire::Ipv6Addr& dst, std::uint8_t next_header,
                                   ByteVec frame, std::uint8_t hop_limit, bool may_fragment,
                                   Instant now, std::uint8_t traffic_class, TxMeta tx) {
  const wire::Ipv6Addr s = src.is_unspecified() ? route.src : src;
  const std::size_t payload_len = frame.size() - kIpv6TransportOffset;
  // A TSO6 super-segment is bounded by what the link segments; its pieces fit the MTU.
  const std::size_t mtu = tx.gso_size != 0 ? ifaces_[route.iface.value].offloads.tso6_max
                                           : std::max(route.mtu, kMinIpv6Mtu);
  if (payload_len > 0xffff || (wire::Ipv6Repr::kHeaderLen + payload_len > mtu && !may_fragment)) {
    ++stats_.ipv6_tx_too_long;
    return Err{SendError::MessageTooLong};
  }
  const IfaceId iface = route.iface;
  const wire::Ipv6Addr next_hop = route.multicast ? dst : route.next_hop;
  // Writes the IPv6 header in front of what `f` carries at kIpv6TransportOffset, sends it.
  auto send_packet = [&](ByteVec f, std::uint8_t nh) {
    wire::Ipv6Repr ip;
    ip.next_header = nh;
    ip.hop_limit = hop_limit;
    ip.traffic_class = traffic_class;
    ip.src = s;
    ip.dst = dst;
    ip.payload = Bytes(f).subspan(kIpv6TransportOffset);
    ip.emit(MutBytes(f).subspan(kEthHeaderLen));
    ++stats_.ipv6_tx;
    transmit6(iface, next_hop, std::move(f), now, tx);
  };
  if (wire::Ipv6Repr::kHeaderLen + payload_len <= mtu) {
    send_packet(std::move(frame), next_header);
    return {};
  }
  // RFC 8200 §4.5: the unfragmentable part is the IPv6 header alone (we send no
  // extension headers before the upper layer); each fragment but the last carries a
  // multiple of 8 bytes. The Identification is unpredictable (RFC 7739): drawn from the
  // injected Random. The transport checksum covers the whole datagram: finished here.
  finish_in_software(frame, tx);
  const Bytes payload = Bytes(frame).subspan(kIpv6TransportOffset);
  const std::size_t max_data =
      (mtu - wire::Ipv6Repr::kHeaderLen - wire::Ipv6FragmentHeader::kLen) & ~std::size_t{7};
  const std::uint32_t ident = random_.next_u32();
  for (std::size_t off = 0; off < payload.size(); off += max_data) {
    const std::size_t n = std::min(max_data, payload.size() - off);
    ByteVec f(kIpv6TransportOffset + wire::Ipv6FragmentHeader::kLen + n);
    wire::Ipv6FragmentHeader fh;
    fh.next_header = next_header;
    fh.offset = static_cast<std::uint16_t>(off / 8);
    fh.more = off + n < payload.size();
    fh.ident = ident;
    fh.emit(MutBytes(f).subspan(kIpv6TransportOffset));
    std::copy_n(payload.begin() + static_cast<std::ptrdiff_t>(off), n,
                f.begin() + static_cast<std::ptrdiff_t>(kIpv6TransportOffset +
                                                        wire::Ipv6FragmentHeader::kLen));
    ++stats_.ipv6_tx_fragments;
    send_packet(std::move(f), kFragmentHeader);
  }
  return {};
}

void Stack::transmit6(IfaceId iface, const wire::Ipv6Addr& next_hop, ByteVec frame, Instant now,
                      TxMeta tx) {
  if (!ifaces_[iface.value].offloads.tx_checksum) finish_in_software(frame, tx);
  if (next_hop.is_multicast()) {
    // RFC 2464 §7: 33:33 and the low 32 bits of the group.
    emit_frame(iface, next_hop.multicast_mac(), kEtherIpv6, std::move(frame), tx);
    return;
  }
  if (find_addr6(iface, next_hop)) {
    ++stats_.ip_loopback;
    // Our own input verifies every checksum, and takes a super-segment whole.
    finish_in_software(frame, tx);
    loopback_.push_back(Frame{iface, std::move(frame), {}});
    return;
  }
  const NdpKey key{iface, next_hop};
  if (auto mac = ndp_.lookup_for_send(key, now)) {
    emit_frame(iface, *mac, kEtherIpv6, std::move(frame), tx);
    return;
  }
  if (tx.gso_size != 0) {
    // As transmit() for ARP: a super-segment cannot wait for NDP (the queue keeps bytes,
    // and without its GSO request it would be one packet larger than the MTU). TCP
    // sends the data again, by then in segments or with the neighbour known.
    ++stats_.tx_super_dropped;
    return;
  }
  // The wait queue keeps bytes only: whatever the link was to do is done now.
  finish_in_software(frame, tx);
  switch (ndp_.enqueue(key, std::move(frame), now)) {
    case NdpCache::Enqueued::SendSolicit:
      send_neighbor_solicit(iface, next_hop, std::nullopt, false, now);
      break;
    case NdpCache::Enqueued::Queued:
      break;
    case NdpCache::Enqueued::DropQueueFull:
      ++stats_.ndp_drop_queue_full;
      break;
    case NdpCache::Enqueued::DropCacheFull:
      ++stats_.ndp_drop_cache_full;
      break;
  }
}

void Stack::release6(IfaceId iface, wire::MacAddr mac, std::vector<ByteVec>& frames) {
  for (auto& f : frames) emit_frame(iface, mac, kEtherIpv6, std::move(f));
  frames.clear();
}

Status<SendError> Stack::send_ping6(const wire::Ipv6Addr& dst, std::uint16_t ident,
                                    std::uint16_t seq, Bytes data, Instant now) {
  auto r = route6(dst);
  if (!r) {
    ++stats_.ipv6_tx_no_route;
    return Err{SendError::NoRoute};
  }
  wire::Icmpv6Repr echo;
  echo.type = type_byte(wire::Icmpv6Type::EchoRequest);
  echo.ident = ident;
  echo.seq_no = seq;
  echo.data = data;
  auto sent = send_icmpv6(*r, r->src, dst, echo, v6_[r->iface.value].cur_hop_limit, true, now);
  if (!sent) return sent;
  ++stats_.icmpv6_tx_echo_requests;
  run_loopback(now);
  return {};
}

// RFC 4443 §2.4(f): a token bucket, as for IPv4 (icmp_rate_ok).
bool Stack::icmp6_rate_ok(Instant now) {
  const Ipv6Config& c = config_.ipv6;
  if (c.icmp_error_interval > Duration::zero() && now > icmp6_refilled_) {
    auto earned = (now - icmp6_refilled_) / c.icmp_error_interval;
    if (earned > 0) {
      icmp6_tokens_ = static_cast<std::uint32_t>(
          std::min<std::int64_t>(c.icmp_error_burst, icmp6_tokens_ + earned));
      icmp6_refilled_ = icmp6_refilled_ + earned * c.icmp_error_interval;
    }
  }
  if (icmp6_tokens_ == 0) {
    ++stats_.icmpv6_tx_rate_limited;
    return false;
  }
  --icmp6_tokens_;
  return true;
}

bool Stack::send_icmpv6_error(IfaceId iface, const wire::Ipv6Repr& offending,
                              Bytes offending_packet, std::uint8_t type, std::uint8_t code,
                              std::uint32_t param, bool link_multicast, Instant now) {
  // RFC 4443 §2.4(e): never as a result of an ICMPv6 error message, a packet to a
  // multicast address or sent as a link-layer multicast (the exceptions: Packet Too
  // Big, and Parameter Problem code 2 for an option whose action bits say so), or a
  // packet whose source does not identify a single node.
  if (offending.src.is_unspecified() || offending.src.is_multicast()) return false;
  const bool exception =
      type == type_byte(wire::Icmpv6Type::PacketTooBig) ||
      (type == type_byte(wire::Icmpv6Type::ParameterProblem) &&
       code == static_cast<std::uint8_t>(wire::ParamProblemCode::UnrecognizedOption));
  if ((offending.dst.is_multicast() || link_multicast) && !exception) return false;
  const wire::Ipv6HeaderChain chain = wire::walk_ipv6_headers(offending);
  if (chain.verdict == wire::Ipv6Verdict::Deliver && chain.upper_protocol == kIcmpv6 &&
      !chain.upper_payload.empty() && load_u8(chain.upper_payload, 0) < 128) {
    return false;
  }
  if (!icmp6_rate_ok(now)) return false;
  // From the address the packet was sent to if it is ours, else one chosen for its source.
  auto r = route6(offending.src, offending.dst, iface);
  if (!r) return false;
  wire::Icmpv6Repr err;
  err.type = type;
  err.code = code;
  err.pointer = param;
  err.mtu = param;
  err.data = offending_packet;  // emit cuts it to fit 1280 bytes (RFC 4443 §2.4(c))
  return send_icmpv6(*r, r->src, offending.src, err, v6_[r->iface.value].cur_hop_limit, false, now)
      .ok();
}

// --- input ---------------------------------------------------------------------

void Stack::on_ipv6(const Interface& iface, Bytes packet, bool link_multicast, RxMeta meta,
                    Instant now) {
  ++stats_.ipv6_rx;
  auto parsed = wire::Ipv6Repr::parse(packet);
  if (!parsed) {
    ++stats_.ipv6_rx_malformed;
    return;
  }
  const wire::Ipv6Repr& ip = *parsed;
  // RFC 4291 §2.7: "Multicast addresses must not be used as source addresses".
  if (ip.src.is_multicast()) {
    ++stats_.ipv6_rx_bad_src;
    return;
  }
  // RFC 4291 §2.5.5.2: IPv4-mapped addresses stand for IPv4 nodes inside a host and
  // never appear on the wire (Linux drops them too); TCP holds IPv4 addresses in that
  // form, so one arriving over IPv6 would pose as an IPv4 peer.
  if (ip.src.is_v4_mapped() || ip.dst.is_v4_mapped()) {
    ++stats_.ipv6_rx_bad_src;
    return;
  }
  const V6Iface& v = v6_[iface.id.value];
  if (ip.dst.is_multicast()) {
    // Only the groups we listen to: all-nodes and the solicited-node groups we joined.
    if (ip.dst != wire::Ipv6Addr::all_nodes() &&
        std::find(v.groups.begin(), v.groups.end(), ip.dst) == v.groups.end()) {
      ++stats_.ipv6_rx_mcast_not_joined;
      return;
    }
  } else {
    // The strong host model, as for IPv4: addressed to this interface.
    const V6Addr* a = find_addr6(iface.id, ip.dst);
    if (!a || a->info.state == Ipv6AddrState::Duplicate) {
      ++stats_.ipv6_rx_not_for_us;
      return;
    }
    // RFC 4862 §5.4: "a tentative address is not considered assigned ... an interface
    // discards received packets addressed to a tentative address" (DAD's own messages
    // go to the solicited-node group and all-nodes).
    if (a->info.state == Ipv6AddrState::Tentative) {
      ++stats_.ipv6_rx_tentative;
      return;
    }
  }
  const Bytes whole = packet.first(ip.total_len());  // without link padding
  walk_and_deliver6(iface, ip, whole, link_multicast, meta, false, now);
}

void Stack::walk_and_deliver6(const Interface& iface, const wire::Ipv6Repr& ip, Bytes whole,
                              bool link_multicast, RxMeta meta, bool reassembled, Instant now) {
  const wire::Ipv6HeaderChain chain = wire::walk_ipv6_headers(ip);
  switch (chain.verdict) {
    case wire::Ipv6Verdict::Discard:
      ++stats_.ipv6_rx_ext_discard;
      return;
    case wire::Ipv6Verdict::ParameterProblem:
      // RFC 8200 §4: discard and send Parameter Problem with the pointer the walk found.
      ++stats_.ipv6_rx_param_problem;
      if (send_icmpv6_error(iface.id, ip, whole, type_byte(wire::Icmpv6Type::ParameterProblem),
                            static_cast<std::uint8_t>(chain.problem_code), chain.problem_pointer,
                            link_multicast, now)) {
        ++stats_.icmpv6_tx_param_problem;
      }
      return;
    case wire::Ipv6Verdict::Reassemble:
      if (reassembled) {  // a fragment inside a reassembled packet: nothing sane to do
        ++stats_.ipv6_reasm_refused;
        return;
      }
      on_ipv6_fragment(iface, ip, chain, whole, link_multicast, now);
      return;
    case wire::Ipv6Verdict::Deliver:
      deliver_ipv6(iface, ip, chain, whole, link_multicast, meta, now);
      return;
  }
}

// RFC 8200 §4.5: fragments wait in the reassembler (shared with IPv4, keyed by source,
// destination and the 32-bit Identification); the whole packet is the unfragmentable
// part of the first fragment followed by the fragmentable parts, and goes through the
// header walk again.
void Stack::on_ipv6_fragment(const Interface& iface, const wire::Ipv6Repr& ip,
                             const wire::Ipv6HeaderChain& chain, Bytes whole, bool link_multicast,
                             Instant now) {
  ++stats_.ipv6_rx_fragments;
  if (!wire::first_fragment_chain_complete(chain)) {
    // RFC 7112 §5 / RFC 8200 §4.5: Parameter Problem code 3, pointer 0.
    ++stats_.ipv6_reasm_refused;
    if (send_icmpv6_error(iface.id, ip, whole, type_byte(wire::Icmpv6Type::ParameterProblem),
                          static_cast<std::uint8_t>(wire::ParamProblemCode::IncompleteChain), 0,
                          link_multicast, now)) {
      ++stats_.icmpv6_tx_param_problem;
    }
    return;
  }
  const wire::Ipv6FragmentHeader& fh = *chain.fragment;
  FragmentIn f;
  f.key.family = IpFamily::Ipv6;
  f.key.src = key_bytes(ip.src);
  f.key.dst = key_bytes(ip.dst);
  f.key.ident = fh.ident;
  f.offset = fh.byte_offset();
  f.more = fh.more;
  f.header = whole.first(chain.fragment_at);
  f.data = chain.fragment_data;
  FragOutcome r = reasm_.add(f, now);
  switch (r.verdict) {
    case FragVerdict::Queued:
      return;
    case FragVerdict::Duplicate:
      ++stats_.ipv6_reasm_duplicates;
      return;
    case FragVerdict::Overlap:
      // RFC 5722 / RFC 8200 §4.5: overlapping fragments discard the whole datagram.
      ++stats_.ipv6_reasm_overlaps;
      return;
    case FragVerdict::Refused:
    case FragVerdict::NoRoom:
    case FragVerdict::TooManyFragments:
      ++stats_.ipv6_reasm_refused;
      return;
    case FragVerdict::Complete:
      break;
  }
  ByteVec& p = r.packet;
  // The first fragment's unfragmentable part heads the packet; the Next Header that
  // named the Fragment header now names what followed it. The field's place is the
  // one this fragment's walk found, which holds when the unfragmentable parts agree.
  if (r.header_len != chain.fragment_at || p.size() - wire::Ipv6Repr::kHeaderLen > 0xffff) {
    ++stats_.ipv6_reasm_refused;
    return;
  }
  store_be16(p, 4, static_cast<std::uint16_t>(p.size() - wire::Ipv6Repr::kHeaderLen));
  p[chain.fragment_next_header_at] = std::byte{fh.next_header};
  auto reparsed = wire::Ipv6Repr::parse(p);
  if (!reparsed) {
    ++stats_.ipv6_reasm_refused;
    return;
  }
  ++stats_.ipv6_reasm_ok;
  walk_and_deliver6(iface, *reparsed, p, link_multicast, RxMeta{}, true, now);
}

void Stack::expired_fragment6(const ExpiredDatagram& e, Instant now) {
  // RFC 8200 §4.5: Time Exceeded code 1 to the source, only if the first fragment
  // arrived; it quotes that fragment (here its unfragmentable part and data).
  if (e.first.size() < wire::Ipv6Repr::kHeaderLen) return;
  const Bytes first(e.first);
  wire::Ipv6Repr ip;
  ip.src = wire::Ipv6Addr::load(first, 8);
  ip.dst = wire::Ipv6Addr::load(first, 24);
  ip.next_header = load_u8(first, 6);
  ip.hop_limit = load_u8(first, 7);
  ip.payload = first.subspan(wire::Ipv6Repr::kHeaderLen);
  for (const Interface& i : ifaces_) {
    const V6Addr* a = find_addr6(i.id, ip.dst);
    if (!a) continue;
    if (send_icmpv6_error(i.id, ip, first, type_byte(wire::Icmpv6Type::TimeExceeded), 1, 0, false,
                          now)) {
      ++stats_.icmpv6_tx_time_exceeded;
    }
    return;
  }
}

void Stack::deliver_ipv6(const Interface& iface, const wire::Ipv6Repr& ip,
                         const wire::Ipv6HeaderChain& chain, Bytes whole, bool link_multicast,
                         RxMeta meta, Instant now) {
  if (chain.upper_protocol == kIcmpv6) {
    on_icmpv6(iface, ip, chain, whole, link_multicast, meta, now);
    return;
  }
  if (chain.upper_protocol == kTcp) {
    on_tcp6(ip, chain, meta, now);
    return;
  }
  if (chain.upper_protocol == kUdp) {
    on_udp6(iface, ip, chain, whole, link_multicast, meta, now);
    return;
  }
  // No Next Header (59) carries nothing (RFC 8200 §4.7).
  if (chain.upper_protocol != kNoNextHeader) ++stats_.ipv6_rx_unhandled;
}

void Stack::on_icmpv6(const Interface& iface, const wire::Ipv6Repr& ip,
                      const wire::Ipv6HeaderChain& chain, Bytes /*whole*/, bool /*link_multicast*/,
                      RxMeta meta, Instant now) {
  ++stats_.icmpv6_rx;
  auto parsed =
      wire::Icmpv6Repr::parse(chain.upper_payload, ip.pseudo_header(), checksum_check(meta));
  if (!parsed) {
    if (parsed.error() == wire::WireError::Unsupported && !chain.upper_payload.empty()) {
      // RFC 4443 §2.4(a), (b): an unknown informational message is discarded; an
      // unknown error goes to the upper layer (which has nothing to do with it here).
      if (load_u8(chain.upper_payload, 0) < 128) {
        ++stats_.icmpv6_rx_errors;
      } else {
        ++stats_.icmpv6_rx_other;
      }
    } else {
      ++stats_.icmpv6_rx_malformed;
    }
    return;
  }
  const wire::Icmpv6Repr& msg = *parsed;
  switch (static_cast<wire::Icmpv6Type>(msg.type)) {
    case wire::Icmpv6Type::EchoRequest: {
      ++stats_.icmpv6_rx_echo_requests;
      // RFC 4443 §4.2: the reply goes back with the identifier, sequence number and
      // data; to a multicast request, from a unicast address of the interface.
      auto r =
          route6(ip.src, ip.dst.is_multicast() ? wire::Ipv6Addr::unspecified() : ip.dst, iface.id);
      if (!r) return;
      wire::Icmpv6Repr reply = msg;
      reply.type = type_byte(wire::Icmpv6Type::EchoReply);
      reply.code = 0;
      if (send_icmpv6(*r, r->src, ip.src, reply, v6_[r->iface.value].cur_hop_limit, true, now)) {
        ++stats_.icmpv6_tx_echo_replies;
      }
      return;
    }
    case wire::Icmpv6Type::EchoReply:
      ++stats_.icmpv6_rx_echo_replies;
      push_event(
          Ping6Reply{ip.src, msg.ident, msg.seq_no, ByteVec(msg.data.begin(), msg.data.end())});
      return;
    case wire::Icmpv6Type::DestUnreachable:
    case wire::Icmpv6Type::PacketTooBig:
    case wire::Icmpv6Type::TimeExceeded:
    case wire::Icmpv6Type::ParameterProblem:
      ++stats_.icmpv6_rx_errors;
      on_icmpv6_error(ip.src, msg, now);
      return;
    case wire::Icmpv6Type::MldQuery:
      on_mld_query(iface, ip, msg, now);
      return;
    case wire::Icmpv6Type::RouterSolicit:
    case wire::Icmpv6Type::RouterAdvert:
    case wire::Icmpv6Type::NeighborSolicit:
    case wire::Icmpv6Type::NeighborAdvert:
    case wire::Icmpv6Type::Redirect:
      on_ndp(iface, ip, msg, now);
      return;
    case wire::Icmpv6Type::MldV1Report:
    case wire::Icmpv6Type::MldV1Done:
    case wire::Icmpv6Type::MldV2Report:
      break;  // other listeners' reports: MLDv2 hosts do not suppress (RFC 3810 §6)
  }
  ++stats_.icmpv6_rx_other;
}

void Stack::on_icmpv6_error(const wire::Ipv6Addr& reporter, const wire::Icmpv6Repr& msg,
                            Instant now) {
  // The invoking packet, as far as it was returned: it must be one we sent.
  const Bytes quoted = msg.data;
  if (quoted.size() < wire::Ipv6Repr::kHeaderLen || (load_u8(quoted, 0) >> 4) != 6) {
    ++stats_.icmp_rx_errors_truncated;
    return;
  }
  const auto local = wire::Ipv6Addr::load(quoted, 8);
  const auto remote = wire::Ipv6Addr::load(quoted, 24);
  if (!is_local_address6(local)) {
    ++stats_.icmp_rx_errors_ignored;
    return;
  }
  if (msg.type == type_byte(wire::Icmpv6Type::PacketTooBig)) {
    on_packet_too_big6(local, remote, msg.mtu, quoted, now);
  }
  // We send no extension header in front of TCP or UDP but the Fragment header of a
  // datagram larger than the path MTU: its first fragment holds the transport header.
  std::uint8_t next = load_u8(quoted, 6);
  Bytes l4 = quoted.subspan(wire::Ipv6Repr::kHeaderLen);
  if (next == static_cast<std::uint8_t>(wire::NextHeader::Fragment)) {
    auto frag = wire::Ipv6FragmentHeader::parse(l4);
    if (!frag) {
      ++stats_.icmp_rx_errors_truncated;
      return;
    }
    if (frag->offset != 0) {
      ++stats_.icmp_rx_errors_ignored;
      return;
    }
    next = frag->next_header;
    l4 = l4.subspan(wire::Ipv6FragmentHeader::kLen);
  }
  // One set of types and codes for both families: the ICMPv6 error as its ICMPv4
  // equivalent (tcp::icmpv6_error_for_tcp, as Linux's icmpv6_err_convert).
  const auto v4 = tcp::icmpv6_error_for_tcp(msg.type, msg.code, msg.mtu);
  if (!v4) return;
  // TCP validates an error against the connection's sequence space (RFC 5927 §4.1)
  // before acting on it; UDP against its bound sockets.
  icmp_error_to_transport(reporter, v4->type, v4->code, v4->next_hop_mtu, next, local, remote, l4,
                          now);
}

// --- UDP over IPv6 ----------------------------------------------------------------

void Stack::on_udp6(const Interface& iface, const wire::Ipv6Repr& ip,
                    const wire::Ipv6HeaderChain& chain, Bytes whole, bool link_multicast,
                    RxMeta meta, Instant now) {
  ++stats_.udp_rx;
  const Bytes datagram = chain.upper_payload;
  // RFC 8200 §8.1: "IPv6 receivers must discard UDP packets containing a zero
  // checksum and should log the error" -- whatever the link said about the checksum.
  if (datagram.size() >= wire::UdpRepr::kHeaderLen && load_be16(datagram, 6) == 0) {
    ++stats_.udp_rx_zero_checksum6;
    return;
  }
  auto parsed = parse_udp(datagram, ip.pseudo_header(), meta);
  if (!parsed) return;
  const wire::UdpRepr& udp = *parsed;
  auto socket = udp_.lookup(ip.dst, udp.dst_port);
  if (!socket) {
    ++stats_.udp_rx_no_socket;
    // RFC 4443 §3.1: "the destination node SHOULD originate a Destination Unreachable
    // message with Code 4 in response to a packet for which the transport protocol
    // (e.g., UDP) has no listener"; send_icmpv6_error leaves out multicast (§2.4(e))
    // and applies the rate limit.
    if (send_icmpv6_error(iface.id, ip, whole, type_byte(wire::Icmpv6Type::DestUnreachable),
                          static_cast<std::uint8_t>(wire::Icmpv6UnreachCode::Port), 0,
                          link_multicast, now)) {
      ++stats_.icmpv6_tx_unreachable;
    }
    return;
  }
  deliver_udp(*socket, UdpDatagram{ip.src, udp.src_port, ip.dst,
                                   ByteVec(udp.payload.begin(), udp.payload.end())});
}

Status<SendError> Stack::udp_send_to6(const wire::Ipv6Addr& src, std::uint16_t src_port,
                                      const wire::Ipv6Addr& dst, std::uint16_t dst_port,
                                      Bytes payload, Instant now) {
  if (payload.size() > kMaxUdp6Payload) {
    ++stats_.ipv6_tx_too_long;
    return Err{SendError::MessageTooLong};
  }
  // The bound address if it is ours (route6 keeps a source hint that is), else RFC
  // 6724's choice for dst.
  auto r = route6(dst, src);
  if (!r || (!src.is_unspecified() && r->src != src)) {
    ++stats_.ipv6_tx_no_route;
    return Err{SendError::NoRoute};
  }
  wire::UdpRepr udp;
  udp.src_port = src_port;
  udp.dst_port = dst_port;
  udp.payload = payload;
  ByteVec frame(kIpv6TransportOffset + udp.total_len());
  // A computed 0 goes out as 0xffff (RFC 8200 §8.1; emit does it for both families).
  udp.emit(MutBytes(frame).subspan(kIpv6TransportOffset), wire::PseudoHeader::ipv6(r->src, dst));
  // RFC 8200 §4.5, §5: past the path MTU the source fragments.
  auto sent = send_ipv6(*r, r->src, dst, kUdp, std::move(frame), v6_[r->iface.value].cur_hop_limit,
                        /*may_fragment=*/true, now);
  if (!sent) return sent;
  ++stats_.udp_tx;
  run_loopback(now);
  return {};
}

void Stack::on_tcp6(const wire::Ipv6Repr& ip, const wire::Ipv6HeaderChain& chain, RxMeta meta,
                    Instant now) {
  // MUST-57: a segment to a multicast address is TCP's to drop.
  deliver_tcp(chain.upper_payload, ip.pseudo_header(), ip.src, ip.dst, ip.dst.is_multicast(),
              ip.ecn(), meta, now);
}

void Stack::send_tcp6(tcp::OutSegment seg, Instant now) {
  static_assert(tcp::kSegmentHeadroom6 == kIpv6TransportOffset);
  // MUST-44: only from one of our addresses.
  const wire::Ipv6Addr src = seg.src.v6();
  const wire::Ipv6Addr dst = seg.dst.v6();
  const auto r = is_local_address6(src) ? route6(dst, src) : std::nullopt;
  if (!r) {
    ++stats_.tcp_tx_dropped;
    return;
  }
  const TxMeta tx = tcp_tx_meta(seg);
  if (send_ipv6(*r, src, dst, kTcp, std::move(seg.buffer), seg.ttl, false, now, seg.dscp_ecn, tx)) {
    ++stats_.tcp_tx;
  } else {
    ++stats_.tcp_tx_dropped;
  }
}

void Stack::on_packet_too_big6(const wire::Ipv6Addr& /*local*/, const wire::Ipv6Addr& remote,
                               std::uint32_t mtu, Bytes /*quoted*/, Instant now) {
  // RFC 8201 §4: "A node MUST NOT reduce its estimate of the Path MTU below the IPv6
  // minimum link MTU" (a smaller value is taken as 1280), and "MUST NOT increase its
  // estimate ... in response to the contents of a Packet Too Big message".
  const std::size_t pmtu = std::max<std::size_t>(mtu, kMinIpv6Mtu);
  auto r = route6(remote);
  const std::size_t current = r ? r->mtu : 0xffff;
  ++stats_.icmpv6_rx_ptb;
  if (pmtu >= current) return;
  if (dests_.size() >= config_.ipv6.max_destinations && !dests_.count(remote)) {
    // Bounded: the least recently used entry makes room.
    auto victim = std::min_element(dests_.begin(), dests_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    dests_.erase(victim);
  }
  DestEntry& d = dests_[remote];
  if (r) d.iface = r->iface;
  d.pmtu = pmtu;
  d.pmtu_expires = now + config_.ipv6.pmtu_expiry;
  d.last_used = now;
  ++stats_.pmtu_updates;
  // TCP over IPv6 hooks in here: RFC 5927 §4.1 validation of the quoted segment against
  // the connection's sequence space, then the connection's MSS follows the new PMTU.
}

// --- NDP -------------------------------------------------------------------------

void Stack::on_ndp(const Interface& iface, const wire::Ipv6Repr& ip, const wire::Icmpv6Repr& msg,
                   Instant now) {
  // RFC 4861 §6.1, §7.1, §8.1: hop limit 255 and the rest of the validity checks.
  if (wire::validate_ndp(ip, msg) != wire::NdpCheck::Ok) {
    ++stats_.ndp_rx_invalid;
    return;
  }
  switch (static_cast<wire::Icmpv6Type>(msg.type)) {
    case wire::Icmpv6Type::NeighborSolicit:
      on_neighbor_solicit(iface, ip, msg, now);
      return;
    case wire::Icmpv6Type::NeighborAdvert:
      on_neighbor_advert(iface, ip, msg, now);
      return;
    case wire::Icmpv6Type::RouterAdvert:
      on_router_advert(iface, ip, msg, now);
      return;
    case wire::Icmpv6Type::Redirect:
      on_redirect(iface, ip, msg, now);
      return;
    default:
      // RFC 4861 §6.2.6: a host MUST silently discard Router Solicitations.
      ++stats_.ndp_rx_rs;
      return;
  }
}

void Stack::on_neighbor_solicit(const Interface& iface, const wire::Ipv6Repr& ip,
                                const wire::Icmpv6Repr& msg, Instant now) {
  ++stats_.ndp_rx_ns;
  V6Iface& v = v6_[iface.id.value];
  auto it = std::find_if(v.addrs.begin(), v.addrs.end(),
                         [&](const V6Addr& a) { return a.info.cidr.addr == msg.target; });
  // RFC 4861 §7.2.3: the target must be one of our addresses.
  if (it == v.addrs.end() || it->info.state == Ipv6AddrState::Duplicate) return;
  if (it->info.state == Ipv6AddrState::Tentative) {
    // RFC 4862 §5.4.3: from a unicast source it is address resolution, ignored; from ::
    // another node is doing DAD for the same address: ours is a duplicate.
    if (ip.src.is_unspecified()) {
      dad_failed(iface.id, static_cast<std::size_t>(it - v.addrs.begin()), now);
    }
    return;
  }
  if (ip.src.is_unspecified()) {
    // RFC 4861 §7.2.4: an answer to a DAD probe for an address we hold goes to
    // all-nodes with S clear (RFC 4862 §5.4.3: the prober learns it is a duplicate).
    send_neighbor_advert(iface.id, msg.target, wire::Ipv6Addr::all_nodes(), false, now);
    return;
  }
  if (msg.options.source_lla) {
    std::vector<ByteVec> released;
    ndp_.on_lla(NdpKey{iface.id, ip.src}, *msg.options.source_lla, now, released);
    release6(iface.id, *msg.options.source_lla, released);
  }
  send_neighbor_advert(iface.id, msg.target, ip.src, true, now);
}

void Stack::on_neighbor_advert(const Interface& iface, const wire::Ipv6Repr& /*ip*/,
                               const wire::Icmpv6Repr& msg, Instant now) {
  ++stats_.ndp_rx_na;
  V6Iface& v = v6_[iface.id.value];
  auto it = std::find_if(v.addrs.begin(), v.addrs.end(),
                         [&](const V6Addr& a) { return a.info.cidr.addr == msg.target; });
  if (it != v.addrs.end()) {
    // RFC 4862 §5.4.4: an NA for a tentative address of ours: it is a duplicate. For an
    // address we already hold, nothing is done (the RFC leaves it to be logged).
    if (it->info.state == Ipv6AddrState::Tentative) {
      dad_failed(iface.id, static_cast<std::size_t>(it - v.addrs.begin()), now);
    } else {
      ++stats_.ndp_rx_na_ignored;
    }
    return;
  }
  NdpCache::Advert na;
  na.target_lla = msg.options.target_lla;
  na.solicited = msg.na_solicited();
  na.override_ = msg.na_override();
  na.router = msg.na_router();
  std::vector<ByteVec> released;
  const NdpKey key{iface.id, msg.target};
  auto r = ndp_.on_advert(key, na, now, released);
  if (na.target_lla) release6(iface.id, *na.target_lla, released);
  switch (r) {
    case NdpCache::AdvertResult::NoEntry:
    case NdpCache::AdvertResult::Ignored:
      ++stats_.ndp_rx_na_ignored;
      break;
    case NdpCache::AdvertResult::Updated:
      break;
    case NdpCache::AdvertResult::RouterCleared:
      // RFC 4861 §7.2.5: "the node MUST remove that router from the Default Router
      // List" when IsRouter goes from true to false.
      stats_.ndp_routers_removed +=
          std::erase_if(v.routers, [&](const Ipv6Router& rt) { return rt.addr == msg.target; });
      break;
  }
}

void Stack::on_router_advert(const Interface& iface, const wire::Ipv6Repr& ip,
                             const wire::Icmpv6Repr& msg, Instant now) {
  ++stats_.ndp_rx_ra;
  V6Iface& v = v6_[iface.id.value];
  v.rs_next.reset();  // RFC 4861 §6.3.7: an RA ends the solicitations
  // RFC 4861 §6.3.4: the parameters an RA sets when non-zero.
  if (msg.cur_hop_limit != 0) v.cur_hop_limit = msg.cur_hop_limit;
  if (msg.reachable_time != 0) {
    const Duration base = std::chrono::milliseconds(msg.reachable_time);
    if (base != v.base_reachable) {
      v.base_reachable = base;
      ndp_.set_reachable_time(random_between(base / 2, base * 3 / 2));
    }
  }
  if (msg.retrans_timer != 0) ndp_.set_retrans_timer(std::chrono::milliseconds(msg.retrans_timer));
  // The default router list: Router Lifetime 0 removes it ("the router is not a default
  // router"), otherwise its expiry is reset.
  auto rt = std::find_if(v.routers.begin(), v.routers.end(),
                         [&](const Ipv6Router& r) { return r.addr == ip.src; });
  if (msg.router_lifetime == 0) {
    if (rt != v.routers.end()) {
      v.routers.erase(rt);
      ++stats_.ndp_routers_removed;
    }
  } else {
    const Instant expires = now + std::chrono::seconds(msg.router_lifetime);
    if (rt != v.routers.end()) {
      rt->expires = expires;
    } else if (v.routers.size() < config_.ipv6.max_routers) {
      v.routers.push_back(Ipv6Router{iface.id, ip.src, expires});
      ++stats_.ndp_routers_added;
    }
  }
  if (msg.options.source_lla) {
    std::vector<ByteVec> released;
    ndp_.on_lla(NdpKey{iface.id, ip.src}, *msg.options.source_lla, now, released, true);
    release6(iface.id, *msg.options.source_lla, released);
  }
  // "hosts SHOULD copy the option's value into LinkMTU so long as the value is greater
  // than or equal to the minimum link MTU and does not exceed the maximum LinkMTU".
  if (msg.options.mtu && *msg.options.mtu >= kMinIpv6Mtu &&
      *msg.options.mtu <= ifaces_[iface.id.value].mtu) {
    v.mtu = *msg.options.mtu;
    ++stats_.ndp_mtu_updates;
  }
  for (std::size_t i = 0; i < msg.options.prefix_count; ++i) {
    const wire::NdpPrefixInfo& pi = msg.options.prefixes[i];
    // §6.3.4 and RFC 4862 §5.5.3(b): the link-local prefix is ignored.
    if (pi.prefix.is_link_local() || pi.prefix_len > 128) continue;
    if (pi.on_link) {
      const wire::Ipv6Cidr prefix{wire::Ipv6Cidr{pi.prefix, pi.prefix_len}.network(),
                                  pi.prefix_len};
      auto p = std::find_if(v.prefixes.begin(), v.prefixes.end(),
                            [&](const Ipv6Prefix& x) { return x.prefix == prefix; });
      if (pi.valid_lifetime == 0) {
        if (p != v.prefixes.end() && p->expires) v.prefixes.erase(p);  // "time out at once"
      } else if (p != v.prefixes.end()) {
        if (p->expires) p->expires = lifetime_end(pi.valid_lifetime, now);
      } else if (v.prefixes.size() < config_.ipv6.max_prefixes) {
        v.prefixes.push_back(Ipv6Prefix{iface.id, prefix, lifetime_end(pi.valid_lifetime, now)});
      }
    }
    if (pi.autonomous && v.slaac) slaac6(iface.id, pi, now);
  }
}

void Stack::slaac6(IfaceId id, const wire::NdpPrefixInfo& pi, Instant now) {
  // RFC 4862 §5.5.3: (c) preferred > valid: ignored; the prefix plus our 64-bit
  // interface identifier must make 128 bits.
  if (pi.preferred_lifetime > pi.valid_lifetime || pi.prefix_len != 64) return;
  V6Iface& v = v6_[id.value];
  const wire::Ipv6Addr addr =
      wire::Ipv6Addr::from_prefix_and_iid(pi.prefix, wire::modified_eui64(ifaces_[id.value].mac));
  auto it = std::find_if(v.addrs.begin(), v.addrs.end(), [&](const V6Addr& a) {
    return a.info.origin == Ipv6AddrOrigin::Slaac && a.info.cidr.addr == addr;
  });
  if (it == v.addrs.end()) {
    // (d) a new prefix with a non-zero Valid Lifetime: form an address (DAD first).
    if (pi.valid_lifetime == 0 || find_addr6(id, addr)) return;
    Ipv6AddrInfo info;
    info.cidr = wire::Ipv6Cidr{addr, 64};
    info.origin = Ipv6AddrOrigin::Slaac;
    info.preferred_until = lifetime_end(pi.preferred_lifetime, now);
    info.valid_until = lifetime_end(pi.valid_lifetime, now);
    const std::size_t before = v.addrs.size();
    add_address6(id, info, now);
    if (v.addrs.size() > before) ++stats_.slaac_addresses;
    return;
  }
  V6Addr& a = *it;
  if (a.info.state == Ipv6AddrState::Duplicate) return;
  // (e) reset the preferred lifetime; a deprecated address becomes preferred again.
  a.info.preferred_until = lifetime_end(pi.preferred_lifetime, now);
  if (a.info.state == Ipv6AddrState::Deprecated && pi.preferred_lifetime != 0) {
    a.info.state = Ipv6AddrState::Preferred;
  }
  if (a.info.state == Ipv6AddrState::Preferred && pi.preferred_lifetime == 0) {
    a.info.state = Ipv6AddrState::Deprecated;
  }
  // The "two hours" rule: the valid lifetime is taken if above two hours or above the
  // remaining lifetime; otherwise, if the remaining lifetime is at most two hours it is
  // kept (an unauthenticated RA cannot cut it short), else it is set to two hours.
  const std::optional<Instant> received = lifetime_end(pi.valid_lifetime, now);
  const bool infinite_rx = !received;
  const bool infinite_now = !a.info.valid_until;
  const Duration remaining = infinite_now ? Duration::max() : *a.info.valid_until - now;
  const Duration rx = infinite_rx ? Duration::max() : std::chrono::seconds(pi.valid_lifetime);
  if (rx > kTwoHours || rx > remaining) {
    a.info.valid_until = received;
  } else if (remaining <= kTwoHours) {
    // unchanged
  } else {
    a.info.valid_until = now + kTwoHours;
  }
}

void Stack::on_redirect(const Interface& iface, const wire::Ipv6Repr& ip,
                        const wire::Icmpv6Repr& msg, Instant now) {
  // RFC 4861 §8.1: "The IP source address of the Redirect is the same as the current
  // first-hop router for the specified ICMP Destination Address."
  auto r = route6(msg.destination, wire::Ipv6Addr::unspecified(), iface.id);
  if (!r || r->iface != iface.id || r->next_hop != ip.src || r->next_hop == msg.destination) {
    ++stats_.ndp_rx_redirect_ignored;
    return;
  }
  ++stats_.ndp_rx_redirect_accepted;
  if (dests_.size() >= config_.ipv6.max_destinations && !dests_.count(msg.destination)) {
    auto victim = std::min_element(dests_.begin(), dests_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    dests_.erase(victim);
  }
  // §8.3: the destination cache entry's next hop becomes the target (the destination
  // itself when it is on-link).
  DestEntry& d = dests_[msg.destination];
  d.iface = iface.id;
  d.redirect = msg.target;
  d.last_used = now;
  if (msg.options.target_lla) {
    std::vector<ByteVec> released;
    ndp_.on_lla(NdpKey{iface.id, msg.target}, *msg.options.target_lla, now, released,
                msg.target != msg.destination);
    release6(iface.id, *msg.options.target_lla, released);
  }
}

// --- MLD -----------------------------------------------------------------------

void Stack::on_mld_query(const Interface& iface, const wire::Ipv6Repr& ip,
                         const wire::Icmpv6Repr& msg, Instant now) {
  // RFC 3810 §5.1.14: a query whose source is not link-local is discarded.
  if (!ip.src.is_link_local()) {
    ++stats_.icmpv6_rx_other;
    return;
  }
  ++stats_.mld_rx_queries;
  V6Iface& v = v6_[iface.id.value];
  // RFC 3810 §5.1.3: Maximum Response Code to milliseconds (MLDv1: milliseconds).
  std::uint32_t ms = msg.max_response;
  if (msg.mld_version == 2 && msg.max_response >= 0x8000) {
    const std::uint32_t mant = msg.max_response & 0x0fff;
    const std::uint32_t exp = (msg.max_response >> 12) & 0x7;
    ms = (mant | 0x1000) << (exp + 3);
  }
  // §6.2: the answer goes after a random delay within Maximum Response Delay.
  const Instant at = now + random_between(Duration::zero(), std::chrono::milliseconds(ms));
  if (msg.mld_group.is_unspecified()) {
    // A general query: one report of every group (a pending one that is sooner stays).
    for (const MldPending& p : v.mld) {
      if (!p.group && p.at <= at) return;
    }
    std::erase_if(v.mld, [](const MldPending& p) { return !p.group; });
    v.mld.push_back(MldPending{at, std::nullopt, wire::MldRecord::kModeIsExclude});
    return;
  }
  if (std::find(v.groups.begin(), v.groups.end(), msg.mld_group) == v.groups.end()) return;
  // One pending answer per group, the sooner one (so a flood of queries holds no memory).
  for (MldPending& p : v.mld) {
    if (p.group == msg.mld_group && p.record_type == wire::MldRecord::kModeIsExclude) {
      p.at = std::min(p.at, at);
      return;
    }
  }
  v.mld.push_back(MldPending{at, msg.mld_group, wire::MldRecord::kModeIsExclude});
}

}  // namespace synack::stack
