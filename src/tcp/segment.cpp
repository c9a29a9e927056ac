#include "synack/tcp/segment.hpp"

namespace synack::tcp {

namespace {
ByteVec new_buffer(std::size_t n, BufferPool* pool) {
  return pool ? pool->take(n) : ByteVec(n);
}
}  // namespace

OutSegment build_segment(const wire::IpAddr& src, const wire::IpAddr& dst,
                         const wire::TcpRepr& repr, std::uint8_t ttl, wire::ChecksumFill fill,
                         BufferPool* pool) {
  const std::size_t headroom = segment_headroom(dst);
  OutSegment out;
  out.src = src;
  out.dst = dst;
  out.ttl = ttl;
  out.checksum_partial = fill == wire::ChecksumFill::PseudoHeaderOnly;
  out.buffer = new_buffer(headroom + repr.total_len(), pool);
  const std::size_t n = repr.emit(MutBytes(out.buffer).subspan(headroom),
                                  wire::PseudoHeader::between(src, dst), fill);
  out.buffer.resize(headroom + n);
  return out;
}

OutSegment build_segment(const wire::IpAddr& src, const wire::IpAddr& dst, wire::TcpRepr repr,
                         const ByteRing& from, std::size_t offset, std::size_t payload_len,
                         std::uint8_t ttl, wire::ChecksumFill fill, BufferPool* pool) {
  repr.payload = {};
  const std::size_t header_len = repr.total_len();
  const std::size_t headroom = segment_headroom(dst);
  OutSegment out;
  out.src = src;
  out.dst = dst;
  out.ttl = ttl;
  out.checksum_partial = fill == wire::ChecksumFill::PseudoHeaderOnly;
  out.buffer = new_buffer(headroom + header_len + payload_len, pool);
  const MutBytes payload = MutBytes(out.buffer).subspan(headroom + header_len);
  // Already where emit would put it: emit writes the header in front.
  repr.payload = payload;
  const MutBytes segment = MutBytes(out.buffer).subspan(headroom);
  if (fill == wire::ChecksumFill::Complete) {
    // The payload summed as it is copied (one pass), the header added by emit.
    Checksum payload_sum;
    from.peek(offset, payload, payload_sum);
    repr.emit(segment, wire::PseudoHeader::between(src, dst), payload_sum);
  } else {
    from.peek(offset, payload);  // the link sums it (checksum offload)
    repr.emit(segment, wire::PseudoHeader::between(src, dst), fill);
  }
  return out;
}

}  // namespace synack::tcp
