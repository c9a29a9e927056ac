// Segments crossing the boundary between the TCP layer and the stack, and the one
// function that turns a wire::TcpRepr into bytes to transmit.
#pragma once

#include <cstdint>

#include "synack/base/buffer_pool.hpp"
#include "synack/base/bytes.hpp"
#include "synack/base/ring_buffer.hpp"
#include "synack/base/seqnum.hpp"
#include "synack/tcp/types.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::tcp {

/// A segment that arrived in an IPv4 packet addressed to this host (already parsed
/// and checksum-verified by the stack). `seg.payload` is valid only during the call.
struct SegmentIn {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  wire::TcpRepr seg;
  bool dst_is_broadcast_or_multicast = false;  ///< RFC 9293 MUST-57
  wire::Ecn ecn = wire::Ecn::NotEct;           ///< the IP header's ECN field (RFC 3168 §5)
};

/// An ICMP error quoting a TCP segment we sent (RFC 9293 §3.9.2.2).
struct IcmpErrorIn {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t next_hop_mtu = 0;
  Endpoint local;   ///< source of the quoted segment (us)
  Endpoint remote;  ///< its destination
  SeqNum quoted_seq;
};

/// Room in front of every outgoing segment for the headers below TCP (Ethernet 14,
/// IPv4 20 bytes): the stack writes them there and sends the buffer as the frame, so a
/// segment is never copied on its way out.
inline constexpr std::size_t kSegmentHeadroom = 14 + 20;

/// A complete TCP segment (header, options, payload, checksum already computed) for
/// the stack to put in an IPv4 packet from src to dst.
struct OutSegment {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  std::uint8_t ttl = 64;
  std::uint8_t dscp_ecn = 0;  ///< DSCP from SocketOptions::dscp, ECN bits from the Tcb
  /// The checksum field holds only the pseudo-header sum: the link (or the Stack, for
  /// an interface without checksum offload) finishes it (TcpConfig::tx_checksum_offload).
  bool checksum_partial = false;
  /// A super-segment (TSO, TcpConfig::tso_max): the link sends it as segments of this
  /// many payload bytes, each with a copy of the header (FIN/PSH on the last only, as
  /// Linux's tcp_gso_segment). 0: an ordinary segment.
  std::uint16_t gso_size = 0;
  ByteVec buffer;  ///< kSegmentHeadroom bytes, then the segment
  Bytes bytes() const { return Bytes(buffer).subspan(kSegmentHeadroom); }
};

/// The one place a segment is serialized (MUST-2: the checksum is computed by emit,
/// or, with `fill` PseudoHeaderOnly, by the link that offered to). With a pool, the
/// buffer comes from it (Stack::recycle gives sent frames back).
OutSegment build_segment(wire::Ipv4Addr src, wire::Ipv4Addr dst, const wire::TcpRepr& repr,
                         std::uint8_t ttl, wire::ChecksumFill fill = wire::ChecksumFill::Complete,
                         BufferPool* pool = nullptr);
/// The same for data from a send buffer: `payload_len` bytes at `offset` in `from` are
/// copied once, straight into the segment (repr.payload is ignored).
OutSegment build_segment(wire::Ipv4Addr src, wire::Ipv4Addr dst, wire::TcpRepr repr,
                         const ByteRing& from, std::size_t offset, std::size_t payload_len,
                         std::uint8_t ttl, wire::ChecksumFill fill = wire::ChecksumFill::Complete,
                         BufferPool* pool = nullptr);

}  // namespace synack::tcp
