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

  /// Checks the length field and (when non-zero) the checksum over the pseudo-header.
  /// `check` Skip: the link verified the checksum or it was never computed.
  static Result<UdpRepr, WireError> parse(Bytes datagram, PseudoHeader ph,
                                          ChecksumCheck check = ChecksumCheck::Verify);
  std::size_t emit(MutBytes out, PseudoHeader ph) const;  ///< always writes a checksum
  std::size_t total_len() const { return kHeaderLen + payload.size(); }
};

}  // namespace synack::wire
