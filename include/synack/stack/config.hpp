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

/// IPv6 host behaviour (RFC 8200, RFC 4861, RFC 4862, RFC 4443, RFC 3810): NDP, DAD,
/// router discovery, SLAAC, MLDv2 and their bounds. Off by default: a Stack without
/// IPv6 ignores EtherType 0x86DD (Stats::eth_rx_unknown_type) as before.
struct Ipv6Config {
  /// Give every interface IPv6 as add_interface creates it (link-local and SLAAC, like
  /// Stack::enable_ipv6(id, nullopt, true)); false: only enable_ipv6 turns it on.
  bool enabled = false;
  std::uint8_t hop_limit = 64;      ///< of the packets we send (NDP and MLD use 255 and 1)
  std::uint32_t dad_transmits = 1;  ///< DupAddrDetectTransmits (RFC 4862 §5.1); 0: no DAD
  /// RetransTimer (RFC 4861 §10): between NS retransmissions and DAD probes
  Duration retrans_timer = std::chrono::seconds(1);
  /// BaseReachableTime (RFC 4861 §10); ReachableTime is drawn from 0.5..1.5 times it
  Duration base_reachable_time = std::chrono::seconds(30);
  Duration delay_first_probe = std::chrono::seconds(5);  ///< DELAY_FIRST_PROBE_TIME
  std::uint32_t max_multicast_solicit = 3;               ///< MAX_MULTICAST_SOLICIT (INCOMPLETE)
  std::uint32_t max_unicast_solicit = 3;                 ///< MAX_UNICAST_SOLICIT (PROBE)
  std::uint32_t max_rtr_solicitations = 3;               ///< MAX_RTR_SOLICITATIONS
  Duration rtr_solicitation_interval = std::chrono::seconds(4);  ///< RTR_SOLICITATION_INTERVAL
  /// MAX_RTR_SOLICITATION_DELAY: the random delay before the first RS and the first DAD
  /// probe (RFC 4861 §6.3.7, RFC 4862 §5.4.2)
  Duration max_rtr_solicitation_delay = std::chrono::seconds(1);
  /// MLDv2 Unsolicited Report Interval (RFC 3810 §9.11): the random delay of a join
  /// report's retransmission
  Duration mld_unsolicited_interval = std::chrono::seconds(1);
  std::uint32_t mld_robustness = 2;          ///< reports sent per state change (RFC 3810 §9.1)
  std::size_t max_neighbors = 512;           ///< NDP cache entries, all interfaces
  std::size_t max_queued_per_neighbor = 16;  ///< packets waiting for one address (INCOMPLETE)
  std::size_t max_queued_total = 256;        ///< packets waiting for resolution, whole stack
  std::size_t max_routers = 8;               ///< default router list, per interface
  std::size_t max_prefixes = 16;             ///< on-link prefix list, per interface
  std::size_t max_addresses = 16;            ///< addresses per interface (SLAAC stops there)
  std::size_t max_destinations = 256;        ///< destination cache (redirects, path MTU)
  /// Path MTU estimates learnt from Packet Too Big are forgotten after this (RFC 8201 §4:
  /// "at least 5 minutes", 10 recommended).
  Duration pmtu_expiry = std::chrono::minutes(10);
  /// ICMPv6 error rate limit (RFC 4443 §2.4(f)): a token bucket as for IPv4.
  std::uint32_t icmp_error_burst = 10;
  Duration icmp_error_interval = std::chrono::milliseconds(100);  ///< one token per interval
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
  /// IPv4 path MTUs remembered (RFC 1191, from fragmentation needed errors quoting UDP).
  std::size_t max_path_mtus = 256;
  /// An IPv4 path MTU estimate is forgotten after this (RFC 1191 §6.3: "no less than 5
  /// minutes"; 10 recommended).
  Duration pmtu_expiry = std::chrono::minutes(10);
  bool icmp_protocol_unreachable = true;  ///< answer unknown protocols (RFC 1122 §3.2.2.1 SHOULD)
  std::size_t max_events = 4096;          ///< pending events; more are dropped and counted
  tcp::TcpConfig tcp;                     ///< TCP: limits, timers, defaults for new sockets
  ReassemblyConfig reassembly;            ///< IP fragment reassembly: timeouts and memory bounds
  Ipv6Config ipv6;                        ///< IPv6: off unless enabled (or enable_ipv6)
};

}  // namespace synack::stack
