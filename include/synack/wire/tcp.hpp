#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "synack/base/bytes.hpp"
#include "synack/base/checksum.hpp"
#include "synack/base/result.hpp"
#include "synack/base/seqnum.hpp"
#include "synack/wire/error.hpp"
#include "synack/wire/ipv4.hpp"

namespace synack::wire {

/// TCP control bits (RFC 9293 §3.1, plus ECE/CWR from RFC 3168).
struct TcpFlags {
  static constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                                kUrg = 0x20, kEce = 0x40, kCwr = 0x80;
  std::uint8_t bits = 0;

  bool fin() const { return bits & kFin; }
  bool syn() const { return bits & kSyn; }
  bool rst() const { return bits & kRst; }
  bool psh() const { return bits & kPsh; }
  bool ack() const { return bits & kAck; }
  bool urg() const { return bits & kUrg; }
  bool ece() const { return bits & kEce; }
  bool cwr() const { return bits & kCwr; }
  /// tcpdump style: "S", "S.", "P.", "F.", "R", "R." ...
  std::string to_string() const;
  bool operator==(const TcpFlags&) const = default;
};

struct SackBlock {
  SeqNum left;
  SeqNum right;
  bool operator==(const SackBlock&) const = default;
};

struct TcpTimestamps {
  std::uint32_t tsval = 0;
  std::uint32_t tsecr = 0;
  bool operator==(const TcpTimestamps&) const = default;
};

/// All TCP options we understand (RFC 9293 MSS, RFC 7323 WS/TS, RFC 2018 SACK,
/// RFC 7413 TFO). Unknown options are skipped by length on parse.
struct TcpOptions {
  std::optional<std::uint16_t> mss;
  std::optional<std::uint8_t> window_scale;
  bool sack_permitted = false;
  std::array<SackBlock, 4> sack_blocks{};
  std::uint8_t sack_count = 0;
  std::optional<TcpTimestamps> timestamps;
  std::optional<std::array<std::uint8_t, 16>> tfo_cookie;  ///< RFC 7413 (kind 34)
  std::uint8_t tfo_cookie_len = 0;                         ///< 0 = cookie request, 4..16 otherwise

  /// Encoded size, padded to a multiple of 4 with NOPs/EOL (max 40).
  std::size_t encoded_len() const;
  bool operator==(const TcpOptions&) const = default;
};

/// A TCP segment: header fields, options and a payload view.
struct TcpRepr {
  static constexpr std::size_t kMinHeaderLen = 20;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  SeqNum seq;
  SeqNum ack;
  TcpFlags flags;
  std::uint16_t window = 0;  ///< raw 16-bit field (unscaled)
  std::uint16_t urgent = 0;
  TcpOptions options;
  Bytes payload;

  /// Segment length for sequence space: payload + SYN + FIN (RFC 9293 SEG.LEN).
  std::uint32_t seg_len() const {
    return static_cast<std::uint32_t>(payload.size()) + (flags.syn() ? 1 : 0) +
           (flags.fin() ? 1 : 0);
  }
  std::size_t header_len() const { return kMinHeaderLen + options.encoded_len(); }
  std::size_t total_len() const { return header_len() + payload.size(); }

  /// Validates data offset, option lengths and the checksum over the pseudo-header
  /// (unless `check` is Skip: the link verified it or it was never computed). The
  /// segment may be longer than any MSS: a GRO/GSO super-segment is parsed as one.
  static Result<TcpRepr, WireError> parse(Bytes segment, PseudoHeader ph,
                                          ChecksumCheck check = ChecksumCheck::Verify);
  /// Writes header + options + payload (copied unless already in place) with the
  /// checksum, or with only the pseudo-header sum for a link that finishes it.
  std::size_t emit(MutBytes out, PseudoHeader ph, ChecksumFill fill = ChecksumFill::Complete) const;
  /// The same, for a payload already in place in `out` (after the header) whose sum the
  /// caller took while copying it there (Checksum::add_copy): the complete checksum
  /// is the pseudo-header, the header and `payload_sum`, without reading the payload.
  std::size_t emit(MutBytes out, PseudoHeader ph, const Checksum& payload_sum) const;
  /// Where the checksum field is, from the start of the TCP header.
  static constexpr std::size_t kChecksumOffset = 16;
};

/// Parses an options area (the bytes between the fixed header and the data).
Result<TcpOptions, WireError> parse_tcp_options(Bytes area);
/// Writes options (padded to 4 bytes) into out; returns bytes written.
std::size_t emit_tcp_options(const TcpOptions& opts, MutBytes out);
/// Human-readable options, tcpdump style: "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>".
std::string format_tcp_options(const TcpOptions& opts);

}  // namespace synack::wire
