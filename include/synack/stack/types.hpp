// Small value types shared by the stack layer: interface and socket ids, the
// frame handed to a link, per-operation error enums.
#pragma once

#include <compare>
#include <cstdint>
#include <string_view>

#include "synack/base/bytes.hpp"
#include "synack/wire/addr.hpp"

/// The network layer and the owner of everything: Stack (interfaces, routing, ARP,
/// IPv4 in and out, ICMP, UDP sockets, the TCP hook) and its configuration, events and
/// value types. Sans-I/O: frames and time go in and out through the caller.
namespace synack::stack {

/// Index of an interface inside one Stack (the order add_interface was called).
struct IfaceId {
  std::uint32_t value = 0;                           ///< 0 for the first interface
  auto operator<=>(const IfaceId&) const = default;  ///< ids compare by value
};

/// A UDP socket of one Stack (Stack::udp_bind); ids are not reused after udp_close.
struct UdpSocketId {
  std::uint32_t value = 0;  ///< opaque; meaningful only to the Stack that issued it
  auto operator<=>(const UdpSocketId&) const = default;  ///< ids compare by value
};

/// What a link reports about a frame it received, beside the bytes. A link that
/// knows nothing (SimLink, a TAP without IFF_VNET_HDR) passes the default: the
/// stack then verifies every checksum itself.
enum class RxChecksum : std::uint8_t {
  Unverified,  ///< verify the transport checksum (the default, and for every plain link)
  Verified,    ///< the link verified it (VIRTIO_NET_HDR_F_DATA_VALID)
  /// Never computed: the field holds only the pseudo-header sum
  /// (VIRTIO_NET_HDR_F_NEEDS_CSUM). The packet was built by the host on the other side
  /// of the link and crossed no wire that could corrupt it, so there is nothing to
  /// verify (Linux treats CHECKSUM_PARTIAL on receive the same way).
  Partial,
};

/// What the link knows about a received frame (Stack::on_frame): all defaults
/// for a plain link.
struct RxMeta {
  /// Whether the transport checksum still needs verifying.
  RxChecksum checksum = RxChecksum::Unverified;
  /// Non-zero for a GSO/GRO super-frame: the payload size of the segments it stands
  /// for (information only: the stack takes the super-frame as one packet).
  std::uint16_t gso_size = 0;
  /// For Partial: where the sum starts and where the field is, from the frame's start
  /// (what a link that hands the frame on, as the Impairer does, needs to finish it).
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;  ///< offset of the checksum field from csum_start
};

/// What the link must do to a frame the stack transmits. All zero for a complete frame.
struct TxMeta {
  /// The transport checksum is to be finished by the link: the one's-complement sum
  /// from csum_start to the end of the frame goes at csum_start + csum_offset (the
  /// field holds the pseudo-header sum meanwhile), VIRTIO_NET_HDR_F_NEEDS_CSUM.
  std::uint16_t csum_start = 0;   ///< 0: the checksum is complete
  std::uint16_t csum_offset = 0;  ///< offset of the checksum field from csum_start
  /// A TCP super-segment (TSO) for the link to cut into segments of gso_size payload
  /// bytes, each with a copy of the first hdr_len bytes (Ethernet + IP + TCP).
  std::uint16_t gso_size = 0;  ///< 0: send as it is
  std::uint16_t hdr_len = 0;   ///< bytes of headers repeated in each piece (Ethernet + IP + TCP)
  /// The super-segment is IPv6 (VIRTIO_NET_HDR_GSO_TCPV6; else TCPV4).
  bool gso_ipv6 = false;
  /// The super-segment has CWR: on its first piece only (SKB_GSO_TCP_ECN, as Linux marks
  /// its own such TSO packets), so a segmenter that cannot do that leaves it to software.
  bool gso_ecn = false;

  /// True when the link must finish the transport checksum.
  bool needs_checksum() const { return csum_start != 0; }
  /// What the host at the other end of a virtual wire gets with this frame when the
  /// wire hands it over whole (two stacks in one process, the kernel's loopback): a
  /// checksum left partial stays unverified-and-unneeded, a super-segment arrives as
  /// one (GRO).
  RxMeta as_received() const {
    RxMeta m;
    if (needs_checksum()) {
      m.checksum = RxChecksum::Partial;
      m.csum_start = csum_start;
      m.csum_offset = csum_offset;
    }
    m.gso_size = gso_size;
    return m;
  }
  bool operator==(const TxMeta&) const = default;  ///< field by field
};

/// What a link can do for the frames the stack transmits (Stack::add_interface).
struct LinkOffloads {
  bool tx_checksum = false;    ///< takes frames whose transport checksum it finishes
  std::uint32_t tso_max = 0;   ///< the largest IPv4 packet it segments (TSO); 0: none
  std::uint32_t tso6_max = 0;  ///< the largest IPv6 packet it segments (TSO6); 0: none
  bool operator==(const LinkOffloads&) const = default;  ///< field by field
};

/// A complete Ethernet frame to transmit on (or received from) one interface.
struct Frame {
  IfaceId iface;  ///< the interface it leaves by (or arrived on)
  ByteVec bytes;  ///< from the destination MAC address on, without the FCS
  TxMeta tx{};    ///< what the link still has to do (only on an interface with offloads)
};

/// Why an outgoing packet could not be sent.
enum class SendError : std::uint8_t {
  NoRoute,  ///< no interface prefix contains the destination and no usable gateway
  /// Larger than the interface MTU where nothing may be fragmented (TCP, ICMP errors),
  /// or than the IPv4 maximum (65535 bytes with headers) for UDP and ICMP echo, or
  /// than IPv6's (65535 payload bytes: 65527 of UDP data) over IPv6
  MessageTooLong,
  BadSocket,  ///< unknown or closed socket id
  /// Unspecified address, multicast, or port 0; or (UDP) a family the socket cannot
  /// send to: IPv6 from an IPv4 socket, IPv4 from one on a specific IPv6 address
  InvalidDestination,
};

/// Why a UDP socket could not be bound (Stack::udp_bind).
enum class BindError : std::uint8_t {
  AddrInUse,         ///< the (address, port) overlaps an existing binding
  AddrNotAvailable,  ///< the address is not one of our interface addresses
  NoFreePort,        ///< port 0 asked for an ephemeral port and none is free
  TooManySockets,    ///< StackConfig::udp_max_sockets reached
};

/// A short description for logs and messages ("no route").
std::string_view to_string(SendError e);
/// A short description for logs and messages ("address in use").
std::string_view to_string(BindError e);

/// Where a packet to some destination goes: out of `iface`, to the link-layer
/// owner of `next_hop`, with `src` as our source address.
struct Route {
  IfaceId iface;                ///< the interface to send on
  wire::Ipv4Addr next_hop;      ///< the destination itself when on-link, else the gateway
  wire::Ipv4Addr src;           ///< the address of `iface`
  bool link_broadcast = false;  ///< destination is a broadcast address: use ff:ff:ff:ff:ff:ff
};

}  // namespace synack::stack
