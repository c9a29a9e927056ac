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

/// A segment that arrived in an IPv4 or IPv6 packet addressed to this host (already
/// parsed and checksum-verified by the stack). `seg.payload` is valid only during the call.
struct SegmentIn {
  wire::IpAddr src;  ///< the packet's source
  wire::IpAddr dst;  ///< the packet's destination (one of ours)
  wire::TcpRepr seg;
  bool dst_is_broadcast_or_multicast = false;  ///< RFC 9293 MUST-57
  wire::Ecn ecn = wire::Ecn::NotEct;           ///< the IP header's ECN field (RFC 3168 §5)
};

/// An ICMP error quoting a TCP segment we sent (RFC 9293 §3.9.2.2). ICMPv6 errors
/// arrive translated to their ICMPv4 equivalents (Packet Too Big as type 3 code 4).
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
/// The same for a segment in an IPv6 packet (Ethernet 14, IPv6 40 bytes).
inline constexpr std::size_t kSegmentHeadroom6 = 14 + 40;
/// The headroom of a segment to `dst`.
inline std::size_t segment_headroom(const wire::IpAddr& dst) {
  return dst.is_v4() ? kSegmentHeadroom : kSegmentHeadroom6;
}
/// IP and TCP headers without options in front of a segment's payload: 40 bytes over
/// IPv4, 60 over IPv6 (MSS = MTU minus this, RFC 9293 §3.7.1, RFC 8200 §8.3).
inline std::uint16_t ip_tcp_headers(const wire::IpAddr& peer) {
  return peer.is_v4() ? 40 : 60;
}

/// A complete TCP segment (header, options, payload, checksum already computed) for
/// the stack to put in an IP packet from src to dst (both of one family).
struct OutSegment {
  wire::IpAddr src;  ///< our address
  wire::IpAddr dst;  ///< the peer's
  std::uint8_t ttl = 64;
  std::uint8_t dscp_ecn = 0;  ///< DSCP from SocketOptions::dscp, ECN bits from the Tcb
  /// The checksum field holds only the pseudo-header sum: the link (or the Stack, for
  /// an interface without checksum offload) finishes it (TcpConfig::tx_checksum_offload).
  bool checksum_partial = false;
  /// A super-segment (TSO, TcpConfig::tso_max): the link sends it as segments of this
  /// many payload bytes, each with a copy of the header (FIN/PSH on the last only, as
  /// Linux's tcp_gso_segment). 0: an ordinary segment.
  std::uint16_t gso_size = 0;
  ByteVec buffer;  ///< segment_headroom(dst) bytes, then the segment
  /// The segment (TCP header onwards).
  Bytes bytes() const { return Bytes(buffer).subspan(segment_headroom(dst)); }
};

/// The one place a segment is serialized (MUST-2: the checksum is computed by emit,
/// or, with `fill` PseudoHeaderOnly, by the link that offered to). With a pool, the
/// buffer comes from it (Stack::recycle gives sent frames back).
OutSegment build_segment(const wire::IpAddr& src, const wire::IpAddr& dst,
                         const wire::TcpRepr& repr, std::uint8_t ttl,
                         wire::ChecksumFill fill = wire::ChecksumFill::Complete,
                         BufferPool* pool = nullptr);
/// The same for data from a send buffer: `payload_len` bytes at `offset` in `from` are
/// copied once, straight into the segment (repr.payload is ignored).
OutSegment build_segment(const wire::IpAddr& src, const wire::IpAddr& dst, wire::TcpRepr repr,
                         const ByteRing& from, std::size_t offset, std::size_t payload_len,
                         std::uint8_t ttl, wire::ChecksumFill fill = wire::ChecksumFill::Complete,
                         BufferPool* pool = nullptr);

}  // namespace synack::tcp
