// Helpers shared by the wire parsers/emitters (private to src/wire).
#pragma once

#include <cstring>

#include "synack/base/bytes.hpp"
#include "synack/base/checksum.hpp"
#include "synack/wire/ipv4.hpp"

namespace synack::wire::detail {

// Copies payload to out[off..). Callers may build the payload in place first (zero-copy
// output); then the pointers match and nothing moves. memmove because a payload that
// overlaps `out` at another offset is legal too. Emitters call this before writing
// their header, so a payload staged inside the header area is moved out first.
inline void place_payload(MutBytes out, std::size_t off, Bytes payload) {
  if (payload.empty()) return;
  std::byte* dst = out.data() + off;
  if (dst != payload.data()) std::memmove(dst, payload.data(), payload.size());
}

// The one's-complement checksum of the IPv4 pseudo-header (RFC 9293 §3.1, RFC 768)
// followed by the transport segment.
inline Checksum pseudo_header_sum(PseudoHeader ph, IpProto proto, std::size_t length) {
  Checksum c;
  c.add_u32(ph.src.value);
  c.add_u32(ph.dst.value);
  c.add_u16(static_cast<std::uint8_t>(proto));
  c.add_u16(static_cast<std::uint16_t>(length));
  return c;
}

inline Checksum transport_sum(PseudoHeader ph, IpProto proto, Bytes segment) {
  Checksum c = pseudo_header_sum(ph, proto, segment.size());
  c.add(segment);
  return c;
}

}  // namespace synack::wire::detail
