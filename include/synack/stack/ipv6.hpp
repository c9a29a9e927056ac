// The value types of the Stack's IPv6 host layer (RFC 4861, RFC 4862): the addresses
// of an interface and their states, routers, prefixes, and where a packet goes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "synack/base/time.hpp"
#include "synack/stack/types.hpp"
#include "synack/wire/addr.hpp"

namespace synack::stack {

/// The state of one of our IPv6 addresses (RFC 4862 §2).
enum class Ipv6AddrState : std::uint8_t {
  Tentative,   ///< Duplicate Address Detection running: receives no traffic
  Preferred,   ///< usable for anything
  Deprecated,  ///< preferred lifetime over: kept for existing use, avoided as a source
  Duplicate,   ///< DAD found another node using it: never used (RFC 4862 §5.4.5)
};
/// "tentative", "preferred", "deprecated", "duplicate".
std::string_view to_string(Ipv6AddrState s);

/// Where an address of ours came from.
enum class Ipv6AddrOrigin : std::uint8_t {
  LinkLocal,  ///< fe80::/64 and the modified EUI-64 identifier (RFC 4862 §5.3)
  Static,     ///< given to Stack::enable_ipv6
  Slaac,      ///< formed from a Router Advertisement's prefix (RFC 4862 §5.5.3)
};

/// One IPv6 address of an interface (Stack::ipv6_addresses).
struct Ipv6AddrInfo {
  wire::Ipv6Cidr cidr;                                ///< the address and its prefix length
  Ipv6AddrState state = Ipv6AddrState::Tentative;     ///< DAD / lifetime state
  Ipv6AddrOrigin origin = Ipv6AddrOrigin::LinkLocal;  ///< how it was configured
  std::optional<Instant> preferred_until;             ///< SLAAC: then Deprecated; unset: forever
  std::optional<Instant> valid_until;                 ///< SLAAC: then removed; unset: forever
};

/// A default router learnt from a Router Advertisement (RFC 4861 §6.3.4).
struct Ipv6Router {
  IfaceId iface;        ///< the link it is on
  wire::Ipv6Addr addr;  ///< its link-local address
  Instant expires;      ///< the RA's Router Lifetime from its arrival
};

/// An on-link prefix (RFC 4861 §6.3.4, Prefix Information with the L flag, or the prefix
/// of an address given to enable_ipv6).
struct Ipv6Prefix {
  IfaceId iface;                   ///< the link
  wire::Ipv6Cidr prefix;           ///< network and length
  std::optional<Instant> expires;  ///< the Valid Lifetime from the RA; unset: forever
};

/// Where an IPv6 packet goes: out of `iface` to the link-layer owner of `next_hop`, from
/// `src` (RFC 6724 source selection), in packets of at most `mtu` bytes.
struct Route6 {
  IfaceId iface;            ///< the interface to send on
  wire::Ipv6Addr next_hop;  ///< the destination when on-link, else a router (or multicast)
  wire::Ipv6Addr src;       ///< our address to send from (:: when none is usable)
  std::size_t mtu = 1280;   ///< path MTU: the interface's, lowered by Packet Too Big
  bool multicast = false;   ///< destination is multicast: 33:33 MAC, no NDP
};

}  // namespace synack::stack
