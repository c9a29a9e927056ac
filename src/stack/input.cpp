// Stack input: Ethernet demux, ARP (RFC 826), IPv4 acceptance (RFC 1122 §3.2.1),
// ICMP (RFC 792), UDP demux (RFC 768) and the hand-off of TCP segments.
#include <algorithm>
#include <vector>

#include "synack/base/checksum.hpp"

#include "synack/stack/stack.hpp"
#include "synack/wire/arp.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/icmp.hpp"
#include "synack/wire/tcp.hpp"
#include "synack/wire/udp.hpp"

namespace synack::stack {

void Stack::on_frame(IfaceId iface_id, Bytes frame, RxMeta meta, Instant now) {
  open_ack_batch(now);
  on_frame_unflushed(iface_id, frame, meta, now);
  flush_tcp(now);
}

void Stack::on_frames(IfaceId iface_id, std::span<const Bytes> frames, std::span<const RxMeta> meta,
                      Instant now) {
  ++stats_.rx_batches;
  open_ack_batch(now);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    on_frame_unflushed(iface_id, frames[i], i < meta.size() ? meta[i] : RxMeta{}, now);
    // Data segments (which carry the current ACK) and other output may leave as they
    // come; only pure ACKs wait, until pop_frame.
    drain_tcp(now);
  }
  flush_tcp(now);
}

void Stack::open_ack_batch(Instant now) {
  // What the previous frame (or batch) owes is settled first: frames handed over one
  // at a time are acknowledged as such (an ACK per two full-sized segments, SHLD-19);
  // only the latest call's pure ACK waits for pop_frame.
  close_ack_batch();
  tcp_.begin_batch();
  acks_owed_ = now;
}

void Stack::close_ack_batch() {
  if (!acks_owed_) return;
  const Instant at = *acks_owed_;
  acks_owed_.reset();
  tcp_.end_batch(at);
  flush_tcp(at);
}

void Stack::on_frame_unflushed(IfaceId iface_id, Bytes frame, RxMeta meta, Instant now) {
  ++stats_.eth_rx_frames;
  const Interface* iface = interface(iface_id);
  if (!iface) {
    ++stats_.eth_rx_bad_iface;
    return;
  }
  auto eth = wire::EthernetRepr::parse(frame);
  if (!eth) {
    ++stats_.eth_rx_malformed;
    return;
  }
  // IPv6 multicast (33:33:...) is taken on an interface with IPv6; on_ipv6 checks the
  // destination against the groups joined.
  const bool v6_multicast = eth->dst.is_multicast() && !eth->dst.is_broadcast() &&
                            eth->ethertype == static_cast<std::uint16_t>(wire::EtherType::Ipv6) &&
                            ipv6_enabled(iface_id);
  if (eth->dst != iface->mac && !eth->dst.is_broadcast() && !v6_multicast) {
    ++stats_.eth_rx_not_for_us;
    return;
  }
  switch (static_cast<wire::EtherType>(eth->ethertype)) {
    case wire::EtherType::Arp:
      on_arp(*iface, eth->payload, now);
      break;
    case wire::EtherType::Ipv4:
      on_ipv4(*iface, eth->payload, eth->dst.is_broadcast(), meta, now);
      break;
    case wire::EtherType::Ipv6:
      if (!v6_[iface_id.value].enabled) {
        ++stats_.eth_rx_unknown_type;  // as before IPv6 existed: nothing changes when off
        break;
      }
      if (v6_[iface_id.value].disabled) {
        ++stats_.ipv6_rx_disabled;  // RFC 4862 §5.4.5: duplicate link-local address
        break;
      }
      if (meta.gso_size != 0) ++stats_.rx_super_frames;  // as on_ipv4 counts them
      on_ipv6(*iface, eth->payload, eth->dst.is_multicast(), meta, now);
      break;
    default:
      ++stats_.eth_rx_unknown_type;
      break;
  }
}

// --- ARP ---------------------------------------------------------------------

void Stack::on_arp(const Interface& iface, Bytes packet, Instant now) {
  ++stats_.arp_rx;
  auto parsed = wire::ArpRepr::parse(packet);
  if (!parsed || parsed->sender_mac.is_multicast() || parsed->sender_ip.is_broadcast() ||
      parsed->sender_ip.is_multicast()) {
    ++stats_.arp_rx_malformed;
    return;
  }
  const wire::ArpRepr& arp = *parsed;
  if (arp.op == wire::ArpOp::Reply) ++stats_.arp_rx_replies;
  // A probe (RFC 5227 §2.1.1) has sender 0.0.0.0: answer it but learn nothing.
  bool can_learn = !arp.sender_ip.is_unspecified() && arp.sender_ip != iface.cidr.addr;
  NeighborKey key{iface.id, arp.sender_ip};
  std::vector<ByteVec> released;
  // RFC 826: "If the pair <protocol type, sender protocol address> is already in my
  // translation table, update the sender hardware address field ... Merge_flag := true".
  bool merged = can_learn && neighbors_.update(key, arp.sender_mac, now, released);
  // RFC 826: "?Am I the target protocol address?"
  if (arp.target_ip != iface.cidr.addr) {
    if (!merged) ++stats_.arp_rx_ignored;
    release(iface.id, arp.sender_mac, released);
    return;
  }
  // "If Merge_flag is false, add the triplet ... to the translation table."
  if (!merged && can_learn) neighbors_.insert(key, arp.sender_mac, now, released);
  release(iface.id, arp.sender_mac, released);
  if (arp.op == wire::ArpOp::Request) {
    // "Swap hardware and protocol fields, putting the local hardware and protocol
    // addresses in the sender fields. Set the ar$op field to ares_op$REPLY."
    ++stats_.arp_rx_requests_for_us;
    ++stats_.arp_tx_replies;
    send_arp(iface, static_cast<std::uint16_t>(wire::ArpOp::Reply), arp.sender_mac, arp.sender_mac,
             arp.sender_ip);
  }
}

// --- IPv4 ----------------------------------------------------------------------

// The strong end-system model (RFC 1122 §3.3.4.2): a unicast packet is ours only if
// it is addressed to the interface it arrived on.
Stack::Dst Stack::classify_dst(const Interface& iface, wire::Ipv4Addr dst) const {
  if (dst == iface.cidr.addr) return Dst::Unicast;
  if (dst.is_broadcast()) return Dst::Broadcast;
  if (iface.cidr.prefix_len < 31 && dst == iface.cidr.subnet_broadcast()) return Dst::Broadcast;
  return Dst::NotForUs;
}

wire::ChecksumCheck Stack::checksum_check(RxMeta meta) {
  switch (meta.checksum) {
    case RxChecksum::Verified:
      ++stats_.rx_csum_verified_by_link;
      return wire::ChecksumCheck::Skip;
    case RxChecksum::Partial:
      ++stats_.rx_csum_partial;
      return wire::ChecksumCheck::Skip;
    case RxChecksum::Unverified:
      break;
  }
  return wire::ChecksumCheck::Verify;
}

// The IPv4 header checksum is always verified: links compute it in full (virtio
// offloads only the transport checksum) and it costs one 20-byte sum. A GSO/GRO
// super-frame is an IPv4 packet larger than the interface MTU: nothing here compares
// a received packet with the MTU (it bounds what we send), so it is taken whole.
void Stack::on_ipv4(const Interface& iface, Bytes packet, bool link_broadcast, RxMeta meta,
                    Instant now) {
  ++stats_.ip_rx;
  if (meta.gso_size != 0) ++stats_.rx_super_frames;
  auto parsed = wire::Ipv4Repr::parse(packet);
  if (!parsed) {
    switch (parsed.error()) {
      case wire::WireError::Truncated:
        ++stats_.ip_rx_truncated;
        break;
      case wire::WireError::BadChecksum:
        ++stats_.ip_rx_bad_checksum;
        break;
      default:
        ++stats_.ip_rx_bad_header;
        break;
    }
    return;
  }
  const wire::Ipv4Repr& ip = *parsed;
  // RFC 1122 §3.2.1.3: "A host MUST silently discard an incoming datagram containing
  // an IP source address that is invalid by the rules of this section."
  if (ip.src.is_broadcast() || ip.src.is_multicast() ||
      classify_dst(iface, ip.src) == Dst::Broadcast) {
    ++stats_.ip_rx_bad_src;
    return;
  }
  Dst dst = classify_dst(iface, ip.dst);
  if (dst == Dst::NotForUs) {
    // RFC 1122 §3.3.4.2: we are a host, not a router; never forward.
    ++stats_.ip_rx_not_for_us;
    return;
  }
  Bytes whole = packet.first(ip.header_len + ip.payload.size());  // without link padding
  if (ip.is_fragment()) {
    on_ipv4_fragment(ip, whole, dst, link_broadcast, now);
    return;
  }
  deliver_ipv4(ip, whole, dst, link_broadcast, meta, now);
}

// RFC 791 §3.2 / RFC 815: fragments wait in the reassembler (bounded, reassembly.hpp);
// the whole datagram then takes the path of an unfragmented one, with the first
// fragment's header. Its transport checksum is always verified here: what the link said
// about each fragment does not vouch for the datagram.
void Stack::on_ipv4_fragment(const wire::Ipv4Repr& ip, Bytes packet, Dst dst, bool link_broadcast,
                             Instant now) {
  ++stats_.ip_rx_fragments;
  FragmentIn f;
  f.key = FragmentKey::ipv4(ip.src, ip.dst, ip.protocol, ip.ident);
  f.offset = std::size_t{ip.fragment_offset} * 8;
  f.more = ip.more_fragments;
  f.header = packet.first(ip.header_len);
  f.data = ip.payload;
  FragOutcome r = reasm_.add(f, now);
  stats_.ip_reasm_evicted += r.evicted;
  switch (r.verdict) {
    case FragVerdict::Queued:
      return;
    case FragVerdict::Duplicate:
      ++stats_.ip_reasm_duplicates;
      return;
    case FragVerdict::Overlap:
      ++stats_.ip_reasm_overlaps;
      return;
    case FragVerdict::Refused:
      ++stats_.ip_reasm_refused;
      return;
    case FragVerdict::NoRoom:
      ++stats_.ip_reasm_dropped_caps;
      return;
    case FragVerdict::TooManyFragments:
      ++stats_.ip_reasm_evicted;
      return;
    case FragVerdict::Complete:
      break;
  }
  // The first fragment's header, now for the whole packet: its length, no MF, offset 0.
  // Each fragment was checked against 65535 with its own header; the first one's
  // options may make the whole longer still.
  ByteVec& p = r.packet;
  if (p.size() > kMaxIpv4Packet) {
    ++stats_.ip_reasm_refused;
    return;
  }
  MutBytes header = MutBytes(p).first(r.header_len);
  store_be16(header, 2, static_cast<std::uint16_t>(p.size()));
  store_be16(header, 6, static_cast<std::uint16_t>(load_be16(header, 6) & 0x4000));
  store_be16(header, 10, 0);
  store_be16(header, 10, internet_checksum(header));
  auto whole = wire::Ipv4Repr::parse(p);
  if (!whole) {
    ++stats_.ip_reasm_refused;
    return;
  }
  ++stats_.ip_reasm_ok;
  deliver_ipv4(*whole, p, dst, link_broadcast, RxMeta{}, now);
}

void Stack::deliver_ipv4(const wire::Ipv4Repr& ip, Bytes whole, Dst dst, bool link_broadcast,
                         RxMeta meta, Instant now) {
  bool broadcast = dst == Dst::Broadcast;
  if (broadcast && ip.protocol != static_cast<std::uint8_t>(wire::IpProto::Udp)) {
    // RFC 1122 §3.2.2.6: an echo request to a broadcast address MAY be discarded;
    // TCP MUST ignore broadcast segments (RFC 9293 MUST-57).
    ++stats_.ip_rx_broadcast_dropped;
    return;
  }
  // RFC 1122 §3.2.2: no ICMP error about "a datagram sent as a link-layer broadcast".
  bool no_errors = broadcast || link_broadcast;
  switch (static_cast<wire::IpProto>(ip.protocol)) {
    case wire::IpProto::Icmp:
      on_icmp(ip, now);
      break;
    case wire::IpProto::Udp:
      on_udp(ip, whole, no_errors, meta, now);
      break;
    case wire::IpProto::Tcp:
      on_tcp(ip, meta, now);
      break;
    default:
      ++stats_.ip_rx_unknown_protocol;
      // RFC 1122 §3.2.2.1: a host SHOULD generate Protocol Unreachable.
      if (config_.icmp_protocol_unreachable && !no_errors &&
          send_icmp_error(ip, whole, static_cast<std::uint8_t>(wire::IcmpType::DestUnreachable),
                          static_cast<std::uint8_t>(wire::UnreachCode::Protocol), now)) {
        ++stats_.icmp_tx_proto_unreachable;
      }
      break;
  }
}

// --- ICMP ----------------------------------------------------------------------

void Stack::on_icmp(const wire::Ipv4Repr& ip, Instant now) {
  ++stats_.icmp_rx;
  auto parsed = wire::IcmpRepr::parse(ip.payload);
  if (!parsed) {
    // RFC 1122 §3.2.2: "If an ICMP message of unknown type is received, it MUST be
    // silently discarded." (the parser reports those as Unsupported).
    if (parsed.error() == wire::WireError::Unsupported) {
      ++stats_.icmp_rx_other;
    } else {
      ++stats_.icmp_rx_malformed;
    }
    return;
  }
  const wire::IcmpRepr& icmp = *parsed;
  switch (static_cast<wire::IcmpType>(icmp.type)) {
    case wire::IcmpType::EchoRequest: {
      ++stats_.icmp_rx_echo_requests;
      // RFC 792: "the source and destination addresses are simply reversed, the
      // type code changed to 0, and the checksum recomputed"; data returned as is.
      wire::IcmpRepr reply = icmp;
      reply.type = static_cast<std::uint8_t>(wire::IcmpType::EchoReply);
      reply.code = 0;
      auto out = prepare(ip.dst, ip.src, reply.total_len(), /*may_fragment=*/true);
      if (!out) return;
      reply.emit(out->transport());
      ++stats_.icmp_tx_echo_replies;
      send_ip(std::move(out.value()), static_cast<std::uint8_t>(wire::IpProto::Icmp), now);
      return;
    }
    case wire::IcmpType::EchoReply:
      ++stats_.icmp_rx_echo_replies;
      push_event(
          PingReply{ip.src, icmp.ident, icmp.seq_no, ByteVec(icmp.data.begin(), icmp.data.end())});
      return;
    case wire::IcmpType::DestUnreachable:
    case wire::IcmpType::SourceQuench:
    case wire::IcmpType::TimeExceeded:
    case wire::IcmpType::ParameterProblem:
      ++stats_.icmp_rx_errors;
      on_icmp_error(ip.src, icmp.type, icmp.code, icmp.next_hop_mtu, icmp.data, now);
      return;
  }
  ++stats_.icmp_rx_other;  // a type the parser knows but we do not handle
}

// The quoted datagram is truncated by design (header + at least 8 bytes), so it
// is read field by field rather than with Ipv4Repr::parse, which wants it whole.
void Stack::on_icmp_error(const wire::IpAddr& reporter, std::uint8_t type, std::uint8_t code,
                          std::uint16_t mtu, Bytes quoted, Instant now) {
  constexpr std::size_t kQuotedTransport = 8;  // RFC 792: the first 64 bits of data
  std::size_t ihl = quoted.empty() ? 0 : (load_u8(quoted, 0) & 0x0f) * 4u;
  if (quoted.size() < wire::Ipv4Repr::kMinHeaderLen || (load_u8(quoted, 0) >> 4) != 4 ||
      ihl < wire::Ipv4Repr::kMinHeaderLen) {
    ++stats_.icmp_rx_errors_ignored;
    return;
  }
  if (quoted.size() < ihl + kQuotedTransport) {
    ++stats_.icmp_rx_errors_truncated;
    return;
  }
  std::uint8_t protocol = load_u8(quoted, 9);
  auto src = wire::Ipv4Addr::load(quoted, 12);
  auto dst = wire::Ipv4Addr::load(quoted, 16);
  // It must quote something we sent, from its first fragment (the transport header).
  constexpr std::uint16_t kOffsetMask = 0x1fff;
  if (!is_local_address(src) || (load_be16(quoted, 6) & kOffsetMask) != 0) {
    ++stats_.icmp_rx_errors_ignored;
    return;
  }
  icmp_error_to_transport(reporter, type, code, mtu, protocol, src, dst, quoted.subspan(ihl), now);
}

void Stack::icmp_error_to_transport(const wire::IpAddr& reporter, std::uint8_t type,
                                    std::uint8_t code, std::uint32_t mtu, std::uint8_t protocol,
                                    const wire::IpAddr& local, const wire::IpAddr& remote, Bytes l4,
                                    Instant now) {
  constexpr std::size_t kQuotedTransport = 8;  // ports, and TCP's sequence number
  if (l4.size() < kQuotedTransport) {
    ++stats_.icmp_rx_errors_truncated;
    return;
  }
  const std::uint16_t local_port = load_be16(l4, 0);
  const std::uint16_t remote_port = load_be16(l4, 2);
  if (protocol == static_cast<std::uint8_t>(wire::IpProto::Tcp)) {
    tcp::IcmpErrorIn err;
    err.type = type;
    err.code = code;
    err.next_hop_mtu = static_cast<std::uint16_t>(std::min<std::uint32_t>(mtu, 0xffff));
    err.local = tcp::Endpoint{local, local_port};
    err.remote = tcp::Endpoint{remote, remote_port};
    err.quoted_seq = SeqNum(load_be32(l4, 4));
    ++stats_.icmp_rx_errors_tcp;
    tcp_.on_icmp_error(err, now);
    return;
  }
  // RFC 6633 §1: Source Quench is deprecated; a host MUST silently discard it.
  if (protocol != static_cast<std::uint8_t>(wire::IpProto::Udp) ||
      type == static_cast<std::uint8_t>(wire::IcmpType::SourceQuench)) {
    ++stats_.icmp_rx_errors_ignored;
    return;
  }
  // A datagram we sent has a UDP length covering its header and a non-zero destination
  // port; the socket is the one a reply to it would reach: bound to (local, source port).
  const std::uint16_t udp_len = load_be16(l4, 4);
  const auto socket = udp_.lookup(local, local_port);
  if (udp_len < wire::UdpRepr::kHeaderLen || remote_port == 0 || remote.is_multicast()) {
    ++stats_.icmp_rx_errors_ignored;
    return;
  }
  if (!socket) {
    ++stats_.icmp_rx_errors_no_socket;
    return;
  }
  // RFC 1122 §4.1.3.3: "UDP MUST pass to the application layer all ICMP error messages
  // that it receives from the IP layer."
  UdpError e{*socket, remote, remote_port, tcp::icmp_error_kind(type, code), 0, reporter};
  if (e.error == tcp::ConnError::MessageTooLong) {
    e.mtu = mtu;
    // IPv6's Packet Too Big is already in the destination cache (on_icmpv6_error).
    if (remote.is_v4()) lower_path_mtu4(remote.v4(), mtu, now);
  }
  ++stats_.icmp_rx_errors_udp;
  udp_.set_error(e);
  push_event(std::move(e));
}

// --- UDP -----------------------------------------------------------------------

std::optional<wire::UdpRepr> Stack::parse_udp(Bytes datagram, const wire::PseudoHeader& ph,
                                              RxMeta meta) {
  auto parsed = wire::UdpRepr::parse(datagram, ph, checksum_check(meta));
  if (parsed) return *parsed;
  if (parsed.error() == wire::WireError::BadChecksum) {
    ++stats_.udp_rx_bad_checksum;
  } else {
    ++stats_.udp_rx_malformed;
  }
  return std::nullopt;
}

void Stack::on_udp(const wire::Ipv4Repr& ip, Bytes packet, bool no_errors, RxMeta meta,
                   Instant now) {
  ++stats_.udp_rx;
  auto parsed = parse_udp(ip.payload, wire::PseudoHeader{ip.src, ip.dst}, meta);
  if (!parsed) return;
  const wire::UdpRepr& udp = *parsed;
  // Demux by (destination address, destination port) only (RFC 768 has no
  // connections); the sender's address and port are just reported.
  auto socket = udp_.lookup(ip.dst, udp.dst_port);
  if (!socket) {
    ++stats_.udp_rx_no_socket;
    // RFC 1122 §4.1.3.1: "If a datagram arrives addressed to a UDP port for which
    // there is no pending LISTEN call, UDP SHOULD send an ICMP Port Unreachable";
    // never about a broadcast (§3.2.2).
    if (!no_errors &&
        send_icmp_error(ip, packet, static_cast<std::uint8_t>(wire::IcmpType::DestUnreachable),
                        static_cast<std::uint8_t>(wire::UnreachCode::Port), now)) {
      ++stats_.icmp_tx_port_unreachable;
    }
    return;
  }
  deliver_udp(*socket, UdpDatagram{ip.src, udp.src_port, ip.dst,
                                   ByteVec(udp.payload.begin(), udp.payload.end())});
}

void Stack::deliver_udp(UdpSocketId socket, UdpDatagram d) {
  switch (udp_.deliver(socket, std::move(d))) {
    case UdpTable::Delivered::BecameReadable:
      push_event(UdpReadable{socket});
      break;
    case UdpTable::Delivered::Queued:
      break;
    case UdpTable::Delivered::QueueFull:
      ++stats_.udp_rx_queue_full;
      break;
  }
}

// --- TCP -----------------------------------------------------------------------

void Stack::on_tcp(const wire::Ipv4Repr& ip, RxMeta meta, Instant now) {
  // A super-segment (GRO/GSO) is one segment here, however many MSS it holds: TCP
  // takes what fits in the window (§3.10.7.4 trims the rest) and acknowledges it.
  // Broadcasts were dropped in on_ipv4. RFC 3168 §6.1.3: the receiver sees CE.
  deliver_tcp(ip.payload, wire::PseudoHeader{ip.src, ip.dst}, ip.src, ip.dst, false,
              wire::ecn_of(ip.dscp_ecn), meta, now);
}

void Stack::deliver_tcp(Bytes segment, const wire::PseudoHeader& ph, const wire::IpAddr& src,
                        const wire::IpAddr& dst, bool dst_multicast, wire::Ecn ecn, RxMeta meta,
                        Instant now) {
  auto parsed = wire::TcpRepr::parse(segment, ph, checksum_check(meta));
  if (!parsed) {
    if (parsed.error() == wire::WireError::BadChecksum) {
      ++stats_.tcp_rx_bad_checksum;
    } else {
      ++stats_.tcp_rx_malformed;
    }
    return;
  }
  ++stats_.tcp_rx;
  tcp::SegmentIn in;
  in.src = src;
  in.dst = dst;
  in.seg = *parsed;
  in.dst_is_broadcast_or_multicast = dst_multicast;
  in.ecn = ecn;
  tcp_.on_segment(in, now);
}

}  // namespace synack::stack
