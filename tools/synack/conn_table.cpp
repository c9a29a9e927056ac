// The ss -ti-like connection table and the progress line (conn_table.hpp).
#include "conn_table.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace synack::cli {
namespace {

// Milliseconds with microsecond resolution, as ss prints them ("%g": 0.312, 204, 12.5).
std::string ms(Duration d) {
  return fmt::format("{:g}", static_cast<double>(to_micros(d)) / 1000.0);
}

std::string endpoint(const tcp::Endpoint& e) {
  return fmt::format("{}:{}", e.addr.to_string(), e.port);
}

// A window in segments of `mss` (ss prints cwnd and ssthresh so).
std::uint32_t segments(std::uint32_t bytes, std::uint32_t mss) {
  return mss == 0 ? bytes : bytes / mss;
}

void field(std::string& out, const std::string& f) {
  out += ' ';
  out += f;
}

}  // namespace

std::string ss_state(tcp::State s) {
  switch (s) {
    case tcp::State::Closed:
      return "CLOSED";
    case tcp::State::Listen:
      return "LISTEN";
    case tcp::State::SynSent:
      return "SYN-SENT";
    case tcp::State::SynReceived:
      return "SYN-RECV";
    case tcp::State::Established:
      return "ESTAB";
    case tcp::State::FinWait1:
      return "FIN-WAIT-1";
    case tcp::State::FinWait2:
      return "FIN-WAIT-2";
    case tcp::State::CloseWait:
      return "CLOSE-WAIT";
    case tcp::State::Closing:
      return "CLOSING";
    case tcp::State::LastAck:
      return "LAST-ACK";
    case tcp::State::TimeWait:
      return "TIME-WAIT";
  }
  return "?";
}

std::string conn_table_header() {
  return fmt::format("{:<11}{:>7} {:>7} {:<21} {:<21}", "State", "Recv-Q", "Send-Q",
                     "Local Address:Port", "Peer Address:Port");
}

std::string conn_summary_line(const tcp::TcpInfo& i) {
  return fmt::format("{:<11}{:>7} {:>7} {:<21} {:<21}", ss_state(i.state), i.recv_queued,
                     i.send_queued, endpoint(i.local), endpoint(i.remote));
}

std::string conn_detail_line(const tcp::TcpInfo& i) {
  std::string d;
  if (i.frozen) {
    // A frozen TIME-WAIT connection keeps no estimator, window or counters.
    field(d, "frozen");
  } else {
    field(d, std::string(tcp::to_string(i.cc)));
  }
  if (i.wscale) field(d, fmt::format("wscale:{},{}", i.snd_wscale, i.rcv_wscale));
  if (i.timestamps) field(d, "ts");
  if (i.sack) field(d, "sack");
  if (i.ecn) field(d, "ecn");
  if (i.tfo) field(d, "tfo");
  if (!i.frozen) {
    field(d, fmt::format("rto:{}", ms(i.rto)));
    if (i.backoff > 0) field(d, fmt::format("backoff:{}", i.backoff));
    if (i.srtt) field(d, fmt::format("rtt:{}/{}", ms(*i.srtt), ms(*i.rttvar)));
    if (i.min_rtt) field(d, fmt::format("minrtt:{}", ms(*i.min_rtt)));
  }
  field(d, fmt::format("mss:{}", i.snd_mss));
  if (i.rcv_mss > 0) field(d, fmt::format("rcvmss:{}", i.rcv_mss));
  if (!i.frozen) {
    field(d, fmt::format("cwnd:{}", segments(i.cwnd, i.snd_mss)));
    // RFC 5681 §3.1: ssthresh starts "arbitrarily high"; ss leaves it out until set.
    if (i.ssthresh != UINT32_MAX) {
      field(d, fmt::format("ssthresh:{}", segments(i.ssthresh, i.snd_mss)));
    }
    if (i.ca_state != tcp::CaState::Open) {
      field(d, fmt::format("ca_state:{}", tcp::to_string(i.ca_state)));
    }
    field(d, fmt::format("bytes_sent:{}", i.bytes_sent));
    if (i.bytes_retrans > 0) field(d, fmt::format("bytes_retrans:{}", i.bytes_retrans));
    field(d, fmt::format("bytes_acked:{}", i.bytes_acked));
    field(d, fmt::format("bytes_received:{}", i.bytes_received));
    field(d, fmt::format("segs_out:{}", i.segs_out));
    field(d, fmt::format("segs_in:{}", i.segs_in));
    // ss's "send": the rate the window allows, cwnd per smoothed RTT.
    if (i.srtt && i.srtt->count() > 0) {
      const double bps =
          static_cast<double>(i.cwnd) * 8.0 / std::chrono::duration<double>(*i.srtt).count();
      field(d, fmt::format("send {:.1f}Mbps", bps / 1e6));
    }
  }
  if (i.since_data_sent) field(d, fmt::format("lastsnd:{}", to_millis(*i.since_data_sent)));
  if (i.since_data_received) {
    field(d, fmt::format("lastrcv:{}", to_millis(*i.since_data_received)));
  }
  if (i.since_ack_received) field(d, fmt::format("lastack:{}", to_millis(*i.since_ack_received)));
  if (i.unacked > 0) field(d, fmt::format("unacked:{}", i.unacked));
  if (!i.frozen) {
    field(d, fmt::format("retrans:{}", i.retrans_segs));
    if (i.timeouts > 0) field(d, fmt::format("timeouts:{}", i.timeouts));
    if (i.fast_retransmits > 0) field(d, fmt::format("fast_rtx:{}", i.fast_retransmits));
    if (i.tlp_probes > 0) field(d, fmt::format("tlp:{}", i.tlp_probes));
    if (i.lost_segs_marked > 0) field(d, fmt::format("lost:{}", i.lost_segs_marked));
    if (i.sack_blocks_in > 0) field(d, fmt::format("sacks_in:{}", i.sack_blocks_in));
    if (i.dsacks_in > 0) field(d, fmt::format("dsack_dups:{}", i.dsacks_in));
    if (i.reordering_seen) field(d, "reord_seen");
    if (i.ooo_segs_in > 0) field(d, fmt::format("ooo_in:{}", i.ooo_segs_in));
    if (i.spurious_undos > 0) field(d, fmt::format("undos:{}", i.spurious_undos));
  }
  field(d, fmt::format("snd_wnd:{}", i.snd_wnd));
  field(d, fmt::format("rcv_wnd:{}", i.rcv_wnd));
  if (!i.frozen) {
    if (i.send_unsent > 0) field(d, fmt::format("notsent:{}", i.send_unsent));
    field(d, fmt::format("sndbuf:{}/{}", i.send_queued, i.send_buffer));
    field(d, fmt::format("rcvbuf:{}/{}", i.recv_queued, i.recv_buffer));
  }
  return "\t" + d;
}

std::string format_conn_table(const std::vector<tcp::TcpInfo>& conns, const std::string& title) {
  std::string out = title + "\n" + conn_table_header() + "\n";
  for (const auto& i : conns) {
    out += conn_summary_line(i);
    out += '\n';
    out += conn_detail_line(i);
    out += '\n';
  }
  return out;
}

std::string progress_line(std::uint64_t bytes, Duration elapsed, const tcp::TcpInfo* info) {
  const double secs = std::chrono::duration<double>(elapsed).count();
  const double mbit = secs > 0 ? static_cast<double>(bytes) * 8 / secs / 1e6 : 0.0;
  std::string line = fmt::format("{} bytes in {:.1f} s ({:.1f} Mbit/s)", bytes, secs, mbit);
  if (info != nullptr) {
    if (info->srtt) line += fmt::format(" rtt {} ms", ms(*info->srtt));
    line += fmt::format(" cwnd {}", segments(info->cwnd, info->snd_mss));
    line += fmt::format(" retrans {}", info->retrans_segs);
    // nc also sends: what of it the peer has acknowledged.
    if (info->bytes_acked > 0) line += fmt::format(" acked {}", info->bytes_acked);
  }
  return line;
}

}  // namespace synack::cli
