// UDP sockets (RFC 768): bindings, demultiplexing and bounded receive queues.
// A datagram is delivered by (destination address, destination port) ONLY: the
// sender's address and port play no part, unlike TCP's 4-tuple demux.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>

#include "synack/base/bytes.hpp"
#include "synack/base/random.hpp"
#include "synack/base/result.hpp"
#include "synack/stack/types.hpp"
#include "synack/wire/addr.hpp"

namespace synack::stack {

struct UdpDatagram {
  wire::Ipv4Addr src;
  std::uint16_t src_port = 0;
  wire::Ipv4Addr dst;  ///< the address it was sent to (ours, or a broadcast address)
  ByteVec payload;
};

class UdpTable {
 public:
  UdpTable(std::size_t max_sockets, std::size_t rx_queue_datagrams)
      : max_sockets_(max_sockets), rx_queue_datagrams_(rx_queue_datagrams) {}

  /// Binds (addr, port); addr may be unspecified (any local address). Port 0 picks
  /// an ephemeral port (RFC 6335 §6: 49152-65535) starting at a random offset.
  /// The caller checks that a specified addr is one of ours.
  Result<UdpSocketId, BindError> bind(wire::Ipv4Addr addr, std::uint16_t port, Random& rng);
  void close(UdpSocketId id);
  bool exists(UdpSocketId id) const { return sockets_.count(id.value) != 0; }
  std::optional<std::pair<wire::Ipv4Addr, std::uint16_t>> local(UdpSocketId id) const;

  /// The socket for a datagram to (dst, dst_port): an exact binding first, then a
  /// wildcard one. Broadcast destinations match only wildcard bindings.
  std::optional<UdpSocketId> lookup(wire::Ipv4Addr dst, std::uint16_t dst_port) const;

  enum class Delivered : std::uint8_t { BecameReadable, Queued, QueueFull };
  Delivered deliver(UdpSocketId id, UdpDatagram d);
  std::optional<UdpDatagram> receive(UdpSocketId id);
  std::size_t queued(UdpSocketId id) const;

 private:
  struct Socket {
    wire::Ipv4Addr addr;
    std::uint16_t port = 0;
    std::deque<UdpDatagram> rx;
  };
  using BindKey = std::pair<std::uint32_t, std::uint16_t>;  ///< (addr, port)

  bool port_conflicts(wire::Ipv4Addr addr, std::uint16_t port) const;

  std::size_t max_sockets_;
  std::size_t rx_queue_datagrams_;
  std::uint32_t next_id_ = 1;
  std::map<std::uint32_t, Socket> sockets_;
  std::map<BindKey, UdpSocketId> bindings_;
};

}  // namespace synack::stack
