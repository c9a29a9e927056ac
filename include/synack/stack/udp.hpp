// UDP sockets (RFC 768): bindings, demultiplexing and bounded receive queues, for
// IPv4 and IPv6 (RFC 8200 §8.1). A datagram is delivered by (destination address,
// destination port) ONLY: the sender's address and port play no part, unlike TCP's
// 4-tuple demux. A socket bound to 0.0.0.0 receives IPv4 only; one bound to :: is
// dual-stack (IPv4 and IPv6, as Linux with net.ipv6.bindv6only = 0).
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
#include "synack/stack/events.hpp"
#include "synack/stack/types.hpp"
#include "synack/wire/addr.hpp"

namespace synack::stack {

/// One received UDP datagram, as queued on its socket (Stack::udp_receive_from).
struct UdpDatagram {
  wire::IpAddr src;            ///< the sender's address (IPv4 or IPv6)
  std::uint16_t src_port = 0;  ///< the sender's port (where a reply goes)
  wire::IpAddr dst;  ///< the address it was sent to (ours, a broadcast or a multicast address)
  ByteVec payload;   ///< the UDP payload, owned
};

/// The UDP sockets of one Stack: bindings, demultiplexing and each socket's bounded
/// queue of received datagrams. The Stack owns it; programs go through Stack::udp_*.
class UdpTable {
 public:
  /// At most `max_sockets` sockets, each queueing up to `rx_queue_datagrams`.
  UdpTable(std::size_t max_sockets, std::size_t rx_queue_datagrams)
      : max_sockets_(max_sockets), rx_queue_datagrams_(rx_queue_datagrams) {}

  /// Binds (addr, port); addr may be unspecified: 0.0.0.0 is any local IPv4 address,
  /// :: any local address of either family. Bindings whose addresses overlap conflict
  /// on a port (:: overlaps everything, 0.0.0.0 every IPv4 address; the BSD rule
  /// without SO_REUSEADDR). Port 0 picks an ephemeral port (RFC 6335 §6: 49152-65535)
  /// starting at a random offset. The caller checks that a specified addr is one of ours.
  Result<UdpSocketId, BindError> bind(const wire::IpAddr& addr, std::uint16_t port, Random& rng);
  /// Releases the binding and drops queued datagrams; unknown ids are ignored.
  void close(UdpSocketId id);
  /// True while `id` is bound (not yet closed)
  bool exists(UdpSocketId id) const { return sockets_.count(id.value) != 0; }
  /// (address, port) bound, or nullopt for an unknown id.
  std::optional<std::pair<wire::IpAddr, std::uint16_t>> local(UdpSocketId id) const;

  /// The socket for a datagram to (dst, dst_port): an exact binding first, then the
  /// wildcard of dst's family, then (IPv4 only) a dual-stack one on ::. Broadcast and
  /// multicast destinations match only wildcard bindings.
  std::optional<UdpSocketId> lookup(const wire::IpAddr& dst, std::uint16_t dst_port) const;

  /// What deliver() did: queued on an empty queue (the socket became readable, which
  /// the Stack reports as an event), queued behind others, or dropped (queue full, or
  /// the socket is gone).
  enum class Delivered : std::uint8_t { BecameReadable, Queued, QueueFull };
  /// Queues `d` on the socket unless its queue holds rx_queue_datagrams already.
  Delivered deliver(UdpSocketId id, UdpDatagram d);
  std::optional<UdpDatagram> receive(UdpSocketId id);  ///< the oldest queued datagram, or nullopt
  std::size_t queued(UdpSocketId id) const;            ///< datagrams waiting (0 for an unknown id)
  /// Records `e` as the socket's pending error (the latest replaces an older one);
  /// ignored for an unknown socket.
  void set_error(const UdpError& e);
  /// The pending error, cleared by reading it (SO_ERROR); nullopt if none.
  std::optional<UdpError> take_error(UdpSocketId id);

 private:
  struct Socket {
    wire::IpAddr addr;
    std::uint16_t port = 0;
    std::deque<UdpDatagram> rx;
    std::optional<UdpError> error;  ///< the latest ICMP error not yet read
  };
  /// (port, addr): one port's bindings are adjacent, :: first (the smallest IpAddr).
  using BindKey = std::pair<std::uint16_t, wire::IpAddr>;

  bool port_conflicts(const wire::IpAddr& addr, std::uint16_t port) const;

  std::size_t max_sockets_;
  std::size_t rx_queue_datagrams_;
  std::uint32_t next_id_ = 1;
  std::map<std::uint32_t, Socket> sockets_;
  std::map<BindKey, UdpSocketId> bindings_;
};

}  // namespace synack::stack
