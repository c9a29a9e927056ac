// The TCP layer as the Stack sees it: segments in, segments out, timers, events.
// It owns every connection and listener and demultiplexes by 4-tuple. It knows
// nothing about Ethernet, ARP or interfaces: the Stack wraps its output in IPv4.
//
// CONTRACT with the stack layer (keep these signatures; add freely):
//   TcpProtocol(const TcpConfig&, Random&)
//   void on_segment(const SegmentIn&, Instant now)
//   void on_icmp_error(const IcmpErrorIn&, Instant now)
//   void on_timer(Instant now)
//   std::optional<Instant> next_deadline() const
//   std::optional<OutSegment> pop_segment()
#pragma once

#include <cstdint>
#include <optional>

#include "synack/base/bytes.hpp"
#include "synack/base/random.hpp"
#include "synack/base/time.hpp"
#include "synack/wire/addr.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::tcp {

struct Endpoint {
  wire::Ipv4Addr addr;
  std::uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};

// A segment that arrived in an IPv4 packet addressed to this host (already parsed
// and checksum-verified by the stack). `seg.payload` is valid only during the call.
struct SegmentIn {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  wire::TcpRepr seg;
  bool dst_is_broadcast_or_multicast = false;  // RFC 9293 MUST-57
};

// An ICMP error quoting a TCP segment we sent (RFC 9293 §3.9.2.2).
struct IcmpErrorIn {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t next_hop_mtu = 0;
  Endpoint local;   // source of the quoted segment (us)
  Endpoint remote;  // its destination
  SeqNum quoted_seq;
};

// A complete TCP segment (header, options, payload, checksum already computed) for
// the stack to put in an IPv4 packet from src to dst.
struct OutSegment {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  std::uint8_t ttl = 64;
  std::uint8_t dscp_ecn = 0;
  ByteVec bytes;
};

struct TcpConfig {
  std::uint16_t mtu = 1500;
};

// Owns every listener and connection (see CONTRACT above).
class TcpProtocol {
 public:
  TcpProtocol(const TcpConfig& config, Random& random);
  ~TcpProtocol();
  TcpProtocol(const TcpProtocol&) = delete;
  TcpProtocol& operator=(const TcpProtocol&) = delete;

  void on_segment(const SegmentIn& in, Instant now);
  void on_icmp_error(const IcmpErrorIn& err, Instant now);
  void on_timer(Instant now);
  std::optional<Instant> next_deadline() const;
  std::optional<OutSegment> pop_segment();

 private:
  TcpConfig config_;
  Random& random_;
};

}  // namespace synack::tcp
