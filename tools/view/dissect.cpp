#include "dissect.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>

#include "ip_packet.hpp"
#include "synack/base/bytes.hpp"
#include "synack/base/checksum.hpp"
#include "synack/wire/addr.hpp"

namespace synack::view {
namespace {

using wire::Ipv4Addr;
using wire::Ipv6Addr;
using wire::MacAddr;

std::string mac_at(Bytes b, std::size_t off) {
  return MacAddr::load(b, off).to_string();
}
std::string ip_at(Bytes b, std::size_t off) {
  return Ipv4Addr::load(b, off).to_string();
}
std::string ip6_at(Bytes b, std::size_t off) {
  return Ipv6Addr::load(b, off).to_string();
}

// Builds one layer; every field names the bytes it came from (offsets relative to the
// layer's start, stored absolute).
class LayerBuilder {
 public:
  LayerBuilder(std::string name, std::uint32_t base, std::uint32_t length) {
    layer_.name = std::move(name);
    layer_.offset = base;
    layer_.length = length;
  }
  void add(std::string name, std::string value, std::uint32_t off, std::uint32_t len,
           int depth = 0) {
    layer_.fields.push_back({std::move(name), std::move(value), depth, layer_.offset + off, len});
  }
  void summary(std::string s) { layer_.summary = std::move(s); }
  Layer take() { return std::move(layer_); }

 private:
  Layer layer_;
};

Layer problem(std::string what, std::uint32_t off, std::uint32_t len) {
  Layer l;
  l.name = "Malformed";
  l.summary = std::move(what);
  l.offset = off;
  l.length = len;
  return l;
}

const char* ethertype_name(std::uint16_t t) {
  switch (t) {
    case 0x0800:
      return "IPv4";
    case 0x0806:
      return "ARP";
    case 0x86dd:
      return "IPv6";
    case 0x8100:
      return "802.1Q VLAN";
    default:
      return "unknown";
  }
}

const char* ecn_name(std::uint8_t e) {
  switch (e & 3) {
    case 0:
      return "Not-ECT";
    case 1:
      return "ECT(1)";
    case 2:
      return "ECT(0)";
    default:
      return "CE (congestion experienced)";
  }
}

const char* proto_name(std::uint8_t p) {
  switch (p) {
    case 1:
      return "ICMP";
    case 6:
      return "TCP";
    case 17:
      return "UDP";
    case 58:
      return "ICMPv6";
    case 59:
      return "No Next Header";
    case 50:
      return "ESP";
    default:
      if (*ipv6_extension_name(p) != '\0') return ipv6_extension_name(p);
      return "unknown";
  }
}

const char* icmp_type_name(std::uint8_t t) {
  switch (t) {
    case 0:
      return "echo reply";
    case 3:
      return "destination unreachable";
    case 4:
      return "source quench";
    case 8:
      return "echo request";
    case 11:
      return "time exceeded";
    case 12:
      return "parameter problem";
    default:
      return "other";
  }
}

std::string checksum_text(std::uint16_t stored, std::uint16_t computed_with_field_zero) {
  if (stored == computed_with_field_zero) return fmt::format("0x{:04x} (correct)", stored);
  return fmt::format("0x{:04x} (incorrect, should be 0x{:04x}; offloaded to the NIC?)", stored,
                     computed_with_field_zero);
}

// The transport checksum over the pseudo-header and `seg`, as if its checksum field (at
// `field`) were zero. `ip` starts with the IPv4 or IPv6 header (its version says which
// pseudo-header: RFC 9293 §3.1, RFC 8200 §8.1).
std::uint16_t transport_checksum(Bytes ip, std::uint8_t proto, Bytes seg, std::size_t field) {
  ByteVec copy(seg.begin(), seg.end());
  if (field + 2 <= copy.size()) store_be16(copy, field, 0);
  Checksum c;
  if ((load_u8(ip, 0) >> 4) == 6) {
    c.add(ip.subspan(8, 32));
    c.add_u16(static_cast<std::uint16_t>(seg.size() >> 16));
    c.add_u16(static_cast<std::uint16_t>(seg.size()));
  } else {
    c.add(ip.subspan(12, 8));
    c.add_u16(static_cast<std::uint16_t>(seg.size()));
  }
  c.add_u16(proto);
  c.add(copy);
  return c.finish();
}

std::string payload_preview(Bytes p) {
  std::string s;
  for (std::size_t i = 0; i < p.size() && i < 48; ++i) {
    auto c = static_cast<unsigned char>(p[i]);
    s += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
  }
  if (p.size() > 48) s += "...";
  return s;
}

void payload_layer(std::vector<Layer>& out, Bytes frame, std::uint32_t off, std::uint32_t len) {
  if (len == 0) return;
  LayerBuilder l("Data", off, len);
  l.summary(fmt::format("{} bytes", len));
  l.add("length", fmt::format("{} bytes", len), 0, len);
  l.add("text", payload_preview(frame.subspan(off, len)), 0, len);
  out.push_back(l.take());
}

void dissect_arp(std::vector<Layer>& out, Bytes f, std::uint32_t o) {
  if (f.size() < o + 28) {
    out.push_back(problem("ARP: truncated (fewer than 28 bytes)", o, f.size() - o));
    return;
  }
  Bytes a = f.subspan(o);
  LayerBuilder l("Address Resolution Protocol", o, 28);
  std::uint16_t op = load_be16(a, 6);
  const char* opname = op == 1 ? "request" : op == 2 ? "reply" : "other";
  l.summary(op == 1 ? fmt::format("who has {}? tell {}", ip_at(a, 24), ip_at(a, 14))
                    : fmt::format("{} is at {}", ip_at(a, 14), mac_at(a, 8)));
  std::uint16_t htype = load_be16(a, 0);
  l.add("hardware type", fmt::format("{}{}", htype, htype == 1 ? " (Ethernet)" : ""), 0, 2);
  std::uint16_t ptype = load_be16(a, 2);
  l.add("protocol type", fmt::format("0x{:04x} ({})", ptype, ethertype_name(ptype)), 2, 2);
  l.add("hardware size", fmt::format("{}", load_u8(a, 4)), 4, 1);
  l.add("protocol size", fmt::format("{}", load_u8(a, 5)), 5, 1);
  l.add("opcode", fmt::format("{} ({})", op, opname), 6, 2);
  l.add("sender MAC address", mac_at(a, 8), 8, 6);
  l.add("sender IP address", ip_at(a, 14), 14, 4);
  l.add("target MAC address", mac_at(a, 18), 18, 6);
  l.add("target IP address", ip_at(a, 24), 24, 4);
  out.push_back(l.take());
}

// One TCP option starting at `i` (relative to the TCP header) into `l`; returns its length
// (0 ends the list: EOL or a malformed length).
std::size_t tcp_option(LayerBuilder& l, Bytes t, std::size_t i, std::size_t end) {
  const std::uint8_t kind = load_u8(t, i);
  const auto at = static_cast<std::uint32_t>(i);
  if (kind == 0) {
    l.add("End of Option List (EOL)", "kind 0", at, static_cast<std::uint32_t>(end - i), 1);
    return 0;
  }
  if (kind == 1) {
    l.add("No-Operation (NOP)", "kind 1", at, 1, 1);
    return 1;
  }
  if (i + 1 >= end) {
    l.add("malformed option", fmt::format("kind {} without a length", kind), at, 1, 1);
    return 0;
  }
  const std::size_t len = load_u8(t, i + 1);
  if (len < 2 || i + len > end) {
    l.add("malformed option", fmt::format("kind {} length {} (beyond the header)", kind, len), at,
          static_cast<std::uint32_t>(end - i), 1);
    return 0;
  }
  const auto ulen = static_cast<std::uint32_t>(len);
  auto head = [&](const char* name) {
    l.add(name, fmt::format("kind {}, length {}", kind, len), at, ulen, 1);
  };
  switch (kind) {
    case 2:
      head("Maximum Segment Size");
      if (len == 4) l.add("MSS", fmt::format("{} bytes", load_be16(t, i + 2)), at + 2, 2, 2);
      break;
    case 3:
      head("Window Scale");
      if (len == 3) {
        std::uint8_t s = load_u8(t, i + 2);
        l.add("shift count", fmt::format("{} (multiply by {})", s, 1u << std::min<int>(s, 14)),
              at + 2, 1, 2);
      }
      break;
    case 4:
      head("SACK Permitted");
      break;
    case 5:
      head("SACK");
      for (std::size_t b = i + 2; b + 8 <= i + len; b += 8) {
        l.add("block", fmt::format("left {} right {} (raw)", load_be32(t, b), load_be32(t, b + 4)),
              static_cast<std::uint32_t>(b), 8, 2);
      }
      break;
    case 8:
      head("Timestamps");
      if (len == 10) {
        l.add("TSval", fmt::format("{}", load_be32(t, i + 2)), at + 2, 4, 2);
        l.add("TSecr", fmt::format("{}", load_be32(t, i + 6)), at + 6, 4, 2);
      }
      break;
    case 34: {
      head("TCP Fast Open Cookie");
      if (len == 2) {
        l.add("cookie", "(request)", at, 2, 2);
      } else {
        std::string hex;
        for (std::size_t b = i + 2; b < i + len; ++b) hex += fmt::format("{:02x}", load_u8(t, b));
        l.add("cookie", hex, at + 2, ulen - 2, 2);
      }
      break;
    }
    case 19:
      head("MD5 Signature (RFC 2385)");
      break;
    case 29:
      head("TCP Authentication Option (RFC 5925)");
      break;
    case 30:
      head("Multipath TCP");
      break;
    default:
      head("unknown option");
  }
  return len;
}

// `missing`: bytes of the segment the capture did not keep (its snap length cut it).
void dissect_tcp(std::vector<Layer>& out, Bytes f, std::uint32_t o, Bytes ip, Bytes t,
                 std::size_t missing, const SegmentInfo* seg) {
  if (t.size() < 20) {
    out.push_back(problem("TCP: truncated header", o, static_cast<std::uint32_t>(t.size())));
    return;
  }
  const std::size_t hlen = (load_u8(t, 12) >> 4) * 4u;
  if (hlen < 20 || hlen > t.size()) {
    out.push_back(problem(fmt::format("TCP: data offset {} bytes is wrong", hlen), o,
                          static_cast<std::uint32_t>(t.size())));
    return;
  }
  const auto plen = static_cast<std::uint32_t>(t.size() - hlen);
  LayerBuilder l("Transmission Control Protocol", o, static_cast<std::uint32_t>(hlen));
  const std::uint16_t sport = load_be16(t, 0), dport = load_be16(t, 2);
  const std::uint32_t seq = load_be32(t, 4), ack = load_be32(t, 8);
  const std::uint8_t fl = load_u8(t, 13);
  const wire::TcpFlags flags{fl};
  l.summary(fmt::format("{} > {} [{}] seq {}{} len {}", sport, dport, flags.to_string(),
                        seg ? seg->seq : seq,
                        flags.ack() ? fmt::format(" ack {}", seg ? seg->ack : ack) : "", plen));
  l.add("source port", fmt::format("{}", sport), 0, 2);
  l.add("destination port", fmt::format("{}", dport), 2, 2);
  if (seg) l.add("sequence number (relative)", fmt::format("{}", seg->seq), 4, 4);
  l.add("sequence number (raw)", fmt::format("{}", seq), 4, 4);
  const std::uint32_t seglen = plen + (flags.syn() ? 1 : 0) + (flags.fin() ? 1 : 0);
  if (seglen > 0) {
    l.add("next sequence number",
          fmt::format("{}{}", (seg ? seg->seq : seq) + seglen, seg ? " (relative)" : ""), 0, 0);
  }
  if (seg && flags.ack())
    l.add("acknowledgment number (relative)", fmt::format("{}", seg->ack), 8, 4);
  l.add("acknowledgment number (raw)",
        flags.ack() ? fmt::format("{}", ack) : fmt::format("{} (ACK not set: ignored)", ack), 8, 4);
  l.add("data offset", fmt::format("{} ({} bytes)", hlen / 4, hlen), 12, 1);
  std::vector<std::string> set;
  static constexpr std::array<std::pair<std::uint8_t, const char*>, 8> kFlags{{
      {0x80, "CWR (congestion window reduced)"},
      {0x40, "ECE (ECN-echo)"},
      {0x20, "URG (urgent)"},
      {0x10, "ACK (acknowledgment)"},
      {0x08, "PSH (push)"},
      {0x04, "RST (reset)"},
      {0x02, "SYN (synchronize)"},
      {0x01, "FIN (finish)"},
  }};
  for (const auto& [bit, name] : kFlags) {
    if (fl & bit) set.emplace_back(std::string(name).substr(0, 3));
  }
  std::string setlist;
  for (const auto& s : set) setlist += (setlist.empty() ? "" : ", ") + s;
  l.add("flags",
        fmt::format("0x{:03x} ({})", ((load_u8(t, 12) & 0x0f) << 8) | fl,
                    setlist.empty() ? "none" : setlist),
        12, 2);
  l.add("reserved", fmt::format("{}", load_u8(t, 12) & 0x0f), 12, 1, 1);
  for (const auto& [bit, name] : kFlags) l.add(name, (fl & bit) ? "1 (set)" : "0", 13, 1, 1);
  const std::uint16_t win = load_be16(t, 14);
  l.add("window (raw)", fmt::format("{}", win), 14, 2);
  if (seg) {
    l.add("window (scaled)",
          seg->window == win ? fmt::format("{} bytes (not scaled)", seg->window)
                             : fmt::format("{} bytes", seg->window),
          14, 2);
  }
  l.add("checksum",
        missing
            ? fmt::format("0x{:04x} (not checked: the capture holds {} of the segment's {} bytes)",
                          load_be16(t, 16), t.size(), t.size() + missing)
            : checksum_text(load_be16(t, 16), transport_checksum(ip, 6, t, 16)),
        16, 2);
  const std::uint16_t urp = load_be16(t, 18);
  l.add(
      "urgent pointer",
      flags.urg() ? fmt::format("{}", urp) : fmt::format("{}{}", urp, urp ? " (URG not set)" : ""),
      18, 2);
  if (hlen > 20) {
    l.add("options", fmt::format("{} bytes", hlen - 20), 20, static_cast<std::uint32_t>(hlen - 20));
    for (std::size_t i = 20; i < hlen;) {
      std::size_t n = tcp_option(l, t, i, hlen);
      if (n == 0) break;
      i += n;
    }
  }
  l.add("payload length",
        missing ? fmt::format("{} bytes ({} captured)", plen + missing, plen)
                : fmt::format("{} bytes", plen),
        static_cast<std::uint32_t>(hlen), plen);
  if (seg && seg->marks != 0) {
    std::string m = describe_marks(seg->marks, seg->dup_ack_count);
    if (!m.empty()) l.add("analysis", m, 0, 0);
  }
  out.push_back(l.take());
  payload_layer(out, f, o + static_cast<std::uint32_t>(hlen), plen);
}

void dissect_udp(std::vector<Layer>& out, Bytes f, std::uint32_t o, Bytes ip, Bytes u,
                 std::size_t missing) {
  if (u.size() < 8) {
    out.push_back(problem("UDP: truncated header", o, static_cast<std::uint32_t>(u.size())));
    return;
  }
  LayerBuilder l("User Datagram Protocol", o, 8);
  const std::uint16_t sport = load_be16(u, 0), dport = load_be16(u, 2), len = load_be16(u, 4);
  l.summary(fmt::format("{} > {} len {}", sport, dport, len >= 8 ? len - 8 : 0));
  l.add("source port", fmt::format("{}", sport), 0, 2);
  l.add("destination port", fmt::format("{}", dport), 2, 2);
  l.add("length",
        fmt::format("{}{}", len, len == u.size() + missing ? "" : " (does not match the packet)"),
        4, 2);
  const std::uint16_t ck = load_be16(u, 6);
  if (missing) {
    l.add("checksum", fmt::format("0x{:04x} (not checked: the capture holds part of it)", ck), 6,
          2);
  } else if (ck == 0) {
    l.add("checksum", "0x0000 (none)", 6, 2);
  } else {
    std::uint16_t want = transport_checksum(ip, 17, u, 6);
    l.add("checksum", checksum_text(ck, want == 0 ? 0xffff : want), 6, 2);
  }
  out.push_back(l.take());
  payload_layer(out, f, o + 8, static_cast<std::uint32_t>(u.size() - 8));
}

void dissect_icmp(std::vector<Layer>& out, std::uint32_t o, Bytes m) {
  if (m.size() < 8) {
    out.push_back(problem("ICMP: truncated header", o, static_cast<std::uint32_t>(m.size())));
    return;
  }
  LayerBuilder l("Internet Control Message Protocol", o, static_cast<std::uint32_t>(m.size()));
  const std::uint8_t type = load_u8(m, 0), code = load_u8(m, 1);
  l.summary(fmt::format("{} (type {} code {})", icmp_type_name(type), type, code));
  l.add("type", fmt::format("{} ({})", type, icmp_type_name(type)), 0, 1);
  l.add("code", fmt::format("{}", code), 1, 1);
  ByteVec copy(m.begin(), m.end());
  store_be16(copy, 2, 0);
  l.add("checksum", checksum_text(load_be16(m, 2), internet_checksum(copy)), 2, 2);
  if (type == 0 || type == 8) {
    l.add("identifier", fmt::format("{}", load_be16(m, 4)), 4, 2);
    l.add("sequence number", fmt::format("{}", load_be16(m, 6)), 6, 2);
    l.add("data", fmt::format("{} bytes", m.size() - 8), 8,
          static_cast<std::uint32_t>(m.size() - 8));
  } else {
    if (type == 3 && code == 4) l.add("next-hop MTU", fmt::format("{}", load_be16(m, 6)), 6, 2);
    if (type == 12) l.add("pointer", fmt::format("{}", load_u8(m, 4)), 4, 1);
    if (m.size() >= 8 + 20) {
      Bytes inner = m.subspan(8);
      l.add("invoking datagram",
            fmt::format("{} > {} protocol {} ({} bytes quoted)", ip_at(inner, 12), ip_at(inner, 16),
                        load_u8(inner, 9), inner.size()),
            8, static_cast<std::uint32_t>(inner.size()));
    }
  }
  out.push_back(l.take());
}

void dissect_ipv4(std::vector<Layer>& out, Bytes f, std::uint32_t o, const SegmentInfo* seg) {
  Bytes p = f.subspan(o);
  if (p.size() < 20) {
    out.push_back(problem("IPv4: truncated header", o, static_cast<std::uint32_t>(p.size())));
    return;
  }
  const std::uint8_t vihl = load_u8(p, 0);
  const std::size_t ihl = (vihl & 0x0f) * 4u;
  const std::uint16_t total = load_be16(p, 2);
  if ((vihl >> 4) != 4 || ihl < 20 || ihl > p.size()) {
    out.push_back(problem(fmt::format("IPv4: version {} header length {}", vihl >> 4, ihl), o,
                          static_cast<std::uint32_t>(p.size())));
    return;
  }
  LayerBuilder l("Internet Protocol Version 4", o, static_cast<std::uint32_t>(ihl));
  const std::uint8_t tos = load_u8(p, 1), proto = load_u8(p, 9);
  const std::uint16_t frag = load_be16(p, 6);
  l.summary(fmt::format("{} > {}", ip_at(p, 12), ip_at(p, 16)));
  l.add("version", fmt::format("{}", vihl >> 4), 0, 1);
  l.add("header length (IHL)", fmt::format("{} ({} bytes)", vihl & 0x0f, ihl), 0, 1);
  l.add("differentiated services", fmt::format("0x{:02x}", tos), 1, 1);
  l.add("DSCP", fmt::format("{}", tos >> 2), 1, 1, 1);
  l.add("ECN", fmt::format("0b{:02b} {}", tos & 3, ecn_name(tos)), 1, 1, 1);
  l.add("total length",
        fmt::format("{}{}", total, total <= p.size() ? "" : " (more than the frame holds)"), 2, 2);
  l.add("identification", fmt::format("0x{:04x} ({})", load_be16(p, 4), load_be16(p, 4)), 4, 2);
  std::string fnames = (frag & 0x4000) ? "DF" : "";
  if (frag & 0x2000) fnames += fnames.empty() ? "MF" : ", MF";
  l.add("flags", fmt::format("0x{:x}{}", frag >> 13, fnames.empty() ? "" : " (" + fnames + ")"), 6,
        1);
  l.add("reserved", fmt::format("{}", (frag >> 15) & 1), 6, 1, 1);
  l.add("don't fragment", (frag & 0x4000) ? "1 (set)" : "0", 6, 1, 1);
  l.add("more fragments", (frag & 0x2000) ? "1 (set)" : "0", 6, 1, 1);
  l.add("fragment offset", fmt::format("{} ({} bytes)", frag & 0x1fff, (frag & 0x1fff) * 8), 6, 2);
  l.add("time to live", fmt::format("{}", load_u8(p, 8)), 8, 1);
  l.add("protocol", fmt::format("{} ({})", proto, proto_name(proto)), 9, 1);
  ByteVec hdr(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(ihl));
  store_be16(hdr, 10, 0);
  l.add("header checksum", checksum_text(load_be16(p, 10), internet_checksum(hdr)), 10, 2);
  l.add("source address", ip_at(p, 12), 12, 4);
  l.add("destination address", ip_at(p, 16), 16, 4);
  if (ihl > 20)
    l.add("options", fmt::format("{} bytes", ihl - 20), 20, static_cast<std::uint32_t>(ihl - 20));
  out.push_back(l.take());
  if (total < ihl) return;
  // Past the IP header: total length bounds the payload (Ethernet pads short frames).
  const std::size_t end = std::min<std::size_t>(total, p.size());
  Bytes ip = p.first(end);
  Bytes payload = ip.subspan(ihl);
  const auto po = o + static_cast<std::uint32_t>(ihl);
  if ((frag & 0x1fff) != 0) {
    payload_layer(out, f, po, static_cast<std::uint32_t>(payload.size()));
    return;
  }
  switch (proto) {
    case 6:
      dissect_tcp(out, f, po, ip, payload, total - end, seg);
      break;
    case 17:
      dissect_udp(out, f, po, ip, payload, total - end);
      break;
    case 1:
      dissect_icmp(out, po, payload);
      break;
    default:
      payload_layer(out, f, po, static_cast<std::uint32_t>(payload.size()));
  }
}

void dissect_icmpv6(std::vector<Layer>& out, std::uint32_t o, Bytes ip, Bytes m,
                    std::size_t missing) {
  if (m.size() < 4) {
    out.push_back(problem("ICMPv6: truncated header", o, static_cast<std::uint32_t>(m.size())));
    return;
  }
  LayerBuilder l("Internet Control Message Protocol v6", o, static_cast<std::uint32_t>(m.size()));
  const std::uint8_t type = load_u8(m, 0), code = load_u8(m, 1);
  l.summary(fmt::format("{} (type {} code {})", icmpv6_type_name(type), type, code));
  l.add("type", fmt::format("{} ({})", type, icmpv6_type_name(type)), 0, 1);
  l.add("code", fmt::format("{}", code), 1, 1);
  l.add("checksum",
        missing
            ? fmt::format("0x{:04x} (not checked: the capture holds part of it)", load_be16(m, 2))
            : checksum_text(load_be16(m, 2), transport_checksum(ip, 58, m, 2)),
        2, 2);
  if ((type == 135 || type == 136 || type == 137) && m.size() >= 24)
    l.add("target address", ip6_at(m, 8), 8, 16);
  out.push_back(l.take());
}

// The options of a Hop-by-Hop or Destination Options header (`h`, `len` bytes).
void ipv6_options(LayerBuilder& l, Bytes h, std::size_t len) {
  for (std::size_t i = 2; i < len;) {
    const std::uint8_t type = load_u8(h, i);
    const auto at = static_cast<std::uint32_t>(i);
    if (type == 0) {
      l.add("Pad1", "type 0", at, 1, 1);
      ++i;
      continue;
    }
    if (i + 2 > len || i + 2 + load_u8(h, i + 1) > len) {
      l.add("malformed option", fmt::format("type {} runs past the header", type), at,
            static_cast<std::uint32_t>(len - i), 1);
      return;
    }
    const std::size_t olen = load_u8(h, i + 1);
    const auto whole = static_cast<std::uint32_t>(2 + olen);
    static constexpr const char* kAction[] = {"skip", "discard", "discard, ICMP",
                                              "discard, ICMP unless multicast"};
    std::string what =
        fmt::format("type 0x{:02x}, length {}, unknown: {}", type, olen, kAction[type >> 6]);
    const char* name = "option";
    if (type == 1) {
      name = "PadN";
      what = fmt::format("type 1, length {}", olen);
    } else if (type == 5 && olen == 2) {
      name = "Router Alert";
      what = fmt::format("type 5, value {}{}", load_be16(h, i + 2),
                         load_be16(h, i + 2) == 0 ? " (MLD)" : "");
    } else if (type == 0xc2 && olen == 4) {
      name = "Jumbo Payload";
      what = fmt::format("type 0xc2, length {}", load_be32(h, i + 2));
    }
    l.add(name, what, at, whole, 1);
    i += whole;
  }
}

// One extension header of type `type` at `o` (absolute), `h` its bytes.
Layer ipv6_extension(std::uint8_t type, std::uint32_t o, Bytes h) {
  const auto len = static_cast<std::uint32_t>(h.size());
  LayerBuilder l(fmt::format("IPv6 {}", ipv6_extension_name(type)), o, len);
  const std::uint8_t next = load_u8(h, 0);
  l.add("next header", fmt::format("{} ({})", next, proto_name(next)), 0, 1);
  switch (type) {
    case 44: {
      const std::uint16_t fo = load_be16(h, 2);
      l.summary(fmt::format("id 0x{:08x} offset {}{}", load_be32(h, 4), (fo >> 3) * 8,
                            (fo & 1) ? " more" : ""));
      l.add("reserved", fmt::format("{}", load_u8(h, 1)), 1, 1);
      l.add("fragment offset", fmt::format("{} ({} bytes)", fo >> 3, (fo >> 3) * 8), 2, 2);
      l.add("more fragments", (fo & 1) ? "1 (set)" : "0", 3, 1);
      l.add("identification", fmt::format("0x{:08x}", load_be32(h, 4)), 4, 4);
      break;
    }
    case 51:
      l.summary(fmt::format("SPI 0x{:08x}", load_be32(h, 4)));
      l.add("payload length", fmt::format("{} ({} bytes)", load_u8(h, 1), len), 1, 1);
      l.add("security parameters index", fmt::format("0x{:08x}", load_be32(h, 4)), 4, 4);
      if (len >= 12) l.add("sequence number", fmt::format("{}", load_be32(h, 8)), 8, 4);
      break;
    case 43:
      l.summary(fmt::format("type {} segments left {}", load_u8(h, 2), load_u8(h, 3)));
      l.add("header extension length", fmt::format("{} ({} bytes)", load_u8(h, 1), len), 1, 1);
      l.add("routing type", fmt::format("{}", load_u8(h, 2)), 2, 1);
      l.add("segments left", fmt::format("{}", load_u8(h, 3)), 3, 1);
      break;
    default:  // Hop-by-Hop, Destination Options
      l.summary(fmt::format("{} bytes", len));
      l.add("header extension length", fmt::format("{} ({} bytes)", load_u8(h, 1), len), 1, 1);
      ipv6_options(l, h, len);
  }
  return l.take();
}

void dissect_ipv6(std::vector<Layer>& out, Bytes f, std::uint32_t o, const SegmentInfo* seg) {
  Bytes p = f.subspan(o);
  if (p.size() < 40) {
    out.push_back(problem("IPv6: truncated header", o, static_cast<std::uint32_t>(p.size())));
    return;
  }
  const std::uint32_t first = load_be32(p, 0);
  if ((first >> 28) != 6) {
    out.push_back(problem(fmt::format("IPv6: version {}", first >> 28), o,
                          static_cast<std::uint32_t>(p.size())));
    return;
  }
  LayerBuilder l("Internet Protocol Version 6", o, 40);
  const auto tc = static_cast<std::uint8_t>(first >> 20);
  const std::uint16_t plen = load_be16(p, 4);
  const std::uint8_t nh = load_u8(p, 6);
  l.summary(fmt::format("{} > {}", ip6_at(p, 8), ip6_at(p, 24)));
  l.add("version", "6", 0, 1);
  l.add("traffic class", fmt::format("0x{:02x}", tc), 0, 2);
  l.add("DSCP", fmt::format("{}", tc >> 2), 0, 2, 1);
  l.add("ECN", fmt::format("0b{:02b} {}", tc & 3, ecn_name(tc)), 1, 1, 1);
  l.add("flow label", fmt::format("0x{:05x}", first & 0xfffff), 1, 3);
  l.add("payload length",
        fmt::format("{}{}", plen, 40u + plen <= p.size() ? "" : " (more than the frame holds)"), 4,
        2);
  l.add("next header", fmt::format("{} ({})", nh, proto_name(nh)), 6, 1);
  l.add("hop limit", fmt::format("{}", load_u8(p, 7)), 7, 1);
  l.add("source address", ip6_at(p, 8), 8, 16);
  l.add("destination address", ip6_at(p, 24), 24, 16);
  out.push_back(l.take());
  // Past the fixed header: payload length bounds the rest (Ethernet pads short frames).
  const std::size_t end = std::min<std::size_t>(40u + plen, p.size());
  const std::size_t missing = 40u + plen - end;
  Bytes ip = p.first(end);
  std::size_t at = 40;
  std::uint8_t next = nh;
  for (;;) {
    if (*ipv6_extension_name(next) == '\0') break;
    Bytes rest = ip.subspan(at);
    std::size_t len = next == 44 ? 8 : 0;
    if (next != 44 && rest.size() >= 2)
      len = next == 51 ? (load_u8(rest, 1) + 2u) * 4 : (load_u8(rest, 1) + 1u) * 8;
    if (rest.size() < 2 || len > rest.size()) {
      out.push_back(problem(fmt::format("IPv6 {}: runs past the {}", ipv6_extension_name(next),
                                        missing ? "capture" : "payload"),
                            o + static_cast<std::uint32_t>(at),
                            static_cast<std::uint32_t>(rest.size())));
      return;
    }
    out.push_back(ipv6_extension(next, o + static_cast<std::uint32_t>(at), rest.first(len)));
    const std::uint8_t type = next;
    next = load_u8(rest, 0);
    at += len;
    if (type == 44) {
      const std::uint16_t fo = load_be16(rest, 2);
      if ((fo >> 3) != 0) {  // a later fragment: no upper-layer header here
        payload_layer(out, f, o + static_cast<std::uint32_t>(at),
                      static_cast<std::uint32_t>(ip.size() - at));
        return;
      }
    }
  }
  Bytes payload = ip.subspan(at);
  const auto po = o + static_cast<std::uint32_t>(at);
  switch (next) {
    case 6:
      dissect_tcp(out, f, po, ip, payload, missing, seg);
      break;
    case 17:
      dissect_udp(out, f, po, ip, payload, missing);
      break;
    case 58:
      dissect_icmpv6(out, po, ip, payload, missing);
      break;
    default:
      payload_layer(out, f, po, static_cast<std::uint32_t>(payload.size()));
  }
}

}  // namespace

std::vector<Layer> dissect(const RecordedFrame& fr, const SegmentInfo* seg) {
  std::vector<Layer> out;
  Bytes f = fr.bytes;
  if (fr.link == LinkType::RawIp) {
    if (!f.empty() && (load_u8(f, 0) >> 4) == 4) {
      dissect_ipv4(out, f, 0, seg);
    } else if (!f.empty() && (load_u8(f, 0) >> 4) == 6) {
      dissect_ipv6(out, f, 0, seg);
    } else {
      out.push_back(problem("neither IPv4 nor IPv6", 0, static_cast<std::uint32_t>(f.size())));
    }
    return out;
  }
  if (f.size() < 14) {
    out.push_back(
        problem("Ethernet: fewer than 14 bytes", 0, static_cast<std::uint32_t>(f.size())));
    return out;
  }
  LayerBuilder eth("Ethernet II", 0, 14);
  const std::uint16_t type = load_be16(f, 12);
  eth.summary(fmt::format("{} > {}", mac_at(f, 6), mac_at(f, 0)));
  MacAddr dst = MacAddr::load(f, 0);
  eth.add("destination", dst.to_string() + (dst.is_broadcast() ? " (broadcast)" : ""), 0, 6);
  eth.add("source", mac_at(f, 6), 6, 6);
  eth.add("type", fmt::format("0x{:04x} ({})", type, ethertype_name(type)), 12, 2);
  out.push_back(eth.take());
  if (type == 0x0800) {
    dissect_ipv4(out, f, 14, seg);
  } else if (type == 0x86dd) {
    dissect_ipv6(out, f, 14, seg);
  } else if (type == 0x0806) {
    dissect_arp(out, f, 14);
  } else {
    payload_layer(out, f, 14, static_cast<std::uint32_t>(f.size() - 14));
  }
  return out;
}

}  // namespace synack::view
