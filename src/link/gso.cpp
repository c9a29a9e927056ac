#include "synack/link/gso.hpp"

#include <algorithm>

#include "synack/base/checksum.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::link {

namespace {

constexpr std::size_t kEth = wire::EthernetRepr::kHeaderLen;
constexpr std::size_t kIpv6Header = 40;

// The IP header of one piece whose IP packet is `ip_len` bytes long.
void fix_ip_header(MutBytes piece, bool v6, std::size_t ip_len, std::size_t index) {
  if (v6) {
    // RFC 8200 §3: the Payload Length counts what follows the 40-byte header.
    store_be16(piece, kEth + 4, static_cast<std::uint16_t>(ip_len - kIpv6Header));
    return;
  }
  const std::size_t ihl = static_cast<std::size_t>(load_u8(piece, kEth) & 0x0f) * 4;
  store_be16(piece, kEth + 2, static_cast<std::uint16_t>(ip_len));
  // As Linux's inet_gso_segment: the Identification counts up from the super-segment's.
  store_be16(piece, kEth + 4, static_cast<std::uint16_t>(load_be16(piece, kEth + 4) + index));
  store_be16(piece, kEth + 10, 0);
  store_be16(piece, kEth + 10, internet_checksum(Bytes(piece).subspan(kEth, ihl)));
}

}  // namespace

std::vector<ByteVec> segment_super_frame(Bytes frame, const stack::TxMeta& tx) {
  std::vector<ByteVec> out;
  const std::size_t hdr = tx.hdr_len;
  const std::size_t tcp_off = tx.csum_start;
  if (tx.gso_size == 0 || !tx.needs_checksum() || hdr <= tcp_off || hdr > frame.size() ||
      tcp_off < kEth + 20 || tx.csum_offset != wire::TcpRepr::kChecksumOffset) {
    return out;
  }
  const bool v6 = tx.gso_ipv6;
  const std::size_t payload = frame.size() - hdr;
  const std::uint16_t whole_tcp_len = static_cast<std::uint16_t>(frame.size() - tcp_off);
  const std::uint32_t seq = load_be32(frame, tcp_off + 4);
  const std::uint8_t flags = load_u8(frame, tcp_off + 13);
  const std::uint16_t partial = load_be16(frame, tcp_off + 16);
  const std::size_t n = std::max<std::size_t>((payload + tx.gso_size - 1) / tx.gso_size, 1);
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t off = i * tx.gso_size;
    const std::size_t len = std::min<std::size_t>(tx.gso_size, payload - off);
    ByteVec piece(hdr + len);
    std::copy_n(frame.begin(), hdr, piece.begin());
    std::copy_n(frame.begin() + static_cast<std::ptrdiff_t>(hdr + off), len,
                piece.begin() + static_cast<std::ptrdiff_t>(hdr));
    fix_ip_header(piece, v6, piece.size() - kEth, i);
    store_be32(piece, tcp_off + 4, static_cast<std::uint32_t>(seq + off));
    std::uint8_t f = flags;
    if (i + 1 < n) f &= static_cast<std::uint8_t>(~(wire::TcpFlags::kFin | wire::TcpFlags::kPsh));
    if (i > 0) f &= static_cast<std::uint8_t>(~wire::TcpFlags::kCwr);
    store_u8(piece, tcp_off + 13, f);
    // The pseudo-header sum with the whole length becomes the piece's (one's-complement
    // subtraction: add the complement), then the link's part: the sum over the segment.
    const auto piece_tcp_len = static_cast<std::uint16_t>(piece.size() - tcp_off);
    Checksum c;
    c.add_u16(partial).add_u16(static_cast<std::uint16_t>(~whole_tcp_len)).add_u16(piece_tcp_len);
    store_be16(piece, tcp_off + 16, c.sum16());
    wire::finish_partial_checksum(piece, tx.csum_start, tx.csum_offset);
    out.push_back(std::move(piece));
  }
  return out;
}

}  // namespace synack::link
