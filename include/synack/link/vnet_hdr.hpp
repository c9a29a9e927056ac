// The virtio_net_hdr that precedes every frame on a TAP opened with IFF_VNET_HDR
// (include/uapi/linux/virtio_net.h; QEMU's tap backend and gVisor's fdbased endpoint
// speak the same). It carries what the two sides did not do to the frame: a
// transport checksum left to finish (NEEDS_CSUM), one already verified (DATA_VALID),
// and GSO: a TCP super-segment to cut into gso_size pieces.
//
// synack uses the 10-byte legacy form (struct virtio_net_hdr, the TAP's default
// TUNSETVNETHDRSZ): the _v1 form only adds num_buffers, which counts mergeable receive
// buffers, a virtio-ring notion a TAP read never uses (always one buffer). Fields are
// little-endian: TapLink sets TUNSETVNETLE so that holds on any host.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "synack/base/bytes.hpp"
#include "synack/stack/types.hpp"

namespace synack::link {

struct VnetHdr {
  static constexpr std::size_t kLen = 10;
  // flags
  static constexpr std::uint8_t kNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr std::uint8_t kDataValid = 2;  // VIRTIO_NET_HDR_F_DATA_VALID
  // gso_type
  static constexpr std::uint8_t kGsoNone = 0;
  static constexpr std::uint8_t kGsoTcpV4 = 1;
  static constexpr std::uint8_t kGsoUdp = 3;
  static constexpr std::uint8_t kGsoTcpV6 = 4;
  static constexpr std::uint8_t kGsoUdpL4 = 5;
  static constexpr std::uint8_t kGsoEcn = 0x80;  // or'ed in: the super-segment has CWR

  std::uint8_t flags = 0;
  std::uint8_t gso_type = kGsoNone;
  std::uint16_t hdr_len = 0;  // Ethernet + IP + TCP headers of a super-segment
  std::uint16_t gso_size = 0;
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;

  bool operator==(const VnetHdr&) const = default;

  // Writes the 10 bytes (little-endian) at the start of `out` (at least kLen long).
  void encode(MutBytes out) const;
  // Reads the header at the start of `in`; nullopt when shorter than kLen.
  static std::optional<VnetHdr> decode(Bytes in);

  // What the stack asked the link to do to a frame, for the kernel to do.
  static VnetHdr from_tx(const stack::TxMeta& tx);
};

// What a received header means for the frame after it: nullopt when the header is
// inconsistent with the frame (a checksum position outside it, an unknown GSO type)
// and the frame must be dropped.
std::optional<stack::RxMeta> rx_meta(const VnetHdr& h, std::size_t frame_len);

}  // namespace synack::link
