// Every limit and timer of a Stack, with safe defaults. No compile-time knobs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "synack/base/time.hpp"
#include "synack/tcp/protocol.hpp"

namespace synack::stack {

/// The ARP cache (RFC 826): lifetimes, retries and bounds. A full cache evicts an
/// expired or the soonest-expiring resolved entry, never a pending one.
struct NeighborConfig {
  Duration reachable_time = std::chrono::seconds(60);  ///< how long a learned entry is trusted
  Duration retry_interval = std::chrono::seconds(1);   ///< between ARP requests for one address
  std::uint32_t max_requests = 3;                      ///< requests sent before giving up
  std::size_t max_entries = 512;             ///< resolved + pending entries, all interfaces
  std::size_t max_queued_per_neighbor = 16;  ///< packets waiting for one address
  std::size_t max_queued_total = 256;        ///< packets waiting, whole stack
};

/// IP fragment reassembly (RFC 791, RFC 815; reassembly.hpp): timeouts and the bounds
/// on the memory fragments may hold. A fragment that would pass a global bound is
/// refused (as Linux does above ipfrag_high_thresh); one that would pass its source's
/// bound first evicts that source's datagram nearest to expiry, so one source can fill
/// only its own share and never starve the others.
struct ReassemblyConfig {
  /// Bytes held by all datagrams in progress: fragment data, first headers and a fixed
  /// per-fragment and per-datagram overhead (Reassembler::kPieceOverhead,
  /// kDatagramOverhead). Like Linux's net.ipv4.ipfrag_high_thresh (4 MiB).
  std::size_t max_bytes = std::size_t{4} << 20;
  std::size_t max_datagrams = 1024;                         ///< datagrams in progress, all sources
  std::size_t max_bytes_per_source = std::size_t{1} << 20;  ///< bytes held for one source address
  std::size_t max_datagrams_per_source = 64;  ///< datagrams in progress from one source address
  /// Fragments one datagram may be made of; one more discards it (a flood of tiny
  /// pieces costs a bounded overhead). A 65535-byte datagram over a 1500-byte MTU is 45.
  std::size_t max_fragments_per_datagram = 64;
  /// IPv4: from the first fragment received to giving up (Linux ipfrag_time; RFC 791
  /// suggests 15 s).
  Duration ipv4_timeout = std::chrono::seconds(30);
  Duration ipv6_timeout = std::chrono::seconds(60);  ///< IPv6 (RFC 8200 §4.5: 60 s)
};

/// Everything a Stack is built with (Stack's constructor copies it).
struct StackConfig {
  NeighborConfig neighbor;  ///< the ARP cache
  /// IPv4 TTL of the ICMP and UDP packets we send (TCP's is tcp.ttl)
  std::uint8_t default_ttl = 64;
  /// First IPv4 Identification value; unset = drawn from the injected Random.
  std::optional<std::uint16_t> first_ip_ident;
  /// Open UDP sockets; udp_bind fails past it (TooManySockets)
  std::size_t udp_max_sockets = 1024;
  std::size_t udp_rx_queue_datagrams = 64;  ///< per socket; more are dropped and counted
  /// ICMP error rate limit (RFC 1812 §4.3.2.8): a token bucket of `icmp_error_burst`
  /// tokens, one token added every `icmp_error_interval`.
  std::uint32_t icmp_error_burst = 10;
  Duration icmp_error_interval = std::chrono::milliseconds(100);  ///< one token per interval
  bool icmp_protocol_unreachable = true;  ///< answer unknown protocols (RFC 1122 §3.2.2.1 SHOULD)
  std::size_t max_events = 4096;          ///< pending events; more are dropped and counted
  tcp::TcpConfig tcp;                     ///< TCP: limits, timers, defaults for new sockets
  ReassemblyConfig reassembly;            ///< IP fragment reassembly: timeouts and memory bounds
};

}  // namespace synack::stack
