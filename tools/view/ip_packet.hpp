// Where the transport layer lies in an IPv4 or IPv6 packet, as a passive observer reads
// it (the analysis, the text ladder and the dissector share it).
//
// IPv6 extension headers are stepped over by their lengths only: Hop-by-Hop, Routing,
// Destination Options, Authentication, and a Fragment header. This is not the host's
// walk (wire::walk_ipv6_headers), which judges a packet as its receiver would (an
// unknown option to discard, a Routing header with segments left, a misplaced
// Hop-by-Hop): a capture shows what was on the wire, including packets a receiver
// would refuse or a router would forward.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/result.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/ipv4.hpp"

namespace synack::view {

// One IPv6 extension header: its Next Header value as named by the header before it,
// and where it lies (offsets from the start of the IPv6 header).
struct Ipv6Extension {
  std::uint8_t type = 0;  // 0 Hop-by-Hop, 43 Routing, 44 Fragment, 51 AH, 60 Destination Options
  std::size_t offset = 0;
  std::size_t length = 0;
};

struct IpPacket {
  int version = 4;  // 4 or 6
  wire::IpAddr src, dst;
  std::uint8_t ecn = 0;            // the two ECN bits (IPv4 TOS, IPv6 traffic class)
  std::uint8_t protocol = 0;       // the upper layer: TCP 6, UDP 17, ICMP 1, ICMPv6 58, ...
  Bytes payload;                   // the upper-layer header and its data (bounded by the IP length)
  std::size_t payload_offset = 0;  // where it starts, from the start of the IP header
  // A fragment (not a whole packet): only the first holds the upper-layer header.
  bool fragment = false;
  std::uint32_t fragment_ident = 0;
  std::size_t fragment_offset = 0;  // in bytes
  bool more_fragments = false;
  std::vector<Ipv6Extension> extensions;  // IPv6, in order

  // The transport checksum's pseudo-header: IPv4's or IPv6's by the packet's version
  // (an IPv6 packet between IPv4-mapped addresses, never valid on the wire, still
  // takes IPv6's).
  wire::PseudoHeader pseudo_header() const {
    return version == 6 ? wire::PseudoHeader::ipv6(src.v6(), dst.v6())
                        : wire::PseudoHeader::between(src, dst);
  }
};

// The extension header's name ("Hop-by-Hop Options", ...), or "" for another value.
const char* ipv6_extension_name(std::uint8_t type);

// An ICMPv6 message type's name (RFC 4443, NDP of RFC 4861, MLD): "echo request",
// "neighbor solicitation", ...; "other" for the rest.
const char* icmpv6_type_name(std::uint8_t type);

// Parses the IP header (version 4 or 6, from the first nibble) and steps over IPv6
// extension headers to the upper layer. The error is one phrase: "IPv6: truncated
// header", "IPv6: Routing header runs past the payload", "IPv4: bad checksum" ...
Result<IpPacket, std::string> parse_ip(Bytes packet);

}  // namespace synack::view
