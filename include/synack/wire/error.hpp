#pragma once

#include <cstdint>
#include <string_view>

namespace synack::wire {

/// Why a frame or packet was rejected by a parser. Every malformed input maps to one of these.
enum class WireError : std::uint8_t {
  Truncated,        ///< shorter than the fixed header or than a length field claims
  BadVersion,       ///< the IP version field is not the parser's (4 or 6)
  BadHeaderLength,  ///< IHL < 5, ARP hlen/plen, etc.
  BadTotalLength,   ///< IPv4 total length / UDP length inconsistent with the buffer
  BadChecksum,      ///< any checksum mismatch
  BadDataOffset,    ///< TCP data offset < 5 or past the segment
  /// A TCP option whose length byte is < 2, past the header, or wrong for its kind.
  BadOptionLength,
  Unsupported,  ///< well-formed but not something we handle (ARP for non-Ethernet/IPv4, ...)
  /// A field holds a value its protocol forbids (an NDP code other than 0, a multicast
  /// Neighbor Solicitation target, ...).
  BadField,
};

std::string_view to_string(WireError e);

}  // namespace synack::wire
