#pragma once

#include <cstdint>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/error.hpp"

namespace synack::wire {

enum class ArpOp : std::uint16_t { Request = 1, Reply = 2 };

/// ARP for Ethernet + IPv4 only (RFC 826): htype 1, ptype 0x0800, hlen 6, plen 4.
struct ArpRepr {
  static constexpr std::size_t kLen = 28;
  ArpOp op = ArpOp::Request;
  MacAddr sender_mac;
  Ipv4Addr sender_ip;
  MacAddr target_mac;
  Ipv4Addr target_ip;

  static Result<ArpRepr, WireError> parse(Bytes packet);
  std::size_t emit(MutBytes out) const;  ///< writes kLen bytes
  bool operator==(const ArpRepr&) const = default;
};

}  // namespace synack::wire
