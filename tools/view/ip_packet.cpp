#include "ip_packet.hpp"

#include <fmt/core.h>

#include "synack/wire/ipv6.hpp"

namespace synack::view {

const char* ipv6_extension_name(std::uint8_t type) {
  switch (type) {
    case 0:
      return "Hop-by-Hop Options";
    case 43:
      return "Routing";
    case 44:
      return "Fragment";
    case 51:
      return "Authentication Header";
    case 60:
      return "Destination Options";
    default:
      return "";
  }
}

const char* icmpv6_type_name(std::uint8_t type) {
  switch (type) {
    case 1:
      return "destination unreachable";
    case 2:
      return "packet too big";
    case 3:
      return "time exceeded";
    case 4:
      return "parameter problem";
    case 128:
      return "echo request";
    case 129:
      return "echo reply";
    case 130:
      return "multicast listener query";
    case 131:
      return "multicast listener report";
    case 132:
      return "multicast listener done";
    case 133:
      return "router solicitation";
    case 134:
      return "router advertisement";
    case 135:
      return "neighbor solicitation";
    case 136:
      return "neighbor advertisement";
    case 137:
      return "redirect";
    case 143:
      return "multicast listener report v2";
    default:
      return "other";
  }
}

namespace {

Result<IpPacket, std::string> parse_ipv4(Bytes packet) {
  auto ip = wire::Ipv4Repr::parse(packet);
  if (!ip) return Err{fmt::format("IPv4: {}", wire::to_string(ip.error()))};
  IpPacket p;
  p.version = 4;
  p.src = ip->src;
  p.dst = ip->dst;
  p.ecn = static_cast<std::uint8_t>(ip->dscp_ecn & 3);
  p.protocol = ip->protocol;
  p.payload = ip->payload;
  p.payload_offset = static_cast<std::size_t>(ip->payload.data() - packet.data());
  p.fragment = ip->is_fragment();
  p.fragment_ident = ip->ident;
  p.fragment_offset = std::size_t{ip->fragment_offset} * 8;
  p.more_fragments = ip->more_fragments;
  return p;
}

Result<IpPacket, std::string> parse_ipv6(Bytes packet) {
  auto ip = wire::Ipv6Repr::parse(packet);
  if (!ip) return Err{fmt::format("IPv6: {}", wire::to_string(ip.error()))};
  IpPacket p;
  p.version = 6;
  p.src = ip->src;
  p.dst = ip->dst;
  p.ecn = static_cast<std::uint8_t>(ip->traffic_class & 3);
  std::uint8_t next = ip->next_header;
  Bytes rest = ip->payload;
  std::size_t at = wire::Ipv6Repr::kHeaderLen;
  for (;;) {
    const char* name = ipv6_extension_name(next);
    if (*name == '\0') break;  // the upper layer (or ESP, or No Next Header)
    std::size_t len = 0;
    if (next == 44) {
      len = wire::Ipv6FragmentHeader::kLen;
    } else if (rest.size() >= 2) {
      const std::size_t n = load_u8(rest, 1);
      len = next == 51 ? (n + 2) * 4 : (n + 1) * 8;  // AH counts 4-byte words (RFC 4302)
    }
    if (rest.size() < 2 || len > rest.size()) {
      return Err{fmt::format("IPv6: {} header runs past the payload", name)};
    }
    p.extensions.push_back({next, at, len});
    if (next == 44) {
      auto fh = *wire::Ipv6FragmentHeader::parse(rest);
      next = fh.next_header;
      at += len;
      rest = rest.subspan(len);
      if (!fh.is_atomic()) {  // RFC 6946: an atomic fragment is a whole packet
        p.fragment = true;
        p.fragment_ident = fh.ident;
        p.fragment_offset = fh.byte_offset();
        p.more_fragments = fh.more;
        break;
      }
      continue;
    }
    next = load_u8(rest, 0);
    at += len;
    rest = rest.subspan(len);
  }
  p.protocol = next;
  p.payload = rest;
  p.payload_offset = at;
  return p;
}

}  // namespace

Result<IpPacket, std::string> parse_ip(Bytes packet) {
  if (packet.empty()) return Err{std::string("IP: empty packet")};
  const int version = load_u8(packet, 0) >> 4;
  if (version == 6) return parse_ipv6(packet);
  if (version == 4) return parse_ipv4(packet);
  return Err{fmt::format("IP version {}", version)};
}

}  // namespace synack::view
