#include "synack/wire/udp.hpp"

#include <cassert>

#include "detail.hpp"

namespace synack::wire {

Result<UdpRepr, WireError> UdpRepr::parse(Bytes datagram, PseudoHeader ph, ChecksumCheck check) {
  if (datagram.size() < kHeaderLen) return Err{WireError::Truncated};
  std::size_t len = load_be16(datagram, 4);
  if (len < kHeaderLen) return Err{WireError::BadTotalLength};
  if (len > datagram.size()) return Err{WireError::Truncated};
  Bytes covered = datagram.first(len);
  // RFC 768: "An all zero transmitted checksum value means that the transmitter
  // generated no checksum". Not over IPv6: RFC 8200 §8.1, a zero checksum is discarded.
  if (check == ChecksumCheck::Verify) {
    const std::uint16_t stored = load_be16(datagram, 6);
    if (stored == 0 ? ph.is_ipv6 : detail::transport_sum(ph, IpProto::Udp, covered).finish() != 0) {
      return Err{WireError::BadChecksum};
    }
  }
  UdpRepr r;
  r.src_port = load_be16(datagram, 0);
  r.dst_port = load_be16(datagram, 2);
  r.payload = covered.subspan(kHeaderLen);
  return r;
}

std::size_t UdpRepr::emit(MutBytes out, PseudoHeader ph) const {
  std::size_t len = total_len();
  assert(out.size() >= len && len <= 0xffff);
  detail::place_payload(out, kHeaderLen, payload);
  store_be16(out, 0, src_port);
  store_be16(out, 2, dst_port);
  store_be16(out, 4, static_cast<std::uint16_t>(len));
  store_be16(out, 6, 0);
  std::uint16_t sum = detail::transport_sum(ph, IpProto::Udp, Bytes(out.first(len))).finish();
  // RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
  store_be16(out, 6, sum == 0 ? 0xffff : sum);
  return len;
}

}  // namespace synack::wire
