// Structure-aware fuzzing of stack::Reassembler. The input is a sequence of at most
// kMaxSteps fragments, 7 bytes each:
//   [0] bits 0-1: which identification (4), bit 2: which source (2), bit 3: MF,
//       bits 4-5: protocol (UDP, TCP, ICMP, other), bit 6: IPv6, bit 7: RFC 7112 flag off
//   [1..2] offset in 8-byte units (13 bits)   [3..4] length (mod 2049)
//   [5] content seed                          [6] time advance, in 250 ms steps
// Small bounds make every limit reachable. Properties after every step: memory,
// datagram and fragment counts within their bounds (globally and per source), nothing
// left once no datagram is, a deadline exactly while something is held and never in the
// past after expire(); a completed datagram is the first fragment's header followed by
// exactly the declared length, every byte of which came from a fragment fed for it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "fuzz_util.hpp"
#include "synack/stack/reassembly.hpp"

using namespace synack;
using namespace synack::stack;
using synack::wire::fuzz::check;

namespace {

constexpr std::size_t kMaxSteps = 400;
constexpr std::uint8_t kProtos[] = {17, 6, 1, 50};

std::size_t header_len(IpFamily f) {
  return f == IpFamily::Ipv6 ? 40 : 20;
}

ReassemblyConfig small_config() {
  ReassemblyConfig c;
  c.max_bytes = 48 * 1024;
  c.max_datagrams = 6;
  c.max_bytes_per_source = 32 * 1024;
  c.max_datagrams_per_source = 4;
  c.max_fragments_per_datagram = 12;
  c.ipv4_timeout = std::chrono::seconds(30);
  c.ipv6_timeout = std::chrono::seconds(60);
  return c;
}

std::byte content(std::uint8_t seed, std::size_t pos) {
  return static_cast<std::byte>((seed * 31u + pos * 7u + (pos >> 8)) & 0xff);
}

struct Fed {
  std::size_t offset;
  ByteVec data;
  bool more;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ReassemblyConfig cfg = small_config();
  Reassembler r(cfg);
  Instant now;
  std::map<FragmentKey, std::vector<Fed>> fed;  // accepted fragments, per datagram
  std::map<FragmentKey, ByteVec> headers;
  const std::array<std::array<std::byte, 16>, 2> sources = [] {
    std::array<std::array<std::byte, 16>, 2> s{};
    s[0][0] = std::byte{10};
    s[0][3] = std::byte{9};
    s[1][0] = std::byte{10};
    s[1][3] = std::byte{66};
    return s;
  }();

  for (std::size_t step = 0; step < kMaxSteps && size >= 7; ++step, data += 7, size -= 7) {
    const std::uint8_t b0 = data[0];
    FragmentKey key;
    key.family = (b0 & 0x40) ? IpFamily::Ipv6 : IpFamily::Ipv4;
    key.src = sources[(b0 >> 2) & 1];
    key.dst[0] = std::byte{10};
    key.dst[3] = std::byte{2};
    key.protocol = kProtos[(b0 >> 4) & 3];
    key.ident = b0 & 3;
    FragmentIn f;
    f.key = key;
    f.more = (b0 & 0x08) != 0;
    f.header_chain_complete = (b0 & 0x80) == 0;
    f.offset = std::size_t{static_cast<std::uint16_t>(data[1] << 8 | data[2]) & 0x1fffu} * 8;
    const std::size_t len = static_cast<std::uint16_t>(data[3] << 8 | data[4]) % 2049u;
    ByteVec bytes(len);
    for (std::size_t i = 0; i < len; ++i) bytes[i] = content(data[5], f.offset + i);
    f.data = bytes;
    // IPv4's header without options; IPv6's fixed header (its limit is the payload
    // length, which leaves that header out).
    const std::size_t hlen = header_len(key.family);
    const std::size_t fixed = key.family == IpFamily::Ipv6 ? hlen : 0;
    ByteVec header(hlen, static_cast<std::byte>(b0 & 0x77));
    f.header = header;
    now += std::chrono::milliseconds(250) * data[6];

    for (const auto& e : r.expire(now)) {
      fed.erase(e.key);
      // The first fragment handed back is the header, then data fed at offset 0.
      check(e.first.empty() || e.first.size() > header_len(e.key.family));
    }
    if (auto d = r.next_deadline()) check(*d > now);

    FragOutcome o = r.add(f, now);
    switch (o.verdict) {
      case FragVerdict::Queued:
        fed[key].push_back(Fed{f.offset, bytes, f.more});
        if (f.offset == 0) headers[key] = header;
        break;
      case FragVerdict::Complete: {
        fed[key].push_back(Fed{f.offset, bytes, f.more});
        if (f.offset == 0) headers[key] = header;
        check(o.header_len == hlen);
        check(o.packet.size() - fixed <= 0xffff);
        check(wire::fuzz::same_bytes(Bytes(o.packet).first(hlen), headers[key]));
        const std::size_t total = o.packet.size() - hlen;
        // The declared length: the end of a last fragment fed for it.
        bool declared = false;
        for (const Fed& x : fed[key]) declared |= !x.more && x.offset + x.data.size() == total;
        check(declared);
        // Every byte from some fragment fed for this datagram, at its place.
        std::vector<bool> covered(total, false);
        Bytes payload = Bytes(o.packet).subspan(hlen);
        for (const Fed& x : fed[key]) {
          if (x.offset + x.data.size() > total) continue;
          if (!wire::fuzz::same_bytes(payload.subspan(x.offset, x.data.size()), x.data)) continue;
          for (std::size_t i = 0; i < x.data.size(); ++i) covered[x.offset + i] = true;
        }
        for (bool c : covered) check(c);
        fed.erase(key);
        break;
      }
      case FragVerdict::Overlap:
      case FragVerdict::TooManyFragments:
        fed.erase(key);
        break;
      case FragVerdict::Duplicate:
      case FragVerdict::Refused:
      case FragVerdict::NoRoom:
        break;
    }
    // A refused fragment is bad by itself: its rules, checked independently.
    if (o.verdict != FragVerdict::Refused) {
      check(len != 0 && f.offset % 8 == 0 && (!f.more || len % 8 == 0) &&
            hlen - fixed + f.offset + len <= 0xffff && !(f.offset == 0 && !f.more));
    }

    // The bounds, globally and per source.
    check(r.memory() <= cfg.max_bytes);
    check(r.datagrams() <= cfg.max_datagrams);
    check(r.fragments() <= r.datagrams() * cfg.max_fragments_per_datagram);
    for (auto family : {IpFamily::Ipv4, IpFamily::Ipv6}) {
      for (const auto& s : sources) {
        check(r.datagrams_from(family, s) <= cfg.max_datagrams_per_source);
        check(r.memory_from(family, s) <= cfg.max_bytes_per_source);
      }
    }
    check(r.memory() >= r.datagrams() * Reassembler::kDatagramOverhead +
                            r.fragments() * Reassembler::kPieceOverhead);
    check((r.datagrams() == 0) == (r.memory() == 0));
    check((r.datagrams() == 0) == (r.fragments() == 0));
    check(r.next_deadline().has_value() == (r.datagrams() != 0));
  }
  // Everything times out eventually, and then nothing is held.
  r.expire(now + std::chrono::seconds(61));
  check(r.memory() == 0 && r.datagrams() == 0 && r.fragments() == 0);
  return 0;
}
