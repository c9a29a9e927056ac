// Test helpers for the Stack's IPv6 host: IPv6, ICMPv6 and NDP option bytes built by
// hand (not with the wire emitters, so the stack is not checked against itself), and a
// host with IPv6 on.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <optional>

#include "harness.hpp"
#include "synack/wire/icmpv6.hpp"
#include "synack/wire/ipv6.hpp"

namespace synack::stack::test {

using wire::Ipv6Addr;
using wire::Ipv6Cidr;

constexpr std::uint16_t kIpv6 = 0x86dd;
constexpr std::uint8_t kIcmp6 = 58;

inline Ipv6Addr a6(const char* s) {
  return *Ipv6Addr::parse(s);
}

inline void put6(Builder& b, const Ipv6Addr& a) {
  for (auto o : a.octets) b.u8(o);
}

inline ByteVec ipv6(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint8_t next_header,
                    Bytes payload, std::uint8_t hop_limit = 64) {
  Builder b;
  b.u32(0x60000000).u16(static_cast<std::uint16_t>(payload.size())).u8(next_header).u8(hop_limit);
  put6(b, src);
  put6(b, dst);
  b.raw(payload);
  return b.out;
}

// An ICMPv6 message: type, code, the checksum over the IPv6 pseudo-header, then `body`.
inline ByteVec icmp6(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint8_t type, std::uint8_t code,
                     Bytes body) {
  ByteVec m = Builder{}.u8(type).u8(code).u16(0).raw(body).out;
  Builder ph;
  put6(ph, src);
  put6(ph, dst);
  ph.u32(static_cast<std::uint32_t>(m.size())).u32(kIcmp6);
  Checksum c;
  c.add(ph.out).add(m);
  store_be16(m, 2, c.finish());
  return m;
}

constexpr std::uint8_t kUdp6 = 17;  // UDP's Next Header value

// The IPv6 pseudo-header sum (RFC 8200 §8.1) of an upper-layer packet, built by hand.
inline Checksum pseudo6(const Ipv6Addr& src, const Ipv6Addr& dst, std::size_t len,
                        std::uint8_t proto) {
  Builder ph;
  put6(ph, src);
  put6(ph, dst);
  ph.u32(static_cast<std::uint32_t>(len)).u32(proto);
  Checksum c;
  c.add(ph.out);
  return c;
}

// A UDP datagram over IPv6 with its checksum (a computed 0 sent as 0xffff).
inline ByteVec udp6(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint16_t sport,
                    std::uint16_t dport, Bytes payload) {
  const auto len = static_cast<std::uint16_t>(8 + payload.size());
  ByteVec d = Builder{}.u16(sport).u16(dport).u16(len).u16(0).raw(payload).out;
  Checksum c = pseudo6(src, dst, len, kUdp6);
  c.add(d);
  const std::uint16_t sum = c.finish();
  store_be16(d, 6, sum == 0 ? 0xffff : sum);
  return d;
}

// A whole frame carrying an ICMPv6 message.
inline ByteVec icmp6_frame(MacAddr dst_mac, MacAddr src_mac, const Ipv6Addr& src,
                           const Ipv6Addr& dst, std::uint8_t type, std::uint8_t code, Bytes body,
                           std::uint8_t hop_limit = 255) {
  return ethernet(dst_mac, src_mac, kIpv6,
                  ipv6(src, dst, kIcmp6, icmp6(src, dst, type, code, body), hop_limit));
}

inline ByteVec opt_lla(std::uint8_t type, MacAddr m) {
  return Builder{}.u8(type).u8(1).mac(m).out;
}
inline ByteVec opt_prefix(const Ipv6Addr& prefix, std::uint8_t len, std::uint8_t flags,
                          std::uint32_t valid, std::uint32_t preferred) {
  Builder b;
  b.u8(3).u8(4).u8(len).u8(flags).u32(valid).u32(preferred).u32(0);
  put6(b, prefix);
  return b.out;
}
inline ByteVec opt_mtu(std::uint32_t mtu) {
  return Builder{}.u8(5).u8(1).u16(0).u32(mtu).out;
}
inline ByteVec cat(std::initializer_list<ByteVec> parts) {
  ByteVec out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Message bodies (what follows type, code and checksum).
inline ByteVec ns_body(const Ipv6Addr& target, Bytes options = {}) {
  Builder b;
  b.u32(0);
  put6(b, target);
  b.raw(options);
  return b.out;
}
inline ByteVec na_body(std::uint8_t flags, const Ipv6Addr& target, Bytes options = {}) {
  Builder b;
  b.u8(flags).u8(0).u16(0);
  put6(b, target);
  b.raw(options);
  return b.out;
}
inline ByteVec ra_body(std::uint16_t lifetime, Bytes options = {}, std::uint32_t reachable = 0,
                       std::uint32_t retrans = 0) {
  return Builder{}.u8(64).u8(0).u16(lifetime).u32(reachable).u32(retrans).raw(options).out;
}
inline ByteVec echo_body(std::uint16_t ident, std::uint16_t seq, Bytes data) {
  return Builder{}.u16(ident).u16(seq).raw(data).out;
}

// NA flags.
constexpr std::uint8_t kR = 0x80, kS = 0x40, kO = 0x20;
// ICMPv6 types.
constexpr std::uint8_t kEchoReq = 128, kEchoRep = 129, kNs = 135, kNa = 136, kRa = 134,
                       kRedirect = 137, kMldQuery = 130;

// The link's router (link-local, as RFC 4861 §6.1.2 requires of an RA's source).
inline const Ipv6Addr kRouter = Ipv6Addr::from_groups(0xfe80, 0, 0, 0, 0, 0, 0, 1);
inline const MacAddr kRouterMac = mac(50);
// A router advertisement to all nodes with this router lifetime (s) and these options.
inline ByteVec ra_frame(std::uint16_t lifetime, Bytes options, const Ipv6Addr& from = kRouter,
                        MacAddr from_mac = kRouterMac) {
  return icmp6_frame(Ipv6Addr::all_nodes().multicast_mac(), from_mac, from, Ipv6Addr::all_nodes(),
                     kRa, 0, ra_body(lifetime, options));
}

// A config for tests that do not look at DAD or RS: addresses are Preferred at once, one
// MLD report per join, no router solicitations.
inline StackConfig quiet6() {
  StackConfig c;
  c.ipv6.dad_transmits = 0;
  c.ipv6.max_rtr_solicitations = 0;
  c.ipv6.mld_robustness = 1;
  return c;
}

// Host n with IPv6: fd77::n/64 unless told otherwise, its link-local fe80::ff:fe00:n.
struct Host6 : Host {
  explicit Host6(std::uint8_t n, StackConfig cfg = quiet6(),
                 std::optional<Ipv6Cidr> addr6 = std::nullopt, bool slaac = false)
      : Host(n, cfg) {
    global = addr6 ? addr6->addr : Ipv6Addr::from_groups(0xfd77, 0, 0, 0, 0, 0, 0, n);
    link_local = Ipv6Addr::link_local_from_mac(mac);
    EXPECT_TRUE(stack.enable_ipv6(iface, addr6 ? *addr6 : Ipv6Cidr{global, 64}, slaac, Instant{}));
    initial = drain();  // the MLD joins (and whatever else enabling sent)
  }
  Ipv6Addr global;
  Ipv6Addr link_local;
  std::vector<ByteVec> initial;
  void rx(const ByteVec& frame, Instant now) { stack.on_frame(iface, frame, now); }
  std::optional<NdpEntryView> neighbor(const Ipv6Addr& a) const {
    return stack.ndp().find(NdpKey{iface, a});
  }
  std::optional<Ipv6AddrInfo> address(const Ipv6Addr& a) const {
    for (const auto& i : stack.ipv6_addresses(iface)) {
      if (i.cidr.addr == a) return i;
    }
    return std::nullopt;
  }
};

// The peer most tests talk to: 02:00:00:00:00:09, fd77::9.
inline const MacAddr kPeerMac = mac(9);
inline const Ipv6Addr kPeer = Ipv6Addr::from_groups(0xfd77, 0, 0, 0, 0, 0, 0, 9);

// Makes `h` know the peer (an NS from it, which leaves a Stale entry), dropping the NA.
inline void teach6(Host6& h, MacAddr m, const Ipv6Addr& a, Instant now) {
  ByteVec opts = opt_lla(1, m);
  h.rx(icmp6_frame(h.mac, m, a, h.global, kNs, 0, ns_body(h.global, opts)), now);
  h.drain();
}

// Parses an IPv6 frame's ICMPv6 message (or fails the test).
inline wire::Icmpv6Repr parse_icmp6(const ByteVec& frame) {
  auto ip = wire::Ipv6Repr::parse(Bytes(frame).subspan(14));
  EXPECT_TRUE(ip.ok());
  if (!ip) return {};
  auto chain = wire::walk_ipv6_headers(*ip);
  auto m = wire::Icmpv6Repr::parse(chain.upper_payload, ip->pseudo_header());
  EXPECT_TRUE(m.ok());
  return m ? *m : wire::Icmpv6Repr{};
}

}  // namespace synack::stack::test
