// What a Stack tells its user through pop_event().
#pragma once

#include <cstdint>
#include <variant>

#include "synack/base/bytes.hpp"
#include "synack/stack/types.hpp"
#include "synack/tcp/types.hpp"
#include "synack/wire/addr.hpp"

namespace synack::stack {

/// The socket's receive queue went from empty to non-empty (edge-triggered:
/// drain it with udp_receive_from until it returns nothing).
struct UdpReadable {
  UdpSocketId socket;                                   ///< the socket that has datagrams
  bool operator==(const UdpReadable&) const = default;  ///< field by field (for tests)
};

/// An ICMP echo reply arrived (for a ping client: match ident/seq yourself).
struct PingReply {
  wire::Ipv4Addr src;       ///< who replied
  std::uint16_t ident = 0;  ///< the echo identifier, as sent (Stack::send_ping)
  std::uint16_t seq = 0;    ///< the echo sequence number, as sent
  ByteVec data;             ///< the echoed payload
  bool operator==(const PingReply&) const = default;  ///< field by field (for tests)
};

/// An ICMPv6 echo reply arrived (RFC 4443 §4.2; Stack::send_ping6).
struct Ping6Reply {
  wire::Ipv6Addr src;                                  ///< who replied
  std::uint16_t ident = 0;                             ///< the echo identifier, as sent
  std::uint16_t seq = 0;                               ///< the echo sequence number, as sent
  ByteVec data;                                        ///< the echoed payload
  bool operator==(const Ping6Reply&) const = default;  ///< field by field (for tests)
};

/// Duplicate Address Detection found `addr` in use by another node (RFC 4862 §5.4.5):
/// the address is Duplicate and never used. For a link-local address IPv6 stays off on
/// that interface's link-local traffic; an operator has to choose another MAC.
struct Ipv6DadFailed {
  IfaceId iface;                                          ///< the interface
  wire::Ipv6Addr addr;                                    ///< the duplicate address
  bool operator==(const Ipv6DadFailed&) const = default;  ///< field by field (for tests)
};

/// tcp::Event (connected, accept-ready, readable, ...) is forwarded unchanged from
/// the Stack's tcp::TcpProtocol; its conn/listener ids are that protocol's.
using Event = std::variant<UdpReadable, PingReply, tcp::Event, Ping6Reply, Ipv6DadFailed>;

}  // namespace synack::stack
