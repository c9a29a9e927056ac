#include "synack/wire/ipv6.hpp"

#include <cassert>

#include "detail.hpp"

namespace synack::wire {

namespace {

constexpr std::uint8_t kOptPad1 = 0;
constexpr std::uint8_t kOptPadN = 1;
constexpr std::uint8_t kOptRouterAlert = 5;  // RFC 2711

constexpr std::uint8_t nh(NextHeader n) {
  return static_cast<std::uint8_t>(n);
}

// Builds a Parameter Problem verdict.
Ipv6HeaderChain problem(Ipv6HeaderChain c, ParamProblemCode code, std::size_t pointer) {
  c.verdict = Ipv6Verdict::ParameterProblem;
  c.problem_code = code;
  c.problem_pointer = static_cast<std::uint32_t>(pointer);
  return c;
}

Ipv6HeaderChain discard(Ipv6HeaderChain c, Ipv6DropReason why) {
  c.verdict = Ipv6Verdict::Discard;
  c.drop = why;
  return c;
}

// The length an upper-layer header needs for RFC 7112's "up to and including the
// upper-layer header"; nullopt for a protocol we cannot size.
std::optional<std::size_t> upper_header_len(std::uint8_t proto) {
  switch (static_cast<NextHeader>(proto)) {
    case NextHeader::Tcp:
      return 20;
    case NextHeader::Udp:
      return 8;
    case NextHeader::Icmpv6:
      return 4;  // type, code, checksum (RFC 4443 §2.1)
    case NextHeader::NoNextHeader:
      return 0;
    default:
      return std::nullopt;
  }
}

}  // namespace

Result<Ipv6Repr, WireError> Ipv6Repr::parse(Bytes packet) {
  if (packet.size() < kHeaderLen) return Err{WireError::Truncated};
  const std::uint32_t word0 = load_be32(packet, 0);
  if ((word0 >> 28) != 6) return Err{WireError::BadVersion};
  const std::size_t payload_len = load_be16(packet, 4);
  // Bytes past the payload length are link-layer padding.
  if (packet.size() < kHeaderLen + payload_len) return Err{WireError::Truncated};
  Ipv6Repr r;
  r.traffic_class = static_cast<std::uint8_t>((word0 >> 20) & 0xff);
  r.flow_label = word0 & 0xfffff;
  r.next_header = load_u8(packet, 6);
  r.hop_limit = load_u8(packet, 7);
  r.src = Ipv6Addr::load(packet, 8);
  r.dst = Ipv6Addr::load(packet, 24);
  r.payload = packet.subspan(kHeaderLen, payload_len);
  return r;
}

std::size_t Ipv6Repr::emit(MutBytes out) const {
  const std::size_t total = total_len();
  assert(out.size() >= total && payload.size() <= 0xffff);
  detail::place_payload(out, kHeaderLen, payload);
  store_be32(
      out, 0,
      (std::uint32_t{6} << 28) | (std::uint32_t{traffic_class} << 20) | (flow_label & 0xfffff));
  store_be16(out, 4, static_cast<std::uint16_t>(payload.size()));
  store_u8(out, 6, next_header);
  store_u8(out, 7, hop_limit);
  src.store(out, 8);
  dst.store(out, 24);
  return total;
}

Result<Ipv6FragmentHeader, WireError> Ipv6FragmentHeader::parse(Bytes b) {
  if (b.size() < kLen) return Err{WireError::Truncated};
  Ipv6FragmentHeader f;
  f.next_header = load_u8(b, 0);
  const std::uint16_t off_flags = load_be16(b, 2);
  f.offset = static_cast<std::uint16_t>(off_flags >> 3);
  f.more = (off_flags & 1) != 0;
  f.ident = load_be32(b, 4);
  return f;
}

std::size_t Ipv6FragmentHeader::emit(MutBytes out) const {
  assert(out.size() >= kLen);
  store_u8(out, 0, next_header);
  store_u8(out, 1, 0);
  store_be16(out, 2, static_cast<std::uint16_t>(((offset & 0x1fff) << 3) | (more ? 1 : 0)));
  store_be32(out, 4, ident);
  return kLen;
}

std::size_t emit_router_alert_hbh(MutBytes out, std::uint8_t next_header, std::uint16_t value) {
  assert(out.size() >= 8);
  store_u8(out, 0, next_header);
  store_u8(out, 1, 0);  // (0 + 1) * 8 bytes
  store_u8(out, 2, kOptRouterAlert);
  store_u8(out, 3, 2);
  store_be16(out, 4, value);
  store_u8(out, 6, kOptPadN);  // PadN with no data: 2 bytes to the 8-byte boundary
  store_u8(out, 7, 0);
  return 8;
}

Ipv6HeaderChain walk_ipv6_headers(const Ipv6Repr& ip) {
  constexpr std::size_t kBase = Ipv6Repr::kHeaderLen;
  const Bytes p = ip.payload;
  Ipv6HeaderChain c;
  std::uint8_t next = ip.next_header;
  std::size_t next_at = 6;  // where the Next Header field naming `next` is
  std::size_t pos = 0;      // in the payload
  while (true) {
    switch (static_cast<NextHeader>(next)) {
      case NextHeader::Tcp:
      case NextHeader::Udp:
      case NextHeader::Icmpv6:
      case NextHeader::NoNextHeader:
        c.verdict = Ipv6Verdict::Deliver;
        c.upper_protocol = next;
        c.upper_offset = kBase + pos;
        c.upper_payload = p.subspan(pos);
        return c;
      case NextHeader::HopByHop:
        // RFC 8200 §4.1: only right after the IPv6 header; elsewhere it is an
        // unrecognized Next Header.
        if (next_at != 6) {
          return problem(c, ParamProblemCode::UnrecognizedNextHeader, next_at);
        }
        [[fallthrough]];
      case NextHeader::DestOptions: {
        if (++c.extension_count > Ipv6HeaderChain::kMaxExtensionHeaders) {
          return discard(c, Ipv6DropReason::TooManyHeaders);
        }
        if (p.size() - pos < 2) return discard(c, Ipv6DropReason::Truncated);
        const std::size_t len = (std::size_t{load_u8(p, pos + 1)} + 1) * 8;
        if (p.size() - pos < len) return discard(c, Ipv6DropReason::Truncated);
        const bool hbh = next == nh(NextHeader::HopByHop);
        const std::size_t end = pos + len;
        std::size_t i = pos + 2;
        while (i < end) {
          const std::uint8_t type = load_u8(p, i);
          if (type == kOptPad1) {
            ++i;
            continue;
          }
          if (end - i < 2) return discard(c, Ipv6DropReason::BadOptionLength);
          const std::size_t olen = load_u8(p, i + 1);
          if (end - i - 2 < olen) return discard(c, Ipv6DropReason::BadOptionLength);
          if (type == kOptPadN) {
            // nothing
          } else if (hbh && type == kOptRouterAlert && olen == 2) {
            c.router_alert = load_be16(p, i + 2);
          } else {
            // RFC 8200 §4.2: the two high-order bits say what to do with an
            // unrecognized option.
            switch (type >> 6) {
              case 0:
                break;
              case 1:
                return discard(c, Ipv6DropReason::OptionAction);
              case 3:
                if (ip.dst.is_multicast()) return discard(c, Ipv6DropReason::OptionAction);
                [[fallthrough]];
              default:
                return problem(c, ParamProblemCode::UnrecognizedOption, kBase + i);
            }
          }
          i += 2 + olen;
        }
        next = load_u8(p, pos);
        next_at = kBase + pos;
        pos = end;
        break;
      }
      case NextHeader::Routing: {
        if (++c.extension_count > Ipv6HeaderChain::kMaxExtensionHeaders) {
          return discard(c, Ipv6DropReason::TooManyHeaders);
        }
        if (p.size() - pos < 8) return discard(c, Ipv6DropReason::Truncated);
        const std::size_t len = (std::size_t{load_u8(p, pos + 1)} + 1) * 8;
        if (p.size() - pos < len) return discard(c, Ipv6DropReason::Truncated);
        // RFC 8200 §4.4: Segments Left 0 -> ignore the header whatever its type;
        // otherwise an unrecognized type (all of them for a host; type 0 is deprecated,
        // RFC 5095 §3) -> Parameter Problem code 0 at the Routing Type.
        if (load_u8(p, pos + 3) != 0) {
          return problem(c, ParamProblemCode::ErroneousField, kBase + pos + 2);
        }
        next = load_u8(p, pos);
        next_at = kBase + pos;
        pos += len;
        break;
      }
      case NextHeader::Fragment: {
        if (++c.extension_count > Ipv6HeaderChain::kMaxExtensionHeaders) {
          return discard(c, Ipv6DropReason::TooManyHeaders);
        }
        auto f = Ipv6FragmentHeader::parse(p.subspan(pos));
        if (!f) return discard(c, Ipv6DropReason::Truncated);
        const std::size_t data_len = p.size() - pos - Ipv6FragmentHeader::kLen;
        // RFC 8200 §4.5: a fragment that is not the last must be a multiple of 8 bytes
        // long (pointer: the Payload Length), and none may make the reassembled
        // packet's Payload Length (the extension headers in front of this one
        // included) exceed 65535 (pointer: the Fragment Offset field).
        if (f->more && data_len % 8 != 0) {
          return problem(c, ParamProblemCode::ErroneousField, 4);
        }
        if (pos + f->byte_offset() + data_len > 0xffff) {
          return problem(c, ParamProblemCode::ErroneousField, kBase + pos + 2);
        }
        c.fragment = *f;
        c.fragment_at = kBase + pos;
        c.fragment_next_header_at = next_at;
        if (!f->is_atomic()) {
          c.verdict = Ipv6Verdict::Reassemble;
          c.fragment_data = p.subspan(pos + Ipv6FragmentHeader::kLen);
          return c;
        }
        next = f->next_header;
        next_at = kBase + pos;
        pos += Ipv6FragmentHeader::kLen;
        break;
      }
      default:
        return problem(c, ParamProblemCode::UnrecognizedNextHeader, next_at);
    }
  }
}

bool first_fragment_chain_complete(const Ipv6HeaderChain& chain) {
  if (chain.verdict != Ipv6Verdict::Reassemble || !chain.fragment || chain.fragment->offset != 0) {
    return true;
  }
  const Bytes d = chain.fragment_data;
  std::uint8_t next = chain.fragment->next_header;
  std::size_t pos = 0;
  for (std::size_t n = 0; n <= Ipv6HeaderChain::kMaxExtensionHeaders; ++n) {
    switch (static_cast<NextHeader>(next)) {
      case NextHeader::HopByHop:
      case NextHeader::DestOptions:
      case NextHeader::Routing: {
        if (d.size() - pos < 2) return false;
        const std::size_t len = (std::size_t{load_u8(d, pos + 1)} + 1) * 8;
        if (d.size() - pos < len) return false;
        next = load_u8(d, pos);
        pos += len;
        break;
      }
      case NextHeader::Fragment:
        if (d.size() - pos < Ipv6FragmentHeader::kLen) return false;
        next = load_u8(d, pos);
        pos += Ipv6FragmentHeader::kLen;
        break;
      default: {
        auto need = upper_header_len(next);
        return !need || d.size() - pos >= *need;
      }
    }
  }
  return true;  // a chain this long is refused after reassembly
}

}  // namespace synack::wire
