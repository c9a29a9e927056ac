// Connection states (RFC 9293 §3.3.2, Figure 5) and the rules that move between them.
// Every state change goes through Tcb::transition(to, Rule); the Rule names the RFC
// step that caused it so traces and ladder diagrams can print it.
#pragma once

#include <cstdint>
#include <string_view>

namespace synack::tcp {

enum class State : std::uint8_t {
  Closed,
  Listen,
  SynSent,
  SynReceived,
  Established,
  FinWait1,
  FinWait2,
  CloseWait,
  Closing,
  LastAck,
  TimeWait,
};

/// "CLOSED", "SYN-SENT", ... as the RFC spells them.
std::string_view to_string(State s);

/// True once the three-way handshake completed (RFC 9293 §3.5: "synchronized states").
constexpr bool is_synchronized(State s) {
  return s != State::Closed && s != State::Listen && s != State::SynSent && s != State::SynReceived;
}

/// The RFC step behind a transition. Names: rfc<number>_<section>_<what>.
enum class Rule : std::uint8_t {
  rfc9293_3_10_1_open_active,                 ///< OPEN (active): CLOSED -> SYN-SENT
  rfc9293_3_10_4_close_syn_sent,              ///< CLOSE in SYN-SENT: delete the TCB
  rfc9293_3_10_4_close_established,           ///< CLOSE in ESTABLISHED: -> FIN-WAIT-1
  rfc9293_3_10_4_close_close_wait,            ///< CLOSE in CLOSE-WAIT: -> LAST-ACK
  rfc9293_3_10_5_abort,                       ///< ABORT: send RST, -> CLOSED
  rfc9293_3_10_7_2_listen_syn,                ///< SYN on a listener: -> SYN-RECEIVED
  rfc9293_3_10_7_3_syn_sent_rst,              ///< RST acking our SYN: "connection reset"
  rfc9293_3_10_7_3_syn_sent_syn_ack,          ///< SYN,ACK acking our SYN: -> ESTABLISHED
  rfc9293_3_10_7_3_syn_sent_syn,              ///< bare SYN (simultaneous open): -> SYN-RECEIVED
  rfc9293_3_10_7_4_rst_syn_received_passive,  ///< RST in SYN-RECEIVED from a passive OPEN
  rfc9293_3_10_7_4_rst_syn_received_active,   ///< RST in SYN-RECEIVED from an active OPEN
  rfc9293_3_10_7_4_rst,                       ///< RST in a synchronized state: -> CLOSED
  rfc793_syn_in_window,  ///< InsecureOptions::no_rfc5961: a SYN in window resets (RFC 793 p.71)
  rfc9293_3_10_7_4_syn_received_ack,      ///< ACK of our SYN in SYN-RECEIVED: -> ESTABLISHED
  rfc9293_3_10_7_4_fin_wait_1_ack,        ///< our FIN acked in FIN-WAIT-1: -> FIN-WAIT-2
  rfc9293_3_10_7_4_closing_ack,           ///< our FIN acked in CLOSING: -> TIME-WAIT
  rfc9293_3_10_7_4_last_ack_ack,          ///< our FIN acked in LAST-ACK: -> CLOSED
  rfc9293_3_10_7_4_fin_established,       ///< FIN in SYN-RECEIVED/ESTABLISHED: -> CLOSE-WAIT
  rfc9293_3_10_7_4_fin_fin_wait_1,        ///< FIN in FIN-WAIT-1, ours not acked: -> CLOSING
  rfc9293_3_10_7_4_fin_fin_wait_1_acked,  ///< FIN in FIN-WAIT-1, ours acked: -> TIME-WAIT
  rfc9293_3_10_7_4_fin_fin_wait_2,        ///< FIN in FIN-WAIT-2: -> TIME-WAIT
  rfc9293_3_10_8_user_timeout,            ///< USER TIMEOUT / R2 reached: -> CLOSED
  /// Not an RFC rule: like Linux's tcp_fin_timeout, a connection the user closed does
  /// not wait in FIN-WAIT-2 forever for a peer that vanished.
  impl_fin_wait_2_timeout,
  rfc9293_3_10_8_time_wait_timeout,  ///< 2*MSL expired: -> CLOSED
  rfc9293_3_6_1_time_wait_reopen,    ///< MAY-2: a new SYN reopens from TIME-WAIT: -> CLOSED
  /// Not an RFC rule (RFC 6191 is the passive side): as Linux's tcp_tw_reuse, an active
  /// open takes over a TIME-WAIT 4-tuple that timestamps protect: -> CLOSED.
  impl_time_wait_reuse,
  /// Not an RFC rule: as Linux's tcp_max_tw_buckets, past TcpConfig::max_time_wait a
  /// closed connection does not wait in TIME-WAIT: TIME-WAIT -> CLOSED at once.
  impl_time_wait_overflow,
  rfc9293_3_8_4_keepalive_timeout,  ///< keep-alive probes unanswered: -> CLOSED
  rfc9293_3_9_2_2_icmp_hard_error,  ///< SHLD-26: hard ICMP error in SYN-SENT: -> CLOSED
  /// RFC 4987 §3.6: an ACK at a listener returned a valid SYN cookie; the connection
  /// is rebuilt from it (it never existed in SYN-RECEIVED): LISTEN -> ESTABLISHED.
  rfc4987_3_6_syn_cookie_ack,
};

std::string_view to_string(Rule r);

/// A set of states, one bit per State.
using StateSet = std::uint16_t;
constexpr StateSet states_of(State s) {
  return StateSet(1u << static_cast<unsigned>(s));
}
template <typename... S>
constexpr StateSet states_of(State s, S... more) {
  return StateSet(states_of(s) | states_of(more...));
}

/// What a Rule allows: the states it may be applied in and the state it leads to.
/// Tcb::transition checks every change against this table in debug, sanitizer and
/// fuzz builds (SYNACK_CHECK_TRANSITIONS), so a code path that applies an RFC step
/// in a state the RFC does not apply it in stops the program at once.
struct RuleSpec {
  StateSet from;
  State to;
};
RuleSpec rule_spec(Rule r);

/// True if `rule` may move a connection from `from` to `to`.
inline bool is_legal(Rule rule, State from, State to) {
  RuleSpec spec = rule_spec(rule);
  return (spec.from & states_of(from)) != 0 && spec.to == to;
}

}  // namespace synack::tcp
