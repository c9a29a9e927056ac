#include "synack/wire/ipv4.hpp"

#include <cassert>

#include "detail.hpp"

namespace synack::wire {

namespace {
constexpr std::uint16_t kFlagDf = 0x4000;  // RFC 791 §3.1: bit 1 Don't Fragment
constexpr std::uint16_t kFlagMf = 0x2000;  // bit 2 More Fragments
constexpr std::uint16_t kOffsetMask = 0x1fff;
}  // namespace

Result<Ipv4Repr, WireError> Ipv4Repr::parse(Bytes packet) {
  if (packet.size() < kMinHeaderLen) return Err{WireError::Truncated};
  std::uint8_t ver_ihl = load_u8(packet, 0);
  if ((ver_ihl >> 4) != 4) return Err{WireError::BadVersion};
  std::size_t header_len = std::size_t{ver_ihl & 0x0fu} * 4;
  if (header_len < kMinHeaderLen) return Err{WireError::BadHeaderLength};
  if (packet.size() < header_len) return Err{WireError::Truncated};
  std::size_t total = load_be16(packet, 2);
  if (total < header_len) return Err{WireError::BadTotalLength};
  // Bytes past total length are link-layer padding (Ethernet minimum frame size).
  if (packet.size() < total) return Err{WireError::Truncated};
  const std::uint16_t check = header_len == kMinHeaderLen
                                  ? ipv4_header_checksum20(packet.data())
                                  : internet_checksum(packet.first(header_len));
  if (check != 0) return Err{WireError::BadChecksum};

  Ipv4Repr r;
  r.dscp_ecn = load_u8(packet, 1);
  r.ident = load_be16(packet, 4);
  std::uint16_t frag = load_be16(packet, 6);
  r.dont_fragment = (frag & kFlagDf) != 0;
  r.more_fragments = (frag & kFlagMf) != 0;
  r.fragment_offset = frag & kOffsetMask;
  r.ttl = load_u8(packet, 8);
  r.protocol = load_u8(packet, 9);
  r.src = Ipv4Addr::load(packet, 12);
  r.dst = Ipv4Addr::load(packet, 16);
  r.header_len = header_len;
  r.options = packet.subspan(kMinHeaderLen, header_len - kMinHeaderLen);
  r.payload = packet.subspan(header_len, total - header_len);
  return r;
}

std::size_t Ipv4Repr::emit(MutBytes out) const {
  std::size_t total = total_len();
  assert(out.size() >= total && total <= 0xffff);
  detail::place_payload(out, kMinHeaderLen, payload);
  store_u8(out, 0, 0x45);  // version 4, IHL 5: we never send options
  store_u8(out, 1, dscp_ecn);
  store_be16(out, 2, static_cast<std::uint16_t>(total));
  store_be16(out, 4, ident);
  store_be16(
      out, 6,
      static_cast<std::uint16_t>((dont_fragment ? kFlagDf : 0) | (more_fragments ? kFlagMf : 0) |
                                 (fragment_offset & kOffsetMask)));
  store_u8(out, 8, ttl);
  store_u8(out, 9, protocol);
  store_be16(out, 10, 0);
  src.store(out, 12);
  dst.store(out, 16);
  store_be16(out, 10, ipv4_header_checksum20(out.data()));
  return total;
}

std::uint64_t pseudo_header_partial(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol,
                                    std::uint16_t length) {
  // Unfolded sum of the pseudo-header's 16-bit words (RFC 9293 §3.1, RFC 768).
  return std::uint64_t{src.value >> 16} + (src.value & 0xffff) + (dst.value >> 16) +
         (dst.value & 0xffff) + protocol + length;
}

std::uint64_t pseudo_header_partial(const Ipv6Addr& src, const Ipv6Addr& dst,
                                    std::uint8_t next_header, std::uint32_t length) {
  std::uint64_t sum = std::uint64_t{next_header} + (length >> 16) + (length & 0xffff);
  for (std::size_t i = 0; i < 8; ++i) sum += std::uint64_t{src.group(i)} + dst.group(i);
  return sum;
}

bool finish_partial_checksum(MutBytes buf, std::size_t start, std::size_t offset) {
  if (start > buf.size() || offset + 2 > buf.size() - start) return false;
  store_be16(buf, start + offset, internet_checksum(Bytes(buf).subspan(start)));
  return true;
}

}  // namespace synack::wire
