// Stack: configuration, routing, the sans-I/O entry points and all output paths.
// Input processing is in input.cpp.
#include "synack/stack/stack.hpp"

#include <algorithm>

#include "synack/base/checksum.hpp"

#include "synack/wire/arp.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/icmp.hpp"
#include "synack/wire/tcp.hpp"
#include "synack/wire/udp.hpp"

namespace synack::stack {

std::string_view to_string(SendError e) {
  switch (e) {
    case SendError::NoRoute:
      return "no route";
    case SendError::MessageTooLong:
      return "message too long";
    case SendError::BadSocket:
      return "bad socket";
    case SendError::InvalidDestination:
      return "invalid destination";
  }
  return "?";
}

std::string_view to_string(BindError e) {
  switch (e) {
    case BindError::AddrInUse:
      return "address in use";
    case BindError::AddrNotAvailable:
      return "address not available";
    case BindError::NoFreePort:
      return "no free port";
    case BindError::TooManySockets:
      return "too many sockets";
  }
  return "?";
}

Stack::Stack(const StackConfig& config, Random& random)
    : config_(config),
      random_(random),
      neighbors_(config.neighbor),
      udp_(config.udp_max_sockets, config.udp_rx_queue_datagrams),
      tcp_(config.tcp, random),
      next_ident_(config.first_ip_ident ? *config.first_ip_ident
                                        : static_cast<std::uint16_t>(random.next_u32())),
      icmp_tokens_(config.icmp_error_burst),
      reasm_(config.reassembly),
      ndp_(config.ipv6),
      icmp6_tokens_(config.ipv6.icmp_error_burst) {
  // A new connection starts from its route's MTU: over IPv6 the interface's (which a
  // router advertisement may lower) and any Packet Too Big cached for the destination.
  tcp_.set_route_mtu([this](const wire::IpAddr& remote) -> std::uint16_t {
    std::size_t mtu = 0xffff;
    if (remote.is_v6()) {
      if (auto r = route6(remote.v6())) mtu = r->mtu;
    } else if (auto r = route(remote.v4())) {
      mtu = ifaces_[r->iface.value].mtu;
    }
    return static_cast<std::uint16_t>(std::min<std::size_t>(mtu, 0xffff));
  });
}

IfaceId Stack::add_interface(wire::MacAddr mac, wire::Ipv4Cidr cidr, std::size_t mtu,
                             LinkOffloads offloads) {
  IfaceId id{static_cast<std::uint32_t>(ifaces_.size())};
  ifaces_.push_back(Interface{id, mac, cidr, mtu, offloads});
  v6_.emplace_back();
  // TCP builds its segments before the route picks an interface, so it leaves the
  // checksum to the link only if every interface can take that (TcpConfig has one MTU
  // for the same reason). A partial checksum that meets no offload anyway (loopback,
  // the ARP queue) is finished in transmit().
  // Likewise TSO, up to the smallest limit among them.
  bool checksum = true;
  std::uint32_t tso = ~std::uint32_t{0};
  std::uint32_t tso6 = ~std::uint32_t{0};
  for (const Interface& i : ifaces_) {
    checksum = checksum && i.offloads.tx_checksum;
    tso = std::min(tso, i.offloads.tso_max);
    tso6 = std::min(tso6, i.offloads.tso6_max);
  }
  tcp_.set_tx_offloads(checksum, tso, tso6);
  // The interface has no clock of its own here: its DAD and RS timers are due at once
  // and run at the first on_timer.
  if (config_.ipv6.enabled) enable_ipv6(id, std::nullopt, true, Instant{});
  return id;
}

const Interface* Stack::interface(IfaceId id) const {
  return id.value < ifaces_.size() ? &ifaces_[id.value] : nullptr;
}

bool Stack::is_local_address(wire::Ipv4Addr a) const {
  return std::any_of(ifaces_.begin(), ifaces_.end(),
                     [a](const Interface& i) { return i.cidr.addr == a; });
}

bool Stack::is_local_address(const wire::IpAddr& a) const {
  return a.is_v4() ? is_local_address(a.v4()) : is_local_address6(a.v6());
}

Result<wire::IpAddr, SendError> Stack::source_address(const wire::IpAddr& remote) const {
  if (!remote.is_v4()) {
    // RFC 6724's choice (route6).
    auto r6 = route6(remote.v6());
    if (!r6) return Err{SendError::NoRoute};
    return wire::IpAddr(r6->src);
  }
  auto r = route(remote.v4());
  if (!r) return Err{SendError::NoRoute};
  if (r->link_broadcast) return Err{SendError::InvalidDestination};  // a subnet broadcast
  return wire::IpAddr(r->src);
}

std::optional<Route> Stack::route(wire::Ipv4Addr dst, wire::Ipv4Addr src_hint) const {
  if (dst.is_unspecified() || dst.is_multicast() || ifaces_.empty()) return std::nullopt;
  if (dst.is_broadcast()) {
    // The limited broadcast goes out of the interface owning the source, else the first.
    const Interface* out = &ifaces_.front();
    for (const auto& i : ifaces_) {
      if (i.cidr.addr == src_hint) out = &i;
    }
    return Route{out->id, dst, out->cidr.addr, true};
  }
  const Interface* best = nullptr;
  for (const auto& i : ifaces_) {
    if (i.cidr.contains(dst) && (!best || i.cidr.prefix_len > best->cidr.prefix_len)) best = &i;
  }
  if (best) {
    bool bcast = best->cidr.prefix_len < 31 && dst == best->cidr.subnet_broadcast();
    return Route{best->id, dst, best->cidr.addr, bcast};
  }
  if (!gateway_) return std::nullopt;
  for (const auto& i : ifaces_) {
    if (i.cidr.contains(*gateway_)) return Route{i.id, *gateway_, i.cidr.addr, false};
  }
  return std::nullopt;
}

// --- sans-I/O entry points ---------------------------------------------------

void Stack::on_timer(Instant now) {
  close_ack_batch();  // what the frames before this moment owe goes first
  auto result = neighbors_.on_timer(now);
  for (const auto& key : result.resend) send_arp_request(key);
  stats_.arp_resolution_failed += result.gave_up;
  stats_.arp_drop_unresolved += result.dropped_frames;
  tcp_.on_timer(now);
  expire_fragments(now);
  std::erase_if(pmtu4_, [now](const auto& p) { return now >= p.second.expires; });
  ipv6_timers(now);
  flush_tcp(now);
}

std::optional<Frame> Stack::pop_frame() {
  close_ack_batch();
  if (frames_out_.empty()) return std::nullopt;
  Frame f = std::move(frames_out_.front());
  frames_out_.pop_front();
  return f;
}

std::optional<Instant> Stack::next_deadline() const {
  std::optional<Instant> next;
  for (auto d : {neighbors_.next_deadline(), tcp_.next_deadline(), reasm_.next_deadline(),
                 ndp_.next_deadline(), ipv6_deadline()}) {
    if (d && (!next || *d < *next)) next = d;
  }
  for (const auto& [dst, p] : pmtu4_) {
    if (!next || p.expires < *next) next = p.expires;
  }
  return next;
}

std::optional<Event> Stack::pop_event() {
  std::optional<Event> e;
  if (events_.empty()) return e;
  e.emplace(std::move(events_.front()));
  events_.pop_front();
  return e;
}

void Stack::push_event(Event e) {
  if (events_.size() >= config_.max_events) {
    ++stats_.events_dropped;
    return;
  }
  events_.push_back(std::move(e));
}

// --- IPv4 output -------------------------------------------------------------

std::optional<std::size_t> Stack::path_mtu(wire::Ipv4Addr dst) const {
  auto it = pmtu4_.find(dst);
  if (it == pmtu4_.end()) return std::nullopt;
  return it->second.mtu;
}

void Stack::lower_path_mtu4(wire::Ipv4Addr dst, std::uint32_t mtu, Instant now) {
  // RFC 1191 §3: "A host MUST never reduce its estimate of the Path MTU below 68
  // octets" (a smaller next-hop MTU, e.g. the 0 of an RFC 792 router, is no estimate),
  // and the estimate is never raised by an error.
  if (mtu < kMinIpv4Mtu || config_.max_path_mtus == 0) return;
  const std::size_t pmtu = std::max<std::size_t>(mtu, kMinIpv4Pmtu);
  auto r = route(dst);
  if (!r) return;
  std::size_t current = ifaces_[r->iface.value].mtu;
  if (auto p = path_mtu(dst)) current = std::min(current, *p);
  if (pmtu >= current) return;
  if (pmtu4_.size() >= config_.max_path_mtus && !pmtu4_.count(dst)) {
    // Bounded: the entry closest to expiry makes room.
    pmtu4_.erase(std::min_element(pmtu4_.begin(), pmtu4_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    }));
  }
  pmtu4_[dst] = Pmtu4{pmtu, now + config_.pmtu_expiry};
  ++stats_.ip_pmtu_updates;
}

Result<Stack::Outgoing, SendError> Stack::prepare(wire::Ipv4Addr src, wire::Ipv4Addr dst,
                                                  std::size_t transport_len, bool may_fragment) {
  return prepare(src, dst, ByteVec(kTransportOffset + transport_len), false, may_fragment);
}

Result<Stack::Outgoing, SendError> Stack::prepare(wire::Ipv4Addr src, wire::Ipv4Addr dst,
                                                  ByteVec frame, bool super, bool may_fragment) {
  auto r = route(dst, src);
  if (!r) {
    ++stats_.ip_tx_no_route;
    return Err{SendError::NoRoute};
  }
  const Interface& iface = ifaces_[r->iface.value];
  // What fits leaves with DF set (RFC 1191 path MTU discovery). A TSO super-segment
  // is bounded by what the link segments instead; its pieces fit the MTU. UDP and ICMP
  // echo may be fragmented (send_fragments) up to the IPv4 maximum, on a link whose MTU
  // holds the 68 bytes every IPv4 module must pass whole (RFC 791).
  const std::size_t len = frame.size() - kEthHeaderLen;
  if (len > (super ? iface.offloads.tso_max : iface.mtu) &&
      (!may_fragment || len > kMaxIpv4Packet || iface.mtu < kMinIpv4Mtu)) {
    ++stats_.ip_tx_too_long;
    return Err{SendError::MessageTooLong};
  }
  // A datagram we may fragment is cut to the path MTU when one is known (RFC 1191 §3:
  // a host "MUST use the PMTU as the largest datagram it sends"); TCP keeps its own
  // path MTU (its MSS) and always sends DF.
  std::size_t mtu = iface.mtu;
  if (may_fragment) {
    if (auto p = pmtu4_.find(dst); p != pmtu4_.end()) mtu = std::min(mtu, p->second.mtu);
  }
  return Outgoing{*r, src.is_unspecified() ? r->src : src, dst, std::move(frame), {}, mtu};
}

void Stack::send_ip(Outgoing out, std::uint8_t protocol, std::uint8_t ttl, std::uint8_t dscp_ecn,
                    Instant now) {
  // Only a packet prepare() let through with may_fragment is larger than the MTU (a
  // TSO super-segment is the link's to cut): TCP's path pays this one comparison.
  if (out.frame.size() - kEthHeaderLen > out.mtu && out.tx.gso_size == 0) {
    send_fragments(std::move(out), protocol, ttl, dscp_ecn, now);
    return;
  }
  wire::Ipv4Repr ip;
  ip.src = out.src;
  ip.dst = out.dst;
  ip.protocol = protocol;
  ip.ttl = ttl;
  ip.dscp_ecn = dscp_ecn;
  ip.ident = next_ident_++;
  ip.dont_fragment = true;
  ip.payload = Bytes(out.frame).subspan(kTransportOffset);
  ip.emit(MutBytes(out.frame).subspan(kEthHeaderLen));
  ++stats_.ip_tx;
  transmit(out.route, std::move(out.frame), out.tx, now);
}

void Stack::send_fragments(Outgoing out, std::uint8_t protocol, std::uint8_t ttl,
                           std::uint8_t dscp_ecn, Instant now) {
  // The transport checksum (UDP, ICMP) is complete: it covers the whole datagram.
  finish_in_software(out.frame, out.tx);
  const Bytes payload = Bytes(out.frame).subspan(kTransportOffset);
  // RFC 791 §3.2: every fragment but the last carries a multiple of 8 bytes.
  const std::size_t max_data = (out.mtu - kIpHeaderLen) & ~std::size_t{7};
  const std::uint16_t ident = next_ident_++;
  for (std::size_t off = 0; off < payload.size(); off += max_data) {
    const std::size_t n = std::min(max_data, payload.size() - off);
    const bool more = off + n < payload.size();
    ByteVec frame(kTransportOffset + n);
    std::copy_n(payload.begin() + static_cast<std::ptrdiff_t>(off), n,
                frame.begin() + static_cast<std::ptrdiff_t>(kTransportOffset));
    wire::Ipv4Repr ip;
    ip.src = out.src;
    ip.dst = out.dst;
    ip.protocol = protocol;
    ip.ttl = ttl;
    ip.dscp_ecn = dscp_ecn;
    ip.ident = ident;
    ip.dont_fragment = false;
    ip.more_fragments = more;
    ip.fragment_offset = static_cast<std::uint16_t>(off / 8);
    ip.payload = Bytes(frame).subspan(kTransportOffset);
    ip.emit(MutBytes(frame).subspan(kEthHeaderLen));
    ++stats_.ip_tx;
    ++stats_.ip_tx_fragments;
    transmit(out.route, std::move(frame), TxMeta{}, now);
  }
}

void Stack::expire_fragments(Instant now) {
  for (const ExpiredDatagram& e : reasm_.expire(now)) {
    if (e.key.family == IpFamily::Ipv6) {
      ++stats_.ipv6_reasm_timeouts;
      expired_fragment6(e, now);
      continue;
    }
    ++stats_.ip_reasm_timeouts;
    if (e.first.empty()) continue;
    // RFC 792 / RFC 1122 §3.3.2: "if fragment zero is not available then no time
    // exceeded need be sent at all"; when it is, Time Exceeded code 1 quotes it.
    auto first = wire::Ipv4Repr::parse(e.first);
    if (!first) continue;
    if (send_icmp_error(*first, e.first, static_cast<std::uint8_t>(wire::IcmpType::TimeExceeded), 1,
                        now)) {
      ++stats_.icmp_tx_time_exceeded;
    }
  }
}

// Fills in the Ethernet header once the next hop's MAC is known, or parks the
// frame in the neighbour cache and starts resolution.
void Stack::transmit(const Route& route, ByteVec frame, TxMeta tx, Instant now) {
  auto ipv4 = static_cast<std::uint16_t>(wire::EtherType::Ipv4);
  if (!ifaces_[route.iface.value].offloads.tx_checksum) finish_in_software(frame, tx);
  if (tx.gso_size != 0 && !is_local_address(route.next_hop) && !route.link_broadcast &&
      !neighbors_.lookup(NeighborKey{route.iface, route.next_hop}, now)) {
    // A super-segment cannot wait for ARP: the queue keeps bytes, and without its GSO
    // request the link would get one packet larger than the MTU. Dropped and counted;
    // TCP sends the data again (RACK or the RTO), by then in segments or with the
    // neighbour known.
    ++stats_.tx_super_dropped;
    return;
  }
  if (is_local_address(route.next_hop)) {
    ++stats_.ip_loopback;
    // Our own input verifies every checksum, and takes a super-segment whole.
    finish_in_software(frame, tx);
    loopback_.push_back(Frame{route.iface, std::move(frame), {}});
    return;
  }
  if (route.link_broadcast) {
    emit_frame(route.iface, wire::MacAddr::broadcast(), ipv4, std::move(frame), tx);
    return;
  }
  NeighborKey key{route.iface, route.next_hop};
  if (auto mac = neighbors_.lookup(key, now)) {
    emit_frame(route.iface, *mac, ipv4, std::move(frame), tx);
    return;
  }
  // The wait queue keeps bytes only: whatever the link was to do is done now.
  finish_in_software(frame, tx);
  switch (neighbors_.enqueue(key, std::move(frame), now)) {
    case NeighborCache::Enqueued::SendRequest:
      send_arp_request(key);
      break;
    case NeighborCache::Enqueued::Queued:
      break;
    case NeighborCache::Enqueued::DropQueueFull:
      ++stats_.arp_drop_queue_full;
      break;
    case NeighborCache::Enqueued::DropCacheFull:
      ++stats_.arp_drop_cache_full;
      break;
  }
}

// `frame` has room for the Ethernet header at its start and the payload after it.
void Stack::finish_in_software(ByteVec& frame, TxMeta& tx) {
  if (!tx.needs_checksum()) return;
  // The field holds the pseudo-header sum, so the sum from csum_start to the end is
  // the whole transport checksum (what the link would have computed).
  wire::finish_partial_checksum(frame, tx.csum_start, tx.csum_offset);
  ++stats_.tx_csum_in_software;
  tx = TxMeta{};
}

TxMeta Stack::tcp_tx_meta(const tcp::OutSegment& seg) {
  TxMeta tx;
  const std::size_t transport = tcp::segment_headroom(seg.dst);
  if (seg.checksum_partial) {
    tx.csum_start = static_cast<std::uint16_t>(transport);
    tx.csum_offset = static_cast<std::uint16_t>(wire::TcpRepr::kChecksumOffset);
  }
  if (seg.gso_size != 0) {
    // Ethernet + IP + the TCP header (its data offset): what each piece repeats. TCP
    // sends no IPv6 extension headers, so the TCP header follows the IPv6 header.
    const Bytes tcp = seg.bytes();
    tx.gso_size = seg.gso_size;
    tx.hdr_len = static_cast<std::uint16_t>(transport + (load_u8(tcp, 12) >> 4) * 4u);
    tx.gso_ecn = (load_u8(tcp, 13) & wire::TcpFlags::kCwr) != 0;
    tx.gso_ipv6 = !seg.dst.is_v4();
  }
  return tx;
}

void Stack::emit_frame(IfaceId iface, wire::MacAddr dst, std::uint16_t ethertype, ByteVec frame,
                       TxMeta tx) {
  wire::EthernetRepr eth;
  eth.dst = dst;
  eth.src = ifaces_[iface.value].mac;
  eth.ethertype = ethertype;
  eth.payload = Bytes(frame).subspan(kEthHeaderLen);
  eth.emit(frame);
  ++stats_.eth_tx_frames;
  if (tx.needs_checksum()) ++stats_.tx_csum_offloaded;
  if (tx.gso_size != 0) ++stats_.tx_super_frames;
  frames_out_.push_back(Frame{iface, std::move(frame), tx});
}

void Stack::release(IfaceId iface, wire::MacAddr mac, std::vector<ByteVec>& frames) {
  for (auto& f : frames) {
    emit_frame(iface, mac, static_cast<std::uint16_t>(wire::EtherType::Ipv4), std::move(f));
  }
  frames.clear();
}

// --- ARP output --------------------------------------------------------------

void Stack::send_arp(const Interface& iface, std::uint16_t op, wire::MacAddr dst_mac,
                     wire::MacAddr target_mac, wire::Ipv4Addr target_ip) {
  wire::ArpRepr arp;
  arp.op = static_cast<wire::ArpOp>(op);
  arp.sender_mac = iface.mac;
  arp.sender_ip = iface.cidr.addr;
  arp.target_mac = target_mac;
  arp.target_ip = target_ip;
  ByteVec frame(kEthHeaderLen + wire::ArpRepr::kLen);
  arp.emit(MutBytes(frame).subspan(kEthHeaderLen));
  emit_frame(iface.id, dst_mac, static_cast<std::uint16_t>(wire::EtherType::Arp), std::move(frame));
}

void Stack::send_arp_request(NeighborKey key) {
  // RFC 826: the target hardware address is unknown; we send zeros (as Linux does).
  ++stats_.arp_tx_requests;
  send_arp(ifaces_[key.iface.value], static_cast<std::uint16_t>(wire::ArpOp::Request),
           wire::MacAddr::broadcast(), wire::MacAddr{}, key.addr);
}

// --- ICMP output -------------------------------------------------------------

Status<SendError> Stack::send_ping(wire::Ipv4Addr dst, std::uint16_t ident, std::uint16_t seq,
                                   Bytes data, Instant now) {
  wire::IcmpRepr icmp;
  icmp.type = static_cast<std::uint8_t>(wire::IcmpType::EchoRequest);
  icmp.ident = ident;
  icmp.seq_no = seq;
  icmp.data = data;
  auto out = prepare(wire::Ipv4Addr::any(), dst, icmp.total_len(), /*may_fragment=*/true);
  if (!out) return Err{out.error()};
  icmp.emit(out->transport());
  ++stats_.icmp_tx_echo_requests;
  send_ip(std::move(out.value()), static_cast<std::uint8_t>(wire::IpProto::Icmp), now);
  run_loopback(now);
  return {};
}

// RFC 1812 §4.3.2.8: a simple token bucket bounds the ICMP errors we send.
bool Stack::icmp_rate_ok(Instant now) {
  if (config_.icmp_error_interval > Duration::zero() && now > icmp_refilled_) {
    auto earned = (now - icmp_refilled_) / config_.icmp_error_interval;
    if (earned > 0) {
      icmp_tokens_ = static_cast<std::uint32_t>(
          std::min<std::int64_t>(config_.icmp_error_burst, icmp_tokens_ + earned));
      icmp_refilled_ = icmp_refilled_ + earned * config_.icmp_error_interval;
    }
  }
  if (icmp_tokens_ == 0) {
    ++stats_.icmp_tx_rate_limited;
    return false;
  }
  --icmp_tokens_;
  return true;
}

bool Stack::send_icmp_error(const wire::Ipv4Repr& offending, Bytes offending_packet,
                            std::uint8_t type, std::uint8_t code, Instant now) {
  // RFC 1122 §3.2.2: never about a non-initial fragment, a broadcast/multicast
  // destination (only our unicast addresses qualify), or a source that is not a
  // unicast host address.
  if (offending.fragment_offset != 0 || !is_local_address(offending.dst) ||
      offending.src.is_unspecified() || offending.src.is_broadcast() ||
      offending.src.is_multicast()) {
    return false;
  }
  if (!icmp_rate_ok(now)) return false;
  // RFC 1812 §4.3.2.3: quote as much of the original as fits in 576 bytes
  // (RFC 792's minimum is the IP header plus 8 data bytes).
  constexpr std::size_t kMaxErrorPacket = 576;
  std::size_t room = kMaxErrorPacket - kIpHeaderLen - wire::IcmpRepr::kHeaderLen;
  wire::IcmpRepr icmp;
  icmp.type = type;
  icmp.code = code;
  icmp.data = offending_packet.first(std::min(room, offending_packet.size()));
  // The error goes back from the address the offending packet was sent to.
  auto out = prepare(offending.dst, offending.src, icmp.total_len());
  if (!out) return false;
  icmp.emit(out->transport());
  send_ip(std::move(out.value()), static_cast<std::uint8_t>(wire::IpProto::Icmp), now);
  return true;
}

// --- UDP output --------------------------------------------------------------

Result<UdpSocketId, BindError> Stack::udp_bind(const wire::IpAddr& addr, std::uint16_t port) {
  if (!addr.is_unspecified() && !is_local_address(addr)) return Err{BindError::AddrNotAvailable};
  return udp_.bind(addr, port, random_);
}

Status<SendError> Stack::udp_send_to(UdpSocketId socket, const wire::IpAddr& dst,
                                     std::uint16_t dst_port, Bytes payload, Instant now) {
  auto local = udp_.local(socket);
  if (!local) return Err{SendError::BadSocket};
  if (dst_port == 0 || dst.is_unspecified() || dst.is_multicast()) {
    return Err{SendError::InvalidDestination};
  }
  const wire::IpAddr& bound = local->first;
  if (dst.is_v6()) {
    // Only a socket on :: or on one of our IPv6 addresses reaches an IPv6 peer (an
    // AF_INET socket cannot, whatever its address).
    if (bound.is_v4()) return Err{SendError::InvalidDestination};
    return udp_send_to6(bound.v6(), local->second, dst.v6(), dst_port, payload, now);
  }
  // IPv4: from 0.0.0.0 (the route's source) for a socket on 0.0.0.0 or ::; a socket on
  // a specific IPv6 address has no IPv4 source.
  if (bound.is_v6() && !bound.is_unspecified()) return Err{SendError::InvalidDestination};
  const wire::Ipv4Addr src = bound.is_v4() ? bound.v4() : wire::Ipv4Addr::any();
  wire::UdpRepr udp;
  udp.src_port = local->second;
  udp.dst_port = dst_port;
  udp.payload = payload;
  if (kIpHeaderLen + udp.total_len() > kMaxIpv4Packet) {
    ++stats_.ip_tx_too_long;
    return Err{SendError::MessageTooLong};
  }
  auto out = prepare(src, dst.v4(), udp.total_len(), /*may_fragment=*/true);
  if (!out) return Err{out.error()};
  udp.emit(out->transport(), wire::PseudoHeader{out->src, out->dst});
  ++stats_.udp_tx;
  send_ip(std::move(out.value()), static_cast<std::uint8_t>(wire::IpProto::Udp), now);
  run_loopback(now);
  return {};
}

// --- TCP output --------------------------------------------------------------

void Stack::flush_tcp(Instant now) {
  drain_tcp(now);
  run_loopback(now);
}

void Stack::run_loopback(Instant now) {
  if (in_loopback_) return;  // the outer call keeps draining
  in_loopback_ = true;
  // Every exchange with ourselves ends (no reply to a reply, no error about an
  // error), but a budget keeps one call bounded whatever happens.
  constexpr int kBudget = 10000;
  for (int n = 0; n < kBudget && !loopback_.empty(); ++n) {
    Frame f = std::move(loopback_.front());
    loopback_.pop_front();
    if (f.bytes.size() > kEthHeaderLen && (load_u8(f.bytes, kEthHeaderLen) >> 4) == 6) {
      on_ipv6(ifaces_[f.iface.value], Bytes(f.bytes).subspan(kEthHeaderLen), false, RxMeta{}, now);
      drain_tcp(now);
      continue;
    }
    // Delivered on the interface that owns the destination (strong host model).
    auto dst = wire::Ipv4Addr::load(f.bytes, kEthHeaderLen + 16);
    IfaceId iface = f.iface;
    for (const auto& i : ifaces_) {
      if (i.cidr.addr == dst) iface = i.id;
    }
    on_ipv4(ifaces_[iface.value], Bytes(f.bytes).subspan(kEthHeaderLen), false, RxMeta{}, now);
    drain_tcp(now);
  }
  stats_.ip_loopback_dropped += loopback_.size();
  loopback_.clear();
  in_loopback_ = false;
}

void Stack::drain_tcp(Instant now) {
  // Advice first: the retransmission that reached R1 already goes through the new
  // resolution of the next hop.
  while (auto a = tcp_.pop_advice()) on_negative_advice(*a, now);
  while (auto seg = tcp_.pop_segment()) {
    // RFC 9293 MUST-44 makes TCP pick one of our addresses; refuse anything else
    // rather than emit a spoofed source.
    static_assert(tcp::kSegmentHeadroom == kTransportOffset);
    if (!seg->dst.is_v4()) {
      send_tcp6(std::move(*seg), now);
      continue;
    }
    const TxMeta tx = tcp_tx_meta(*seg);
    auto out = is_local_address(seg->src.v4())
                   ? prepare(seg->src.v4(), seg->dst.v4(), std::move(seg->buffer), tx.gso_size != 0)
                   : Result<Outgoing, SendError>(Err{SendError::NoRoute});
    if (!out) {
      ++stats_.tcp_tx_dropped;
      continue;
    }
    out->tx = tx;
    ++stats_.tcp_tx;
    send_ip(std::move(out.value()), static_cast<std::uint8_t>(wire::IpProto::Tcp), seg->ttl,
            seg->dscp_ecn, now);
  }
  while (auto e = tcp_.pop_event()) push_event(*e);
}

void Stack::on_negative_advice(const tcp::NegativeAdvice& a, Instant now) {
  // RFC 9293 §3.8.3 MUST-20: at R1 TCP passes "negative advice to the IP layer, to
  // trigger dead-gateway diagnosis". RFC 1122 §3.3.1.4: negative advice from TCP is
  // a sign the first hop may be dead; we stop trusting its link-layer address, so the
  // next retransmission re-resolves it with ARP (and waits for the answer).
  ++stats_.tcp_negative_advice;
  if (!a.remote.addr.is_v4()) return;
  auto r = route(a.remote.addr.v4(), a.local.addr.v4());
  if (!r || r->link_broadcast || is_local_address(r->next_hop)) return;
  if (neighbors_.mark_stale(NeighborKey{r->iface, r->next_hop}, now)) ++stats_.arp_marked_stale;
}

}  // namespace synack::stack
