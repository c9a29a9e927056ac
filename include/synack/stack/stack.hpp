// The sans-I/O host: interfaces, ARP, IPv4 in/out, ICMP, UDP sockets, and the
// glue that carries TCP segments between the wire and tcp::TcpProtocol.
//
//   stack.on_frame(iface, bytes, now);                 // a frame arrived
//   stack.on_timer(now);                               // time passed
//   while (auto e = stack.pop_event()) ...             // readable / ping reply / ...
//   while (auto f = stack.pop_frame()) link.send(*f);  // frames to transmit
//   auto when = stack.next_deadline();                 // when to call on_timer
//
// Events before frames: a pure ACK owed by the frames received is only decided in
// pop_frame, so data or a FIN the application sends in answer to an event carries it.
//
// It never reads a clock or calls a global RNG; many instances may share a process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/fifo.hpp"
#include "synack/base/random.hpp"
#include "synack/base/result.hpp"
#include "synack/base/time.hpp"
#include "synack/stack/config.hpp"
#include "synack/stack/events.hpp"
#include "synack/stack/ipv6.hpp"
#include "synack/stack/ndp.hpp"
#include "synack/stack/neighbor.hpp"
#include "synack/stack/reassembly.hpp"
#include "synack/stack/stats.hpp"
#include "synack/stack/types.hpp"
#include "synack/stack/udp.hpp"
#include "synack/tcp/protocol.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/icmpv6.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/ipv6.hpp"
#include "synack/wire/udp.hpp"

namespace synack::stack {

/// One interface of a Stack, as add_interface made it.
struct Interface {
  IfaceId id;           ///< its index in Stack::interfaces()
  wire::MacAddr mac;    ///< our MAC address on the link
  wire::Ipv4Cidr cidr;  ///< our address and the on-link prefix
  /// Largest IPv4 packet in bytes (headers included). TCP and every packet that fits
  /// leave with DF set; larger UDP and ICMP echo datagrams are fragmented to fit.
  std::size_t mtu = 1500;
  LinkOffloads offloads{};  ///< what the link does for our transmissions
};

/// Offsets inside a frame we build: Ethernet header, then IPv4, then transport.
inline constexpr std::size_t kEthHeaderLen = 14;
inline constexpr std::size_t kIpHeaderLen = 20;  ///< IPv4 without options (we send none)
/// The largest IPv4 packet (the 16-bit total length, RFC 791): 65507 bytes of UDP payload.
inline constexpr std::size_t kMaxIpv4Packet = 0xffff;
/// The smallest MTU we fragment for: "Every internet module must be able to forward a
/// datagram of 68 octets without further fragmentation" (RFC 791).
inline constexpr std::size_t kMinIpv4Mtu = 68;
/// The smallest IPv4 path MTU a fragmentation needed error can set (Linux's min_pmtu:
/// 512 bytes of data and two 20-byte headers), so a forged error cannot make us cut
/// datagrams into crumbs; RFC 1191's floor is 68.
inline constexpr std::size_t kMinIpv4Pmtu = 552;
/// Where the transport header starts.
inline constexpr std::size_t kTransportOffset = kEthHeaderLen + kIpHeaderLen;
/// The largest UDP payload over IPv6 without a jumbogram: the 16-bit payload length
/// less the 8-byte UDP header.
inline constexpr std::size_t kMaxUdp6Payload = 0xffff - 8;
/// Where the upper-layer header of an IPv6 packet we build starts (we send no extension
/// headers but the Fragment header and MLD's Hop-by-Hop, which are added separately).
inline constexpr std::size_t kIpv6TransportOffset = kEthHeaderLen + wire::Ipv6Repr::kHeaderLen;
/// The IPv6 minimum link MTU (RFC 8200 §5): no link or path MTU is taken below it.
inline constexpr std::size_t kMinIpv6Mtu = 1280;

/// One host's IPv4 stack, sans-I/O: the owner feeds it received frames (on_frame) and
/// the time (on_timer at next_deadline()), and takes out the frames to transmit
/// (pop_frame) and the events (pop_event). It reads no clock and does no I/O; it is not
/// thread-safe. The socket API (api/socket.hpp) is the usual way to use its TCP.
class Stack {
 public:
  /// Copies `config`; keeps a reference to `random` (ISNs, ports, IP ids, keys), which
  /// must outlive the Stack.
  Stack(const StackConfig& config, Random& random);
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // --- configuration ---------------------------------------------------------
  /// `offloads`: what the link finishes for us (a TAP with IFF_VNET_HDR). TCP leaves
  /// checksums to the link only when every interface offers it.
  IfaceId add_interface(wire::MacAddr mac, wire::Ipv4Cidr cidr, std::size_t mtu = 1500,
                        LinkOffloads offloads = {});
  /// Where packets to other networks go (must be on-link); nullopt: none.
  void set_default_gateway(std::optional<wire::Ipv4Addr> gateway) { gateway_ = gateway; }
  const Interface* interface(IfaceId id) const;  ///< the interface, or nullptr for an unknown id
  /// All interfaces, indexed by IfaceId::value.
  const std::vector<Interface>& interfaces() const { return ifaces_; }
  /// On-link if an interface prefix contains dst (longest prefix wins), else via the
  /// default gateway if that is on-link, else nullopt (NoRoute). A source hint picks
  /// the interface for the limited broadcast 255.255.255.255.
  std::optional<Route> route(wire::Ipv4Addr dst,
                             wire::Ipv4Addr src_hint = wire::Ipv4Addr::any()) const;
  /// True if `a` is the address of one of our interfaces.
  bool is_local_address(wire::Ipv4Addr a) const;
  /// The same for an IPv4 or IPv6 address.
  bool is_local_address(const wire::IpAddr& a) const;
  /// The source address for a connection to `remote` (RFC 9293 MUST-44: the IP layer
  /// chooses it): the route's for IPv4. Err NoRoute without a route,
  /// InvalidDestination for a subnet broadcast.
  Result<wire::IpAddr, SendError> source_address(const wire::IpAddr& remote) const;

  // --- the sans-I/O surface --------------------------------------------------
  /// A pure ACK that received frames call for is decided when the owner takes frames
  /// (pop_frame), not before: an owner handles the events first (as EventLoop and the
  /// simulator do), and data or a FIN the application sends in answer carries the ACK
  /// instead of following a bare one (RFC 9293 §3.10.7.3 lets the handshake's third
  /// segment carry data; MUST-58 "aggregate ACK segments whenever possible"). Data and
  /// control segments leave at once.
  /// Takes one Ethernet frame received on `iface` (without FCS); the bytes are read
  /// during the call only.
  void on_frame(IfaceId iface, Bytes frame, Instant now) { on_frame(iface, frame, RxMeta{}, now); }
  /// With what the link knows about the frame (a checksum it verified or that was never
  /// computed, a super-frame); the default RxMeta is the plain call above.
  void on_frame(IfaceId iface, Bytes frame, RxMeta meta, Instant now);
  /// Frames that arrived together (one read from the link, a GRO/RX-ring batch). RFC
  /// 9293 MUST-59: "process all queued segments before sending any ACK"; one
  /// cumulative ACK covers the burst (MUST-58). Equivalent to on_frame for each frame
  /// otherwise.
  void on_frames(IfaceId iface, std::span<const Bytes> frames, Instant now) {
    on_frames(iface, frames, {}, now);
  }
  /// `meta[i]` goes with `frames[i]`; shorter (or empty) means the default for the rest.
  void on_frames(IfaceId iface, std::span<const Bytes> frames, std::span<const RxMeta> meta,
                 Instant now);
  /// Runs what is due at `now`: ARP retries and expiry, TCP timers. Call it at
  /// next_deadline() (calling it early is harmless).
  void on_timer(Instant now);
  /// Sends the pure ACKs still owed (see on_frame) before handing out the next frame.
  std::optional<Frame> pop_frame();
  /// Optional: gives a popped frame's buffer back once it has been written to the link
  /// (or dropped). Later TCP segments are built in it instead of a new allocation.
  void recycle(ByteVec&& frame) { tcp_.recycle(std::move(frame)); }
  /// When on_timer is next due; nullopt while no timer is armed.
  std::optional<Instant> next_deadline() const;
  /// The oldest pending event, or nullopt. Past StackConfig::max_events pending, new
  /// events are dropped and counted (Stats::events_dropped): drain them after every
  /// entry point.
  std::optional<Event> pop_event();

  // --- ICMP echo -------------------------------------------------------------
  /// Sends an ICMP echo request (RFC 792) to `dst` carrying `data`; replies come back
  /// as PingReply events.
  Status<SendError> send_ping(wire::Ipv4Addr dst, std::uint16_t ident, std::uint16_t seq,
                              Bytes data, Instant now);

  // --- IPv6 (ipv6.cpp) -------------------------------------------------------
  /// Turns IPv6 on for `iface` (RFC 4862): the link-local address fe80::/64 with the
  /// modified EUI-64 identifier of the interface's MAC, `static_addr` if given (its prefix
  /// becomes on-link), and with `slaac` addresses formed from Router Advertisements'
  /// prefixes (A flag). Every address starts Tentative and runs Duplicate Address
  /// Detection (Ipv6Config::dad_transmits); the host joins the solicited-node groups
  /// (MLDv2) and solicits routers. Returns false for an unknown interface or if IPv6 is
  /// already on.
  bool enable_ipv6(IfaceId iface, std::optional<wire::Ipv6Cidr> static_addr, bool slaac,
                   Instant now);
  /// Whether IPv6 is on for `iface`.
  bool ipv6_enabled(IfaceId iface) const;
  /// The interface's IPv6 addresses with their states; empty if IPv6 is off.
  std::vector<Ipv6AddrInfo> ipv6_addresses(IfaceId iface) const;
  /// The default router list (RFC 4861 §6.3.4), all interfaces.
  std::vector<Ipv6Router> ipv6_routers() const;
  /// The prefix list (on-link prefixes), all interfaces.
  std::vector<Ipv6Prefix> ipv6_prefixes() const;
  /// The interface's IPv6 link MTU (its MTU, lowered by an RA's MTU option); 0 if off.
  std::size_t ipv6_mtu(IfaceId iface) const;
  /// The multicast groups the interface listens to (ff02::1 and solicited-node groups).
  std::vector<wire::Ipv6Addr> ipv6_groups(IfaceId iface) const;
  /// The path MTU towards `dst` learnt from Packet Too Big (RFC 8201), at least 1280;
  /// nullopt if none is recorded (the link MTU applies).
  std::optional<std::size_t> path_mtu6(const wire::Ipv6Addr& dst) const;
  /// Where a packet to `dst` goes: on-link (a prefix of the prefix list, link-local, or a
  /// Redirect) or via the first default router; multicast on the interface given or the
  /// first with IPv6. The source is chosen by RFC 6724 rules 1, 2, 3 (same address,
  /// appropriate scope, avoid deprecated) unless `src_hint` is one of ours. `zone`: the
  /// interface for link-local and multicast destinations (default: the first with IPv6).
  std::optional<Route6> route6(const wire::Ipv6Addr& dst,
                               const wire::Ipv6Addr& src_hint = wire::Ipv6Addr::unspecified(),
                               std::optional<IfaceId> zone = std::nullopt) const;
  /// True if `a` is one of our IPv6 addresses in a state that receives traffic
  /// (Preferred or Deprecated).
  bool is_local_address6(const wire::Ipv6Addr& a) const;
  /// Sends an ICMPv6 echo request (RFC 4443 §4.1) to `dst` carrying `data`, fragmented if
  /// larger than the path MTU; replies come back as Ping6Reply events.
  Status<SendError> send_ping6(const wire::Ipv6Addr& dst, std::uint16_t ident, std::uint16_t seq,
                               Bytes data, Instant now);
  /// The NDP neighbour cache, read-only.
  const NdpCache& ndp() const { return ndp_; }

  // --- UDP sockets -----------------------------------------------------------
  /// Binds a socket to (addr, port). addr may be unspecified: 0.0.0.0 receives IPv4
  /// only, :: both families (dual-stack, as Linux with bindv6only = 0); :: and 0.0.0.0
  /// on one port conflict (AddrInUse), and a datagram goes to a socket on its exact
  /// destination address before a wildcard one. A specified addr must be one of ours
  /// (AddrNotAvailable). Port 0 picks an ephemeral port.
  Result<UdpSocketId, BindError> udp_bind(const wire::IpAddr& addr, std::uint16_t port);
  /// Sends one datagram from the socket's address and port to (dst, dst_port).
  /// IPv4: one that fits the MTU leaves with DF set; a larger one (up to 65507 payload
  /// bytes, the IPv4 maximum) is fragmented, as Linux does for a UDP socket by default
  /// (IP_PMTUDISC_WANT). IPv6: from route6's source (or the bound address), the
  /// checksum over the IPv6 pseudo-header (never 0, RFC 8200 §8.1), fragmented by us
  /// past the path MTU (RFC 8200 §4.5) up to 65527 payload bytes (65535 - 8, no
  /// jumbograms). Larger: MessageTooLong. An IPv6 dst from a socket bound to an IPv4
  /// address (0.0.0.0 included), or an IPv4 dst from one bound to a specific IPv6
  /// address: InvalidDestination; a socket on :: sends to both families.
  Status<SendError> udp_send_to(UdpSocketId socket, const wire::IpAddr& dst, std::uint16_t dst_port,
                                Bytes payload, Instant now);
  /// The oldest queued datagram, or nullopt.
  std::optional<UdpDatagram> udp_receive_from(UdpSocketId socket) { return udp_.receive(socket); }
  /// The socket's bound (address, port): the ephemeral port udp_bind picked for port
  /// 0; nullopt for an unknown socket.
  std::optional<std::pair<wire::IpAddr, std::uint16_t>> udp_local(UdpSocketId socket) const {
    return udp_.local(socket);
  }
  /// Releases the port and drops queued datagrams.
  void udp_close(UdpSocketId socket) { udp_.close(socket); }
  /// The socket's pending error, cleared by reading it (SO_ERROR): the latest ICMP or
  /// ICMPv6 error quoting a datagram it sent (each also arrives as a UdpError event).
  std::optional<UdpError> udp_take_error(UdpSocketId socket) { return udp_.take_error(socket); }
  /// The IPv4 path MTU towards `dst` learnt from fragmentation needed errors quoting our
  /// UDP datagrams (RFC 1191; at least kMinIpv4Pmtu); nullopt if none is recorded (the
  /// link MTU applies). UDP and ICMP echo datagrams larger than it are fragmented to fit.
  std::optional<std::size_t> path_mtu(wire::Ipv4Addr dst) const;

  // --- TCP -------------------------------------------------------------------
  /// The socket API layer calls listen/connect/... here; the Stack drains its output
  /// segments and events after every entry point. After calling into tcp() directly,
  /// call flush_tcp(now) so its segments are sent and its events reach pop_event().
  /// For connect(), the local address is route(remote)->src (RFC 9293 MUST-44).
  tcp::TcpProtocol& tcp() { return tcp_; }
  /// Read-only access to TCP (connections, options, counters)
  const tcp::TcpProtocol& tcp() const { return tcp_; }
  /// Sends the segments and queues the events that calls into tcp() left behind.
  void flush_tcp(Instant now);
  /// A TCP_INFO-like snapshot of connection `id` at `now` (tcp/info.hpp); nullopt if
  /// there is no such connection. Read-only: no timer runs, nothing is sent.
  std::optional<tcp::TcpInfo> tcp_info(tcp::ConnId id, Instant now) const {
    return tcp_.info(id, now);
  }
  /// Every TCP connection, in id order (for tcp_info: a connection table).
  std::vector<tcp::ConnId> tcp_connections() const { return tcp_.connection_ids(); }

  /// Counters of everything dropped, sent and received (stats.hpp)
  const Stats& stats() const { return stats_; }
  const NeighborCache& neighbors() const { return neighbors_; }  ///< the ARP cache, read-only
  /// The IPv4 fragments being reassembled, read-only (memory and counts).
  const Reassembler& reassembly() const { return reasm_; }

 private:
  /// A frame being built for one IPv4 packet: headroom for Ethernet + IPv4, the
  /// transport bytes are written at kTransportOffset by the caller.
  struct Outgoing {
    Route route;
    wire::Ipv4Addr src;
    wire::Ipv4Addr dst;
    ByteVec frame;
    TxMeta tx{};          ///< a transport checksum for the link to finish
    std::size_t mtu = 0;  ///< larger packets are fragmented: the link's, or a lower path MTU
    MutBytes transport() { return MutBytes(frame).subspan(kTransportOffset); }
  };

  // input.cpp
  enum class Dst : std::uint8_t { Unicast, Broadcast, NotForUs };
  void on_arp(const Interface& iface, Bytes packet, Instant now);
  void on_ipv4(const Interface& iface, Bytes packet, bool link_broadcast, RxMeta meta, Instant now);
  /// A fragment addressed to us: to the reassembler, and the datagram on once whole.
  void on_ipv4_fragment(const wire::Ipv4Repr& ip, Bytes packet, Dst dst, bool link_broadcast,
                        Instant now);
  /// A whole IPv4 packet for us (received or reassembled) to its protocol. `whole` is
  /// the packet without link padding.
  void deliver_ipv4(const wire::Ipv4Repr& ip, Bytes whole, Dst dst, bool link_broadcast,
                    RxMeta meta, Instant now);
  /// Frees the datagrams whose reassembly timed out; Time Exceeded (code 1) for those
  /// whose first fragment had arrived.
  void expire_fragments(Instant now);
  /// Whether a transport checksum needs verifying here (counts the ones that do not).
  wire::ChecksumCheck checksum_check(RxMeta meta);
  Dst classify_dst(const Interface& iface, wire::Ipv4Addr dst) const;
  void on_icmp(const wire::Ipv4Repr& ip, Instant now);
  void on_icmp_error(const wire::IpAddr& reporter, std::uint8_t type, std::uint8_t code,
                     std::uint16_t mtu, Bytes quoted, Instant now);
  /// An ICMP error (ICMPv4 type and code; ICMPv6 translated) about a packet we sent from
  /// `local` to `remote` whose transport header starts `l4`, to the protocol it quotes:
  /// TCP, or the UDP socket bound to (local, source port).
  void icmp_error_to_transport(const wire::IpAddr& reporter, std::uint8_t type, std::uint8_t code,
                               std::uint32_t mtu, std::uint8_t protocol, const wire::IpAddr& local,
                               const wire::IpAddr& remote, Bytes l4, Instant now);
  /// Records a lower IPv4 path MTU towards `dst` (RFC 1191), bounded and aging out.
  void lower_path_mtu4(wire::Ipv4Addr dst, std::uint32_t mtu, Instant now);
  void on_udp(const wire::Ipv4Repr& ip, Bytes packet, bool no_errors, RxMeta meta, Instant now);
  // The UDP header of a datagram (either family), or nullopt with the bad checksum or
  // malformed datagram counted.
  std::optional<wire::UdpRepr> parse_udp(Bytes datagram, const wire::PseudoHeader& ph, RxMeta meta);
  // A datagram for `socket` (either family): queued, a UdpReadable event if the queue
  // was empty, or counted and dropped if the queue is full.
  void deliver_udp(UdpSocketId socket, UdpDatagram d);
  void on_tcp(const wire::Ipv4Repr& ip, RxMeta meta, Instant now);
  /// A TCP segment of either family to TCP: checksum over `ph`, counted, handed over.
  void deliver_tcp(Bytes segment, const wire::PseudoHeader& ph, const wire::IpAddr& src,
                   const wire::IpAddr& dst, bool dst_multicast, wire::Ecn ecn, RxMeta meta,
                   Instant now);

  // output.cpp
  /// `super`: a TSO super-segment, bounded by the interface's tso_max, not its MTU.
  /// `may_fragment`: a packet larger than the MTU (up to 65535 bytes) is accepted and
  /// send_ip fragments it (UDP, ICMP echo); otherwise it is MessageTooLong.
  Result<Outgoing, SendError> prepare(wire::Ipv4Addr src, wire::Ipv4Addr dst,
                                      std::size_t transport_len, bool may_fragment = false);
  /// The same for a frame the caller built with kTransportOffset bytes of headroom in
  /// front of the transport bytes (TCP's OutSegment): it becomes the frame, no copy.
  /// `super`: a TSO super-segment, bounded by the interface's tso_max, not its MTU.
  Result<Outgoing, SendError> prepare(wire::Ipv4Addr src, wire::Ipv4Addr dst, ByteVec frame,
                                      bool super = false, bool may_fragment = false);
  void send_ip(Outgoing out, std::uint8_t protocol, std::uint8_t ttl, std::uint8_t dscp_ecn,
               Instant now);
  void send_ip(Outgoing out, std::uint8_t protocol, Instant now) {
    send_ip(std::move(out), protocol, config_.default_ttl, 0, now);
  }
  /// Cuts a packet larger than its interface's MTU into fragments (RFC 791 §3.2: one
  /// Identification, 8-byte aligned offsets, MF on all but the last, DF clear).
  void send_fragments(Outgoing out, std::uint8_t protocol, std::uint8_t ttl, std::uint8_t dscp_ecn,
                      Instant now);
  void transmit(const Route& route, ByteVec frame, TxMeta tx, Instant now);
  void emit_frame(IfaceId iface, wire::MacAddr dst, std::uint16_t ethertype, ByteVec frame,
                  TxMeta tx = {});
  /// Does here what `tx` asked the link to do, for a frame that will not reach one
  /// that can (loopback, the ARP wait queue, an interface without offloads).
  void finish_in_software(ByteVec& frame, TxMeta& tx);
  /// What the link is to do for a segment TCP built (either family): finish its checksum
  /// (checksum_partial), cut its super-segment (gso_size) with the headers repeated.
  static TxMeta tcp_tx_meta(const tcp::OutSegment& seg);
  void send_arp(const Interface& iface, std::uint16_t op, wire::MacAddr dst_mac,
                wire::MacAddr target_mac, wire::Ipv4Addr target_ip);
  void send_arp_request(NeighborKey key);
  /// Packets to one of our own addresses never reach a link: they are queued here
  /// and run through IPv4 input before the entry point returns.
  void run_loopback(Instant now);
  void drain_tcp(Instant now);
  /// MUST-20: TCP reached R1 towards `a.remote`; re-resolve the route's next hop.
  void on_negative_advice(const tcp::NegativeAdvice& a, Instant now);
  void on_frame_unflushed(IfaceId iface, Bytes frame, RxMeta meta, Instant now);
  void release(IfaceId iface, wire::MacAddr mac, std::vector<ByteVec>& frames);
  /// An ICMP error about `offending` (the whole received IPv4 packet), RFC 1122 §3.2.2.
  /// Returns whether it was sent (not suppressed by the rules or the rate limit).
  bool send_icmp_error(const wire::Ipv4Repr& offending, Bytes offending_packet, std::uint8_t type,
                       std::uint8_t code, Instant now);
  bool icmp_rate_ok(Instant now);
  void push_event(Event e);

  // ipv6.cpp -- the IPv6 host. For TCP and UDP over IPv6: route6() then send_ipv6()
  // to send, send_icmpv6_error() for Destination Unreachable, on_packet_too_big6() is
  // where a PTB's path MTU arrives, ndp_.confirm() is the upper-layer reachability hint.
  /// One of our addresses with its DAD progress.
  struct V6Addr {
    Ipv6AddrInfo info;
    std::uint32_t dad_left = 0;  ///< Tentative: NS still to send
    Instant dad_next;            ///< Tentative: next NS, or the end of DAD
  };
  /// An MLD report due at `at`: for `group`, or every group (a general query's answer).
  struct MldPending {
    Instant at;
    std::optional<wire::Ipv6Addr> group;
    std::uint8_t record_type = 0;
  };
  /// A destination cache entry (RFC 4861 §5.1): a Redirect's next hop, a path MTU.
  struct DestEntry {
    IfaceId iface;
    std::optional<wire::Ipv6Addr> redirect;
    std::size_t pmtu = 0;  ///< 0: none recorded
    Instant pmtu_expires;
    Instant last_used;
  };
  /// The IPv6 state of one interface.
  struct V6Iface {
    bool enabled = false;
    /// IP operation disabled: the link-local address from the MAC is a duplicate (RFC
    /// 4862 §5.4.5); nothing is sent or accepted, enable_ipv6 cannot turn it back on.
    bool disabled = false;
    bool slaac = false;
    std::size_t mtu = 0;
    std::uint8_t cur_hop_limit = 64;
    std::vector<V6Addr> addrs;
    std::vector<Ipv6Router> routers;
    std::vector<Ipv6Prefix> prefixes;
    std::vector<wire::Ipv6Addr> groups;  ///< reported groups (ff02::1 is implicit)
    std::vector<MldPending> mld;
    std::uint32_t rs_sent = 0;
    std::optional<Instant> rs_next;
    Duration base_reachable{};  ///< the last BaseReachableTime an RA gave (0: none yet)
  };
  void on_ipv6(const Interface& iface, Bytes packet, bool link_multicast, RxMeta meta, Instant now);
  void on_ipv6_fragment(const Interface& iface, const wire::Ipv6Repr& ip,
                        const wire::Ipv6HeaderChain& chain, Bytes whole, bool link_multicast,
                        Instant now);
  void deliver_ipv6(const Interface& iface, const wire::Ipv6Repr& ip,
                    const wire::Ipv6HeaderChain& chain, Bytes whole, bool link_multicast,
                    RxMeta meta, Instant now);
  void on_icmpv6(const Interface& iface, const wire::Ipv6Repr& ip,
                 const wire::Ipv6HeaderChain& chain, Bytes whole, bool link_multicast, RxMeta meta,
                 Instant now);
  void on_ndp(const Interface& iface, const wire::Ipv6Repr& ip, const wire::Icmpv6Repr& msg,
              Instant now);
  void on_neighbor_solicit(const Interface& iface, const wire::Ipv6Repr& ip,
                           const wire::Icmpv6Repr& msg, Instant now);
  void on_neighbor_advert(const Interface& iface, const wire::Ipv6Repr& ip,
                          const wire::Icmpv6Repr& msg, Instant now);
  void on_router_advert(const Interface& iface, const wire::Ipv6Repr& ip,
                        const wire::Icmpv6Repr& msg, Instant now);
  void on_redirect(const Interface& iface, const wire::Ipv6Repr& ip, const wire::Icmpv6Repr& msg,
                   Instant now);
  void on_mld_query(const Interface& iface, const wire::Ipv6Repr& ip, const wire::Icmpv6Repr& msg,
                    Instant now);
  void on_icmpv6_error(const wire::Ipv6Addr& reporter, const wire::Icmpv6Repr& msg, Instant now);
  /// Packet Too Big for a packet we sent from `local` to `remote` (RFC 8201): records the
  /// path MTU (at least 1280) in the destination cache. The TCP hookup (RFC 5927: accept
  /// it only for sequence numbers in flight, then lower the connection's MSS) belongs
  /// here: `quoted` is the invoking packet as far as it was returned.
  void on_packet_too_big6(const wire::Ipv6Addr& local, const wire::Ipv6Addr& remote,
                          std::uint32_t mtu, Bytes quoted, Instant now);
  /// Sends an IPv6 packet whose upper-layer bytes are in `frame` at kIpv6TransportOffset
  /// (the first kIpv6TransportOffset bytes are headroom): writes the IPv6 header, and
  /// cuts it into fragments if it is larger than route.mtu and `may_fragment` (else
  /// MessageTooLong). `src` unspecified: route.src. `tx`: what the link is to do (a
  /// TCP checksum to finish; a TSO6 super-segment, bounded by the interface's tso6_max
  /// instead of the MTU).
  Status<SendError> send_ipv6(const Route6& route, const wire::Ipv6Addr& src,
                              const wire::Ipv6Addr& dst, std::uint8_t next_header, ByteVec frame,
                              std::uint8_t hop_limit, bool may_fragment, Instant now,
                              std::uint8_t traffic_class = 0, TxMeta tx = {});
  /// A TCP segment over IPv6 (its buffer has kIpv6TransportOffset bytes of headroom).
  void send_tcp6(tcp::OutSegment seg, Instant now);
  /// A UDP datagram in an IPv6 packet addressed to us (or to a group we joined): the
  /// checksum is mandatory (RFC 8200 §8.1), a closed port answers with ICMPv6 port
  /// unreachable (RFC 4443 §3.1 code 4) unless the packet was multicast.
  void on_udp6(const Interface& iface, const wire::Ipv6Repr& ip, const wire::Ipv6HeaderChain& chain,
               Bytes whole, bool link_multicast, RxMeta meta, Instant now);
  /// udp_send_to over IPv6: `src` is the socket's address (unspecified: route6 picks).
  Status<SendError> udp_send_to6(const wire::Ipv6Addr& src, std::uint16_t src_port,
                                 const wire::Ipv6Addr& dst, std::uint16_t dst_port, Bytes payload,
                                 Instant now);
  /// A TCP segment in an IPv6 packet addressed to us.
  void on_tcp6(const wire::Ipv6Repr& ip, const wire::Ipv6HeaderChain& chain, RxMeta meta,
               Instant now);
  /// An ICMPv6 message from `src` (route.src if unspecified) to `dst`, its checksum over
  /// that pseudo-header.
  Status<SendError> send_icmpv6(const Route6& route, const wire::Ipv6Addr& src,
                                const wire::Ipv6Addr& dst, const wire::Icmpv6Repr& msg,
                                std::uint8_t hop_limit, bool may_fragment, Instant now);
  /// An ICMPv6 error about `offending` (the whole received packet, `offending_packet`),
  /// RFC 4443 §2.4: never about an ICMPv6 error, nor (except Packet Too Big and
  /// Parameter Problem code 2) about a packet to a multicast address or sent as a link
  /// multicast; never to an unspecified or multicast source; rate-limited. `param`: the
  /// pointer (Parameter Problem) or the MTU (Packet Too Big). Returns whether it was sent.
  bool send_icmpv6_error(IfaceId iface, const wire::Ipv6Repr& offending, Bytes offending_packet,
                         std::uint8_t type, std::uint8_t code, std::uint32_t param,
                         bool link_multicast, Instant now);
  /// Writes the IPv6 header in front of an ICMPv6 message at kIpv6TransportOffset and
  /// sends the frame to `dst_mac` at once (NDP messages, which resolve nothing).
  void emit6(IfaceId iface, wire::MacAddr dst_mac, const wire::Ipv6Addr& src,
             const wire::Ipv6Addr& dst, std::uint8_t hop_limit, ByteVec frame);
  /// The header walk's verdict for a whole packet (received, or reassembled).
  void walk_and_deliver6(const Interface& iface, const wire::Ipv6Repr& ip, Bytes whole,
                         bool link_multicast, RxMeta meta, bool reassembled, Instant now);
  /// RFC 4862 §5.5.3: a Prefix Information option with the A flag.
  void slaac6(IfaceId iface, const wire::NdpPrefixInfo& pi, Instant now);
  bool icmp6_rate_ok(Instant now);
  /// Ethernet header for `frame` (IPv6 already written) and out: a multicast MAC, our own
  /// address (loopback), or the NDP cache's answer (else queued behind resolution).
  /// `tx` as in transmit(): finished in software where no offload meets it.
  void transmit6(IfaceId iface, const wire::Ipv6Addr& next_hop, ByteVec frame, Instant now,
                 TxMeta tx = {});
  /// A Neighbor Solicitation for `target`: multicast to its solicited-node group, or
  /// unicast to `unicast` (NUD probe); from :: for DAD.
  void send_neighbor_solicit(IfaceId iface, const wire::Ipv6Addr& target,
                             std::optional<wire::MacAddr> unicast, bool dad, Instant now);
  void send_neighbor_advert(IfaceId iface, const wire::Ipv6Addr& target, const wire::Ipv6Addr& dst,
                            bool solicited, Instant now);
  void send_router_solicit(IfaceId iface, Instant now);
  /// An MLDv2 report of `groups` with `record_type` (from the link-local address, or ::
  /// while it is tentative, RFC 3810 §5.2.13).
  void send_mld_report(IfaceId iface, std::span<const wire::Ipv6Addr> groups,
                       std::uint8_t record_type, Instant now);
  /// Adds a Tentative address, joins its solicited-node group and schedules DAD.
  void add_address6(IfaceId iface, Ipv6AddrInfo info, Instant now);
  void join_group6(IfaceId iface, const wire::Ipv6Addr& group, Instant now);
  /// Leaves `group` unless an address of ours still needs it: an MLDv2 leave report
  /// (RFC 3810 §6.1), retransmitted Robustness Variable - 1 times.
  void leave_group6(IfaceId iface, const wire::Ipv6Addr& group, Instant now);
  /// A State Change Report for `group` now, and its retransmissions scheduled.
  void mld_state_change(IfaceId iface, const wire::Ipv6Addr& group, std::uint8_t record_type,
                        Instant now);
  void dad_failed(IfaceId iface, std::size_t index, Instant now);
  /// Our address `a` on `iface` in any state, or nullptr.
  V6Addr* find_addr6(IfaceId iface, const wire::Ipv6Addr& a);
  const V6Addr* find_addr6(IfaceId iface, const wire::Ipv6Addr& a) const;
  /// The link-local address of `iface` if it is usable (Preferred), else nullopt.
  std::optional<wire::Ipv6Addr> link_local6(IfaceId iface) const;
  /// RFC 6724 §5 rules 1-3 among the interface's usable addresses.
  std::optional<wire::Ipv6Addr> select_source6(IfaceId iface, const wire::Ipv6Addr& dst) const;
  bool on_link6(IfaceId iface, const wire::Ipv6Addr& dst) const;
  void release6(IfaceId iface, wire::MacAddr mac, std::vector<ByteVec>& frames);
  Duration random_between(Duration lo, Duration hi);
  void ipv6_timers(Instant now);
  /// A timed-out IPv6 datagram: Time Exceeded code 1 if its first fragment had arrived.
  void expired_fragment6(const ExpiredDatagram& e, Instant now);
  std::optional<Instant> ipv6_deadline() const;

  StackConfig config_;
  Random& random_;
  std::vector<Interface> ifaces_;
  std::optional<wire::Ipv4Addr> gateway_;
  NeighborCache neighbors_;
  UdpTable udp_;
  tcp::TcpProtocol tcp_;
  std::uint16_t next_ident_;
  /// ICMP error token bucket.
  std::uint32_t icmp_tokens_;
  Instant icmp_refilled_;
  Fifo<Frame> frames_out_;
  std::deque<Frame> loopback_;  ///< frames with Ethernet headroom, addressed to us
  bool in_loopback_ = false;
  /// The time of the received frames whose pure ACKs wait for pop_frame (TCP's batch
  /// is open meanwhile).
  std::optional<Instant> acks_owed_;
  void open_ack_batch(Instant now);
  void close_ack_batch();
  Fifo<Event> events_;
  /// IPv4 path MTUs (RFC 1191), at most config_.max_path_mtus.
  struct Pmtu4 {
    std::size_t mtu = 0;  ///< the estimate, below the link MTU
    Instant expires;      ///< forgotten then (RFC 1191 §6.3)
  };
  std::map<wire::Ipv4Addr, Pmtu4> pmtu4_;
  Reassembler reasm_;
  Stats stats_;
  std::vector<V6Iface> v6_;  ///< parallel to ifaces_
  NdpCache ndp_;
  std::map<wire::Ipv6Addr, DestEntry> dests_;
  std::uint32_t icmp6_tokens_;
  Instant icmp6_refilled_;
};

}  // namespace synack::stack
