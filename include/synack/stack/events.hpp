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
  UdpSocketId socket;
  bool operator==(const UdpReadable&) const = default;
};

/// An ICMP echo reply arrived (for a ping client: match ident/seq yourself).
struct PingReply {
  wire::Ipv4Addr src;
  std::uint16_t ident = 0;
  std::uint16_t seq = 0;
  ByteVec data;
  bool operator==(const PingReply&) const = default;
};

/// tcp::Event (connected, accept-ready, readable, ...) is forwarded unchanged from
/// the Stack's tcp::TcpProtocol; its conn/listener ids are that protocol's.
using Event = std::variant<UdpReadable, PingReply, tcp::Event>;

}  // namespace synack::stack
