#include "synack/tcp/state.hpp"

#include "synack/tcp/types.hpp"
#include "synack/wire/icmp.hpp"

namespace synack::tcp {

std::string_view to_string(State s) {
  switch (s) {
    case State::Closed:
      return "CLOSED";
    case State::Listen:
      return "LISTEN";
    case State::SynSent:
      return "SYN-SENT";
    case State::SynReceived:
      return "SYN-RECEIVED";
    case State::Established:
      return "ESTABLISHED";
    case State::FinWait1:
      return "FIN-WAIT-1";
    case State::FinWait2:
      return "FIN-WAIT-2";
    case State::CloseWait:
      return "CLOSE-WAIT";
    case State::Closing:
      return "CLOSING";
    case State::LastAck:
      return "LAST-ACK";
    case State::TimeWait:
      return "TIME-WAIT";
  }
  return "?";
}

std::string_view to_string(Rule r) {
#define SYNACK_RULE(name) \
  case Rule::name:        \
    return #name
  switch (r) {
    SYNACK_RULE(rfc9293_3_10_1_open_active);
    SYNACK_RULE(rfc9293_3_10_4_close_syn_sent);
    SYNACK_RULE(rfc9293_3_10_4_close_established);
    SYNACK_RULE(rfc9293_3_10_4_close_close_wait);
    SYNACK_RULE(rfc9293_3_10_5_abort);
    SYNACK_RULE(rfc9293_3_10_7_2_listen_syn);
    SYNACK_RULE(rfc9293_3_10_7_3_syn_sent_rst);
    SYNACK_RULE(rfc9293_3_10_7_3_syn_sent_syn_ack);
    SYNACK_RULE(rfc9293_3_10_7_3_syn_sent_syn);
    SYNACK_RULE(rfc9293_3_10_7_4_rst_syn_received_passive);
    SYNACK_RULE(rfc9293_3_10_7_4_rst_syn_received_active);
    SYNACK_RULE(rfc9293_3_10_7_4_rst);
    SYNACK_RULE(rfc793_syn_in_window);
    SYNACK_RULE(rfc9293_3_10_7_4_syn_received_ack);
    SYNACK_RULE(rfc9293_3_10_7_4_fin_wait_1_ack);
    SYNACK_RULE(rfc9293_3_10_7_4_closing_ack);
    SYNACK_RULE(rfc9293_3_10_7_4_last_ack_ack);
    SYNACK_RULE(rfc9293_3_10_7_4_fin_established);
    SYNACK_RULE(rfc9293_3_10_7_4_fin_fin_wait_1);
    SYNACK_RULE(rfc9293_3_10_7_4_fin_fin_wait_1_acked);
    SYNACK_RULE(rfc9293_3_10_7_4_fin_fin_wait_2);
    SYNACK_RULE(rfc9293_3_10_8_user_timeout);
    SYNACK_RULE(impl_fin_wait_2_timeout);
    SYNACK_RULE(rfc9293_3_10_8_time_wait_timeout);
    SYNACK_RULE(rfc9293_3_6_1_time_wait_reopen);
    SYNACK_RULE(impl_time_wait_reuse);
    SYNACK_RULE(impl_time_wait_overflow);
    SYNACK_RULE(rfc9293_3_8_4_keepalive_timeout);
    SYNACK_RULE(rfc9293_3_9_2_2_icmp_hard_error);
    SYNACK_RULE(rfc4987_3_6_syn_cookie_ack);
  }
#undef SYNACK_RULE
  return "?";
}

RuleSpec rule_spec(Rule r) {
  using enum State;
  // Where a connection may be when a rule applies (RFC 9293 §3.10 names the state
  // each step is written for).
  constexpr StateSet kSynchronized =
      states_of(Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait);
  constexpr StateSet kOpen = StateSet(kSynchronized | states_of(SynSent, SynReceived));
  switch (r) {
    case Rule::rfc9293_3_10_1_open_active:
      return {states_of(Closed), SynSent};
    case Rule::rfc9293_3_10_4_close_syn_sent:
      return {states_of(SynSent), Closed};
    case Rule::rfc9293_3_10_4_close_established:  // "SYN-RECEIVED STATE ... ESTABLISHED STATE"
      return {states_of(SynReceived, Established), FinWait1};
    case Rule::rfc9293_3_10_4_close_close_wait:
      return {states_of(CloseWait), LastAck};
    case Rule::rfc9293_3_10_5_abort:
      return {kOpen, Closed};
    case Rule::rfc9293_3_10_7_2_listen_syn:  // a new TCB, born for the listener's SYN
      return {states_of(Closed, Listen), SynReceived};
    case Rule::rfc9293_3_10_7_3_syn_sent_rst:
      return {states_of(SynSent), Closed};
    case Rule::rfc9293_3_10_7_3_syn_sent_syn_ack:
      return {states_of(SynSent), Established};
    case Rule::rfc9293_3_10_7_3_syn_sent_syn:
      return {states_of(SynSent), SynReceived};
    case Rule::rfc9293_3_10_7_4_rst_syn_received_passive:
    case Rule::rfc9293_3_10_7_4_rst_syn_received_active:
      return {states_of(SynReceived), Closed};
    case Rule::rfc9293_3_10_7_4_rst:
      return {kSynchronized, Closed};
    case Rule::rfc793_syn_in_window:
      return {StateSet(kSynchronized | states_of(SynReceived)), Closed};
    case Rule::rfc9293_3_10_7_4_syn_received_ack:
      return {states_of(SynReceived), Established};
    case Rule::rfc9293_3_10_7_4_fin_wait_1_ack:
      return {states_of(FinWait1), FinWait2};
    case Rule::rfc9293_3_10_7_4_closing_ack:
      return {states_of(Closing), TimeWait};
    case Rule::rfc9293_3_10_7_4_last_ack_ack:
      return {states_of(LastAck), Closed};
    case Rule::rfc9293_3_10_7_4_fin_established:
      return {states_of(SynReceived, Established), CloseWait};
    case Rule::rfc9293_3_10_7_4_fin_fin_wait_1:
      return {states_of(FinWait1), Closing};
    case Rule::rfc9293_3_10_7_4_fin_fin_wait_1_acked:
      return {states_of(FinWait1), TimeWait};
    case Rule::rfc9293_3_10_7_4_fin_fin_wait_2:
      return {states_of(FinWait2), TimeWait};
    case Rule::rfc9293_3_10_8_user_timeout:
      return {kOpen, Closed};
    case Rule::impl_fin_wait_2_timeout:
      return {states_of(FinWait2), Closed};
    case Rule::rfc9293_3_10_8_time_wait_timeout:
    case Rule::rfc9293_3_6_1_time_wait_reopen:
    case Rule::impl_time_wait_reuse:
    case Rule::impl_time_wait_overflow:
      return {states_of(TimeWait), Closed};
    case Rule::rfc9293_3_8_4_keepalive_timeout:
      return {kSynchronized, Closed};
    case Rule::rfc9293_3_9_2_2_icmp_hard_error:
      return {states_of(SynSent, SynReceived), Closed};
    case Rule::rfc4987_3_6_syn_cookie_ack:  // rebuilt from the cookie, never SYN-RECEIVED
      return {states_of(Closed, Listen), Established};
  }
  return {0, Closed};
}

std::string_view to_string(ConnError e) {
  switch (e) {
    case ConnError::Refused:
      return "connection refused";
    case ConnError::Reset:
      return "connection reset";
    case ConnError::TimedOut:
      return "connection timed out";
    case ConnError::HostUnreachable:
      return "host unreachable";
    case ConnError::NetUnreachable:
      return "network unreachable";
    case ConnError::ProtocolUnreachable:
      return "protocol unreachable";
    case ConnError::PortUnreachable:
      return "port unreachable";
    case ConnError::AdminProhibited:
      return "communication administratively prohibited";
    case ConnError::MessageTooLong:
      return "message too long";
  }
  return "?";
}

ConnError icmp_error_kind(std::uint8_t type, std::uint8_t code) {
  if (type != static_cast<std::uint8_t>(wire::IcmpType::DestUnreachable)) {
    return ConnError::HostUnreachable;
  }
  switch (static_cast<wire::UnreachCode>(code)) {
    case wire::UnreachCode::Net:
      return ConnError::NetUnreachable;
    case wire::UnreachCode::Protocol:
      return ConnError::ProtocolUnreachable;
    case wire::UnreachCode::Port:
      return ConnError::PortUnreachable;
    case wire::UnreachCode::FragNeeded:
      return ConnError::MessageTooLong;
    default:
      break;
  }
  // Codes 9, 10, 13 (RFC 1812 §5.2.7.1): communication administratively prohibited.
  const bool prohibited = code == 9 || code == 10 || code == 13;
  return prohibited ? ConnError::AdminProhibited : ConnError::HostUnreachable;
}

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::Connected:
      return "Connected";
    case EventKind::AcceptReady:
      return "AcceptReady";
    case EventKind::Readable:
      return "Readable";
    case EventKind::Writable:
      return "Writable";
    case EventKind::PeerClosed:
      return "PeerClosed";
    case EventKind::Closed:
      return "Closed";
    case EventKind::Error:
      return "Error";
    case EventKind::DeliveryProblem:
      return "DeliveryProblem";
    case EventKind::Urgent:
      return "Urgent";
  }
  return "?";
}

std::string_view to_string(ConnectError e) {
  switch (e) {
    case ConnectError::InvalidAddress:
      return "invalid address";
    case ConnectError::AddressInUse:
      return "address in use";
    case ConnectError::NoEphemeralPort:
      return "no ephemeral port";
    case ConnectError::TooManyConnections:
      return "too many connections";
    case ConnectError::InvalidOption:
      return "invalid option";
    case ConnectError::NoMemory:
      return "memory budget exhausted";
  }
  return "?";
}

std::string_view to_string(SendError e) {
  switch (e) {
    case SendError::NoSuchConnection:
      return "no such connection";
    case SendError::NotConnected:
      return "not connected";
    case SendError::WriteShutdown:
      return "connection closing";
    case SendError::Reset:
      return "connection reset";
    case SendError::WouldBlock:
      return "would block";
  }
  return "?";
}

std::string_view to_string(RecvError e) {
  switch (e) {
    case RecvError::NoSuchConnection:
      return "no such connection";
    case RecvError::WouldBlock:
      return "would block";
    case RecvError::Reset:
      return "connection reset";
  }
  return "?";
}

}  // namespace synack::tcp
