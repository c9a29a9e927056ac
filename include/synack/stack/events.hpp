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

/// tcp::Event (connected, accept-ready, readable, ...) is forwarded unchanged from
/// the Stack's tcp::TcpProtocol; its conn/listener ids are that protocol's.
using Event = std::variant<UdpReadable, PingReply, tcp::Event>;

}  // namespace synack::stack
