// TcpInfo: a snapshot of one connection, as Linux's TCP_INFO (struct tcp_info) and
// `ss -ti` show it: state, RTT estimator, congestion control, counters, buffers, the
// options negotiated, and how long ago data last went and came. Built on request by
// Tcb::info(now) (TcpProtocol::info, Stack::tcp_info, api::TcpStream::info) from what
// the connection keeps anyway: nothing here is maintained for the snapshot's sake
// except two 32-bit millisecond stamps in what was padding of the Tcb.
//
// Fields a connection cannot know yet are nullopt (no RTT before the first sample);
// fields synack does not have are nullopt for ever (it does not pace: pacing_rate).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "synack/base/time.hpp"
#include "synack/tcp/state.hpp"
#include "synack/tcp/types.hpp"

namespace synack::tcp {

/// Where the sender's loss recovery stands (as Linux's tcpi_ca_state).
enum class CaState : std::uint8_t {
  Open,      ///< nothing wrong seen
  Disorder,  ///< duplicate ACKs, not (yet) taken for a loss
  Recovery,  ///< fast recovery: RFC 6675 SACK recovery or RFC 6582 NewReno
  Loss,      ///< after a retransmission timeout, until its episode ends
};
/// "open", "disorder", "recovery", "loss".
std::string_view to_string(CaState s);
/// "newreno", "cubic" (as Linux names them).
std::string_view to_string(CcAlgorithm a);

/// A snapshot of one connection, like Linux's struct tcp_info (TCP_INFO): what
/// Stack::tcp_info and TcpStream::info return. Sizes are in bytes, times since `now`.
struct TcpInfo {
  ConnId id;  ///< the connection
  /// Our end (`local`, the first) and the peer's (`remote`).
  Endpoint local, remote;       ///< the peer's end
  State state = State::Closed;  ///< RFC 9293 state at the snapshot
  bool passive = false;         ///< accepted from a listener (else an active open)
  bool frozen = false;          ///< a released TIME-WAIT connection kept as Tcb::Frozen:
                                ///< only the endpoints, state, options and windows are known
  bool user_released = false;   ///< the application called close() (no reader left)

  // --- RTT (RFC 6298); nullopt before the first sample ---
  /// Smoothed RTT (`srtt`, the first) and RTT variation (`rttvar`), RFC 6298 §2.
  std::optional<Duration> srtt, rttvar;  ///< RTT variation (RFC 6298 §2)
  std::optional<Duration> latest_rtt;    ///< the most recent sample
  /// RACK.min_RTT (RFC 8985): tracked only while SACK is in use and data was sent.
  std::optional<Duration> min_rtt;
  std::uint32_t rtt_samples = 0;  ///< RTT samples taken so far
  Duration rto{0};                ///< the current RTO, backoff included
  std::uint32_t backoff = 0;      ///< consecutive timeouts (exponential backoff steps)

  // --- congestion control (bytes) ---
  CcAlgorithm cc = CcAlgorithm::Cubic;  ///< the congestion control in use
  CaState ca_state = CaState::Open;     ///< where loss recovery stands
  std::uint32_t cwnd = 0;               ///< congestion window
  std::uint32_t ssthresh = 0;           ///< 0xffffffff: still "arbitrarily high" (RFC 5681 §3.1)
  bool slow_start = false;              ///< cwnd < ssthresh
  /// synack does not pace: always nullopt (never an invented figure).
  std::optional<std::uint64_t> pacing_rate_bps;

  // --- segment sizes ---
  std::uint32_t snd_mss = 0;   ///< effective send MSS (RFC 9293 §3.7.1)
  std::uint32_t rcv_mss = 0;   ///< the full-sized segment we expect from the peer (estimate)
  std::uint32_t peer_mss = 0;  ///< the MSS option the peer sent (536 if none)
  /// The path MTU segments are cut for (Linux's tcpi_pmtu): the route's MTU at the open,
  /// lowered by ICMP "too big" messages (RFC 1191, RFC 8201).
  std::uint32_t pmtu = 0;

  // --- sequence space ---
  std::uint32_t unacked = 0;         ///< SND.MAX - SND.UNA: in flight, SYN/FIN included
  std::uint32_t snd_nxt_offset = 0;  ///< SND.NXT - SND.UNA (below unacked while resending)

  // --- counters ---
  std::uint64_t bytes_sent = 0;        ///< payload sent for the first time
  std::uint64_t bytes_acked = 0;       ///< of that, cumulatively acknowledged
  std::uint64_t bytes_received = 0;    ///< payload accepted in order
  std::uint64_t bytes_retrans = 0;     ///< payload sent again
  std::uint64_t segs_out = 0;          ///< every segment sent (pure ACKs too)
  std::uint64_t segs_in = 0;           ///< every segment received
  std::uint64_t retrans_segs = 0;      ///< segments sent again (timeouts, fast, probes)
  std::uint64_t timeouts = 0;          ///< retransmission timer expirations
  std::uint64_t fast_retransmits = 0;  ///< recoveries entered on duplicate ACKs or SACK
  std::uint64_t sack_recoveries = 0;   ///< RFC 6675 recoveries started from SACK information
  std::uint64_t tlp_probes = 0;        ///< RFC 8985 §7 tail loss probes
  std::uint64_t recovery_probes = 0;   ///< probes of a stalled SACK recovery
  std::uint64_t lost_segs_marked = 0;  ///< RACK / DupThresh loss marks
  std::uint64_t sack_blocks_in = 0;    ///< SACK blocks received (D-SACK blocks included)
  std::uint64_t dsacks_in = 0;         ///< RFC 2883 D-SACK blocks received
  std::uint64_t dup_acks_in = 0;       ///< duplicate ACKs received (RFC 5681 §2)
  std::uint64_t ooo_segs_in = 0;       ///< data segments that arrived out of order
  std::uint64_t spurious_undos = 0;    ///< needless recoveries and timeouts undone
  bool reordering_seen = false;        ///< RACK saw the path reorder (RFC 8985 §6.2)
  std::uint32_t reo_wnd_mult = 1;      ///< RACK's reordering window, in min_RTT/4 units

  // --- windows and buffers (bytes) ---
  std::uint32_t snd_wnd = 0;    ///< the peer's receive window (scaled)
  std::uint32_t rcv_wnd = 0;    ///< what we advertise now (RCV.ADV - RCV.NXT)
  std::size_t send_queued = 0;  ///< in the send buffer: unacknowledged + unsent
  std::size_t send_unsent = 0;  ///< of that, never sent
  std::size_t send_buffer = 0;  ///< the send buffer's limit
  std::size_t recv_queued = 0;  ///< received in order, not yet read
  std::size_t recv_buffer = 0;  ///< the receive buffer's limit

  // --- how long ago (nullopt: never) ---
  std::optional<Duration> since_data_sent;      ///< new data or a retransmission
  std::optional<Duration> since_data_received;  ///< a segment with data
  std::optional<Duration> since_ack_received;  ///< any segment (all carry an ACK once synchronized)

  // --- options negotiated ---
  bool wscale = false;  ///< RFC 7323 window scaling (both SYNs)
  /// Window scale shift counts: the peer's (`snd_wscale`, the first; applied to the
  /// windows it sends) and ours (`rcv_wscale`).
  std::uint8_t snd_wscale = 0, rcv_wscale = 0;  ///< our shift count (RFC 7323 §2)
  bool timestamps = false;                      ///< RFC 7323 timestamps
  bool sack = false;                            ///< RFC 2018 (both SYNs, and our config)
  bool ecn = false;                             ///< RFC 3168 (both SYNs agreed)
  bool tfo = false;  ///< RFC 7413: our SYN carried data, or the peer's SYN's data was taken
};

}  // namespace synack::tcp
