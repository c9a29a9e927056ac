// A time-sequence graph of one direction of a connection, as tcptrace draws it and
// Stevens' TCP/IP Illustrated shows it: time across, relative sequence number up; each
// data segment a vertical bar from its first to its last byte (retransmissions, tail
// loss probes and frames the link lost in their own colours), the cumulative ACK that
// came back as a step line, the receive window's right edge (ACK + window) above it,
// and the SACK blocks. Under it, on the same time axis, the RTT samples and the bytes
// in flight as seen on the wire (highest sequence sent minus highest acknowledged: not
// the congestion window, which the wire does not show).
//
// Big transfers are downsampled per pixel column (the lowest and highest value in the
// column are kept, so no spike disappears), and each retransmission stays its own
// mark up to a limit, so the SVG holds a few thousand elements whatever the length.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "analysis.hpp"

namespace synack::view {

struct PlotOptions {
  int width = 1000;  // pixels; the plot area is this minus the margins
  // Retransmissions and probes drawn one by one (each with its own hover text) up to
  // this many; beyond it they are merged per pixel column as the other segments are.
  std::size_t max_marked = 1000;
  std::size_t max_rtt_points = 500;  // more samples: merged per pixel column
  std::string id = "tsg";  // prefix of the SVG's ids (several graphs in one page need their own)
};

// The graph as a standalone SVG document (no scripts, no external resources).
std::string render_time_sequence(const Connection& c, Dir d, const PlotOptions& options = {});

// The connection and direction that carried the most payload bytes (ties: the first),
// or nothing when no connection was seen.
struct BusiestDirection {
  std::size_t connection = 0;
  Dir dir = Dir::AtoB;
};
std::optional<BusiestDirection> busiest_direction(const Analysis& a);

}  // namespace synack::view
