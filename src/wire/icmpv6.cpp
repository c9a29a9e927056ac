#include "synack/wire/icmpv6.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>
#include <sstream>

#include "detail.hpp"

namespace synack::wire {

namespace {

constexpr std::uint8_t kProtoIcmpv6 = static_cast<std::uint8_t>(NextHeader::Icmpv6);

// NDP option types (RFC 4861 §4.6, RFC 3971 §5.3.2).
enum OptType : std::uint8_t {
  kSourceLla = 1,
  kTargetLla = 2,
  kPrefixInfo = 3,
  kRedirected = 4,
  kMtu = 5,
  kNonce = 14,
};

constexpr std::uint8_t kPrefixOnLink = 0x80;
constexpr std::uint8_t kPrefixAuto = 0x40;
constexpr std::size_t kMldV1Len = 24;
constexpr std::size_t kMldV2QueryLen = 28;
constexpr std::size_t kMldRecordLen = 20;  // without sources and auxiliary data
// The Redirected Header option's data: the whole Redirect (IPv6 header, 40 bytes of
// ICMPv6 fields, 8 of option header) stays within the minimum MTU (RFC 4861 §4.6.3).
constexpr std::size_t kMaxRedirectedData = 1280 - 40 - 40 - 8;

Icmpv6Type type_of(std::uint8_t t) {
  return static_cast<Icmpv6Type>(t);
}

bool is_known(std::uint8_t t) {
  switch (type_of(t)) {
    case Icmpv6Type::DestUnreachable:
    case Icmpv6Type::PacketTooBig:
    case Icmpv6Type::TimeExceeded:
    case Icmpv6Type::ParameterProblem:
    case Icmpv6Type::EchoRequest:
    case Icmpv6Type::EchoReply:
    case Icmpv6Type::MldQuery:
    case Icmpv6Type::MldV1Report:
    case Icmpv6Type::MldV1Done:
    case Icmpv6Type::RouterSolicit:
    case Icmpv6Type::RouterAdvert:
    case Icmpv6Type::NeighborSolicit:
    case Icmpv6Type::NeighborAdvert:
    case Icmpv6Type::Redirect:
    case Icmpv6Type::MldV2Report:
      return true;
  }
  return false;
}

// Where an NDP message's options start (its fixed part's length); 0 if not NDP.
std::size_t ndp_fixed_len(std::uint8_t t) {
  switch (type_of(t)) {
    case Icmpv6Type::RouterSolicit:
      return 8;
    case Icmpv6Type::RouterAdvert:
      return 16;
    case Icmpv6Type::NeighborSolicit:
    case Icmpv6Type::NeighborAdvert:
      return 24;
    case Icmpv6Type::Redirect:
      return 40;
    default:
      return 0;
  }
}

std::size_t redirected_len(const NdpOptions& o) {
  return std::min(o.redirected.size(), kMaxRedirectedData);
}

Result<NdpOptions, WireError> parse_ndp_options(Bytes m, std::size_t pos) {
  NdpOptions o;
  while (pos < m.size()) {
    if (m.size() - pos < 2) return Err{WireError::BadOptionLength};
    const std::uint8_t type = load_u8(m, pos);
    const std::size_t units = load_u8(m, pos + 1);
    const std::size_t len = units * 8;
    // RFC 4861 §4.6: "Nodes MUST silently discard an ND packet that contains an option
    // with length zero" (and one cannot run past the message).
    if (units == 0 || m.size() - pos < len) return Err{WireError::BadOptionLength};
    switch (type) {
      case kSourceLla:
      case kTargetLla:
        // Ethernet (RFC 2464 §8): length 1. Other link layers' addresses are skipped.
        if (units == 1) {
          (type == kSourceLla ? o.source_lla : o.target_lla) = MacAddr::load(m, pos + 2);
        }
        break;
      case kPrefixInfo: {
        if (units != 4) return Err{WireError::BadOptionLength};
        if (o.prefix_count == NdpOptions::kMaxPrefixes) {
          ++o.prefixes_dropped;
          break;
        }
        NdpPrefixInfo& p = o.prefixes[o.prefix_count++];
        p.prefix_len = load_u8(m, pos + 2);
        const std::uint8_t flags = load_u8(m, pos + 3);
        p.on_link = (flags & kPrefixOnLink) != 0;
        p.autonomous = (flags & kPrefixAuto) != 0;
        p.valid_lifetime = load_be32(m, pos + 4);
        p.preferred_lifetime = load_be32(m, pos + 8);
        p.prefix = Ipv6Addr::load(m, pos + 16);
        break;
      }
      case kRedirected:
        o.has_redirected = true;
        o.redirected = m.subspan(pos + 8, len - 8);
        break;
      case kMtu:
        if (units != 1) return Err{WireError::BadOptionLength};
        o.mtu = load_be32(m, pos + 4);
        break;
      case kNonce:
        if (units == 1) {
          std::array<std::uint8_t, 6> n{};
          for (std::size_t i = 0; i < 6; ++i) n[i] = load_u8(m, pos + 2 + i);
          o.nonce = n;
        }
        break;
      default:
        break;  // RFC 4861 §4.6: unrecognized options are skipped
    }
    pos += len;
  }
  return o;
}

// Writes the options in a fixed order (radvd's for an RA: prefixes, MTU, source
// link-layer address); returns the bytes written.
std::size_t emit_ndp_options(const NdpOptions& o, MutBytes out) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < o.prefix_count && i < NdpOptions::kMaxPrefixes; ++i) {
    const NdpPrefixInfo& p = o.prefixes[i];
    store_u8(out, pos, kPrefixInfo);
    store_u8(out, pos + 1, 4);
    store_u8(out, pos + 2, p.prefix_len);
    store_u8(out, pos + 3,
             static_cast<std::uint8_t>((p.on_link ? kPrefixOnLink : 0) |
                                       (p.autonomous ? kPrefixAuto : 0)));
    store_be32(out, pos + 4, p.valid_lifetime);
    store_be32(out, pos + 8, p.preferred_lifetime);
    store_be32(out, pos + 12, 0);
    p.prefix.store(out, pos + 16);
    pos += 32;
  }
  if (o.mtu) {
    store_u8(out, pos, kMtu);
    store_u8(out, pos + 1, 1);
    store_be16(out, pos + 2, 0);
    store_be32(out, pos + 4, *o.mtu);
    pos += 8;
  }
  for (auto [type, lla] : {std::pair{kSourceLla, &o.source_lla}, {kTargetLla, &o.target_lla}}) {
    if (!*lla) continue;
    store_u8(out, pos, type);
    store_u8(out, pos + 1, 1);
    (*lla)->store(out, pos + 2);
    pos += 8;
  }
  if (o.has_redirected) {
    const std::size_t n = redirected_len(o);
    const std::size_t len = (8 + n + 7) / 8 * 8;
    // The data first (memmove: it may already be in `out`), then the header and padding.
    detail::place_payload(out, pos + 8, o.redirected.first(n));
    store_u8(out, pos, kRedirected);
    store_u8(out, pos + 1, static_cast<std::uint8_t>(len / 8));
    for (std::size_t i = 2; i < 8; ++i) store_u8(out, pos + i, 0);
    for (std::size_t i = 8 + n; i < len; ++i) store_u8(out, pos + i, 0);
    pos += len;
  }
  if (o.nonce) {
    store_u8(out, pos, kNonce);
    store_u8(out, pos + 1, 1);
    for (std::size_t i = 0; i < 6; ++i) store_u8(out, pos + 2 + i, (*o.nonce)[i]);
    pos += 8;
  }
  return pos;
}

Result<Icmpv6Repr, WireError> parse_mld(Icmpv6Repr r, Bytes m) {
  switch (type_of(r.type)) {
    case Icmpv6Type::MldQuery:
    case Icmpv6Type::MldV1Report:
    case Icmpv6Type::MldV1Done:
      if (m.size() < kMldV1Len) return Err{WireError::Truncated};
      r.max_response = load_be16(m, 4);
      r.mld_group = Ipv6Addr::load(m, 8);
      if (r.type != static_cast<std::uint8_t>(Icmpv6Type::MldQuery)) return r;
      // RFC 3810 §8.1: 24 bytes is an MLDv1 query, 28 or more MLDv2; other lengths are
      // not valid queries.
      if (m.size() == kMldV1Len) {
        r.mld_version = 1;
        return r;
      }
      if (m.size() < kMldV2QueryLen) return Err{WireError::BadTotalLength};
      {
        r.mld_version = 2;
        const std::uint8_t flags = load_u8(m, 24);
        r.suppress_router_side = (flags & 0x08) != 0;
        r.qrv = flags & 0x07;
        r.qqic = load_u8(m, 25);
        const std::size_t n = load_be16(m, 26);
        if (m.size() - kMldV2QueryLen < n * 16) return Err{WireError::Truncated};
        r.mld_sources = m.subspan(kMldV2QueryLen, n * 16);
      }
      return r;
    case Icmpv6Type::MldV2Report: {
      r.records_total = load_be16(m, 6);
      std::size_t pos = Icmpv6Repr::kHeaderLen;
      for (std::size_t i = 0; i < r.records_total; ++i) {
        if (m.size() - pos < kMldRecordLen) return Err{WireError::Truncated};
        MldRecord rec;
        rec.type = load_u8(m, pos);
        const std::size_t aux = load_u8(m, pos + 1);
        rec.source_count = load_be16(m, pos + 2);
        rec.group = Ipv6Addr::load(m, pos + 4);
        const std::size_t len = kMldRecordLen + 16 * std::size_t{rec.source_count} + 4 * aux;
        if (m.size() - pos < len) return Err{WireError::Truncated};
        if (r.record_count < Icmpv6Repr::kMaxMldRecords) r.records[r.record_count++] = rec;
        pos += len;
      }
      return r;
    }
    default:
      return Err{WireError::Unsupported};
  }
}

}  // namespace

std::size_t NdpOptions::encoded_len() const {
  std::size_t n = std::size_t{std::min<std::size_t>(prefix_count, kMaxPrefixes)} * 32;
  if (mtu) n += 8;
  if (source_lla) n += 8;
  if (target_lla) n += 8;
  if (has_redirected) n += (8 + redirected_len(*this) + 7) / 8 * 8;
  if (nonce) n += 8;
  return n;
}

Result<Icmpv6Repr, WireError> Icmpv6Repr::parse(Bytes m, PseudoHeader ph, ChecksumCheck check) {
  if (m.size() < kHeaderLen) return Err{WireError::Truncated};
  // RFC 4443 §2.3: the checksum covers the pseudo-header and the whole message.
  if (check == ChecksumCheck::Verify && detail::transport_sum(ph, kProtoIcmpv6, m).finish() != 0) {
    return Err{WireError::BadChecksum};
  }
  Icmpv6Repr r;
  r.type = load_u8(m, 0);
  r.code = load_u8(m, 1);
  if (!is_known(r.type)) return Err{WireError::Unsupported};
  switch (type_of(r.type)) {
    case Icmpv6Type::DestUnreachable:
    case Icmpv6Type::TimeExceeded:
      r.data = m.subspan(kHeaderLen);
      return r;
    case Icmpv6Type::PacketTooBig:
      r.mtu = load_be32(m, 4);
      r.data = m.subspan(kHeaderLen);
      return r;
    case Icmpv6Type::ParameterProblem:
      r.pointer = load_be32(m, 4);
      r.data = m.subspan(kHeaderLen);
      return r;
    case Icmpv6Type::EchoRequest:
    case Icmpv6Type::EchoReply:
      r.ident = load_be16(m, 4);
      r.seq_no = load_be16(m, 6);
      r.data = m.subspan(kHeaderLen);
      return r;
    case Icmpv6Type::MldQuery:
    case Icmpv6Type::MldV1Report:
    case Icmpv6Type::MldV1Done:
    case Icmpv6Type::MldV2Report:
      return parse_mld(r, m);
    default:
      break;
  }
  // NDP (RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2, §8.1): code 0, the fixed part present.
  const std::size_t fixed = ndp_fixed_len(r.type);
  if (r.code != 0) return Err{WireError::BadField};
  if (m.size() < fixed) return Err{WireError::Truncated};
  switch (type_of(r.type)) {
    case Icmpv6Type::RouterAdvert:
      r.cur_hop_limit = load_u8(m, 4);
      r.ra_flags = load_u8(m, 5);
      r.router_lifetime = load_be16(m, 6);
      r.reachable_time = load_be32(m, 8);
      r.retrans_timer = load_be32(m, 12);
      break;
    case Icmpv6Type::NeighborSolicit:
    case Icmpv6Type::NeighborAdvert:
      if (r.type == static_cast<std::uint8_t>(Icmpv6Type::NeighborAdvert)) {
        r.na_flags = load_u8(m, 4) & (kNaRouter | kNaSolicited | kNaOverride);
      }
      r.target = Ipv6Addr::load(m, 8);
      if (r.target.is_multicast()) return Err{WireError::BadField};
      break;
    case Icmpv6Type::Redirect:
      r.target = Ipv6Addr::load(m, 8);
      r.destination = Ipv6Addr::load(m, 24);
      if (r.destination.is_multicast()) return Err{WireError::BadField};
      if (!r.target.is_link_local() && r.target != r.destination) {
        return Err{WireError::BadField};
      }
      break;
    default:
      break;  // RS: 4 reserved bytes
  }
  auto opts = parse_ndp_options(m, fixed);
  if (!opts) return Err{opts.error()};
  r.options = opts.value();
  return r;
}

std::size_t Icmpv6Repr::total_len() const {
  switch (type_of(type)) {
    case Icmpv6Type::DestUnreachable:
    case Icmpv6Type::PacketTooBig:
    case Icmpv6Type::TimeExceeded:
    case Icmpv6Type::ParameterProblem:
      return kHeaderLen + std::min(data.size(), kMaxErrorData);
    case Icmpv6Type::MldQuery:
      return mld_version == 1 ? kMldV1Len : kMldV2QueryLen + mld_sources.size() / 16 * 16;
    case Icmpv6Type::MldV1Report:
    case Icmpv6Type::MldV1Done:
      return kMldV1Len;
    case Icmpv6Type::MldV2Report:
      return kHeaderLen + kMldRecordLen * std::min<std::size_t>(record_count, kMaxMldRecords);
    case Icmpv6Type::RouterSolicit:
    case Icmpv6Type::RouterAdvert:
    case Icmpv6Type::NeighborSolicit:
    case Icmpv6Type::NeighborAdvert:
    case Icmpv6Type::Redirect:
      return ndp_fixed_len(type) + options.encoded_len();
    default:
      return kHeaderLen + data.size();
  }
}

std::size_t Icmpv6Repr::emit(MutBytes out, PseudoHeader ph) const {
  const std::size_t len = total_len();
  assert(out.size() >= len);
  const Icmpv6Type t = type_of(type);
  if (!is_ndp() && t != Icmpv6Type::MldQuery && t != Icmpv6Type::MldV1Report &&
      t != Icmpv6Type::MldV1Done && t != Icmpv6Type::MldV2Report) {
    // Echo, errors and anything else: 8 bytes and the data (an error's cut to fit).
    detail::place_payload(out, kHeaderLen, data.first(len - kHeaderLen));
  }
  store_u8(out, 0, type);
  store_u8(out, 1, code);
  store_be16(out, 2, 0);
  store_be32(out, 4, 0);  // "unused"/"reserved": zero
  switch (t) {
    case Icmpv6Type::PacketTooBig:
      store_be32(out, 4, mtu);
      break;
    case Icmpv6Type::ParameterProblem:
      store_be32(out, 4, pointer);
      break;
    case Icmpv6Type::EchoRequest:
    case Icmpv6Type::EchoReply:
      store_be16(out, 4, ident);
      store_be16(out, 6, seq_no);
      break;
    case Icmpv6Type::MldQuery:
    case Icmpv6Type::MldV1Report:
    case Icmpv6Type::MldV1Done:
      if (t == Icmpv6Type::MldQuery && mld_version != 1) {
        detail::place_payload(out, kMldV2QueryLen, mld_sources.first(len - kMldV2QueryLen));
        store_u8(out, 24, static_cast<std::uint8_t>((suppress_router_side ? 0x08 : 0) | (qrv & 7)));
        store_u8(out, 25, qqic);
        store_be16(out, 26, static_cast<std::uint16_t>((len - kMldV2QueryLen) / 16));
      }
      store_be16(out, 4, max_response);
      mld_group.store(out, 8);
      break;
    case Icmpv6Type::MldV2Report: {
      const std::size_t n = (len - kHeaderLen) / kMldRecordLen;
      store_be16(out, 6, static_cast<std::uint16_t>(n));
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t at = kHeaderLen + i * kMldRecordLen;
        store_u8(out, at, records[i].type);
        store_u8(out, at + 1, 0);    // no auxiliary data
        store_be16(out, at + 2, 0);  // no sources
        records[i].group.store(out, at + 4);
      }
      break;
    }
    case Icmpv6Type::RouterAdvert:
      store_u8(out, 4, cur_hop_limit);
      store_u8(out, 5, ra_flags);
      store_be16(out, 6, router_lifetime);
      store_be32(out, 8, reachable_time);
      store_be32(out, 12, retrans_timer);
      break;
    case Icmpv6Type::NeighborAdvert:
      store_u8(out, 4, na_flags & (kNaRouter | kNaSolicited | kNaOverride));
      target.store(out, 8);
      break;
    case Icmpv6Type::NeighborSolicit:
      target.store(out, 8);
      break;
    case Icmpv6Type::Redirect:
      target.store(out, 8);
      destination.store(out, 24);
      break;
    default:
      break;
  }
  if (is_ndp())
    emit_ndp_options(options, out.subspan(ndp_fixed_len(type), len - ndp_fixed_len(type)));
  store_be16(out, 2, detail::transport_sum(ph, kProtoIcmpv6, Bytes(out.first(len))).finish());
  return len;
}

NdpCheck validate_ndp(const Ipv6Repr& ip, const Icmpv6Repr& msg) {
  if (!msg.is_ndp()) return NdpCheck::NotNdp;
  // RFC 4861 §6.1.1 ff.: "The IP Hop Limit field has a value of 255", so the packet
  // cannot have been forwarded by a router.
  if (ip.hop_limit != 255) return NdpCheck::HopLimit;
  switch (type_of(msg.type)) {
    case Icmpv6Type::RouterSolicit:
      if (ip.src.is_unspecified() && msg.options.source_lla) {
        return NdpCheck::UnspecifiedSourceWithLla;
      }
      break;
    case Icmpv6Type::RouterAdvert:
    case Icmpv6Type::Redirect:
      if (!ip.src.is_link_local()) return NdpCheck::SourceNotLinkLocal;
      break;
    case Icmpv6Type::NeighborSolicit:
      if (ip.src.is_unspecified()) {
        if (!ip.dst.is_solicited_node()) return NdpCheck::UnspecifiedSourceNotSolicited;
        if (msg.options.source_lla) return NdpCheck::UnspecifiedSourceWithLla;
      }
      break;
    case Icmpv6Type::NeighborAdvert:
      if (ip.dst.is_multicast() && msg.na_solicited()) return NdpCheck::SolicitedToMulticast;
      break;
    default:
      break;
  }
  return NdpCheck::Ok;
}

std::string_view to_string(NdpCheck c) {
  switch (c) {
    case NdpCheck::Ok:
      return "ok";
    case NdpCheck::NotNdp:
      return "not an NDP message";
    case NdpCheck::HopLimit:
      return "hop limit not 255";
    case NdpCheck::SourceNotLinkLocal:
      return "source not link-local";
    case NdpCheck::UnspecifiedSourceWithLla:
      return "unspecified source with a source link-layer address option";
    case NdpCheck::UnspecifiedSourceNotSolicited:
      return "unspecified source not to a solicited-node address";
    case NdpCheck::SolicitedToMulticast:
      return "solicited advertisement to a multicast address";
  }
  return "unknown NDP check";
}

std::string describe(const Icmpv6Repr& m) {
  // tcpdump's wording (print-icmp6.c) where it has one.
  std::ostringstream out;
  switch (type_of(m.type)) {
    case Icmpv6Type::DestUnreachable: {
      static constexpr const char* kCodes[] = {
          "no route",         "administratively prohibited", "beyond scope", "unreachable address",
          "unreachable port", "source address policy",       "reject route"};
      out << "destination unreachable, ";
      if (m.code < std::size(kCodes)) {
        out << kCodes[m.code];
      } else {
        out << "code " << unsigned{m.code};
      }
      break;
    }
    case Icmpv6Type::PacketTooBig:
      out << "packet too big, mtu " << m.mtu;
      break;
    case Icmpv6Type::TimeExceeded:
      out << "time exceeded " << (m.code == 0 ? "in-transit" : m.code == 1 ? "reassembly" : "");
      if (m.code > 1) out << "code " << unsigned{m.code};
      break;
    case Icmpv6Type::ParameterProblem:
      out << "parameter problem, code " << unsigned{m.code} << ", pointer " << m.pointer;
      break;
    case Icmpv6Type::EchoRequest:
    case Icmpv6Type::EchoReply:
      out << (m.type == 128 ? "echo request" : "echo reply") << ", id " << m.ident << ", seq "
          << m.seq_no;
      break;
    case Icmpv6Type::MldQuery:
      out << "multicast listener query v" << unsigned{m.mld_version} << ", group "
          << m.mld_group.to_string();
      break;
    case Icmpv6Type::MldV1Report:
      out << "multicast listener report, group " << m.mld_group.to_string();
      break;
    case Icmpv6Type::MldV1Done:
      out << "multicast listener done, group " << m.mld_group.to_string();
      break;
    case Icmpv6Type::MldV2Report:
      out << "multicast listener report v2, " << m.records_total << " group record(s)";
      break;
    case Icmpv6Type::RouterSolicit:
      out << "router solicitation";
      break;
    case Icmpv6Type::RouterAdvert:
      out << "router advertisement, hop limit " << unsigned{m.cur_hop_limit} << ", router lifetime "
          << m.router_lifetime << "s";
      break;
    case Icmpv6Type::NeighborSolicit:
      out << "neighbor solicitation, who has " << m.target.to_string();
      break;
    case Icmpv6Type::NeighborAdvert: {
      out << "neighbor advertisement, tgt is " << m.target.to_string() << ", Flags [";
      const char* sep = "";
      for (auto [bit, name] : {std::pair{Icmpv6Repr::kNaRouter, "router"},
                               {Icmpv6Repr::kNaSolicited, "solicited"},
                               {Icmpv6Repr::kNaOverride, "override"}}) {
        if (m.na_flags & bit) {
          out << sep << name;
          sep = ", ";
        }
      }
      out << (m.na_flags == 0 ? "none]" : "]");
      break;
    }
    case Icmpv6Type::Redirect:
      out << "redirect, " << m.destination.to_string() << " to " << m.target.to_string();
      break;
    default:
      out << "type " << unsigned{m.type} << ", code " << unsigned{m.code};
      break;
  }
  return std::move(out).str();
}

std::size_t emit_mld_report_packet(MutBytes out, const Ipv6Addr& src, const Icmpv6Repr& msg) {
  const std::size_t icmp_len = msg.total_len();
  constexpr std::size_t kHbh = 8;
  assert(out.size() >= Ipv6Repr::kHeaderLen + kHbh + icmp_len);
  MutBytes l4 = out.subspan(Ipv6Repr::kHeaderLen + kHbh);
  const Ipv6Addr dst = Ipv6Addr::all_mldv2_routers();
  msg.emit(l4, PseudoHeader::ipv6(src, dst));
  emit_router_alert_hbh(out.subspan(Ipv6Repr::kHeaderLen), kProtoIcmpv6, 0);
  Ipv6Repr ip;
  ip.next_header = static_cast<std::uint8_t>(NextHeader::HopByHop);
  ip.hop_limit = 1;  // RFC 3810 §5
  ip.src = src;
  ip.dst = dst;
  ip.payload = Bytes(out.subspan(Ipv6Repr::kHeaderLen, kHbh + icmp_len));
  return ip.emit(out);
}

}  // namespace synack::wire
