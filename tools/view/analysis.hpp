// Reading TCP back out of a list of frames, as a person with Wireshark would: which
// connections there were, each segment's sequence and acknowledgement numbers relative
// to its direction's initial sequence number, what each segment *was* (a
// retransmission, a duplicate ACK, a zero-window probe, ...), round-trip samples, and
// the RFC 9293 states both ends must have passed through, inferred from what they sent
// and received (each inferred change names the rule behind it).
//
// Works on any frames: a synack Recording (sim) or a capture read from a file (trace);
// it never trusts checksums (a capture taken where the kernel offloads them holds
// unfinished ones) and never assumes it saw the start of a connection.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "recording.hpp"
#include "synack/base/time.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::view {

// A end of a connection as seen on the wire.
struct Endpoint {
  wire::IpAddr ip;  // IPv4 or IPv6
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
  std::string to_string() const;  // "10.77.0.1:49152", "[fd00:77::1]:49152"
};

// A = the end that sent the first SYN (or, with no SYN seen, the first frame seen).
enum class Dir : std::uint8_t { AtoB = 0, BtoA = 1 };
inline Side side_of(Dir d) {
  return d == Dir::AtoB ? Side::Left : Side::Right;
}

// What a segment was. A segment can be several things at once.
namespace mark {
inline constexpr std::uint32_t kRetransmission = 1u << 0;  // repeats sequence space sent before
inline constexpr std::uint32_t kSpurious =
    1u << 1;  // ... that had already arrived (D-SACK or ACK said so)
inline constexpr std::uint32_t kProbe =
    1u
    << 2;  // a tail loss probe (retransmission of the last segment before any timeout, no dup ACKs)
inline constexpr std::uint32_t kDupAck = 1u
                                         << 3;   // pure ACK, same ack and window, data outstanding
inline constexpr std::uint32_t kSack = 1u << 4;  // carries SACK blocks
inline constexpr std::uint32_t kDsack =
    1u << 5;  // its first SACK block reports a duplicate (RFC 2883)
inline constexpr std::uint32_t kOutOfOrder =
    1u << 6;  // fills a hole below the highest sequence seen, never seen before: reordered
inline constexpr std::uint32_t kZeroWindow = 1u << 7;       // advertises a zero window
inline constexpr std::uint32_t kZeroWindowProbe = 1u << 8;  // one byte (or none) past a zero window
inline constexpr std::uint32_t kWindowUpdate = 1u << 9;     // pure ACK that only moves the window
inline constexpr std::uint32_t kKeepAlive =
    1u << 10;  // seq = snd.nxt - 1, len 0 or 1, on an idle connection
inline constexpr std::uint32_t kFastOpen =
    1u << 11;  // SYN with a TFO cookie option (request or cookie), or data on the SYN
inline constexpr std::uint32_t kEcnCe = 1u << 12;    // IP header says Congestion Experienced
inline constexpr std::uint32_t kEcnEcho = 1u << 13;  // ECE on a non-SYN segment
inline constexpr std::uint32_t kCwr = 1u << 14;      // CWR on a non-SYN segment
inline constexpr std::uint32_t kReset = 1u << 15;    // RST
inline constexpr std::uint32_t kLost = 1u << 16;     // the link lost it (sim recordings only)
inline constexpr std::uint32_t kBadChecksum =
    1u << 17;  // checksum wrong (may be offload: shown, not dropped)
inline constexpr std::uint32_t kGap =
    1u << 18;  // starts beyond everything seen before: a segment before it was not captured
}  // namespace mark
// "retransmission, dup-ack #2, SACK 1461-2921" style; empty when none.
std::string describe_marks(std::uint32_t marks, std::uint32_t dup_ack_count = 0);

struct SackRange {
  std::uint32_t left = 0, right = 0;  // relative to the data sender's ISN
};

struct SegmentInfo {
  std::size_t frame = 0;  // index into the frames given to analyze()
  Instant t;
  Instant arrived;  // when it reached its receiver: RecordedFrame::arrived, else t
  Dir dir = Dir::AtoB;
  bool lost = false;
  wire::TcpFlags flags;
  std::uint32_t seq =
      0;  // relative to this direction's ISN (to its first sequence number seen without a SYN)
  std::uint32_t ack = 0;  // relative to the other direction's ISN
  std::uint32_t len = 0;  // payload bytes
  std::uint16_t raw_window = 0;
  std::uint64_t window = 0;  // in bytes, scaled once both SYNs showed window scaling
  std::vector<SackRange> sack;
  std::optional<wire::TcpTimestamps> ts;
  std::uint8_t ecn = 0;  // the IP header's two ECN bits
  std::uint32_t marks = 0;
  std::uint32_t dup_ack_count = 0;  // for kDupAck: 1, 2, 3, ...
};

struct RttSample {
  Instant t;     // when the acknowledgement arrived
  Dir data_dir;  // the direction of the data that was acknowledged
  Duration rtt;
};

struct InferredState {
  Instant t;
  std::size_t frame = 0;      // the frame whose sending or arrival caused it
  bool before_frame = false;  // the sender's change (shown before the frame) or the receiver's
  Dir end;                    // AtoB: end A's state changed; BtoA: end B's
  std::string from, to;       // "SYN-SENT", "ESTABLISHED"
  std::string rule;           // "rfc9293_3_10_7_3_syn_sent_syn_ack" style, the rule that applies
  std::string why;            // "received SYN,ACK acknowledging its SYN"
};

struct Connection {
  Endpoint a, b;
  bool saw_syn = false;  // the capture has A's SYN: relative numbers and states start there
  std::vector<SegmentInfo> segments;
  std::vector<RttSample> rtt;
  std::vector<InferredState> states;
  struct PerDir {
    std::uint64_t bytes = 0;            // distinct payload bytes sent
    std::uint64_t segments = 0;         // segments sent
    std::uint64_t retransmissions = 0;  // segments marked kRetransmission
    std::uint64_t retransmitted_bytes = 0;
    std::optional<std::uint8_t> wscale;  // from its SYN
    std::optional<std::uint16_t> mss;    // from its SYN
    std::optional<SeqNum> base;          // what its relative numbers count from
  } dir[2];
  Instant first, last;
  // The smoothed RTT (RFC 6298's estimator) over the samples of one direction's data:
  // from the capture point to the receiver and back. Measured where that data's
  // sender captured, it is the path's RTT; where the receiver captured, nearly zero.
  std::optional<Duration> srtt(Dir data) const;
};

struct Analysis {
  std::vector<Connection> connections;
  std::size_t frames = 0;        // frames given
  std::size_t tcp_segments = 0;  // of which TCP (over IPv4 or IPv6)
  std::size_t skipped = 0;       // not TCP (ARP, UDP, ICMP, ICMPv6 and NDP, fragments, malformed)
  // Of the skipped, IP fragments of TCP: fragments are not reassembled (a non-first one
  // holds no TCP header), so their segments are missing from the connections.
  std::size_t tcp_fragments = 0;
};

Analysis analyze(std::span<const RecordedFrame> frames);

// Finds the segment describing frame `i` in `c`, or null (the frame is not TCP of c).
const SegmentInfo* segment_of(const Connection& c, std::size_t frame);

}  // namespace synack::view
