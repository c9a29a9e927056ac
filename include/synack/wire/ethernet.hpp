#pragma once

#include <cstdint>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/error.hpp"

namespace synack::wire {

enum class EtherType : std::uint16_t { Ipv4 = 0x0800, Arp = 0x0806, Ipv6 = 0x86dd };

/// Ethernet II header (no 802.1Q). Payload is a view into the parsed buffer.
struct EthernetRepr {
  static constexpr std::size_t kHeaderLen = 14;
  MacAddr dst;
  MacAddr src;
  std::uint16_t ethertype = 0;
  Bytes payload;

  static Result<EthernetRepr, WireError> parse(Bytes frame);
  /// Writes the header at out[0..14) and copies payload after it (if payload is not
  /// already in place at out+14). Returns total bytes written; out must be large enough.
  std::size_t emit(MutBytes out) const;
  std::size_t total_len() const { return kHeaderLen + payload.size(); }
};

}  // namespace synack::wire
