#include "ladder.hpp"

#include "analysis.hpp"

#include <fmt/core.h>

#include "ip_packet.hpp"
#include "synack/wire/arp.hpp"
#include "synack/wire/ethernet.hpp"
#include "synack/wire/icmp.hpp"
#include "synack/wire/icmpv6.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/tcp.hpp"
#include "synack/wire/udp.hpp"

namespace synack::view {
namespace {

// Layout: time | client notes | arrow | segment text or server notes. Frames in both
// directions put their text after the arrow, so a long line (options) never pushes the
// arrow out of place; the arrow's direction says who sent it.
constexpr int kColumn = 34;  // width of the client's note column
constexpr const char* kRight = "-------------> ";
constexpr const char* kLeft = "<------------- ";
constexpr const char* kRightLost = "--------x      ";
constexpr const char* kLeftLost = "     x-------- ";
constexpr const char* kBlank = "               ";

std::string time_col(Instant t) {
  return fmt::format("{:>10.3f}", static_cast<double>(t.nanos()) / 1e6);
}

std::string icmp_name(const wire::IcmpRepr& m) {
  using T = wire::IcmpType;
  switch (static_cast<T>(m.type)) {
    case T::EchoRequest:
      return fmt::format("ICMP echo request id {} seq {} len {}", m.ident, m.seq_no, m.data.size());
    case T::EchoReply:
      return fmt::format("ICMP echo reply id {} seq {} len {}", m.ident, m.seq_no, m.data.size());
    case T::DestUnreachable:
      return fmt::format("ICMP unreachable code {}", m.code);
    case T::TimeExceeded:
      return "ICMP time exceeded";
    default:
      return fmt::format("ICMP type {} code {}", m.type, m.code);
  }
}

// ICMPv6 as the ladder shows it: NDP in ARP's words (RFC 4861 §7.2: a solicitation
// asks who has the target and carries the asker's MAC; a solicitation from :: is
// Duplicate Address Detection, RFC 4862 §5.4), echo with its id and sequence, a
// Packet Too Big with its MTU, an MLDv2 report with the groups it joins or leaves.
// Other types by name and number.
std::string icmpv6_text(const wire::Icmpv6Repr& m, const wire::IpAddr& src) {
  using T = wire::Icmpv6Type;
  const std::string name = fmt::format("ICMPv6 {}", icmpv6_type_name(m.type));
  switch (static_cast<T>(m.type)) {
    case T::EchoRequest:
    case T::EchoReply:
      return fmt::format("{} id {} seq {} len {}", name, m.ident, m.seq_no, m.data.size());
    case T::PacketTooBig:
      return fmt::format("{} mtu {}", name, m.mtu);
    case T::NeighborSolicit:
      if (src.is_unspecified())
        return fmt::format("{} who-has {} (DAD)", name, m.target.to_string());
      return fmt::format("{} who-has {} tell {}", name, m.target.to_string(), src.to_string());
    case T::NeighborAdvert: {
      std::string out = fmt::format("{} {}", name, m.target.to_string());
      if (m.options.target_lla) out += fmt::format(" is-at {}", m.options.target_lla->to_string());
      std::string flags;
      if (m.na_router()) flags += "R";
      if (m.na_solicited()) flags += "S";
      if (m.na_override()) flags += "O";
      return flags.empty() ? out : fmt::format("{} [{}]", out, flags);
    }
    case T::MldV2Report: {
      std::string out = name;
      for (std::uint16_t i = 0; i < m.record_count; ++i) {
        const auto& r = m.records[i];
        const char* what = r.type == wire::MldRecord::kChangeToExclude   ? "join"
                           : r.type == wire::MldRecord::kChangeToInclude ? "leave"
                                                                         : "record";
        out += fmt::format("{} {} {}", i ? "," : "", what, r.group.to_string());
      }
      return out;
    }
    default:
      return fmt::format("{} (type {} code {})", name, m.type, m.code);
  }
}

}  // namespace

std::string Ladder::header() const {
  return fmt::format("{:>10}  {:<{}}{}{}\n", "time (ms)", left_, kColumn, kBlank, right_);
}

std::string Ladder::note_line(Instant t, Side side, const std::string& text) const {
  if (side == Side::Left) return fmt::format("{}  {}\n", time_col(t), text);
  return fmt::format("{}  {:<{}}{}{}\n", time_col(t), "", kColumn, kBlank, text);
}

std::string Ladder::frame_line(Instant t, Side from, Bytes frame, bool lost) {
  return frame_line_text(t, from, lost, describe(frame));
}

std::string Ladder::frame_line(Instant t, Side from, const RecordedFrame& f) {
  return frame_line_text(t, from, f.lost, describe(f));
}

std::string Ladder::frame_line_text(Instant t, Side from, bool lost, const std::string& text) {
  const char* arrow =
      from == Side::Left ? (lost ? kRightLost : kRight) : (lost ? kLeftLost : kLeft);
  return fmt::format("{}  {:<{}}{}{}\n", time_col(t), "", kColumn, arrow, text);
}

std::string Ladder::describe(Bytes frame) {
  auto eth = wire::EthernetRepr::parse(frame);
  if (!eth) return fmt::format("malformed frame ({})", wire::to_string(eth.error()));
  if (eth->ethertype == static_cast<std::uint16_t>(wire::EtherType::Arp)) {
    auto arp = wire::ArpRepr::parse(eth->payload);
    if (!arp) return "ARP (malformed)";
    if (arp->op == wire::ArpOp::Request) {
      return fmt::format("ARP who-has {} tell {}", arp->target_ip.to_string(),
                         arp->sender_ip.to_string());
    }
    return fmt::format("ARP {} is-at {}", arp->sender_ip.to_string(), arp->sender_mac.to_string());
  }
  if (eth->ethertype == static_cast<std::uint16_t>(wire::EtherType::Ipv6)) {
    return describe_ipv6(eth->payload);
  }
  if (eth->ethertype != static_cast<std::uint16_t>(wire::EtherType::Ipv4)) {
    return fmt::format("ethertype 0x{:04x}", eth->ethertype);
  }
  return describe_ip(eth->payload);
}

std::string Ladder::describe(const RecordedFrame& f) {
  const ByteVec padded = f.truncated() ? f.padded() : ByteVec{};
  const Bytes b = f.truncated() ? Bytes(padded) : Bytes(f.bytes);
  return f.link == LinkType::Ethernet ? describe(b) : describe_ip(b);
}

std::string Ladder::describe_ip(Bytes packet) {
  if (!packet.empty() && (std::to_integer<int>(packet[0]) >> 4) == 6) return describe_ipv6(packet);
  auto ip = wire::Ipv4Repr::parse(packet);
  if (!ip) return fmt::format("IPv4 ({})", wire::to_string(ip.error()));
  if (ip->is_fragment()) {
    return fmt::format("IPv4 fragment id {} offset {}{}", ip->ident, ip->fragment_offset * 8,
                       ip->more_fragments ? " +" : "");
  }
  wire::PseudoHeader ph{ip->src, ip->dst};
  switch (static_cast<wire::IpProto>(ip->protocol)) {
    case wire::IpProto::Icmp: {
      auto m = wire::IcmpRepr::parse(ip->payload);
      return m ? icmp_name(*m) : fmt::format("ICMP ({})", wire::to_string(m.error()));
    }
    case wire::IpProto::Udp: {
      auto u = wire::UdpRepr::parse(ip->payload, ph);
      if (!u) return fmt::format("UDP ({})", wire::to_string(u.error()));
      return fmt::format("UDP {} > {} len {}", u->src_port, u->dst_port, u->payload.size());
    }
    case wire::IpProto::Tcp:
      return describe_tcp(ip->src, ip->dst, ph, ip->payload);
  }
  return fmt::format("IPv4 protocol {}", ip->protocol);
}

std::string Ladder::describe_ipv6(Bytes packet) {
  if (packet.empty() || (std::to_integer<int>(packet[0]) >> 4) != 6) {
    return packet.empty() ? "IPv6 (empty)"
                          : fmt::format("IPv6 (version {})", std::to_integer<int>(packet[0]) >> 4);
  }
  auto ip = parse_ip(packet);
  if (!ip) return ip.error();
  if (ip->fragment) {
    return fmt::format("IPv6 fragment id {} offset {}{}", ip->fragment_ident, ip->fragment_offset,
                       ip->more_fragments ? " +" : "");
  }
  switch (ip->protocol) {
    case 58: {
      if (ip->payload.size() < 4) return "ICMPv6 (truncated)";
      auto m = wire::Icmpv6Repr::parse(
          ip->payload, ip->pseudo_header(),
          verify_checksums_ ? wire::ChecksumCheck::Verify : wire::ChecksumCheck::Skip);
      if (m) return icmpv6_text(*m, ip->src);
      // A type it does not know or a message it refuses: by its first two bytes.
      const std::uint8_t type = load_u8(ip->payload, 0), code = load_u8(ip->payload, 1);
      return fmt::format("ICMPv6 {} (type {} code {})", icmpv6_type_name(type), type, code);
    }
    case 17: {
      auto u = wire::UdpRepr::parse(ip->payload, ip->pseudo_header());
      if (!u) return fmt::format("UDP ({})", wire::to_string(u.error()));
      return fmt::format("UDP {} > {} len {}", u->src_port, u->dst_port, u->payload.size());
    }
    case 6:
      return describe_tcp(ip->src, ip->dst, ip->pseudo_header(), ip->payload);
    default:
      return fmt::format("IPv6 next header {}", ip->protocol);
  }
}

std::string Ladder::describe_tcp(const wire::IpAddr& src, const wire::IpAddr& dst,
                                 const wire::PseudoHeader& ph, Bytes segment) {
  auto s = wire::TcpRepr::parse(
      segment, ph, verify_checksums_ ? wire::ChecksumCheck::Verify : wire::ChecksumCheck::Skip);
  if (!s) return fmt::format("TCP ({})", wire::to_string(s.error()));
  Key fwd{src, s->src_port, dst, s->dst_port};
  Key rev{dst, s->dst_port, src, s->src_port};
  if (s->flags.syn()) isn_[fwd] = s->seq;
  auto rel = [&](const Key& k, SeqNum v) -> std::uint32_t {
    auto it = isn_.find(k);
    return absolute_ || it == isn_.end() ? v.raw() : static_cast<std::uint32_t>(v - it->second);
  };
  std::string out = fmt::format("{} > {} {:<3}", s->src_port, s->dst_port, s->flags.to_string());
  std::uint32_t seq = rel(fwd, s->seq);
  if (s->payload.empty()) {
    out += fmt::format(" seq {}", seq);
  } else {
    out += fmt::format(" seq {}:{}", seq, seq + s->payload.size());
  }
  if (s->flags.ack()) out += fmt::format(" ack {}", rel(rev, s->ack));
  out += fmt::format(" win {}", s->window);
  if (!s->payload.empty()) out += fmt::format(" len {}", s->payload.size());
  if (s->flags.urg()) out += fmt::format(" urg {}", s->urgent);
  // SACK blocks count from the data sender's ISN too, as tcpdump prints them.
  wire::TcpOptions shown = s->options;
  if (auto it = isn_.find(rev); !absolute_ && it != isn_.end()) {
    for (std::size_t b = 0; b < shown.sack_count; ++b) {
      shown.sack_blocks[b].left = SeqNum(shown.sack_blocks[b].left - it->second);
      shown.sack_blocks[b].right = SeqNum(shown.sack_blocks[b].right - it->second);
    }
  }
  std::string opts = wire::format_tcp_options(shown);
  if (!opts.empty()) out += " " + opts;
  return out;
}

}  // namespace synack::view

namespace synack::view {

std::string render_ladder(const Recording& r, const Analysis* a) {
  Ladder l(r.left_title, r.right_title, r.absolute_seq);
  std::string out = l.header();
  const Connection* conn = a && a->connections.size() == 1 ? &a->connections.front() : nullptr;
  if (a) l.verify_checksums(false);
  if (conn) {
    // Relative numbers from what the analysis counted from (the ISN, or the first
    // number seen when the capture starts mid-connection).
    const auto& A = conn->a;
    const auto& B = conn->b;
    if (conn->dir[0].base) l.set_base(A.ip, A.port, B.ip, B.port, *conn->dir[0].base);
    if (conn->dir[1].base) l.set_base(B.ip, B.port, A.ip, A.port, *conn->dir[1].base);
  }
  for (const auto& e : r.events) {
    if (e.kind == Recording::Event::Kind::Note) {
      const RecordedNote& n = r.notes[e.index];
      std::string text = n.text;
      if (n.inferred) text += " (inferred)";
      if (!n.rule.empty()) text += fmt::format("  [{}]", n.rule);
      out += l.note_line(n.t, n.side, text);
      continue;
    }
    const RecordedFrame& f = r.frames[e.index];
    std::string line = l.frame_line(f.t, f.from, f);
    if (a) {
      for (const auto& c : a->connections) {
        if (const SegmentInfo* s = segment_of(c, e.index)) {
          std::string marks = describe_marks(s->marks & ~mark::kLost, s->dup_ack_count);
          if (!marks.empty()) line.insert(line.size() - 1, fmt::format("  ({})", marks));
          break;
        }
      }
    }
    out += line;
  }
  return out;
}

}  // namespace synack::view
