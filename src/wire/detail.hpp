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

// The one's-complement sum of the pseudo-header (IPv4: RFC 9293 §3.1, RFC 768; IPv6:
// RFC 8200 §8.1, a 32-bit length) for a transport segment of `length` bytes.
inline Checksum pseudo_header_sum(PseudoHeader ph, std::uint8_t proto, std::size_t length) {
  Checksum c;
  if (ph.is_ipv6) {
    c.add_u32(ph.v6_addr_sum);  // hi + lo: the same one's-complement value
    c.add_u16(proto);
    c.add_u32(static_cast<std::uint32_t>(length));
  } else {
    c.add_u32(ph.src.value);
    c.add_u32(ph.dst.value);
    c.add_u16(proto);
    c.add_u16(static_cast<std::uint16_t>(length));
  }
  return c;
}
inline Checksum pseudo_header_sum(PseudoHeader ph, IpProto proto, std::size_t length) {
  return pseudo_header_sum(ph, static_cast<std::uint8_t>(proto), length);
}

// The pseudo-header followed by the transport segment.
inline Checksum transport_sum(PseudoHeader ph, std::uint8_t proto, Bytes segment) {
  Checksum c = pseudo_header_sum(ph, proto, segment.size());
  c.add(segment);
  return c;
}
inline Checksum transport_sum(PseudoHeader ph, IpProto proto, Bytes segment) {
  return transport_sum(ph, static_cast<std::uint8_t>(proto), segment);
}

}  // namespace synack::wire::detail
