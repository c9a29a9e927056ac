#include "synack/wire/tcp.hpp"

#include <cassert>

#include "detail.hpp"

namespace synack::wire {

std::string TcpFlags::to_string() const {
  // tcpdump's tcp_flag_values order: F S R P . U E W ("." is ACK); "none" when empty.
  static constexpr struct {
    std::uint8_t bit;
    char c;
  } kOrder[] = {{kFin, 'F'}, {kSyn, 'S'}, {kRst, 'R'}, {kPsh, 'P'},
                {kAck, '.'}, {kUrg, 'U'}, {kEce, 'E'}, {kCwr, 'W'}};
  std::string s;
  for (const auto& f : kOrder) {
    if (bits & f.bit) s += f.c;
  }
  return s.empty() ? "none" : s;
}

Result<TcpRepr, WireError> TcpRepr::parse(Bytes segment, PseudoHeader ph, ChecksumCheck check) {
  if (segment.size() < kMinHeaderLen) return Err{WireError::Truncated};
  std::size_t header_len = std::size_t{load_u8(segment, 12)} / 16 * 4;
  if (header_len < kMinHeaderLen || header_len > segment.size()) {
    return Err{WireError::BadDataOffset};
  }
  if (check == ChecksumCheck::Verify &&
      detail::transport_sum(ph, IpProto::Tcp, segment).finish() != 0) {
    return Err{WireError::BadChecksum};
  }
  auto options = parse_tcp_options(segment.subspan(kMinHeaderLen, header_len - kMinHeaderLen));
  if (!options) return Err{options.error()};

  TcpRepr r;
  r.src_port = load_be16(segment, 0);
  r.dst_port = load_be16(segment, 2);
  r.seq = SeqNum(load_be32(segment, 4));
  r.ack = SeqNum(load_be32(segment, 8));
  r.flags.bits = load_u8(segment, 13);
  r.window = load_be16(segment, 14);
  r.urgent = load_be16(segment, 18);
  r.options = options.value();
  r.payload = segment.subspan(header_len);
  return r;
}

namespace {
// Everything but the checksum field's value: the header and options in front of the
// payload (moved into place if it is not there yet). Returns the header's length.
std::size_t emit_header(const TcpRepr& r, MutBytes out) {
  const std::size_t hlen = r.header_len();
  assert(out.size() >= hlen + r.payload.size() && hlen + r.payload.size() <= 0xffff);
  // Payload first: it may sit where the options go if the caller guessed a
  // different header length, and memmove must not clobber freshly written options.
  detail::place_payload(out, hlen, r.payload);
  store_be16(out, 0, r.src_port);
  store_be16(out, 2, r.dst_port);
  store_be32(out, 4, r.seq.raw());
  store_be32(out, 8, r.ack.raw());
  store_u8(out, 12, static_cast<std::uint8_t>((hlen / 4) << 4));
  store_u8(out, 13, r.flags.bits);
  store_be16(out, 14, r.window);
  store_be16(out, 16, 0);
  store_be16(out, 18, r.urgent);
  emit_tcp_options(r.options, out.subspan(TcpRepr::kMinHeaderLen, hlen - TcpRepr::kMinHeaderLen));
  return hlen;
}
}  // namespace

std::size_t TcpRepr::emit(MutBytes out, PseudoHeader ph, ChecksumFill fill) const {
  const std::size_t total = emit_header(*this, out) + payload.size();
  if (fill == ChecksumFill::PseudoHeaderOnly) {
    // The link sums from the TCP header to the end on top of this and stores the
    // complement (virtio_net_hdr csum_start/csum_offset): the pseudo-header with the
    // whole segment's length, as Linux's __tcp_v4_send_check leaves it. A TSO link
    // rewrites it per segment from this value.
    store_be16(out, kChecksumOffset, detail::pseudo_header_sum(ph, IpProto::Tcp, total).sum16());
  } else {
    std::uint16_t sum = detail::transport_sum(ph, IpProto::Tcp, Bytes(out.first(total))).finish();
    store_be16(out, kChecksumOffset, sum);
  }
  return total;
}

std::size_t TcpRepr::emit(MutBytes out, PseudoHeader ph, const Checksum& payload_sum) const {
  const std::size_t hlen = emit_header(*this, out);
  const std::size_t total = hlen + payload.size();
  // The header is a multiple of 4 bytes long: the payload's sum follows it as is.
  Checksum c = detail::pseudo_header_sum(ph, IpProto::Tcp, total);
  c.add(Bytes(out.first(hlen))).add(payload_sum);
  store_be16(out, kChecksumOffset, c.finish());
  return total;
}

}  // namespace synack::wire
