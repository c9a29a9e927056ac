// The `ss -ti`-like connection table of `synack serve --stats-interval` and SIGUSR1,
// and the live progress line of `nc --progress` / `get --progress`, both from
// tcp::TcpInfo snapshots (include/synack/tcp/info.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "synack/base/time.hpp"
#include "synack/tcp/info.hpp"

namespace synack::cli {

// "ESTAB", "SYN-SENT", "SYN-RECV", "TIME-WAIT" ...: the state as ss spells it.
std::string ss_state(tcp::State s);

// The first line of a connection: state, Recv-Q, Send-Q, local and peer endpoints, in
// the columns of conn_table_header().
std::string conn_table_header();
std::string conn_summary_line(const tcp::TcpInfo& i);
// The second, indented line, ss -ti's details: "cubic wscale:7,7 rto:204 rtt:1.2/0.6
// mss:1448 cwnd:10 ... retrans:0 ...". Times in milliseconds, cwnd and ssthresh in
// segments of snd_mss (as ss); a field that is unknown is left out.
std::string conn_detail_line(const tcp::TcpInfo& i);
// The header and two lines per connection, each line ending in '\n'; with a title
// line first ("connections at ..., N total").
std::string format_conn_table(const std::vector<tcp::TcpInfo>& conns, const std::string& title);

// One progress line: "12345678 bytes in 3.2 s (30.9 Mbit/s) rtt 1.2 ms cwnd 42 retrans 3
// acked 1000": the bytes the application received, their rate, then from `info` the
// smoothed RTT (once there is a sample), cwnd in segments, segments retransmitted and the
// bytes we sent that the peer acknowledged (if any). Without `info` (no connection yet)
// only bytes, time and rate.
std::string progress_line(std::uint64_t bytes, Duration elapsed, const tcp::TcpInfo* info);

}  // namespace synack::cli
