#include "synack/link/vnet_hdr.hpp"

namespace synack::link {

namespace {

void store_le16(MutBytes out, std::size_t off, std::uint16_t v) {
  out[off] = static_cast<std::byte>(v & 0xff);
  out[off + 1] = static_cast<std::byte>(v >> 8);
}

std::uint16_t load_le16(Bytes in, std::size_t off) {
  return static_cast<std::uint16_t>(std::to_integer<std::uint16_t>(in[off]) |
                                    (std::to_integer<std::uint16_t>(in[off + 1]) << 8));
}

}  // namespace

void VnetHdr::encode(MutBytes out) const {
  out[0] = static_cast<std::byte>(flags);
  out[1] = static_cast<std::byte>(gso_type);
  store_le16(out, 2, hdr_len);
  store_le16(out, 4, gso_size);
  store_le16(out, 6, csum_start);
  store_le16(out, 8, csum_offset);
}

std::optional<VnetHdr> VnetHdr::decode(Bytes in) {
  if (in.size() < kLen) return std::nullopt;
  VnetHdr h;
  h.flags = std::to_integer<std::uint8_t>(in[0]);
  h.gso_type = std::to_integer<std::uint8_t>(in[1]);
  h.hdr_len = load_le16(in, 2);
  h.gso_size = load_le16(in, 4);
  h.csum_start = load_le16(in, 6);
  h.csum_offset = load_le16(in, 8);
  return h;
}

VnetHdr VnetHdr::from_tx(const stack::TxMeta& tx) {
  VnetHdr h;
  if (tx.needs_checksum()) {
    h.flags = kNeedsCsum;
    h.csum_start = tx.csum_start;
    h.csum_offset = tx.csum_offset;
  }
  if (tx.gso_size != 0) {
    h.gso_type = static_cast<std::uint8_t>((tx.gso_ipv6 ? kGsoTcpV6 : kGsoTcpV4) |
                                           (tx.gso_ecn ? kGsoEcn : 0));
    h.gso_size = tx.gso_size;
    h.hdr_len = tx.hdr_len;
  }
  return h;
}

std::optional<stack::RxMeta> rx_meta(const VnetHdr& h, std::size_t frame_len) {
  stack::RxMeta m;
  if (h.flags & VnetHdr::kNeedsCsum) {
    // The field to finish must lie inside the frame (2 bytes at csum_start + offset).
    if (std::size_t{h.csum_start} + h.csum_offset + 2 > frame_len) return std::nullopt;
    m.checksum = stack::RxChecksum::Partial;
    m.csum_start = h.csum_start;
    m.csum_offset = h.csum_offset;
  } else if (h.flags & VnetHdr::kDataValid) {
    m.checksum = stack::RxChecksum::Verified;
  }
  switch (h.gso_type & ~VnetHdr::kGsoEcn) {
    case VnetHdr::kGsoNone:
      break;
    case VnetHdr::kGsoTcpV4:
    case VnetHdr::kGsoTcpV6:
      // A super-segment; a gso_size of 0 would be nonsense from the kernel, but the
      // packet is still whole, so it is only not marked as one.
      m.gso_size = h.gso_size;
      break;
    default:
      // UDP fragmentation offload (UFO/USO) is never offered (TUNSETOFFLOAD), so the
      // kernel does not send it: something is wrong with this frame.
      return std::nullopt;
  }
  return m;
}

}  // namespace synack::link
