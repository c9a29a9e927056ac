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

/// An ICMP or ICMPv6 error quoting a datagram the socket sent (RFC 1122 §4.1.3.3: "UDP
/// MUST pass to the application layer all ICMP error messages that it receives from the
/// IP layer"). The socket also keeps it as its pending error (Stack::udp_take_error),
/// as Linux's SO_ERROR; like IP_RECVERR, the event says whom the datagram was for and
/// who reported it.
struct UdpError {
  UdpSocketId socket;                                      ///< the socket that sent it
  wire::IpAddr remote;                                     ///< the quoted destination
  std::uint16_t remote_port = 0;                           ///< the quoted destination port
  tcp::ConnError error = tcp::ConnError::PortUnreachable;  ///< tcp::icmp_error_kind
  std::uint32_t mtu = 0;  ///< MessageTooLong: the MTU the error reported; else 0
  wire::IpAddr reporter;  ///< the ICMP message's source (a router, or the peer)
  bool operator==(const UdpError&) const = default;  ///< field by field (for tests)
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
/// the address is Duplicate and never used, and its solicited-node group is left (an
/// MLDv2 leave) unless another address needs it. For the link-local address formed from
/// the MAC, IPv6 is disabled on the interface instead (`ipv6_disabled`); an operator has
/// to choose another MAC.
struct Ipv6DadFailed {
  IfaceId iface;        ///< the interface
  wire::Ipv6Addr addr;  ///< the duplicate address
  /// The address was the link-local one formed from the MAC (modified EUI-64): IPv6 is
  /// now off on the interface (RFC 4862 §5.4.5 SHOULD), it sends and accepts nothing.
  bool ipv6_disabled = false;
  bool operator==(const Ipv6DadFailed&) const = default;  ///< field by field (for tests)
};

/// tcp::Event (connected, accept-ready, readable, ...) is forwarded unchanged from
/// the Stack's tcp::TcpProtocol; its conn/listener ids are that protocol's.
using Event = std::variant<UdpReadable, PingReply, tcp::Event, Ping6Reply, Ipv6DadFailed, UdpError>;

}  // namespace synack::stack
