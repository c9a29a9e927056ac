#include "synack/wire/icmp.hpp"

#include <cassert>

#include "detail.hpp"

namespace synack::wire {

namespace {

bool is_echo(std::uint8_t type) {
  return type == static_cast<std::uint8_t>(IcmpType::EchoRequest) ||
         type == static_cast<std::uint8_t>(IcmpType::EchoReply);
}

bool is_frag_needed(std::uint8_t type, std::uint8_t code) {
  return type == static_cast<std::uint8_t>(IcmpType::DestUnreachable) &&
         code == static_cast<std::uint8_t>(UnreachCode::FragNeeded);
}

bool is_supported(std::uint8_t type) {
  switch (static_cast<IcmpType>(type)) {
    case IcmpType::EchoReply:
    case IcmpType::DestUnreachable:
    case IcmpType::SourceQuench:
    case IcmpType::EchoRequest:
    case IcmpType::TimeExceeded:
    case IcmpType::ParameterProblem:
      return true;
  }
  return false;
}

}  // namespace

Result<IcmpRepr, WireError> IcmpRepr::parse(Bytes packet) {
  if (packet.size() < kHeaderLen) return Err{WireError::Truncated};
  // RFC 792: the checksum covers the whole ICMP message.
  if (internet_checksum(packet) != 0) return Err{WireError::BadChecksum};
  IcmpRepr r;
  r.type = load_u8(packet, 0);
  r.code = load_u8(packet, 1);
  if (!is_supported(r.type)) return Err{WireError::Unsupported};
  if (is_echo(r.type)) {
    r.ident = load_be16(packet, 4);
    r.seq_no = load_be16(packet, 6);
  } else if (is_frag_needed(r.type, r.code)) {
    // RFC 1191 §4: the low-order 16 bits of the second word carry the next-hop MTU.
    r.next_hop_mtu = load_be16(packet, 6);
  } else if (r.type == static_cast<std::uint8_t>(IcmpType::ParameterProblem)) {
    r.pointer = load_u8(packet, 4);
  }
  r.data = packet.subspan(kHeaderLen);
  return r;
}

std::size_t IcmpRepr::emit(MutBytes out) const {
  assert(out.size() >= total_len());
  detail::place_payload(out, kHeaderLen, data);
  store_u8(out, 0, type);
  store_u8(out, 1, code);
  store_be16(out, 2, 0);
  store_be32(out, 4, 0);  // "unused" in error messages: zero
  if (is_echo(type)) {
    store_be16(out, 4, ident);
    store_be16(out, 6, seq_no);
  } else if (is_frag_needed(type, code)) {
    store_be16(out, 6, next_hop_mtu);
  } else if (type == static_cast<std::uint8_t>(IcmpType::ParameterProblem)) {
    store_u8(out, 4, pointer);
  }
  std::size_t len = total_len();
  store_be16(out, 2, internet_checksum(Bytes(out.first(len))));
  return len;
}

}  // namespace synack::wire
