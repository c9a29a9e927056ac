// Per-stack counters: every frame or packet that is dropped is counted under the
// reason it was dropped for, so a test or an operator can tell exactly why.
#pragma once

#include <cstdint>
#include <string>

#include "synack/tcp/types.hpp"

namespace synack::stack {

/// X-macro list: one place names every counter, used for the struct and for printing.
#define SYNACK_STACK_STATS(X)                                                                      \
  X(eth_rx_frames)             /* frames handed to on_frame */                                     \
  X(eth_rx_bad_iface)          /* on_frame with an unknown interface id */                         \
  X(eth_rx_malformed)          /* shorter than an Ethernet header */                               \
  X(eth_rx_not_for_us)         /* destination MAC neither ours nor broadcast */                    \
  X(eth_rx_unknown_type)       /* EtherType other than IPv4 / ARP */                               \
  X(eth_tx_frames)             /* frames queued for pop_frame */                                   \
  X(arp_rx)                    /* ARP packets received */                                          \
  X(arp_rx_malformed)          /* ARP parse failed or bogus sender */                              \
  X(arp_rx_requests_for_us)    /* requests whose target is our address */                          \
  X(arp_rx_replies)            /* replies (any target) */                                          \
  X(arp_rx_ignored)            /* neither for us nor updating a known entry */                     \
  X(arp_tx_requests)           /* requests sent (first tries and retries) */                       \
  X(arp_tx_replies)            /* replies sent */                                                  \
  X(arp_resolution_failed)     /* addresses given up on after max_requests */                      \
  X(arp_drop_unresolved)       /* packets dropped because resolution failed */                     \
  X(arp_drop_queue_full)       /* packets dropped: per-neighbour or total wait queue full */       \
  X(arp_drop_cache_full)       /* packets dropped: no room for a new neighbour entry */            \
  X(ip_rx)                     /* IPv4 packets received */                                         \
  X(ip_rx_truncated)           /* shorter than the header or the total length */                   \
  X(ip_rx_bad_header)          /* bad version, IHL or total length */                              \
  X(ip_rx_bad_checksum)        /* header checksum mismatch */                                      \
  X(ip_rx_bad_src)             /* source is broadcast/multicast (RFC 1122 §3.2.1.3) */            \
  X(ip_rx_not_for_us)          /* destination not ours, not a broadcast we accept */               \
  X(ip_rx_fragments)           /* fragments received, handed to reassembly */                      \
  X(ip_reasm_ok)               /* datagrams reassembled and processed */                           \
  X(ip_reasm_duplicates)       /* exact duplicate fragments ignored */                             \
  X(ip_reasm_overlaps)         /* datagrams discarded: overlap or end conflict (RFC 5722) */       \
  X(ip_reasm_refused)          /* fragments refused: length, tiny (RFC 1858), > 65535 */           \
  X(ip_reasm_dropped_caps)     /* fragments refused: a global reassembly bound reached */          \
  X(ip_reasm_evicted)          /* datagrams evicted: source bound, too many fragments */           \
  X(ip_reasm_timeouts)         /* datagrams given up after the reassembly timeout */               \
  X(ip_rx_broadcast_dropped)   /* broadcast for a protocol other than UDP */                       \
  X(ip_rx_unknown_protocol)    /* protocol other than ICMP/UDP/TCP */                              \
  X(ip_tx)                     /* IPv4 packets sent (or queued behind ARP) */                      \
  X(ip_tx_no_route)            /* send refused: no route */                                        \
  X(ip_tx_too_long)            /* send refused: larger than the MTU */                             \
  X(ip_tx_fragments)           /* fragments sent (datagrams larger than the MTU) */                \
  X(ip_pmtu_updates)           /* IPv4 path MTUs lowered by fragmentation needed (RFC 1191) */     \
  X(ip_loopback)               /* packets to our own address, delivered without a link */          \
  X(ip_loopback_dropped)       /* loopback packets over the per-call budget */                     \
  X(icmp_rx)                   /* ICMP messages received */                                        \
  X(icmp_rx_malformed)         /* ICMP parse failed (length or checksum) */                        \
  X(icmp_rx_echo_requests)     /* echo requests answered */                                        \
  X(icmp_rx_echo_replies)      /* echo replies surfaced as PingReply */                            \
  X(icmp_rx_errors)            /* error messages (unreach, time exceeded, ...) */                  \
  X(icmp_rx_errors_tcp)        /* errors quoting a TCP segment of ours, given to TCP */            \
  X(icmp_rx_errors_udp)        /* errors quoting a UDP datagram of ours, given to its socket */    \
  X(icmp_rx_errors_no_socket)  /* errors quoting UDP from a port no socket of ours holds */        \
  X(icmp_rx_errors_truncated)  /* errors quoting too little to attribute (both families) */        \
  X(icmp_rx_errors_ignored)    /* errors quoting something we cannot attribute */                  \
  X(icmp_rx_other)             /* other types: ignored (RFC 1122 §3.2.2 MUST) */                  \
  X(icmp_tx_echo_requests)     /* pings sent */                                                    \
  X(icmp_tx_echo_replies)      /* echo replies sent */                                             \
  X(icmp_tx_port_unreachable)  /* port unreachable sent */                                         \
  X(icmp_tx_proto_unreachable) /* protocol unreachable sent */                                     \
  X(icmp_tx_time_exceeded)     /* reassembly time exceeded sent (type 11 code 1) */                \
  X(icmp_tx_rate_limited)      /* errors suppressed by the rate limit */                           \
  X(udp_rx)                    /* datagrams received */                                            \
  X(udp_rx_malformed)          /* UDP length inconsistent */                                       \
  X(udp_rx_bad_checksum)       /* UDP checksum mismatch */                                         \
  X(udp_rx_zero_checksum6)     /* UDP over IPv6 without a checksum (RFC 8200 §8.1) */             \
  X(udp_rx_no_socket)          /* no socket bound to (dst addr, dst port) */                       \
  X(udp_rx_queue_full)         /* socket receive queue full */                                     \
  X(udp_tx)                    /* datagrams sent */                                                \
  X(tcp_rx)                    /* segments handed to TCP */                                        \
  X(tcp_rx_malformed)          /* bad data offset / options */                                     \
  X(tcp_rx_bad_checksum)       /* TCP checksum mismatch */                                         \
  X(tcp_tx)                    /* segments sent by TCP */                                          \
  X(tcp_tx_dropped)            /* TCP output with no route / too long */                           \
  X(tcp_negative_advice)       /* MUST-20: R1 reached on a connection (advice from TCP) */         \
  X(arp_marked_stale)          /* neighbour entries re-resolved after negative advice */           \
  X(rx_batches)                /* on_frames calls (MUST-59: one ACK pass per batch) */             \
  X(events_dropped)            /* events lost because the event queue was full */                  \
  X(rx_csum_verified_by_link)  /* TCP/UDP checksums the link had verified (DATA_VALID) */          \
  X(rx_csum_partial)           /* TCP/UDP checksums never computed (NEEDS_CSUM) */                 \
  X(rx_super_frames)           /* GSO/GRO super-frames taken as one packet */                      \
  X(tx_csum_offloaded)         /* TCP checksums left to the link to finish */                      \
  X(tx_csum_in_software)       /* partial TCP checksums finished here (no offload there) */        \
  X(tx_super_frames)           /* TSO super-segments handed to the link to cut up */               \
  X(tx_super_dropped)          /* super-segments dropped: the next hop awaited ARP */              \
  X(ipv6_rx)                   /* IPv6 packets received                                        */  \
  X(ipv6_rx_malformed)         /* IPv6 header bad or truncated                                 */  \
  X(ipv6_rx_bad_src)           /* source multicast (RFC 4291 §2.7) or an IPv4-mapped address   */ \
  X(ipv6_rx_not_for_us)        /* unicast destination not ours on that link                    */  \
  X(ipv6_rx_mcast_not_joined)  /* multicast to a group we did not join                         */  \
  X(ipv6_rx_tentative)         /* to a tentative address (RFC 4862 §5.4)                       */ \
  X(ipv6_rx_ext_discard)       /* discarded by the extension header walk                       */  \
  X(ipv6_rx_param_problem)     /* Parameter Problem cases (answered or not)                    */  \
  X(ipv6_rx_unhandled)         /* an upper layer not handled over IPv6 here                    */  \
  X(ipv6_rx_fragments)         /* fragments received, handed to reassembly                     */  \
  X(ipv6_reasm_ok)             /* datagrams reassembled and processed                          */  \
  X(ipv6_reasm_duplicates)     /* exact duplicate fragments ignored                            */  \
  X(ipv6_reasm_overlaps)       /* datagrams discarded: overlap (RFC 5722)                      */  \
  X(ipv6_reasm_refused)        /* fragments refused (length, chain, caps)                      */  \
  X(ipv6_reasm_timeouts)       /* datagrams given up after 60 s                                */  \
  X(ipv6_tx)                   /* IPv6 packets sent (or queued behind NDP)                     */  \
  X(ipv6_tx_no_route)          /* send refused: no route or source                             */  \
  X(ipv6_tx_too_long)          /* send refused: larger than the MTU                            */  \
  X(ipv6_tx_fragments)         /* fragments sent (RFC 8200 §4.5)                               */ \
  X(icmpv6_rx)                 /* ICMPv6 messages received                                     */  \
  X(icmpv6_rx_malformed)       /* ICMPv6 parse failed (length or checksum)                     */  \
  X(icmpv6_rx_echo_requests)   /* echo requests answered                                       */  \
  X(icmpv6_rx_echo_replies)    /* echo replies surfaced as Ping6Reply                          */  \
  X(icmpv6_rx_errors)          /* error messages received                                      */  \
  X(icmpv6_rx_ptb)             /* Packet Too Big recorded                                      */  \
  X(icmpv6_rx_other)           /* other types ignored                                          */  \
  X(icmpv6_tx_echo_requests)   /* pings sent                                                   */  \
  X(icmpv6_tx_echo_replies)    /* echo replies sent                                            */  \
  X(icmpv6_tx_param_problem)   /* Parameter Problem sent                                       */  \
  X(icmpv6_tx_time_exceeded)   /* reassembly time exceeded sent                                */  \
  X(icmpv6_tx_unreachable)     /* destination unreachable sent                                 */  \
  X(icmpv6_tx_rate_limited)    /* errors suppressed by the rate limit                          */  \
  X(ndp_rx_invalid)            /* NDP messages failing RFC 4861 checks                         */  \
  X(ndp_rx_ns)                 /* neighbor solicitations received                              */  \
  X(ndp_rx_na)                 /* neighbor advertisements received                             */  \
  X(ndp_rx_na_ignored)         /* NAs without an entry to update                               */  \
  X(ndp_rx_rs)                 /* router solicitations (hosts ignore them)                     */  \
  X(ndp_rx_ra)                 /* router advertisements processed                              */  \
  X(ndp_rx_redirect_accepted)  /* redirects from the first-hop router                          */  \
  X(ndp_rx_redirect_ignored)   /* redirects from anyone else                                   */  \
  X(ndp_tx_ns)                 /* neighbor solicitations sent                                  */  \
  X(ndp_tx_na)                 /* neighbor advertisements sent                                 */  \
  X(ndp_tx_rs)                 /* router solicitations sent                                    */  \
  X(ndp_resolution_failed)     /* neighbours given up on (NUD)                                 */  \
  X(ndp_drop_unresolved)       /* packets dropped: resolution failed                           */  \
  X(ndp_drop_queue_full)       /* packets dropped: wait queue full                             */  \
  X(ndp_drop_cache_full)       /* packets dropped: no room for an entry                        */  \
  X(ndp_routers_added)         /* default routers learnt                                       */  \
  X(ndp_routers_removed)       /* default routers removed or expired                           */  \
  X(ndp_mtu_updates)           /* RA MTU options applied                                       */  \
  X(dad_started)               /* DAD runs started                                             */  \
  X(dad_succeeded)             /* addresses that became preferred                              */  \
  X(dad_duplicates)            /* addresses found duplicate                                    */  \
  X(ipv6_disabled_dad)         /* interfaces with IPv6 off: EUI-64 link-local duplicate        */  \
  X(ipv6_rx_disabled)          /* packets dropped: IPv6 disabled on the interface              */  \
  X(slaac_addresses)           /* addresses formed from RA prefixes                            */  \
  X(pmtu_updates)              /* path MTUs lowered by Packet Too Big                          */  \
  X(mld_rx_queries)            /* MLD queries answered                                         */  \
  X(mld_tx_reports)            /* MLDv2 reports sent                                           */  \
  X(mld_tx_leaves)             /* of those, leaves (TO_IN with no sources, RFC 3810 §6.1)      */

struct Stats {
#define SYNACK_STATS_FIELD(name) std::uint64_t name = 0;
  SYNACK_STACK_STATS(SYNACK_STATS_FIELD)
#undef SYNACK_STATS_FIELD
  bool operator==(const Stats&) const = default;
};

/// One line "name=value name=value ...", all counters or only the non-zero ones.
std::string format_stats(const Stats& s, bool nonzero_only = true);
/// The TCP layer's counters, each name prefixed with "tcp_".
std::string format_tcp_stats(const tcp::ProtocolStats& s, bool nonzero_only = true);

}  // namespace synack::stack
