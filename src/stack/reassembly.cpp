// IP fragment reassembly: see include/synack/stack/reassembly.hpp.
#include "synack/stack/reassembly.hpp"

#include <algorithm>
#include <cstring>

namespace synack::stack {

namespace {

constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
/// The largest IPv4 packet (RFC 791 total length), and the largest IPv6 payload (RFC
/// 8200 payload length, which counts the unfragmentable part after the fixed header).
constexpr std::size_t kMaxPacket = 0xffff;
constexpr std::size_t kIpv6FixedHeader = 40;

// RFC 1858 §3.2: the first fragment must hold the transport header a filter looks at
// (TCP's 20 bytes with the flags; UDP's and ICMP's 8).
std::size_t min_first_fragment(std::uint8_t protocol) {
  switch (protocol) {
    case kProtoTcp:
      return 20;
    case kProtoUdp:
    case kProtoIcmp:
      return 8;
    default:
      return 0;
  }
}

}  // namespace

FragmentKey FragmentKey::ipv4(wire::Ipv4Addr src, wire::Ipv4Addr dst, std::uint8_t protocol,
                              std::uint16_t ident) {
  FragmentKey k;
  k.family = IpFamily::Ipv4;
  src.store(MutBytes(k.src), 0);
  dst.store(MutBytes(k.dst), 0);
  k.protocol = protocol;
  k.ident = ident;
  return k;
}

Duration Reassembler::timeout(IpFamily f) const {
  return f == IpFamily::Ipv6 ? config_.ipv6_timeout : config_.ipv4_timeout;
}

bool Reassembler::refuse(const FragmentIn& f) const {
  // Linux refuses empty fragments too (ip_frag_queue: end == offset); an offset-0
  // fragment without MF is no fragment at all.
  if (f.data.empty() || (f.offset == 0 && !f.more)) return true;
  if (f.offset % 8 != 0) return true;
  // RFC 791: every fragment but the last carries a multiple of 8 bytes.
  if (f.more && f.data.size() % 8 != 0) return true;
  // "Ping of death": the reassembled packet would pass the 16-bit length: IPv4's total
  // length, IPv6's payload length (which leaves out the 40-byte fixed header, so a
  // 65535-byte payload -- a 65527-byte UDP datagram -- still fits).
  const std::size_t fixed =
      f.key.family == IpFamily::Ipv6 ? std::min(f.header.size(), kIpv6FixedHeader) : 0;
  if (f.header.size() - fixed + f.offset + f.data.size() > kMaxPacket) return true;
  if (f.offset == 0 && !f.header_chain_complete) return true;  // RFC 7112 (the caller's check)
  if (f.key.family == IpFamily::Ipv4) {
    // RFC 1858 §3.2: "if FO=1 and PROTOCOL=TCP then drop packet" (an overlap that
    // would rewrite the TCP flags), and a first fragment too short for the header.
    if (f.key.protocol == kProtoTcp && f.offset == 8) return true;
    if (f.offset == 0 && f.data.size() < min_first_fragment(f.key.protocol)) return true;
  }
  return false;
}

void Reassembler::charge(const FragmentKey& key, Datagram& d, std::size_t bytes) {
  d.charge += bytes;
  bytes_ += bytes;
  sources_[SourceKey{key.family, key.src}].bytes += bytes;
}

void Reassembler::remove(DatagramMap::iterator it) {
  const FragmentKey& key = it->first;
  Datagram& d = it->second;
  bytes_ -= d.charge;
  pieces_ -= d.pieces.size();
  auto s = sources_.find(SourceKey{key.family, key.src});
  if (s != sources_.end()) {
    s->second.bytes -= d.charge;
    --s->second.datagrams;
    if (s->second.datagrams == 0) sources_.erase(s);
  }
  by_deadline_.erase({d.deadline, d.seq});
  datagrams_.erase(it);
}

bool Reassembler::evict_oldest_of(const SourceKey& source, const FragmentKey* keep) {
  // At most max_datagrams entries: a bounded scan, nearest deadline first.
  for (const auto& [when, key] : by_deadline_) {
    if (key.family != source.first || key.src != source.second) continue;
    if (keep != nullptr && key == *keep) continue;
    remove(datagrams_.find(key));
    return true;
  }
  return false;
}

FragOutcome Reassembler::discard(DatagramMap::iterator it, FragVerdict why) {
  remove(it);
  FragOutcome out;
  out.verdict = why;
  return out;
}

std::size_t Reassembler::datagrams_from(IpFamily family,
                                        const std::array<std::byte, 16>& src) const {
  auto s = sources_.find(SourceKey{family, src});
  return s == sources_.end() ? 0 : s->second.datagrams;
}

std::size_t Reassembler::memory_from(IpFamily family, const std::array<std::byte, 16>& src) const {
  auto s = sources_.find(SourceKey{family, src});
  return s == sources_.end() ? 0 : s->second.bytes;
}

FragOutcome Reassembler::add(const FragmentIn& f, Instant now) {
  FragOutcome out;
  if (refuse(f)) {
    out.verdict = FragVerdict::Refused;
    return out;
  }
  const std::size_t end = f.offset + f.data.size();
  const SourceKey source{f.key.family, f.key.src};
  const std::size_t piece_cost =
      kPieceOverhead + f.data.size() + (f.offset == 0 ? f.header.size() : 0);
  auto source_bytes = [&] {
    auto s = sources_.find(source);
    return s == sources_.end() ? std::size_t{0} : s->second.bytes;
  };

  auto it = datagrams_.find(f.key);
  if (it == datagrams_.end()) {
    // A new datagram. Its source's bounds first: they evict that source's own oldest.
    const std::size_t cost = kDatagramOverhead + piece_cost;
    if (cost > config_.max_bytes_per_source || cost > config_.max_bytes) {
      out.verdict = FragVerdict::NoRoom;
      return out;
    }
    while (datagrams_from(source.first, source.second) >= config_.max_datagrams_per_source ||
           source_bytes() + cost > config_.max_bytes_per_source) {
      if (!evict_oldest_of(source, nullptr)) break;
      ++out.evicted;
    }
    if (datagrams_from(source.first, source.second) >= config_.max_datagrams_per_source ||
        datagrams_.size() >= config_.max_datagrams || bytes_ + cost > config_.max_bytes) {
      out.verdict = FragVerdict::NoRoom;
      return out;
    }
    it = datagrams_.emplace(f.key, Datagram{}).first;
    Datagram& d = it->second;
    d.deadline = now + timeout(f.key.family);
    d.seq = next_seq_++;
    by_deadline_.emplace(std::pair{d.deadline, d.seq}, f.key);
    ++sources_[source].datagrams;
    charge(f.key, d, kDatagramOverhead);
  } else {
    Datagram& d = it->second;
    // The end: fixed by the last fragment; nothing may lie beyond it.
    const std::size_t held_end = d.pieces.empty() ? 0 : d.pieces.back().end();
    if (!f.more) {
      if (d.have_last ? d.total != end : held_end > end) return discard(it, FragVerdict::Overlap);
    } else if (d.have_last && end > d.total) {
      return discard(it, FragVerdict::Overlap);
    }
    // Overlap with a held piece: an exact copy is a duplicate, anything else discards.
    auto pos = std::lower_bound(d.pieces.begin(), d.pieces.end(), f.offset,
                                [](const Piece& p, std::size_t o) { return p.offset < o; });
    const Piece* hit = nullptr;
    if (pos != d.pieces.end() && pos->offset < end) hit = &*pos;
    if (pos != d.pieces.begin() && std::prev(pos)->end() > f.offset) hit = &*std::prev(pos);
    if (hit != nullptr) {
      bool same = hit->offset == f.offset && hit->data.size() == f.data.size() &&
                  std::equal(hit->data.begin(), hit->data.end(), f.data.begin());
      if (!same) return discard(it, FragVerdict::Overlap);
      out.verdict = FragVerdict::Duplicate;
      return out;
    }
    if (d.pieces.size() >= config_.max_fragments_per_datagram) {
      return discard(it, FragVerdict::TooManyFragments);
    }
    if (piece_cost > config_.max_bytes_per_source) return discard(it, FragVerdict::NoRoom);
    while (source_bytes() + piece_cost > config_.max_bytes_per_source) {
      if (!evict_oldest_of(source, &f.key)) {
        // This datagram alone would pass its source's bound: it can never complete.
        return discard(it, FragVerdict::NoRoom);
      }
      ++out.evicted;
    }
    if (bytes_ + piece_cost > config_.max_bytes) {
      out.verdict = FragVerdict::NoRoom;
      return out;
    }
  }

  Datagram& d = it->second;
  auto pos = std::lower_bound(d.pieces.begin(), d.pieces.end(), f.offset,
                              [](const Piece& p, std::size_t o) { return p.offset < o; });
  d.pieces.insert(pos, Piece{f.offset, ByteVec(f.data.begin(), f.data.end())});
  ++pieces_;
  if (f.offset == 0) d.header.assign(f.header.begin(), f.header.end());
  if (!f.more) {
    d.have_last = true;
    d.total = end;
  }
  d.received += f.data.size();
  charge(f.key, d, piece_cost);

  // No overlaps and nothing beyond the end: as many bytes as the length means no hole.
  if (!d.have_last || d.received != d.total) {
    out.verdict = FragVerdict::Queued;
    return out;
  }
  out.verdict = FragVerdict::Complete;
  out.header_len = d.header.size();
  out.packet.resize(d.header.size() + d.total);
  std::memcpy(out.packet.data(), d.header.data(), d.header.size());
  for (const Piece& p : d.pieces) {
    std::memcpy(out.packet.data() + d.header.size() + p.offset, p.data.data(), p.data.size());
  }
  remove(it);
  return out;
}

std::vector<ExpiredDatagram> Reassembler::expire(Instant now) {
  std::vector<ExpiredDatagram> out;
  while (!by_deadline_.empty() && by_deadline_.begin()->first.first <= now) {
    auto it = datagrams_.find(by_deadline_.begin()->second);
    ExpiredDatagram e;
    e.key = it->first;
    const Datagram& d = it->second;
    if (!d.pieces.empty() && d.pieces.front().offset == 0) {
      e.first = d.header;
      e.first.insert(e.first.end(), d.pieces.front().data.begin(), d.pieces.front().data.end());
    }
    out.push_back(std::move(e));
    remove(it);
  }
  return out;
}

std::optional<Instant> Reassembler::next_deadline() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first.first;
}

}  // namespace synack::stack
