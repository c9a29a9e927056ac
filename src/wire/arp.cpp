#include "synack/wire/arp.hpp"

#include <cassert>

namespace synack::wire {

namespace {
// RFC 826 field values for Ethernet hardware and IPv4 protocol addresses.
constexpr std::uint16_t kHtypeEthernet = 1;
constexpr std::uint16_t kPtypeIpv4 = 0x0800;
constexpr std::uint8_t kHlenEthernet = 6;
constexpr std::uint8_t kPlenIpv4 = 4;
}  // namespace

Result<ArpRepr, WireError> ArpRepr::parse(Bytes packet) {
  if (packet.size() < kLen) return Err{WireError::Truncated};
  if (load_be16(packet, 0) != kHtypeEthernet || load_be16(packet, 2) != kPtypeIpv4) {
    return Err{WireError::Unsupported};
  }
  if (load_u8(packet, 4) != kHlenEthernet || load_u8(packet, 5) != kPlenIpv4) {
    return Err{WireError::BadHeaderLength};
  }
  std::uint16_t op = load_be16(packet, 6);
  if (op != static_cast<std::uint16_t>(ArpOp::Request) &&
      op != static_cast<std::uint16_t>(ArpOp::Reply)) {
    return Err{WireError::Unsupported};  // RARP, InARP, ...
  }
  ArpRepr r;
  r.op = static_cast<ArpOp>(op);
  r.sender_mac = MacAddr::load(packet, 8);
  r.sender_ip = Ipv4Addr::load(packet, 14);
  r.target_mac = MacAddr::load(packet, 18);
  r.target_ip = Ipv4Addr::load(packet, 24);
  return r;
}

std::size_t ArpRepr::emit(MutBytes out) const {
  assert(out.size() >= kLen);
  store_be16(out, 0, kHtypeEthernet);
  store_be16(out, 2, kPtypeIpv4);
  store_u8(out, 4, kHlenEthernet);
  store_u8(out, 5, kPlenIpv4);
  store_be16(out, 6, static_cast<std::uint16_t>(op));
  sender_mac.store(out, 8);
  sender_ip.store(out, 14);
  target_mac.store(out, 18);
  target_ip.store(out, 24);
  return kLen;
}

}  // namespace synack::wire
