// Test helpers for the stack layer: stacks on one virtual Ethernet segment (every
// frame is offered to every other stack, as on a hub), and packet builders that
// assemble headers byte by byte so expectations do not depend on the wire emitters.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string_view>
#include <vector>

#include "synack/base/checksum.hpp"
#include "synack/base/random.hpp"
#include "synack/stack/stack.hpp"

namespace synack::stack {
// Readable failure messages for whole-Stats comparisons.
inline void PrintTo(const Stats& s, std::ostream* os) {
  *os << "{" << format_stats(s) << "}";
}
}  // namespace synack::stack

namespace synack::stack::test {

using wire::Ipv4Addr;
using wire::Ipv4Cidr;
using wire::MacAddr;

inline Ipv4Addr ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return Ipv4Addr::from_octets(a, b, c, d);
}
inline MacAddr mac(std::uint8_t last) {
  return MacAddr{{0x02, 0, 0, 0, 0, last}};
}
inline ByteVec bytes_of(std::string_view s) {
  auto b = as_bytes(s);
  return ByteVec(b.begin(), b.end());
}
inline std::string text_of(const ByteVec& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

// Appends big-endian fields to a byte vector.
struct Builder {
  ByteVec out;
  Builder& u8(std::uint8_t v) {
    out.push_back(std::byte{v});
    return *this;
  }
  Builder& u16(std::uint16_t v) { return u8(static_cast<std::uint8_t>(v >> 8)).u8(v & 0xff); }
  Builder& u32(std::uint32_t v) {
    return u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v));
  }
  Builder& mac(MacAddr m) {
    for (auto o : m.octets) u8(o);
    return *this;
  }
  Builder& addr(Ipv4Addr a) { return u32(a.value); }
  Builder& raw(Bytes b) {
    out.insert(out.end(), b.begin(), b.end());
    return *this;
  }
};

inline ByteVec ethernet(MacAddr dst, MacAddr src, std::uint16_t type, Bytes payload) {
  return Builder{}.mac(dst).mac(src).u16(type).raw(payload).out;
}

// A TCP segment built by hand (not with the wire layer, so tests don't check the
// stack against its own builder): raw option bytes, already padded to 4 bytes by the
// caller, window 8192, and a correct checksum over the IPv4 pseudo-header.
inline ByteVec tcp_raw(Ipv4Addr src, Ipv4Addr dst, std::uint16_t sport, std::uint16_t dport,
                       std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, Bytes options = {},
                       std::string_view payload = {}) {
  const auto offset_words = static_cast<std::uint8_t>(5 + options.size() / 4);
  ByteVec s = Builder{}
                  .u16(sport)
                  .u16(dport)
                  .u32(seq)
                  .u32(ack)
                  .u8(static_cast<std::uint8_t>(offset_words << 4))
                  .u8(flags)
                  .u16(8192)
                  .u16(0)
                  .u16(0)
                  .raw(options)
                  .raw(as_bytes(payload))
                  .out;
  constexpr std::uint16_t kProtoTcp = 6;
  Checksum c;
  c.add_u32(src.value)
      .add_u32(dst.value)
      .add_u16(kProtoTcp)
      .add_u16(static_cast<std::uint16_t>(s.size()))
      .add(s);
  store_be16(s, 16, c.finish());
  return s;
}

struct IpFields {
  std::uint16_t ident = 0;
  std::uint16_t flags_frag = 0x4000;  // DF
  std::uint8_t ttl = 64;
};

inline ByteVec ipv4(Ipv4Addr src, Ipv4Addr dst, std::uint8_t proto, Bytes payload,
                    IpFields f = {}) {
  ByteVec h = Builder{}
                  .u8(0x45)
                  .u8(0)
                  .u16(static_cast<std::uint16_t>(20 + payload.size()))
                  .u16(f.ident)
                  .u16(f.flags_frag)
                  .u8(f.ttl)
                  .u8(proto)
                  .u16(0)
                  .addr(src)
                  .addr(dst)
                  .out;
  std::uint16_t sum = internet_checksum(h);
  store_be16(h, 10, sum);
  h.insert(h.end(), payload.begin(), payload.end());
  return h;
}

inline ByteVec udp(Ipv4Addr src, Ipv4Addr dst, std::uint16_t sport, std::uint16_t dport,
                   Bytes payload) {
  auto len = static_cast<std::uint16_t>(8 + payload.size());
  ByteVec d = Builder{}.u16(sport).u16(dport).u16(len).u16(0).raw(payload).out;
  Checksum c;
  c.add_u32(src.value).add_u32(dst.value).add_u16(17).add_u16(len).add(d);
  std::uint16_t sum = c.finish();
  store_be16(d, 6, sum == 0 ? 0xffff : sum);
  return d;
}

inline ByteVec icmp(std::uint8_t type, std::uint8_t code, std::uint32_t rest, Bytes data) {
  ByteVec m = Builder{}.u8(type).u8(code).u16(0).u32(rest).raw(data).out;
  std::uint16_t sum = internet_checksum(m);
  store_be16(m, 2, sum);
  return m;
}

inline ByteVec arp(std::uint16_t op, MacAddr smac, Ipv4Addr sip, MacAddr tmac, Ipv4Addr tip) {
  return Builder{}
      .u16(1)
      .u16(0x0800)
      .u8(6)
      .u8(4)
      .u16(op)
      .mac(smac)
      .addr(sip)
      .mac(tmac)
      .addr(tip)
      .out;
}

// One host on the test segment.
struct Host {
  Host(std::uint8_t n, StackConfig cfg = {}, std::uint64_t seed = 1)
      : rng(seed + n), stack(numbered(cfg, n), rng), mac(test::mac(n)), addr(ip(10, 77, 0, n)) {
    iface = stack.add_interface(mac, Ipv4Cidr{addr, 24}, 1500);
  }
  // Host n starts its IPv4 Identification at 0x100*n unless the test chose one.
  static StackConfig numbered(StackConfig c, std::uint8_t n) {
    if (!c.first_ip_ident) c.first_ip_ident = static_cast<std::uint16_t>(0x100 * n);
    return c;
  }
  SeededRandom rng;
  Stack stack;
  MacAddr mac;
  Ipv4Addr addr;
  IfaceId iface;

  std::vector<ByteVec> drain() {
    std::vector<ByteVec> out;
    while (auto f = stack.pop_frame()) out.push_back(std::move(f->bytes));
    return out;
  }
  std::vector<Event> events() {
    std::vector<Event> out;
    while (auto e = stack.pop_event()) out.push_back(std::move(*e));
    return out;
  }
};

// Makes `h` learn that `addr` is at `m` (an ARP request to it), dropping its reply.
inline void teach(Host& h, MacAddr m, Ipv4Addr addr, Instant now) {
  h.stack.on_frame(h.iface, ethernet(MacAddr::broadcast(), m, 0x0806, arp(1, m, addr, {}, h.addr)),
                   now);
  h.drain();
}

// A virtual Ethernet segment: frames popped from one host are offered to all others.
struct Segment {
  explicit Segment(std::vector<Host*> h) : hosts(std::move(h)) {}
  std::vector<Host*> hosts;
  std::vector<ByteVec> log;  // every frame carried, in order
  Instant now = Instant::zero();

  // Moves frames until nobody has anything to send (bounded).
  void pump() {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      for (Host* from : hosts) {
        while (auto f = from->stack.pop_frame()) {
          moved = true;
          log.push_back(f->bytes);
          for (Host* to : hosts) {
            if (to != from) to->stack.on_frame(to->iface, f->bytes, now);
          }
        }
      }
      if (!moved) return;
    }
    FAIL() << "segment did not go quiet";
  }
  void advance(Duration d) {
    now += d;
    for (Host* h : hosts) h->stack.on_timer(now);
  }
};

}  // namespace synack::stack::test
