// Public value types of the TCP layer: configuration, per-socket options, ids,
// events, per-operation errors and statistics.
#pragma once

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "synack/base/time.hpp"
#include "synack/tcp/state.hpp"
#include "synack/wire/addr.hpp"

/// TCP (RFC 9293 and its extensions): TcpProtocol (demultiplexing, listeners, timers)
/// and Tcb (one connection), with congestion control, loss recovery, SYN cookies and
/// Fast Open; the value types, options and errors its users see.
namespace synack::tcp {

/// One end of a connection: IPv4 or IPv6 address and port.
struct Endpoint {
  /// Unspecified on a listener bound to every address: 0.0.0.0 takes IPv4 only, ::
  /// both families (IPv4 peers appear as IPv4 addresses, as with Linux's default).
  wire::IpAddr addr;
  std::uint16_t port = 0;                             ///< host order
  auto operator<=>(const Endpoint&) const = default;  ///< by address, then port
};

/// Both ends of a connection: what the demultiplexer finds it by (RFC 9293 §3.10.7).
struct FourTuple {
  Endpoint local;                                      ///< our end
  Endpoint remote;                                     ///< the peer's
  auto operator<=>(const FourTuple&) const = default;  ///< local first, then remote
  /// Abseil hashing (the demultiplexer's tables).
  template <typename H>
  friend H AbslHashValue(H h, const FourTuple& t) {
    return H::combine(std::move(h), t.local.addr.v6().octets, t.local.port,
                      t.remote.addr.v6().octets, t.remote.port);
  }
};

/// A connection (or accepted connection). Never reused within one TcpProtocol.
struct ConnId {
  std::uint32_t value = 0;  ///< opaque; meaningful only to the TcpProtocol that issued it
  auto operator<=>(const ConnId&) const = default;  ///< ids compare by value
};
/// A listening socket.
struct ListenerId {
  std::uint32_t value = 0;  ///< opaque; meaningful only to the TcpProtocol that issued it
  auto operator<=>(const ListenerId&) const = default;  ///< ids compare by value
};

/// SHLD-11 (§3.8.3): "The value of R2 SHOULD correspond to at least 100 seconds." The
/// data R2 a connection uses is never shorter, whatever r2_retransmissions or the user
/// timeout say.
inline constexpr Duration kMinR2 = std::chrono::seconds(100);
/// Congestion control algorithm of a connection (congestion.hpp).
enum class CcAlgorithm : std::uint8_t {
  NewReno,  ///< RFC 5681 slow start / congestion avoidance, halving on loss
  Cubic,    ///< RFC 9438 CUBIC with RFC 9406 HyStart++ slow start (the default, as Linux)
};

/// Explicit Congestion Notification (RFC 3168) for a connection, as Linux's
/// net.ipv4.tcp_ecn (0, 2, 1). ECN is used only if both SYNs agree (§6.1.1).
enum class EcnMode : std::uint8_t {
  Off,      ///< never: no ECN-setup SYN, and an ECN-setup SYN gets a plain SYN,ACK
  Passive,  ///< accept a peer's ECN-setup SYN, do not ask on an active open (the default)
  On,       ///< also send an ECN-setup SYN (ECE|CWR) on an active open
};

/// Packetization-layer path MTU discovery (RFC 4821) for TCP, as Linux's
/// net.ipv4.tcp_mtu_probing (0, 1, 2).
enum class MtuProbing : std::uint8_t {
  Off,        ///< the path MTU is the interface MTU, lowered only by ICMP (RFC 1191)
  BlackHole,  ///< start probing once R1 timeouts in a row suggest a black hole (the default)
  Always,     ///< start every connection at the base size and probe upwards from there
};

/// Per-connection options (the setsockopt surface). Defaults follow the RFCs.
struct SocketOptions {
  bool no_delay = false;  ///< SHLD-7: Nagle on by default
  /// MUST-24/25: keep-alives per connection, off by default; idle >= 2 h (MUST-27).
  bool keepalive = false;
  /// Idle time before the first probe (TCP_KEEPIDLE)
  Duration keepalive_idle = std::chrono::hours(2);
  /// Between unanswered probes (TCP_KEEPINTVL)
  Duration keepalive_interval = std::chrono::seconds(75);
  /// Unanswered probes before the connection is dropped (TCP_KEEPCNT)
  std::uint32_t keepalive_count = 9;
  /// Bytes the application may queue unacknowledged (SO_SNDBUF)
  std::size_t send_buffer = 256 * 1024;
  /// Bytes received but not yet read; bounds the window (SO_RCVBUF)
  std::size_t recv_buffer = 256 * 1024;
  bool linger_zero = false;  ///< close() sends RST and discards (SO_LINGER 0)
  /// MUST-48 / SHLD-21: the Diffserv field for this connection's segments (6 bits).
  std::uint8_t dscp = 0;
  /// MUST-21: R2 of §3.8.3 for data set by the application as a time (the USER TIMEOUT
  /// of §3.9.1.1, Linux's TCP_USER_TIMEOUT). Unset (the default), R2 is
  /// TcpConfig::r2_retransmissions. Either way R2 is never below kMinR2 (SHLD-11): a
  /// shorter value is raised to it.
  std::optional<Duration> user_timeout;
  /// SHLD-20 (§3.9.1.8): "the application layer SHOULD be able to disable the
  /// error-report routine". false suppresses the soft reports (DeliveryProblem at
  /// R1); hard reports (Error when the connection is aborted, MUST-12) still come.
  bool report_soft_errors = true;
  /// Congestion control (may be changed at any time; the window carries over).
  CcAlgorithm cc = CcAlgorithm::Cubic;
  /// RFC 3168 ECN. Read at the open (the SYN or the listener's SYN,ACK); changing it
  /// later does not change a negotiated connection.
  EcnMode ecn = EcnMode::Passive;
  /// RFC 7413 TCP Fast Open, off by default. On a listener: answer cookie requests and
  /// accept data on SYNs with a valid cookie (Linux's tcp_fastopen bit 2, TFO_SERVER).
  /// On an active open: ask for a cookie, or send SYN + cookie + the data given to
  /// TcpProtocol::connect when a cookie for the server is cached (bit 1, TFO_CLIENT).
  bool tfo = false;
  bool operator==(const SocketOptions&) const = default;  ///< field by field
};

/// What a listener does with a SYN when its SYN queue is full (RFC 4987 §3.6).
enum class SynCookies : std::uint8_t {
  Never,     ///< drop the SYN (counted in dropped_syn_queue_full)
  WhenFull,  ///< answer with a SYN cookie, keep no state (the default, as Linux)
  Always,    ///< every SYN gets a cookie (tests, and hosts under constant attack)
};

/// Deliberately weakened behaviour, only for demonstrations (`synack sim attack`) and
/// tests that show why the defences exist. Never on by default.
struct InsecureOptions {
  /// ISNs from a global counter that advances by 64000 per connection and 128 per
  /// millisecond (the 4.2BSD scheme RFC 6528 §1 warns about): an off-path attacker
  /// who opens one connection can guess the next ISN.
  bool predictable_isn = false;
  /// RFC 793 rules instead of RFC 5961: any RST inside the receive window resets the
  /// connection, a SYN inside the window resets it, no ACK-value check (§5) and so no
  /// challenge ACKs at all.
  bool no_rfc5961 = false;
};

/// Configuration of one TcpProtocol (StackConfig::tcp): limits, timers and protocol
/// features for every connection, and the SocketOptions new ones start with.
struct TcpConfig {
  std::uint16_t mtu = 1500;                 ///< MMS_S/MMS_R derive from this: MSS option = mtu - 40
  std::uint8_t ttl = 64;                    ///< MUST-49: configurable TTL
  Duration msl = std::chrono::seconds(30);  ///< TIME-WAIT lasts 2*MSL
  Duration initial_rto = std::chrono::seconds(1);  ///< RFC 6298 (2.1)
  /// The RTO floor. RFC 6298 (2.4) says 1 s (SHOULD); RFC 8961 §4 allows less and Linux
  /// uses 200 ms, as synack does by default now that RACK-TLP (RFC 8985) leaves the
  /// timer to the losses nothing else can see (a lost retransmission with no later ACK).
  /// Applies to the computed RTO, the SYN's RTO, the backoff and the persist timer alike.
  /// docs/CONFORMANCE.md (RFC 6298) has the measurements behind the default.
  Duration min_rto = std::chrono::milliseconds(200);
  Duration max_rto = std::chrono::seconds(60);           ///< RFC 6298 (2.5): at least 60 s
  Duration delayed_ack = std::chrono::milliseconds(40);  ///< MUST-40: < 500 ms
  /// R2 for a SYN: "at least 3 minutes" (RFC 9293 §3.8.3, MUST-23).
  Duration connect_timeout = std::chrono::seconds(180);
  /// FIN-WAIT-2 after close() (no reader left): give up after this (not in the RFC).
  Duration fin_wait_2_timeout = std::chrono::seconds(60);
  std::uint32_t r1_retransmissions = 3;  ///< R1 of §3.8.3 (SHLD-10)
  /// R2 of §3.8.3 for data as a number of retransmissions (Linux's tcp_retries2 = 15),
  /// turned into a time as Linux does (tcp_model_timeout): the time that many
  /// retransmissions take with the RTO doubling from min_rto up to max_rto (663 s with
  /// 1 s and 60 s), counted from the first unacknowledged transmission — so a large
  /// current RTO does not shorten it. SocketOptions::user_timeout replaces it; kMinR2
  /// bounds it from below.
  std::uint32_t r2_retransmissions = 15;
  bool window_scaling = true;  ///< RFC 7323 §2
  bool timestamps = true;      ///< RFC 7323 §3
  /// RFC 2018: offer SACK-permitted and, once both SYNs carried it, send SACK blocks
  /// (and RFC 2883 D-SACK blocks for duplicates).
  bool sack = true;
  /// RFC 8985 RACK-TLP whenever SACK is in use: time-based loss detection with a
  /// reordering window, and the tail loss probe. false: RFC 6675's IsLost (DupThresh)
  /// alone, no probe — for comparison.
  bool rack = true;
  /// RFC 3042 limited transmit: new data on the first two duplicate ACKs.
  bool limited_transmit = true;
  /// RFC 5682 SACK-enhanced F-RTO: after a timeout, send new data on the first ACK and
  /// undo the reduction if data never retransmitted is then acknowledged (detects a
  /// spurious timeout without timestamps; with them Eifel, RFC 3522, also does).
  bool frto = true;
  /// RFC 4821 packetization-layer PMTUD: finds the path MTU without ICMP, so a path
  /// that drops large packets silently (an ICMP black hole) still converges.
  MtuProbing mtu_probing = MtuProbing::BlackHole;
  /// RFC 4821 §7.2 search_low when probing starts: segments of this MSS (Linux's
  /// tcp_base_mss, 1024), as a packet of base_mss + 40 bytes.
  std::uint16_t mtu_probe_base_mss = 1024;
  /// A search ends when fewer than this many bytes separate the largest packet that
  /// got through from the smallest ruled out (Linux's tcp_probe_threshold).
  std::uint16_t mtu_probe_threshold = 8;
  /// After a search ends, the path is searched again (upwards) after this long (RFC
  /// 4821 §7.7 suggests 10 minutes; Linux's tcp_probe_interval).
  Duration mtu_reprobe_interval = std::chrono::minutes(10);
  /// A probe when SACK recovery stalls (beyond RFC 8985, whose tail loss probe is for
  /// the open state only; RFC 9002 §6.2's probe timeout for QUIC runs in recovery too):
  /// if nothing is heard for a PTO while recovery has new data to send, up to two new
  /// segments go, paid for by PRR. Their ACK either ends the recovery (the ACK of the
  /// last retransmission was lost) or lets RACK see that the retransmission itself was
  /// lost — instead of a retransmission timeout that collapses cwnd to one segment.
  /// false: only the RTO ends a stalled recovery (RFC 8985, Linux).
  bool recovery_probe = true;
  /// RFC 1337 §3 (F1): ignore RSTs in TIME-WAIT (as FreeBSD; Linux's tcp_rfc1337).
  /// false: RFC 9293 §3.10.7.4 — a RST at RCV.NXT ends TIME-WAIT.
  bool rfc1337 = true;
  /// The initial congestion window. N > 0: RFC 6928's "min (10*MSS, max (2*MSS,
  /// 14600))" with N for 10 (and N*1460 for 14600): 10 is RFC 6928 exactly, as Linux.
  /// 0: the RFC 5681 §3.1 rule, 2-4 segments by SMSS (> 2190: 2, > 1095: 3, else 4).
  std::uint32_t initial_window_segments = 10;
  /// Connections the stack holds, not counting TIME-WAIT ones the application has
  /// closed: those are bounded by max_time_wait instead and hold no buffer budget
  /// (Linux: tcp_max_tw_buckets, 262144 on a machine with this much memory).
  std::size_t max_connections = 4096;
  /// Beyond this many TIME-WAIT connections a connection closes at once instead of
  /// entering TIME-WAIT (counted: time_wait_overflow), as Linux does.
  std::size_t max_time_wait = 262144;
  /// A released connection in TIME-WAIT with nothing pending keeps only Tcb::Frozen
  /// (about 120 B) until a segment or its timer needs the whole Tcb again. Off: it keeps
  /// its Tcb (to compare, and for tests that look inside).
  bool freeze_time_wait = true;
  /// Header prediction (Van Jacobson's fast path; Tcb::predicted): the next in-order
  /// data on an ESTABLISHED connection that is only receiving, and a pure ACK of new
  /// data, skip the checks that cannot fire for them. Off: every segment takes the full
  /// §3.10.7.4 steps (to compare: the same bytes, states and events either way).
  bool header_prediction = true;
  std::uint32_t max_ooo_segments = 64;  ///< out-of-order assembler: intervals kept
  /// Out-of-order bytes held per connection (they live in the receive ring).
  std::size_t max_ooo_bytes = 256 * 1024;
  /// Per listener: embryonic connections (SYN-RECEIVED). The listen() backlog bounds
  /// the accept queue (ESTABLISHED, not yet accepted).
  std::uint32_t syn_queue = 256;
  SynCookies syn_cookies = SynCookies::WhenFull;  ///< what a listener with a full SYN queue does
  /// RFC 5961 §7: challenge ACKs per second for the whole TcpProtocol ("system-wide");
  /// 0 = no limit. The per-second budget is drawn at random in [limit/2, 3*limit/2)
  /// so a counting attacker cannot use it as a side channel (CVE-2016-5696).
  std::uint32_t challenge_ack_limit = 1000;
  /// Global memory budget: the sum of every connection's send + receive buffer limits.
  /// A new connection that would exceed it is refused (SYN dropped, connect() fails).
  std::size_t memory_budget = std::size_t{1} << 30;
  /// The largest send or receive buffer one socket may ask for.
  std::size_t max_buffer = std::size_t{16} << 20;
  std::uint16_t ephemeral_first = 49152;  ///< RFC 6335 dynamic range
  std::uint16_t ephemeral_last = 65535;   ///< last port of the ephemeral range (inclusive)
  /// RFC 7413 Fast Open (SocketOptions::tfo turns it on per socket).
  /// Server: the cookie key is replaced this often; the previous key stays valid for
  /// one more interval (fastopen.hpp). 0: never rotate.
  Duration tfo_key_rotation = std::chrono::hours(1);
  /// Server, §5.1: connections per listener that took data from a SYN and have not
  /// completed the handshake yet (Linux's max_qlen). Beyond it a SYN with a valid
  /// cookie gets a normal handshake: its data is not acknowledged.
  std::uint32_t tfo_max_pending = 64;
  /// Client: servers whose cookie is cached (least recently used goes first).
  std::size_t tfo_cookie_cache = 256;
  /// Client: after a SYN with data timed out, SYNs to that server carry no Fast Open
  /// option for this long, doubled per further loss in a row (at most 64 x).
  Duration tfo_syn_loss_holdoff = std::chrono::seconds(60);
  SocketOptions defaults;    ///< options new connections start with
  InsecureOptions insecure;  ///< weakened behaviour for demonstrations; all off
  /// Set by the Stack from its interfaces' offloads (Stack::add_interface), not by
  /// users: segments leave with only the pseudo-header sum in the checksum field, for
  /// the link to finish (every interface offers checksum offload).
  bool tx_checksum_offload = false;
  /// Set by the Stack likewise: the largest IPv4 packet every interface segments for us
  /// (TSO; 0: none). New data then leaves in super-segments of whole MSS-sized pieces
  /// that the link cuts up (OutSegment::gso_size). Needs tx_checksum_offload.
  std::uint32_t tso_max = 0;
  /// The same for IPv6 packets (TSO6; 0: none): a link may segment one family only.
  std::uint32_t tso6_max = 0;
};

/// The R2 of a synchronized connection's data (§3.8.3) as the time since the first
/// unacknowledged transmission after which the next timeout closes the connection:
/// opts.user_timeout if set, else config.r2_retransmissions as a time; at least kMinR2.
Duration data_r2(const TcpConfig& config, const SocketOptions& opts);

/// Why a connection was aborted (Event::error, TcpStream's error()).
enum class ConnError : std::uint8_t {
  Refused,              ///< RST in answer to our SYN
  Reset,                ///< RST on a synchronized connection
  TimedOut,             ///< R2 / connect timeout / keep-alive
  HostUnreachable,      ///< ICMP hard or soft error reported at timeout
  NetUnreachable,       ///< ICMP network unreachable
  ProtocolUnreachable,  ///< ICMP protocol unreachable
  PortUnreachable,      ///< ICMP port unreachable
  /// ICMP destination unreachable codes 9, 10, 13 (RFC 1812 §5.2.7.1): communication
  /// administratively prohibited, a hard error while connecting (as Linux and FreeBSD).
  AdminProhibited,
  /// ICMP fragmentation needed or ICMPv6 Packet Too Big (a UDP datagram of ours was
  /// larger than the path MTU; TCP lowers its MSS instead and never reports it).
  MessageTooLong,
};
/// A short description for logs and messages.
std::string_view to_string(ConnError e);
/// The error an ICMPv4 error message (type, code) reports, for TCP's soft and hard
/// errors and for UDP sockets alike (ICMPv6 is translated to ICMPv4 first): Destination
/// Unreachable by code (0 net, 2 protocol, 3 port, 4 fragmentation needed, 9/10/13
/// administratively prohibited, others host), Time Exceeded, Parameter Problem and
/// Source Quench as HostUnreachable.
ConnError icmp_error_kind(std::uint8_t type, std::uint8_t code);

/// What happened to a connection or listener (Event::kind).
enum class EventKind : std::uint8_t {
  Connected,        ///< an active open reached ESTABLISHED
  AcceptReady,      ///< a listener has a connection to accept()
  Readable,         ///< new in-order data to receive()
  Writable,         ///< send buffer space became available after being full
  PeerClosed,       ///< FIN received: the peer will send no more (MUST-12: normal close)
  Closed,           ///< the connection reached CLOSED (or TIME-WAIT ended); id now invalid
  Error,            ///< aborted: see error (MUST-12: told apart from a normal close)
  DeliveryProblem,  ///< SHLD-9: R1 retransmissions reached; still trying
  Urgent,           ///< MUST-32: urgent pointer received or advanced
};
/// The event's name, for logs and traces.
std::string_view to_string(EventKind k);

/// One thing the application should know about (RFC 9293 §3.9.1 "TCP-to-user
/// signals"), reported through Stack::pop_event.
struct Event {
  EventKind kind = EventKind::Readable;  ///< what happened
  ConnId conn;                           ///< valid unless kind == AcceptReady
  ListenerId listener;                   ///< valid for AcceptReady
  ConnError error = ConnError::Reset;    ///< valid for Error
};

/// Why listen() failed.
enum class ListenError : std::uint8_t {
  AddressInUse,    ///< a listener has exactly that address and port
  InvalidAddress,  ///< port 0, or a broadcast or multicast address
  InvalidOption,   ///< a zero buffer size, one above TcpConfig::max_buffer, a negative user timeout
};
/// Why accept() returned no connection: none is ready yet, or the listener is gone.
enum class AcceptError : std::uint8_t { WouldBlock, NoSuchListener };
/// Why connect() failed (nothing was sent).
enum class ConnectError : std::uint8_t {
  InvalidAddress,      ///< MUST-46: broadcast/multicast/unspecified remote
  AddressInUse,        ///< that 4-tuple already exists
  NoEphemeralPort,     ///< every ephemeral port to that remote is taken
  TooManyConnections,  ///< TcpConfig::max_connections reached
  InvalidOption,       ///< a zero buffer size, one above max_buffer, a negative user timeout
  NoMemory,            ///< the global memory budget is spent
};
/// Why send() took no data.
enum class SendError : std::uint8_t {
  NoSuchConnection,  ///< unknown or closed ConnId
  NotConnected,      ///< still in SYN-SENT and nothing can be queued yet (never: we queue)
  WriteShutdown,     ///< shutdown_write()/close() already called: "connection closing"
  Reset,             ///< the connection was aborted
  WouldBlock,        ///< send buffer full
};
/// Why receive() returned no data (end of stream is not an error: 0 bytes).
enum class RecvError : std::uint8_t {
  NoSuchConnection,  ///< unknown or closed ConnId
  WouldBlock,        ///< no data yet, no FIN yet
  Reset,             ///< aborted before all data arrived
};
/// Why close(), shutdown_write() or abort() did nothing: the id is unknown or closed.
enum class CloseError : std::uint8_t { NoSuchConnection, NoSuchListener };
/// Why set_options failed: unknown connection, or a value out of range.
enum class OptionError : std::uint8_t { NoSuchConnection, InvalidValue };
/// A short description for logs and messages.
std::string_view to_string(ConnectError e);
/// A short description for logs and messages.
std::string_view to_string(SendError e);
/// A short description for logs and messages.
std::string_view to_string(RecvError e);

/// Counters and gauges of one connection.
struct ConnStats {
  std::uint64_t segs_in = 0;              ///< segments received
  std::uint64_t segs_out = 0;             ///< segments sent, retransmissions included
  std::uint64_t bytes_in = 0;             ///< payload accepted in order
  std::uint64_t bytes_out = 0;            ///< payload sent for the first time
  std::uint64_t retransmitted_segs = 0;   ///< segments sent again
  std::uint64_t retransmitted_bytes = 0;  ///< payload sent again
  std::uint64_t rto_expirations = 0;      ///< retransmission timeouts
  /// Recoveries entered on duplicate ACKs or SACK (RFC 5681 §3.2, RFC 6675)
  std::uint64_t fast_retransmits = 0;
  std::uint64_t sack_recoveries = 0;      ///< RFC 6675 recoveries started from SACK information
  std::uint64_t dsacks_in = 0;            ///< RFC 2883 D-SACK blocks received (spurious rtx)
  std::uint64_t sack_blocks_in = 0;       ///< SACK blocks received, D-SACK blocks included
  std::uint64_t lost_segs_marked = 0;     ///< segments marked lost (RACK, or DupThresh)
  std::uint64_t reo_timeouts = 0;         ///< RFC 8985 §6.3 reordering timer expirations
  std::uint64_t tlp_probes = 0;           ///< RFC 8985 §7 tail loss probes sent
  std::uint64_t tlp_recoveries = 0;       ///< losses a probe repaired (§7.4: cwnd reduced)
  std::uint64_t recovery_probes = 0;      ///< probes of a stalled SACK recovery (recovery_probe)
  std::uint64_t spurious_recoveries = 0;  ///< RFC 3708: every retransmission D-SACKed, undone
  std::uint64_t spurious_rtos = 0;   ///< a needless timeout undone (Eifel RFC 3522, F-RTO RFC 5682)
  std::uint64_t dup_acks_in = 0;     ///< duplicate ACKs received (RFC 5681 §2)
  std::uint64_t ooo_segs_in = 0;     ///< segments that arrived out of order
  std::uint64_t dropped_segs = 0;    ///< unacceptable, PAWS, bad ACK ...
  std::uint64_t challenge_acks = 0;  ///< RFC 5961 challenge ACKs sent
  std::uint64_t zero_window_probes = 0;  ///< probes of a zero window sent (persist timer)
  std::uint64_t keepalive_probes = 0;    ///< keep-alive probes sent
  std::uint64_t negative_advice = 0;     ///< MUST-20: R1 reached, IP advised
  std::uint64_t mtu_probes = 0;          ///< RFC 4821 probes sent (one larger segment each)
  std::uint64_t mtu_probes_acked = 0;    ///< probes acknowledged: the packet size raised
  std::uint64_t mtu_probes_lost = 0;     ///< probes resent in pieces: the size ruled out
  std::uint64_t mtu_black_holes = 0;     ///< R1 timeouts in a row: packet size lowered
  std::uint32_t packet_mtu = 0;          ///< the IP packet size segments are cut for
  /// RFC 3168. ECN in use on this connection (both SYNs agreed, §6.1.1).
  bool ecn = false;
  std::uint64_t ce_in = 0;                ///< data segments that arrived marked CE (§6.1.3)
  std::uint64_t ece_in = 0;               ///< ACKs that carried ECE (§6.1.2)
  std::uint64_t ecn_cwnd_reductions = 0;  ///< window reductions in answer to ECE (§6.1.2)
  Duration srtt{0};                       ///< smoothed RTT (RFC 6298); 0 before the first sample
  Duration rttvar{0};                     ///< RTT variation (RFC 6298); 0 before the first sample
  Duration rto{0};                        ///< current retransmission timeout, backoff included
  std::uint32_t cwnd = 0;                 ///< congestion window, bytes
  std::uint32_t ssthresh = 0;             ///< slow start threshold, bytes
  std::uint32_t snd_mss = 0;              ///< effective send MSS
  std::uint32_t snd_wnd = 0;              ///< the peer's advertised window, bytes (scaled)
  std::uint32_t rcv_wnd = 0;              ///< the window we advertise, bytes
};

/// MUST-20 (§3.8.3): "When the number of transmissions of the same segment reaches
/// or exceeds threshold R1, pass negative advice to the IP layer, to trigger
/// dead-gateway diagnosis." One entry per R1 event; the Stack consumes them
/// (TcpProtocol::pop_advice) and re-resolves the route's next hop.
struct NegativeAdvice {
  ConnId conn;      ///< the connection
  Endpoint local;   ///< its local endpoint
  Endpoint remote;  ///< its remote endpoint
};

/// Counters of a whole TcpProtocol. X-macro list: one place names every counter,
/// used for the struct and for printing (stack::format_tcp_stats).
#define SYNACK_TCP_STATS(X)                                                                 \
  X(segs_in)                                                                                \
  X(segs_out)                                                                               \
  X(rst_out_no_socket)      /* §3.10.7.1 answers */                                        \
  X(dropped_broadcast)      /* MUST-57 */                                                   \
  X(dropped_syn_queue_full) /* SYN queue full and SYN cookies off */                        \
  X(icmp_ignored)                                                                           \
  X(conns_opened)                                                                           \
  X(conns_closed)                                                                           \
  X(batches)                   /* begin_batch/end_batch pairs (MUST-58/59) */               \
  X(rst_accepted)              /* RFC 5961 §3: RST exactly at RCV.NXT, connection reset */ \
  X(challenge_acks_rst)        /* RFC 5961 §3: RST in window, not at RCV.NXT */            \
  X(challenge_acks_syn)        /* RFC 5961 §4: SYN on a synchronized connection */         \
  X(challenge_acks_ack)        /* RFC 5961 §5: ACK value too old */                        \
  X(challenge_acks_limited)    /* RFC 5961 §7: not sent, over the rate limit */            \
  X(syn_cookies_sent)          /* RFC 4987 §3.6 */                                         \
  X(syn_cookies_valid)         /* an ACK carried a valid cookie: connection rebuilt */      \
  X(syn_cookies_invalid)       /* an ACK to a listener carried none (answered RST) */       \
  X(dropped_accept_queue_full) /* SYN or cookie ACK while the accept queue was full */      \
  X(refused_max_connections)   /* SYN dropped / connect() failed: max_connections */        \
  X(refused_memory_budget)     /* SYN dropped / connect() failed: memory_budget */          \
  X(ooo_dropped)               /* out-of-order data over max_ooo_segments/bytes */          \
  X(rst_ignored_time_wait)     /* RFC 1337: RST in TIME-WAIT dropped */                     \
  X(time_wait_reused)          /* connect() took over a TIME-WAIT 4-tuple (tcp_tw_reuse) */ \
  X(time_wait_overflow)        /* over max_time_wait: closed without TIME-WAIT */           \
  X(time_wait_frozen)          /* a released TIME-WAIT connection shrank to Tcb::Frozen */  \
  X(time_wait_thawed)          /* ... and was rebuilt (a segment, its timer, a reuse) */    \
  X(predicted_acks)            /* header prediction: pure ACKs of new data */               \
  X(predicted_data)            /* header prediction: in-order data, nothing in flight */    \
  X(ecn_connections)           /* RFC 3168 §6.1.1: connections that negotiated ECN */      \
  X(ecn_ce_in)                 /* §6.1.3: data segments received marked CE */              \
  X(ecn_ece_in)                /* §6.1.2: ACKs received with ECE */                        \
  X(ecn_cwnd_reductions)       /* §6.1.2: congestion window reductions in answer to ECE */ \
  X(tfo_cookie_requests)       /* RFC 7413 §4.1.2: SYNs asking for a cookie */             \
  X(tfo_cookies_sent)          /* SYN,ACKs that carried a cookie */                         \
  X(tfo_accepted)              /* SYNs whose data was taken (valid cookie) */               \
  X(tfo_cookie_invalid)        /* bad cookie: SYN data dropped */                           \
  X(tfo_pending_overflow)      /* §5.1: over tfo_max_pending, data dropped */              \
  X(tfo_ignored)               /* option on a non-SYN or a non-TFO listener */              \
  X(tfo_syn_data_sent)         /* client: SYNs with a cookie and data */                    \
  X(tfo_syn_data_acked)        /* client: ... the SYN,ACK acked the data */                 \
  X(tfo_syn_data_fallback)     /* client: ... only the SYN: data resent */                  \
  X(tfo_syn_data_timeouts)     /* client: ... timed out: SYN resent bare */                 \
  X(tfo_cookies_cached)        /* client: cookies stored from SYN,ACKs */

/// The SYNACK_TCP_STATS counters of one TcpProtocol, each a uint64 from 0.
struct ProtocolStats {
#define SYNACK_TCP_STATS_FIELD(name) std::uint64_t name = 0;
  SYNACK_TCP_STATS(SYNACK_TCP_STATS_FIELD)
#undef SYNACK_TCP_STATS_FIELD
};

/// One recorded state change (the trace hook's argument).
struct Transition {
  ConnId conn;                             ///< the connection that changed state
  Endpoint local;                          ///< its local endpoint
  Endpoint remote;                         ///< its remote endpoint
  State from = State::Closed;              ///< the state before
  State to = State::Closed;                ///< the state after
  Rule rule = Rule::rfc9293_3_10_5_abort;  ///< the RFC rule that made the change (state.hpp)
  Instant at;                              ///< when
};

}  // namespace synack::tcp
