#pragma once

#include <cstdint>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/error.hpp"

namespace synack::wire {

enum class IpProto : std::uint8_t { Icmp = 1, Tcp = 6, Udp = 17 };

/// The ECN field: the two low bits of the old TOS byte (RFC 3168 §5).
enum class Ecn : std::uint8_t {
  NotEct = 0b00,  ///< Not-ECT: the transport does not use ECN
  Ect1 = 0b01,    ///< ECT(1)
  Ect0 = 0b10,    ///< ECT(0): what an ECN-capable TCP sends (RFC 3168 §6.1.2)
  Ce = 0b11,      ///< Congestion Experienced, set by a router instead of dropping
};
constexpr Ecn ecn_of(std::uint8_t dscp_ecn) {
  return static_cast<Ecn>(dscp_ecn & 0b11);
}
constexpr std::uint8_t with_ecn(std::uint8_t dscp_ecn, Ecn e) {
  return static_cast<std::uint8_t>((dscp_ecn & ~0b11) | static_cast<std::uint8_t>(e));
}

/// IPv4 header (RFC 791). Options are skipped on parse (kept as a view) and never emitted.
/// The fragment fields (DF, MF, offset) are parsed and emitted.
struct Ipv4Repr {
  static constexpr std::size_t kMinHeaderLen = 20;
  Ipv4Addr src;
  Ipv4Addr dst;
  std::uint8_t protocol = 0;
  std::uint8_t ttl = 64;
  std::uint8_t dscp_ecn = 0;  ///< the old TOS byte
  std::uint16_t ident = 0;
  bool dont_fragment = true;
  bool more_fragments = false;             ///< MF: more fragments follow
  std::uint16_t fragment_offset = 0;       ///< in 8-byte units (13 bits)
  std::size_t header_len = kMinHeaderLen;  ///< parse: IHL*4; emit always writes 20
  Bytes options;                           ///< parse only: the raw option bytes, skipped
  Bytes payload;                           ///< exactly total_length - header_len bytes

  bool is_fragment() const { return more_fragments || fragment_offset != 0; }

  /// Validates version, IHL, total length against the buffer (trailing Ethernet
  /// padding is ignored) and the header checksum.
  static Result<Ipv4Repr, WireError> parse(Bytes packet);
  /// Writes a 20-byte header with checksum, then copies payload unless it is already
  /// in place at out+20. Returns total length.
  std::size_t emit(MutBytes out) const;
  std::size_t total_len() const { return kMinHeaderLen + payload.size(); }
};

/// The IPv4 pseudo-header sum used by UDP and TCP checksums (RFC 9293 §3.1).
std::uint64_t pseudo_header_partial(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol,
                                    std::uint16_t length);
/// The IPv6 pseudo-header sum (RFC 8200 §8.1): both addresses, the 32-bit upper-layer
/// length and the next header, unfolded.
std::uint64_t pseudo_header_partial(const Ipv6Addr& src, const Ipv6Addr& dst,
                                    std::uint8_t next_header, std::uint32_t length);

/// Source and destination of an IPv4 or IPv6 packet, for transport checksums: the
/// parts of the pseudo-header that do not depend on the segment. `PseudoHeader{src, dst}`
/// with two Ipv4Addr is the IPv4 one (RFC 9293 §3.1); PseudoHeader::ipv6 makes the IPv6
/// one (RFC 8200 §8.1: 32-bit upper-layer length, next header), which keeps only the sum
/// of the two addresses, so passing it by value stays as cheap as the IPv4 one.
struct PseudoHeader {
  Ipv4Addr src;  ///< IPv4 source (0.0.0.0 in an IPv6 pseudo-header)
  Ipv4Addr dst;  ///< IPv4 destination (0.0.0.0 in an IPv6 pseudo-header)
  /// IPv6: the unfolded sum of the 16-bit words of both addresses (at most 16 * 0xffff).
  std::uint32_t v6_addr_sum = 0;
  bool is_ipv6 = false;  ///< an IPv6 pseudo-header (UDP: a zero checksum is then invalid)

  /// The IPv6 pseudo-header of a packet from `src` to `dst`.
  static PseudoHeader ipv6(const Ipv6Addr& src, const Ipv6Addr& dst) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < 8; ++i) sum += src.group(i) + dst.group(i);
    return {{}, {}, sum, true};
  }
  /// The pseudo-header of a packet from `src` to `dst`: IPv4's when both are IPv4,
  /// else IPv6's.
  static PseudoHeader between(const IpAddr& src, const IpAddr& dst) {
    if (src.is_v4() && dst.is_v4()) return {src.v4(), dst.v4()};
    return ipv6(src.v6(), dst.v6());
  }
};

/// Whether a parser verifies the transport checksum. Skip only when the link vouched
/// for it (stack::RxChecksum::Verified or Partial): never on a link that did not.
enum class ChecksumCheck : std::uint8_t { Verify, Skip };

/// What an emitter writes into the transport checksum field: the complete checksum,
/// or only the folded pseudo-header sum (not complemented) for a link that finishes it
/// (checksum offload: VIRTIO_NET_HDR_F_NEEDS_CSUM, Linux's CHECKSUM_PARTIAL).
enum class ChecksumFill : std::uint8_t { Complete, PseudoHeaderOnly };

/// Finishes a PseudoHeaderOnly checksum as the link would (virtio NEEDS_CSUM): the
/// one's-complement sum from `start` to the end of `buf`, complemented, stored at
/// start + offset. False (nothing written) if that field is not inside `buf`.
bool finish_partial_checksum(MutBytes buf, std::size_t start, std::size_t offset);

}  // namespace synack::wire
