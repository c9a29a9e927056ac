// IPv4 fragments through the Stack: reassembly on input (RFC 791 §3.2, RFC 815) with
// its refusals and bounds, Time Exceeded on timeout (RFC 792 code 1, RFC 1122 §3.3.2),
// and fragmentation of large UDP datagrams and echo messages on output.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.hpp"

namespace synack::stack::test {
namespace {

constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint8_t kIcmp = 1, kTcp = 6, kUdp = 17;
constexpr std::uint16_t kMf = 0x2000;

ByteVec pattern(std::size_t n, std::uint8_t seed = 0) {
  ByteVec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 13 + seed) & 0xff);
  return v;
}

// The IPv4 packets (built by hand) carrying `transport` in pieces of `size` bytes.
std::vector<ByteVec> fragment(Ipv4Addr src, Ipv4Addr dst, std::uint8_t proto, std::uint16_t ident,
                              const ByteVec& transport, std::size_t size) {
  std::vector<ByteVec> out;
  for (std::size_t off = 0; off < transport.size(); off += size) {
    std::size_t n = std::min(size, transport.size() - off);
    bool more = off + n < transport.size();
    out.push_back(ipv4(
        src, dst, proto, Bytes(transport).subspan(off, n),
        {.ident = ident, .flags_frag = static_cast<std::uint16_t>((more ? kMf : 0) | (off / 8))}));
  }
  return out;
}

struct Peer {
  Host b{2};
  MacAddr peer = mac(9);
  Ipv4Addr src = ip(10, 77, 0, 9);
  Instant now;
  Peer() { teach(b, peer, src, now); }
  void rx(const ByteVec& packet, RxMeta meta = {}) {
    b.stack.on_frame(b.iface, ethernet(b.mac, peer, kIpv4, packet), meta, now);
  }
};

// The transport bytes of each IPv4 frame in `frames` (after Ethernet + 20-byte header).
struct Ip4 {
  std::uint16_t ident, flags_frag, total;
};
Ip4 ip_of(const ByteVec& frame) {
  return {load_be16(frame, 14 + 4), load_be16(frame, 14 + 6), load_be16(frame, 14 + 2)};
}

TEST(StackFragments, UdpInAnyOrderIsDeliveredWithItsBytes) {
  Peer p;
  auto s = p.b.stack.udp_bind(Ipv4Addr::any(), 5000);
  ASSERT_TRUE(s.ok());
  ByteVec data = pattern(5000);
  auto frags =
      fragment(p.src, p.b.addr, kUdp, 0x4242, udp(p.src, p.b.addr, 1234, 5000, data), 1480);
  ASSERT_EQ(frags.size(), 4u);
  std::swap(frags[0], frags[2]);
  std::swap(frags[1], frags[3]);
  for (const auto& f : frags) p.rx(f);
  auto d = p.b.stack.udp_receive_from(*s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload, data);
  EXPECT_EQ(d->src, p.src);
  EXPECT_EQ(d->src_port, 1234);
  EXPECT_EQ(p.b.stack.stats().ip_rx_fragments, 4u);
  EXPECT_EQ(p.b.stack.stats().ip_reasm_ok, 1u);
  EXPECT_EQ(p.b.stack.stats().udp_rx, 1u);
  EXPECT_EQ(p.b.stack.reassembly().memory(), 0u);
}

// The link's "checksum verified" on each fragment says nothing of the datagram:
// a reassembled one is always verified.
TEST(StackFragments, ReassembledChecksumIsAlwaysVerified) {
  Peer p;
  auto s = p.b.stack.udp_bind(Ipv4Addr::any(), 5000);
  ASSERT_TRUE(s.ok());
  ByteVec dgram = udp(p.src, p.b.addr, 1234, 5000, pattern(3000));
  dgram[2000] ^= std::byte{0x10};  // corrupted after the checksum was computed
  for (const auto& f : fragment(p.src, p.b.addr, kUdp, 1, dgram, 1480)) {
    p.rx(f, RxMeta{.checksum = RxChecksum::Verified});
  }
  EXPECT_EQ(p.b.stack.stats().ip_reasm_ok, 1u);
  EXPECT_EQ(p.b.stack.stats().udp_rx_bad_checksum, 1u);
  EXPECT_EQ(p.b.stack.stats().rx_csum_verified_by_link, 0u);
  EXPECT_FALSE(p.b.stack.udp_receive_from(*s).has_value());
}

TEST(StackFragments, DuplicatesIgnoredOverlapsDiscardedAndCounted) {
  Peer p;
  auto s = p.b.stack.udp_bind(Ipv4Addr::any(), 5000);
  ASSERT_TRUE(s.ok());
  ByteVec data = pattern(2000);
  auto frags = fragment(p.src, p.b.addr, kUdp, 7, udp(p.src, p.b.addr, 1, 5000, data), 1008);
  p.rx(frags[0]);
  p.rx(frags[0]);
  p.rx(frags[1]);
  EXPECT_EQ(p.b.stack.stats().ip_reasm_duplicates, 1u);
  EXPECT_EQ(p.b.stack.stats().ip_reasm_ok, 1u);
  ASSERT_TRUE(p.b.stack.udp_receive_from(*s).has_value());

  // The same first piece, then one that overlaps it by 8 bytes: all discarded.
  ByteVec transport = udp(p.src, p.b.addr, 1, 5000, data);
  p.rx(frags[0]);
  p.rx(
      ipv4(p.src, p.b.addr, kUdp, Bytes(transport).subspan(1000), {.ident = 7, .flags_frag = 125}));
  EXPECT_EQ(p.b.stack.stats().ip_reasm_overlaps, 1u);
  EXPECT_EQ(p.b.stack.reassembly().datagrams(), 0u);
  p.rx(frags[1]);  // a new datagram now, never completed
  EXPECT_EQ(p.b.stack.stats().ip_reasm_ok, 1u);
  EXPECT_FALSE(p.b.stack.udp_receive_from(*s).has_value());
}

TEST(StackFragments, PingOfDeathAndTinyTcpFragmentsAreRefused) {
  Peer p;
  ByteVec junk = pattern(64);
  // Offset 65528 + 16 bytes: past the 65535-byte maximum.
  p.rx(ipv4(p.src, p.b.addr, kIcmp, Bytes(junk).first(16), {.ident = 1, .flags_frag = 8191}));
  // RFC 1858: TCP at fragment offset 1, and a TCP first fragment of 16 bytes.
  p.rx(ipv4(p.src, p.b.addr, kTcp, Bytes(junk).first(24), {.ident = 2, .flags_frag = 1}));
  p.rx(ipv4(p.src, p.b.addr, kTcp, Bytes(junk).first(16), {.ident = 3, .flags_frag = kMf}));
  // A non-last fragment whose length is not a multiple of 8.
  p.rx(ipv4(p.src, p.b.addr, kUdp, Bytes(junk).first(20), {.ident = 4, .flags_frag = kMf}));
  EXPECT_EQ(p.b.stack.stats().ip_rx_fragments, 4u);
  EXPECT_EQ(p.b.stack.stats().ip_reasm_refused, 4u);
  EXPECT_EQ(p.b.stack.reassembly().memory(), 0u);
  EXPECT_TRUE(p.b.drain().empty());
}

// RFC 792 / RFC 1122 §3.3.2: on timeout, Time Exceeded code 1 quoting the first
// fragment, only if it arrived.
TEST(StackFragments, TimeoutSendsTimeExceededOnlyWithTheFirstFragment) {
  Peer p;
  ByteVec transport = udp(p.src, p.b.addr, 1, 5000, pattern(3000));
  auto frags = fragment(p.src, p.b.addr, kUdp, 0x77, transport, 1480);
  p.rx(frags[0]);  // datagram 0x77: first fragment only
  auto other = fragment(p.src, p.b.addr, kUdp, 0x78, transport, 1480);
  p.rx(other[1]);  // datagram 0x78: no first fragment
  EXPECT_EQ(p.b.stack.next_deadline(), p.now + 30s);
  p.now += 30s - 1ns;
  p.b.stack.on_timer(p.now);
  EXPECT_TRUE(p.b.drain().empty());
  p.now += 1ns;
  ASSERT_EQ(p.b.stack.next_deadline(), p.now);
  p.b.stack.on_timer(p.now);
  auto out = p.b.drain();
  ASSERT_EQ(out.size(), 1u);
  // Quoted: the first fragment as received, up to 576 bytes in all.
  ByteVec quoted(frags[0].begin(), frags[0].begin() + (576 - 20 - 8));
  EXPECT_EQ(out[0],
            ethernet(p.peer, p.b.mac, kIpv4,
                     ipv4(p.b.addr, p.src, kIcmp, icmp(11, 1, 0, quoted), {.ident = 0x200})));
  EXPECT_EQ(p.b.stack.stats().ip_reasm_timeouts, 2u);
  EXPECT_EQ(p.b.stack.stats().icmp_tx_time_exceeded, 1u);
  EXPECT_EQ(p.b.stack.reassembly().memory(), 0u);
  EXPECT_EQ(p.b.stack.reassembly().datagrams(), 0u);
}

// Time Exceeded goes through the ICMP error rate limit.
TEST(StackFragments, TimeExceededIsRateLimited) {
  StackConfig cfg;
  cfg.icmp_error_burst = 2;
  cfg.icmp_error_interval = 1s;
  Host b(2, cfg);
  teach(b, mac(9), ip(10, 77, 0, 9), {});
  ByteVec transport = udp(ip(10, 77, 0, 9), b.addr, 1, 5000, pattern(3000));
  for (std::uint16_t id = 0; id < 5; ++id) {
    auto frags = fragment(ip(10, 77, 0, 9), b.addr, kUdp, id, transport, 1480);
    b.stack.on_frame(b.iface, ethernet(b.mac, mac(9), kIpv4, frags[0]), {});
  }
  b.stack.on_timer(Instant{} + 30s);
  EXPECT_EQ(b.drain().size(), 2u);
  EXPECT_EQ(b.stack.stats().icmp_tx_time_exceeded, 2u);
  EXPECT_EQ(b.stack.stats().icmp_tx_rate_limited, 3u);
  EXPECT_EQ(b.stack.stats().ip_reasm_timeouts, 5u);
}

// A flood from one source within the per-source bound; a datagram from another
// source completes meanwhile; memory ends at the bound.
TEST(StackFragments, FloodFromOneSourceDoesNotStarveAnother) {
  Peer p;
  auto s = p.b.stack.udp_bind(Ipv4Addr::any(), 5000);
  ASSERT_TRUE(s.ok());
  teach(p.b, mac(5), ip(10, 77, 0, 5), p.now);
  ByteVec junk = pattern(1480);
  ByteVec legit = udp(ip(10, 77, 0, 5), p.b.addr, 9, 5000, pattern(2500, 1));
  auto good = fragment(ip(10, 77, 0, 5), p.b.addr, kUdp, 99, legit, 1480);
  const ReassemblyConfig cfg;
  for (std::uint32_t id = 0; id < 3000; ++id) {
    p.now += 1ms;
    p.rx(ipv4(p.src, p.b.addr, kUdp, junk,
              {.ident = static_cast<std::uint16_t>(id), .flags_frag = kMf}));
    ASSERT_LE(p.b.stack.reassembly().memory(), cfg.max_bytes);
    if (id == 1000) {
      p.b.stack.on_frame(p.b.iface, ethernet(p.b.mac, mac(5), kIpv4, good[0]), p.now);
    }
    if (id == 2000) {
      p.b.stack.on_frame(p.b.iface, ethernet(p.b.mac, mac(5), kIpv4, good[1]), p.now);
    }
  }
  auto d = p.b.stack.udp_receive_from(*s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload, pattern(2500, 1));
  EXPECT_EQ(p.b.stack.reassembly().datagrams(), cfg.max_datagrams_per_source);
  EXPECT_EQ(p.b.stack.reassembly().memory(),
            cfg.max_datagrams_per_source *
                (Reassembler::kDatagramOverhead + Reassembler::kPieceOverhead + 20 + 1480));
  EXPECT_EQ(p.b.stack.stats().ip_reasm_evicted, 3000 - cfg.max_datagrams_per_source);
  EXPECT_TRUE(p.b.drain().empty());
}

// Spoofed sources by the thousand, each a datagram of 8-byte pieces that never
// completes: the datagram bound holds memory at exactly its value however long the
// flood goes on, and the timeout frees it all (no Time Exceeded: no first fragments).
TEST(StackFragments, TinyFragmentFloodFromManySourcesHoldsConstantMemory) {
  Peer p;
  const ReassemblyConfig cfg;
  ByteVec junk = pattern(8);
  const std::size_t per =
      Reassembler::kDatagramOverhead + 20 * (Reassembler::kPieceOverhead + junk.size());
  for (int round = 0; round < 2; ++round) {
    for (std::uint32_t i = 1; i <= 3000; ++i) {
      Ipv4Addr src{0x0a010000 + i};
      for (std::uint16_t k = 0; k < 20; ++k) {
        p.b.stack.on_frame(
            p.b.iface,
            ethernet(p.b.mac, p.peer, kIpv4,
                     ipv4(src, p.b.addr, kUdp, junk,
                          {.ident = static_cast<std::uint16_t>(round + 1),
                           .flags_frag = static_cast<std::uint16_t>(kMf | (2 * k + 1))})),
            p.now);
      }
      ASSERT_LE(p.b.stack.reassembly().memory(), cfg.max_bytes);
    }
    EXPECT_EQ(p.b.stack.reassembly().datagrams(), cfg.max_datagrams);
    EXPECT_EQ(p.b.stack.reassembly().fragments(), cfg.max_datagrams * 20);
    EXPECT_EQ(p.b.stack.reassembly().memory(), cfg.max_datagrams * per);  // 1024 x 1696 bytes
  }
  EXPECT_EQ(p.b.stack.stats().ip_reasm_dropped_caps, 2 * 3000 * 20 - cfg.max_datagrams * 20);
  p.now += 30s;
  p.b.stack.on_timer(p.now);
  EXPECT_EQ(p.b.stack.stats().ip_reasm_timeouts, cfg.max_datagrams);
  EXPECT_EQ(p.b.stack.reassembly().memory(), 0u);
  EXPECT_TRUE(p.b.drain().empty());
}

// Two stacks on one segment: an 8000-byte UDP datagram leaves in MTU-sized fragments
// (one Identification, offsets in 8-byte units, MF on all but the last, DF clear) and
// arrives whole.
TEST(StackFragments, LargeUdpIsFragmentedAndReassembledByThePeer) {
  Host a(1), b(2);
  Segment seg({&a, &b});
  auto sa = a.stack.udp_bind(Ipv4Addr::any(), 4000);
  auto sb = b.stack.udp_bind(Ipv4Addr::any(), 5000);
  ASSERT_TRUE(sa.ok() && sb.ok());
  ByteVec data = pattern(8000, 5);
  ASSERT_TRUE(a.stack.udp_send_to(*sa, b.addr, 5000, data, seg.now).ok());
  seg.pump();
  std::vector<ByteVec> frags;
  for (const auto& f : seg.log) {
    if (load_be16(f, 12) == kIpv4) frags.push_back(f);
  }
  ASSERT_EQ(frags.size(), 6u);  // 8008 bytes of UDP in pieces of 1480
  for (std::size_t i = 0; i < frags.size(); ++i) {
    Ip4 h = ip_of(frags[i]);
    EXPECT_EQ(h.ident, 0x100);
    bool last = i + 1 == frags.size();
    EXPECT_EQ(h.flags_frag, (last ? 0 : kMf) | (i * 1480 / 8)) << i;
    EXPECT_EQ(h.total, last ? 20 + 8008 - 5 * 1480 : 1500) << i;
    EXPECT_EQ(internet_checksum(Bytes(frags[i]).subspan(14, 20)), 0) << i;
  }
  EXPECT_EQ(a.stack.stats().ip_tx_fragments, 6u);
  EXPECT_EQ(a.stack.stats().udp_tx, 1u);
  auto d = b.stack.udp_receive_from(*sb);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload, data);
  EXPECT_EQ(b.stack.stats().ip_reasm_ok, 1u);
  EXPECT_EQ(b.stack.stats().ip_rx_fragments, 6u);
}

TEST(StackFragments, BigPingBothWays) {
  Host a(1), b(2);
  Segment seg({&a, &b});
  ByteVec data = pattern(20000, 9);
  ASSERT_TRUE(a.stack.send_ping(b.addr, 1, 1, data, seg.now).ok());
  seg.pump();
  auto ev = a.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<PingReply>(ev[0]), (PingReply{b.addr, 1, 1, data}));
  // 20008 bytes of ICMP: 14 fragments each way.
  EXPECT_EQ(a.stack.stats().ip_tx_fragments, 14u);
  EXPECT_EQ(b.stack.stats().ip_tx_fragments, 14u);
  EXPECT_EQ(b.stack.stats().icmp_rx_echo_requests, 1u);

  ASSERT_TRUE(b.stack.send_ping(a.addr, 2, 3, data, seg.now).ok());
  seg.pump();
  ev = b.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<PingReply>(ev[0]), (PingReply{a.addr, 2, 3, data}));
  EXPECT_EQ(a.stack.reassembly().memory(), 0u);
  EXPECT_EQ(b.stack.reassembly().memory(), 0u);
}

// Our own address: the fragments go through the loopback and come back whole.
TEST(StackFragments, LargeDatagramToOurselves) {
  Host a(1);
  auto s = a.stack.udp_bind(Ipv4Addr::any(), 4000);
  ASSERT_TRUE(s.ok());
  ByteVec data = pattern(30000);
  ASSERT_TRUE(a.stack.udp_send_to(*s, a.addr, 4000, data, {}).ok());
  auto d = a.stack.udp_receive_from(*s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload, data);
  EXPECT_EQ(a.stack.stats().ip_loopback, 21u);
  EXPECT_TRUE(a.drain().empty());
}

}  // namespace
}  // namespace synack::stack::test
