// The fragment reassembler on its own (reassembly.hpp): orders, duplicates, each kind
// of overlap, the RFC 1858 / ping-of-death refusals, timeouts, and the memory bounds
// under floods.
#include "synack/stack/reassembly.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace synack::stack {
namespace {

constexpr std::uint8_t kTcp = 6, kUdp = 17;

FragmentKey key(std::uint32_t src = 0x0a4d0009, std::uint16_t ident = 7,
                std::uint8_t proto = kUdp) {
  return FragmentKey::ipv4(wire::Ipv4Addr{src}, wire::Ipv4Addr{0x0a4d0002}, proto, ident);
}

ByteVec pattern(std::size_t n, std::uint8_t seed = 0) {
  ByteVec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 7 + seed) & 0xff);
  return v;
}

const ByteVec kHeader = pattern(20, 0x45);

// Fragment [offset, offset + len) of `payload`; MF unless it reaches the end.
FragmentIn piece(const FragmentKey& k, const ByteVec& payload, std::size_t offset,
                 std::size_t len) {
  FragmentIn f;
  f.key = k;
  f.offset = offset;
  f.data = Bytes(payload).subspan(offset, len);
  f.more = offset + len < payload.size();
  f.header = kHeader;
  return f;
}

std::vector<FragmentIn> split(const FragmentKey& k, const ByteVec& payload, std::size_t size) {
  std::vector<FragmentIn> out;
  for (std::size_t off = 0; off < payload.size(); off += size) {
    out.push_back(piece(k, payload, off, std::min(size, payload.size() - off)));
  }
  return out;
}

ByteVec with_header(const ByteVec& payload) {
  ByteVec v = kHeader;
  v.insert(v.end(), payload.begin(), payload.end());
  return v;
}

// Feeds `order` and expects Complete exactly at the last one, with the right bytes.
void expect_reassembles(std::vector<FragmentIn> frags, const ByteVec& payload) {
  Reassembler r{ReassemblyConfig{}};
  Instant now;
  for (std::size_t i = 0; i < frags.size(); ++i) {
    FragOutcome o = r.add(frags[i], now);
    if (i + 1 < frags.size()) {
      ASSERT_EQ(o.verdict, FragVerdict::Queued) << i;
      EXPECT_EQ(r.fragments(), i + 1);
    } else {
      ASSERT_EQ(o.verdict, FragVerdict::Complete);
      EXPECT_EQ(o.header_len, 20u);
      EXPECT_EQ(o.packet, with_header(payload));
    }
  }
  EXPECT_EQ(r.memory(), 0u);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.fragments(), 0u);
  EXPECT_EQ(r.next_deadline(), std::nullopt);
}

TEST(Reassembly, InOrderReverseAndShuffled) {
  ByteVec payload = pattern(3001);
  auto frags = split(key(), payload, 512);
  ASSERT_EQ(frags.size(), 6u);
  expect_reassembles(frags, payload);
  std::reverse(frags.begin(), frags.end());
  expect_reassembles(frags, payload);
  std::mt19937 g(42);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(frags.begin(), frags.end(), g);
    expect_reassembles(frags, payload);
  }
}

TEST(Reassembly, ExactDuplicatesAreIgnored) {
  ByteVec payload = pattern(1600);
  auto frags = split(key(), payload, 800);
  Reassembler r{ReassemblyConfig{}};
  EXPECT_EQ(r.add(frags[0], {}).verdict, FragVerdict::Queued);
  const std::size_t mem = r.memory();
  EXPECT_EQ(r.add(frags[0], {}).verdict, FragVerdict::Duplicate);
  EXPECT_EQ(r.memory(), mem);
  EXPECT_EQ(r.fragments(), 1u);
  auto o = r.add(frags[1], {});
  ASSERT_EQ(o.verdict, FragVerdict::Complete);
  EXPECT_EQ(o.packet, with_header(payload));
}

// RFC 5722 (and Linux for IPv4): every overlap other than an exact duplicate discards
// the datagram and everything held for it.
TEST(Reassembly, EveryOtherOverlapDiscardsTheDatagram) {
  ByteVec payload = pattern(4000);
  struct Case {
    const char* name;
    std::size_t offset, len;
  };
  // A fragment [1000, 2000) is held; each case overlaps it differently.
  const Case cases[] = {
      {"front", 992, 16},
      {"back", 1992, 16},
      {"inside", 1008, 16},
      {"covers", 992, 1016},
      {"same start shorter", 1000, 512},
      {"same start longer", 1000, 1008},
      {"same end", 1496, 504},
  };
  for (const Case& c : cases) {
    Reassembler r{ReassemblyConfig{}};
    ASSERT_EQ(r.add(piece(key(), payload, 1000, 1000), {}).verdict, FragVerdict::Queued);
    ASSERT_EQ(r.add(piece(key(), payload, 0, 8), {}).verdict, FragVerdict::Queued);
    EXPECT_EQ(r.add(piece(key(), payload, c.offset, c.len), {}).verdict, FragVerdict::Overlap)
        << c.name;
    EXPECT_EQ(r.datagrams(), 0u) << c.name;
    EXPECT_EQ(r.memory(), 0u) << c.name;
    EXPECT_EQ(r.fragments(), 0u) << c.name;
  }
  // Same place and length, other bytes: an overlap too, not a duplicate.
  Reassembler r{ReassemblyConfig{}};
  ASSERT_EQ(r.add(piece(key(), payload, 1000, 1000), {}).verdict, FragVerdict::Queued);
  ByteVec other = payload;
  other[1500] ^= std::byte{1};
  EXPECT_EQ(r.add(piece(key(), other, 1000, 1000), {}).verdict, FragVerdict::Overlap);
  EXPECT_EQ(r.datagrams(), 0u);
}

TEST(Reassembly, TheLastFragmentFixesTheEnd) {
  ByteVec payload = pattern(2000);
  auto last = piece(key(), payload, 1600, 400);
  ASSERT_FALSE(last.more);
  {
    // A second last fragment with another end.
    Reassembler r{ReassemblyConfig{}};
    ASSERT_EQ(r.add(last, {}).verdict, FragVerdict::Queued);
    FragmentIn other = piece(key(), payload, 1600, 200);
    other.more = false;
    EXPECT_EQ(r.add(other, {}).verdict, FragVerdict::Overlap);
    EXPECT_EQ(r.datagrams(), 0u);
  }
  {
    // Data beyond the end, after it was fixed.
    Reassembler r{ReassemblyConfig{}};
    ASSERT_EQ(r.add(last, {}).verdict, FragVerdict::Queued);
    ByteVec longer = pattern(3000);
    EXPECT_EQ(r.add(piece(key(), longer, 2000, 800), {}).verdict, FragVerdict::Overlap);
    EXPECT_EQ(r.datagrams(), 0u);
  }
  {
    // A last fragment that ends before data already held.
    Reassembler r{ReassemblyConfig{}};
    ASSERT_EQ(r.add(piece(key(), payload, 800, 800), {}).verdict, FragVerdict::Queued);
    FragmentIn early = piece(key(), payload, 0, 400);
    early.more = false;
    early.offset = 400;
    EXPECT_EQ(r.add(early, {}).verdict, FragVerdict::Overlap);
    EXPECT_EQ(r.datagrams(), 0u);
  }
}

TEST(Reassembly, BadFragmentsAreRefusedAndChangeNothing) {
  ByteVec payload = pattern(70000);
  Reassembler r{ReassemblyConfig{}};
  ASSERT_EQ(r.add(piece(key(), payload, 1000, 1000), {}).verdict, FragVerdict::Queued);
  const std::size_t mem = r.memory();
  auto refused = [&](FragmentIn f, const char* why) {
    EXPECT_EQ(r.add(f, {}).verdict, FragVerdict::Refused) << why;
    EXPECT_EQ(r.memory(), mem) << why;
  };
  refused(piece(key(), payload, 0, 1001), "MF with a length not a multiple of 8");
  refused(piece(key(), payload, 4, 8), "offset not a multiple of 8");
  refused(piece(key(), payload, 16, 0), "empty");
  FragmentIn whole = piece(key(), payload, 0, 64);
  whole.more = false;
  refused(whole, "offset 0 without MF is no fragment");
  // Ping of death: 20 + 65528 + 16 > 65535.
  FragmentIn pod = piece(key(), payload, 65528, 16);
  pod.more = false;
  refused(pod, "past 65535");
  // RFC 1858: TCP at offset 8 (FO=1), and first fragments too short for the header.
  refused(piece(key(0x0a4d0009, 9, kTcp), payload, 8, 64), "TCP FO=1");
  refused(piece(key(0x0a4d0009, 9, kTcp), payload, 0, 16), "TCP first fragment < 20 bytes");
  EXPECT_EQ(r.add(piece(key(0x0a4d0009, 9, kTcp), payload, 0, 24), {}).verdict,
            FragVerdict::Queued);
  FragmentIn udp4 = piece(key(0x0a4d0009, 10, kUdp), payload, 0, 8);
  EXPECT_EQ(r.add(udp4, {}).verdict, FragVerdict::Queued);  // 8 bytes: the UDP header fits
  // The RFC 7112 hook (IPv6): a first fragment without the whole header chain.
  FragmentIn v6 = piece(key(), payload, 0, 64);
  v6.key.family = IpFamily::Ipv6;
  v6.header_chain_complete = false;
  EXPECT_EQ(r.add(v6, {}).verdict, FragVerdict::Refused);
  // RFC 1858's FO=1 rule is IPv4's; IPv6 relies on RFC 7112.
  FragmentIn v6tcp = piece(key(0x0a4d0009, 11, kTcp), payload, 8, 64);
  v6tcp.key.family = IpFamily::Ipv6;
  EXPECT_EQ(r.add(v6tcp, {}).verdict, FragVerdict::Queued);
  // The largest legal end: 20 + 65512 + 3 = 65535.
  FragmentIn fits = piece(key(0x0a4d0009, 12), payload, 65512, 3);
  fits.more = false;
  EXPECT_EQ(r.add(fits, {}).verdict, FragVerdict::Queued);
  // IPv6's limit is the payload length, which leaves out the 40-byte fixed header: a
  // fragment behind a bare IPv6 header may end at 65535, one byte more is refused.
  ByteVec v6_header(40);
  FragmentIn v6_fits = piece(key(0x0a4d0009, 13), payload, 65528, 7);
  v6_fits.key.family = IpFamily::Ipv6;
  v6_fits.header = v6_header;
  v6_fits.more = false;
  EXPECT_EQ(r.add(v6_fits, {}).verdict, FragVerdict::Queued);
  FragmentIn v6_past = piece(key(0x0a4d0009, 14), payload, 65528, 8);
  v6_past.key.family = IpFamily::Ipv6;
  v6_past.header = v6_header;
  v6_past.more = false;
  EXPECT_EQ(r.add(v6_past, {}).verdict, FragVerdict::Refused);
}

TEST(Reassembly, TimeoutFreesAndHandsBackTheFirstFragment) {
  ByteVec payload = pattern(3000);
  Reassembler r{ReassemblyConfig{}};
  const Instant t0 = Instant::zero() + std::chrono::seconds(5);
  ASSERT_EQ(r.add(piece(key(1), payload, 0, 1480), t0).verdict, FragVerdict::Queued);
  ASSERT_EQ(r.add(piece(key(2), payload, 1480, 1480), t0 + 1s).verdict, FragVerdict::Queued);
  FragmentIn v6 = piece(key(3), payload, 0, 1480);
  v6.key.family = IpFamily::Ipv6;
  ASSERT_EQ(r.add(v6, t0).verdict, FragVerdict::Queued);
  EXPECT_EQ(r.next_deadline(), t0 + 30s);  // IPv4: 30 s from the first fragment
  EXPECT_TRUE(r.expire(t0 + 30s - 1ns).empty());
  auto e = r.expire(t0 + 30s);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].key, key(1));
  ByteVec first = kHeader;
  first.insert(first.end(), payload.begin(), payload.begin() + 1480);
  EXPECT_EQ(e[0].first, first);
  EXPECT_EQ(r.next_deadline(), t0 + 31s);
  e = r.expire(t0 + 31s);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(e[0].first.empty());         // the offset-0 fragment never came
  EXPECT_EQ(r.next_deadline(), t0 + 60s);  // IPv6: 60 s (RFC 8200)
  EXPECT_EQ(r.expire(t0 + 60s).size(), 1u);
  EXPECT_EQ(r.memory(), 0u);
  EXPECT_EQ(r.datagrams(), 0u);
}

TEST(Reassembly, TooManyFragmentsDiscardTheDatagram) {
  ReassemblyConfig cfg;
  Reassembler r{cfg};
  ByteVec payload = pattern(8 * 200);
  for (std::size_t i = 0; i < cfg.max_fragments_per_datagram; ++i) {
    ASSERT_EQ(r.add(piece(key(), payload, 8 * (2 * i + 1), 8), {}).verdict, FragVerdict::Queued);
  }
  EXPECT_EQ(r.fragments(), 64u);
  EXPECT_EQ(r.memory(), Reassembler::kDatagramOverhead + 64 * (Reassembler::kPieceOverhead + 8));
  EXPECT_EQ(r.add(piece(key(), payload, 0, 8), {}).verdict, FragVerdict::TooManyFragments);
  EXPECT_EQ(r.memory(), 0u);
  EXPECT_EQ(r.fragments(), 0u);
}

// One source floods thousands of identifications: it keeps max_datagrams_per_source
// of them (its oldest evicted), memory stays at exactly that bound, and another
// source's datagram still completes meanwhile.
TEST(Reassembly, OneSourceFloodIsBoundedAndDoesNotStarveOthers) {
  ReassemblyConfig cfg;
  Reassembler r{cfg};
  ByteVec junk = pattern(1480);
  ByteVec legit = pattern(2960, 3);
  const std::uint32_t attacker = 0x0a4d0066, friendly = 0x0a4d0005;
  std::size_t evicted = 0;
  Instant now;
  for (std::uint32_t id = 0; id < 5000; ++id) {
    now += 1ms;
    FragOutcome o = r.add(piece(key(attacker, static_cast<std::uint16_t>(id)), junk, 0, 1472), now);
    ASSERT_EQ(o.verdict, FragVerdict::Queued);
    evicted += o.evicted;
    ASSERT_LE(r.memory(), cfg.max_bytes);
    ASSERT_LE(r.datagrams_from(IpFamily::Ipv4, key(attacker).src), cfg.max_datagrams_per_source);
    if (id == 2500) {
      ASSERT_EQ(r.add(piece(key(friendly, 1), legit, 0, 1480), now).verdict, FragVerdict::Queued);
    }
    if (id == 2600) {
      auto done = r.add(piece(key(friendly, 1), legit, 1480, 1480), now);
      ASSERT_EQ(done.verdict, FragVerdict::Complete);
      EXPECT_EQ(done.packet, with_header(legit));
    }
  }
  const std::size_t per_attack =
      Reassembler::kDatagramOverhead + Reassembler::kPieceOverhead + 1472 + kHeader.size();
  EXPECT_EQ(r.datagrams(), cfg.max_datagrams_per_source);
  EXPECT_EQ(r.memory(), cfg.max_datagrams_per_source * per_attack);
  EXPECT_EQ(r.memory_from(IpFamily::Ipv4, key(attacker).src), r.memory());
  EXPECT_EQ(evicted, 5000 - cfg.max_datagrams_per_source);
}

// Many sources: the global bounds hold; past them new fragments are refused.
TEST(Reassembly, ManySourcesFloodStaysWithinTheGlobalBounds) {
  ReassemblyConfig cfg;
  Reassembler r{cfg};
  ByteVec junk = pattern(1480);
  std::size_t refused = 0;
  for (std::uint32_t src = 0; src < 4000; ++src) {
    for (std::uint16_t id = 0; id < 3; ++id) {
      FragOutcome o = r.add(piece(key(0x0b000000 + src, id), junk, 8, 1464), {});
      if (o.verdict == FragVerdict::NoRoom) ++refused;
      ASSERT_LE(r.memory(), cfg.max_bytes);
      ASSERT_LE(r.datagrams(), cfg.max_datagrams);
    }
  }
  const std::size_t per = Reassembler::kDatagramOverhead + Reassembler::kPieceOverhead + 1464;
  EXPECT_EQ(r.datagrams(), cfg.max_datagrams);  // 1024 x 1784 bytes < 4 MiB: the count binds
  EXPECT_EQ(r.memory(), cfg.max_datagrams * per);
  EXPECT_EQ(refused, 12000 - cfg.max_datagrams);

  // With a smaller byte bound, bytes bind: memory ends within one fragment of it.
  cfg.max_bytes = 200000;
  Reassembler small{cfg};
  for (std::uint32_t src = 0; src < 4000; ++src) {
    small.add(piece(key(0x0b000000 + src, 1), junk, 8, 1464), {});
    ASSERT_LE(small.memory(), cfg.max_bytes);
  }
  EXPECT_EQ(small.datagrams(), cfg.max_bytes / per);
  EXPECT_EQ(small.memory(), (cfg.max_bytes / per) * per);
}

// A source's bytes bound: its big incomplete datagrams evict its own oldest.
TEST(Reassembly, PerSourceByteBoundEvictsThatSourcesOldest) {
  ReassemblyConfig cfg;
  cfg.max_bytes_per_source = 100000;
  Reassembler r{cfg};
  ByteVec big = pattern(60000);
  for (std::uint16_t id = 0; id < 10; ++id) {
    for (std::size_t off = 0; off < 29600; off += 1480) {
      FragOutcome o = r.add(piece(key(0x0a4d0066, id), big, off, 1480), Instant{} + id * 1ms);
      ASSERT_EQ(o.verdict, FragVerdict::Queued);
      ASSERT_LE(r.memory_from(IpFamily::Ipv4, key(0x0a4d0066).src), cfg.max_bytes_per_source);
    }
  }
  EXPECT_EQ(r.datagrams(), 3u);  // 20 pieces of ~1.5 KB each: three fit in 100 kB
}

}  // namespace
}  // namespace synack::stack
