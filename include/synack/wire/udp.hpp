#pragma once

#include <cstdint>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/wire/error.hpp"
#include "synack/wire/ipv4.hpp"

namespace synack::wire {

struct UdpRepr {
  static constexpr std::size_t kHeaderLen = 8;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  Bytes payload;

  /// Checks the length field and the checksum over the pseudo-header: over IPv4 a zero
  /// checksum means none was computed (RFC 768), over IPv6 it is invalid (RFC 8200
  /// §8.1: BadChecksum). `check` Skip: the link verified the checksum or it was never
  /// computed.
  static Result<UdpRepr, WireError> parse(Bytes datagram, PseudoHeader ph,
                                          ChecksumCheck check = ChecksumCheck::Verify);
  /// Always writes a checksum (a computed 0 is sent as 0xffff, RFC 768 and RFC 8200 §8.1).
  std::size_t emit(MutBytes out, PseudoHeader ph) const;
  std::size_t total_len() const { return kHeaderLen + payload.size(); }
};

}  // namespace synack::wire
