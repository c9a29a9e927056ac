#include "synack/tcp/segment.hpp"

namespace synack::tcp {

OutSegment build_segment(wire::Ipv4Addr src, wire::Ipv4Addr dst, const wire::TcpRepr& repr,
                         std::uint8_t ttl) {
  OutSegment out;
  out.src = src;
  out.dst = dst;
  out.ttl = ttl;
  out.bytes.resize(repr.total_len());
  const std::size_t n = repr.emit(out.bytes, wire::PseudoHeader{src, dst});
  out.bytes.resize(n);
  return out;
}

}  // namespace synack::tcp
