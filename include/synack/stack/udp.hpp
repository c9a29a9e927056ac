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

/// One received UDP datagram, as queued on its socket (Stack::udp_receive_from).
struct UdpDatagram {
  wire::Ipv4Addr src;          ///< the sender's address
  std::uint16_t src_port = 0;  ///< the sender's port (where a reply goes)
  wire::Ipv4Addr dst;          ///< the address it was sent to (ours, or a broadcast address)
  ByteVec payload;             ///< the UDP payload, owned
};

/// The UDP sockets of one Stack: bindings, demultiplexing and each socket's bounded
/// queue of received datagrams. The Stack owns it; programs go through Stack::udp_*.
class UdpTable {
 public:
  /// At most `max_sockets` sockets, each queueing up to `rx_queue_datagrams`.
  UdpTable(std::size_t max_sockets, std::size_t rx_queue_datagrams)
      : max_sockets_(max_sockets), rx_queue_datagrams_(rx_queue_datagrams) {}

  /// Binds (addr, port); addr may be unspecified (any local address). Port 0 picks
  /// an ephemeral port (RFC 6335 §6: 49152-65535) starting at a random offset.
  /// The caller checks that a specified addr is one of ours.
  Result<UdpSocketId, BindError> bind(wire::Ipv4Addr addr, std::uint16_t port, Random& rng);
  /// Releases the binding and drops queued datagrams; unknown ids are ignored.
  void close(UdpSocketId id);
  /// True while `id` is bound (not yet closed)
  bool exists(UdpSocketId id) const { return sockets_.count(id.value) != 0; }
  /// (address, port) bound, or nullopt for an unknown id.
  std::optional<std::pair<wire::Ipv4Addr, std::uint16_t>> local(UdpSocketId id) const;

  /// The socket for a datagram to (dst, dst_port): an exact binding first, then a
  /// wildcard one. Broadcast destinations match only wildcard bindings.
  std::optional<UdpSocketId> lookup(wire::Ipv4Addr dst, std::uint16_t dst_port) const;

  /// What deliver() did: queued on an empty queue (the socket became readable, which
  /// the Stack reports as an event), queued behind others, or dropped (queue full, or
  /// the socket is gone).
  enum class Delivered : std::uint8_t { BecameReadable, Queued, QueueFull };
  /// Queues `d` on the socket unless its queue holds rx_queue_datagrams already.
  Delivered deliver(UdpSocketId id, UdpDatagram d);
  std::optional<UdpDatagram> receive(UdpSocketId id);  ///< the oldest queued datagram, or nullopt
  std::size_t queued(UdpSocketId id) const;            ///< datagrams waiting (0 for an unknown id)

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
