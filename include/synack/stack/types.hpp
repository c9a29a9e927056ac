// Small value types shared by the stack layer: interface and socket ids, the
// frame handed to a link, per-operation error enums.
#pragma once

#include <compare>
#include <cstdint>
#include <string_view>

#include "synack/base/bytes.hpp"
#include "synack/wire/addr.hpp"

namespace synack::stack {

// Index of an interface inside one Stack (the order add_interface was called).
struct IfaceId {
  std::uint32_t value = 0;
  auto operator<=>(const IfaceId&) const = default;
};

struct UdpSocketId {
  std::uint32_t value = 0;
  auto operator<=>(const UdpSocketId&) const = default;
};

// A complete Ethernet frame to transmit on (or received from) one interface.
struct Frame {
  IfaceId iface;
  ByteVec bytes;
};

// Why an outgoing packet could not be sent.
enum class SendError : std::uint8_t {
  NoRoute,             // no interface prefix contains the destination and no usable gateway
  MessageTooLong,      // IPv4 packet larger than the interface MTU (we always set DF)
  BadSocket,           // unknown or closed socket id
  InvalidDestination,  // unspecified address, multicast, or port 0
};

enum class BindError : std::uint8_t {
  AddrInUse,         // the (address, port) overlaps an existing binding
  AddrNotAvailable,  // the address is not one of our interface addresses
  NoFreePort,        // port 0 asked for an ephemeral port and none is free
  TooManySockets,    // StackConfig::udp_max_sockets reached
};

std::string_view to_string(SendError e);
std::string_view to_string(BindError e);

// Where a packet to some destination goes: out of `iface`, to the link-layer
// owner of `next_hop`, with `src` as our source address.
struct Route {
  IfaceId iface;
  wire::Ipv4Addr next_hop;
  wire::Ipv4Addr src;
  bool link_broadcast = false;  // destination is a broadcast address: use ff:ff:ff:ff:ff:ff
};

}  // namespace synack::stack
