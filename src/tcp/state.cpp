#include "synack/tcp/state.hpp"

#include "synack/tcp/types.hpp"

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
  }
  return "?";
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
