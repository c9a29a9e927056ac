#pragma once

#include <cstdint>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/wire/error.hpp"

namespace synack::wire {

enum class IcmpType : std::uint8_t {
  EchoReply = 0,
  DestUnreachable = 3,
  SourceQuench = 4,
  EchoRequest = 8,
  TimeExceeded = 11,
  ParameterProblem = 12,
};

/// Destination-unreachable codes (RFC 792, RFC 1122 §3.2.2.1).
enum class UnreachCode : std::uint8_t {
  Net = 0,
  Host = 1,
  Protocol = 2,
  Port = 3,
  FragNeeded = 4,
  SourceRouteFailed = 5,
};

/// ICMPv4 message. For echo: ident/seq_no + data. For errors: `data` is the
/// invoking datagram (IP header + at least 8 bytes); next_hop_mtu for frag-needed.
/// Other types (timestamp, redirect, ...) parse as WireError::Unsupported.
struct IcmpRepr {
  static constexpr std::size_t kHeaderLen = 8;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t ident = 0;         ///< echo
  std::uint16_t seq_no = 0;        ///< echo
  std::uint16_t next_hop_mtu = 0;  ///< dest-unreachable code 4
  Bytes data;
  std::uint8_t pointer = 0;  ///< parameter problem: octet where the error was found (RFC 792)

  static Result<IcmpRepr, WireError> parse(Bytes packet);  ///< checks the checksum
  std::size_t emit(MutBytes out) const;                    ///< computes the checksum
  std::size_t total_len() const { return kHeaderLen + data.size(); }
};

}  // namespace synack::wire
