#include "synack/base/checksum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "synack/base/random.hpp"

namespace synack {
namespace {

// Straightforward RFC 1071 reference: 16-bit big-endian words, 32-bit sum, fold.
std::uint16_t reference_checksum(Bytes d) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < d.size(); i += 2) sum += load_be16(d, i);
  if (d.size() % 2) sum += std::uint32_t{load_u8(d, d.size() - 1)} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

ByteVec random_bytes(Random& rng, std::size_t n) {
  ByteVec v(n);
  for (auto& b : v) b = std::byte(rng.next_u32() & 0xff);
  return v;
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 §3 example bytes 00 01 f2 03 f4 f5 f6 f7: sum 0xddf2, checksum ~0xddf2.
  const std::uint8_t raw[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  Bytes b(reinterpret_cast<const std::byte*>(raw), sizeof raw);
  EXPECT_EQ(Checksum().add(b).sum16(), 0xddf2);
  EXPECT_EQ(internet_checksum(b), static_cast<std::uint16_t>(~0xddf2));
}

TEST(Checksum, KnownIpv4Header) {
  // A real IPv4 header (checksum field zeroed); the correct checksum is 0xb861.
  const std::uint8_t raw[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                              0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(internet_checksum(Bytes(reinterpret_cast<const std::byte*>(raw), sizeof raw)), 0xb861);
}

TEST(Checksum, MatchesReferenceForAllLengthsAndAlignments) {
  SeededRandom rng(1);
  ByteVec data = random_bytes(rng, 300);
  for (std::size_t off = 0; off < 9; ++off) {
    for (std::size_t len = 0; off + len <= data.size(); len += 7) {
      Bytes b(data.data() + off, len);
      ASSERT_EQ(internet_checksum(b), reference_checksum(b)) << "off " << off << " len " << len;
    }
  }
}

// The vector loop (AVX2 where the CPU has it, for 128 bytes and more) and the scalar
// loop agree with the reference for every length across the switch-over and every
// alignment, and on buffers of all 0xff bytes (where carries are most frequent).
TEST(Checksum, VectorAndScalarLoopsMatchTheReference) {
  SeededRandom rng(3);
  ByteVec data = random_bytes(rng, 1100);
  ByteVec ones(70000, std::byte{0xff});
  for (bool scalar : {false, true}) {
    checksum_force_scalar(scalar);
    for (std::size_t off = 0; off < 5; ++off) {
      for (std::size_t len = 100; off + len <= data.size(); len += (len < 300 ? 1 : 61)) {
        Bytes b(data.data() + off, len);
        ASSERT_EQ(internet_checksum(b), reference_checksum(b))
            << (scalar ? "scalar" : "vector") << " off " << off << " len " << len;
      }
    }
    for (std::size_t len : {128u, 1500u, 65536u, 69999u}) {
      Bytes b(ones.data() + 1, len);
      ASSERT_EQ(internet_checksum(b), reference_checksum(b)) << len;
    }
  }
  checksum_force_scalar(false);
}

// The AVX2 loop sums signed 32-bit lanes in chunks of 512 KiB: across several chunks,
// on all-zero words (every lane at its most negative), all-0xff words (most positive)
// and random ones, it agrees with the scalar loop and a 64-bit reference.
TEST(Checksum, LongBuffersAcrossTheVectorLoopsChunks) {
  auto reference64 = [](Bytes d) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i + 1 < d.size(); i += 2) sum += load_be16(d, i);
    if (d.size() % 2) sum += std::uint64_t{load_u8(d, d.size() - 1)} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
  };
  SeededRandom rng(5);
  const std::size_t n = 3 * 512 * 1024 + 200;
  for (ByteVec data :
       {ByteVec(n, std::byte{0}), ByteVec(n, std::byte{0xff}), random_bytes(rng, n)}) {
    for (std::size_t len : {std::size_t{512 * 1024 + 96}, std::size_t{512 * 1024 + 128}, n - 1}) {
      Bytes b(data.data() + 1, len);
      const std::uint16_t want = reference64(b);
      ASSERT_EQ(internet_checksum(b), want) << len;
      checksum_force_scalar(true);
      ASSERT_EQ(internet_checksum(b), want) << len;
      checksum_force_scalar(false);
    }
  }
}

// add_copy copies exactly the source (nothing past it) and sums what add() would, for
// every length across the vector loop's bounds, both loops, after an odd or even start.
TEST(Checksum, AddCopyCopiesAndSumsAsAdd) {
  SeededRandom rng(7);
  const ByteVec src = random_bytes(rng, 1200);
  for (bool scalar : {false, true}) {
    checksum_force_scalar(scalar);
    for (std::size_t lead : {0u, 1u, 2u}) {
      for (std::size_t len = 0; len + 3 <= src.size(); len += (len < 300 ? 1 : 37)) {
        const Bytes in(src.data() + 3, len);
        ByteVec dst(len + 8, std::byte{0xee});
        Checksum plain, fused;
        plain.add(Bytes(src.data(), lead)).add(in);
        fused.add(Bytes(src.data(), lead)).add_copy(MutBytes(dst).subspan(4), in);
        ASSERT_EQ(fused.finish(), plain.finish()) << "len " << len << " lead " << lead;
        ASSERT_TRUE(std::equal(in.begin(), in.end(), dst.begin() + 4)) << len;
        ASSERT_EQ(dst[3], std::byte{0xee});
        ASSERT_EQ(dst[len + 4], std::byte{0xee}) << "wrote past the copy, len " << len;
      }
    }
  }
  checksum_force_scalar(false);
}

// A sum of bytes that follow (add(Checksum)) is the sum of their concatenation, after
// an odd or an even number of bytes, whatever the second part's own parity.
TEST(Checksum, AddingASumOfTheBytesThatFollowEqualsAddingThem) {
  SeededRandom rng(8);
  const ByteVec data = random_bytes(rng, 700);
  for (std::size_t split = 0; split <= 300; ++split) {
    for (std::size_t end : {split + 1, split + 2, std::size_t{700}}) {
      Checksum whole, first, second;
      whole.add(Bytes(data.data(), end));
      first.add(Bytes(data.data(), split));
      second.add(Bytes(data.data() + split, end - split));
      ASSERT_EQ(first.add(second).finish(), whole.finish()) << split << " " << end;
    }
  }
}

TEST(Checksum, Ipv4Header20MatchesTheGeneralSum) {
  const std::uint8_t raw[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                              0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(ipv4_header_checksum20(reinterpret_cast<const std::byte*>(raw)), 0xb861);
  SeededRandom rng(4);
  for (int trial = 0; trial < 2000; ++trial) {
    ByteVec h = random_bytes(rng, 21);
    if (trial % 3 == 0) std::fill(h.begin(), h.end(), std::byte{0xff});  // most carries
    Bytes b(h.data() + trial % 2, 20);                                   // aligned and not
    ASSERT_EQ(ipv4_header_checksum20(b.data()), reference_checksum(b)) << trial;
  }
}

TEST(Checksum, SplitAddsEqualOneAdd) {
  SeededRandom rng(2);
  for (int trial = 0; trial < 500; ++trial) {
    ByteVec data = random_bytes(rng, 1 + rng.below(200));
    Checksum c;
    std::size_t pos = 0;
    while (pos < data.size()) {  // odd-sized pieces exercise the carried odd byte
      std::size_t n = std::min<std::size_t>(1 + rng.below(13), data.size() - pos);
      c.add(Bytes(data.data() + pos, n));
      pos += n;
    }
    ASSERT_EQ(c.finish(), reference_checksum(data));
  }
}

TEST(Checksum, VerifiesToZeroWhenChecksumIncluded) {
  SeededRandom rng(3);
  ByteVec data = random_bytes(rng, 64);
  store_be16(data, 10, 0);
  store_be16(data, 10, internet_checksum(data));
  EXPECT_EQ(internet_checksum(data), 0);
}

TEST(Checksum, AddU16AndU32MatchBytes) {
  const std::uint8_t raw[] = {0x12, 0x34, 0xab, 0xcd, 0x00, 0x06};
  Bytes b(reinterpret_cast<const std::byte*>(raw), sizeof raw);
  EXPECT_EQ(Checksum().add_u32(0x1234abcd).add_u16(6).finish(), internet_checksum(b));
}

TEST(Checksum, IncrementalUpdateMatchesRecompute) {
  SeededRandom rng(4);
  for (int trial = 0; trial < 1000; ++trial) {
    ByteVec data = random_bytes(rng, 40);
    store_be16(data, 16, 0);
    std::uint16_t ck = internet_checksum(data);
    std::size_t word = 2 * rng.below(20);
    if (word == 16) continue;
    std::uint16_t old_word = load_be16(data, word);
    std::uint16_t new_word = static_cast<std::uint16_t>(rng.next_u32());
    store_be16(data, word, new_word);
    ASSERT_EQ(checksum_update16(ck, old_word, new_word), internet_checksum(data));
  }
}

TEST(Checksum, IncrementalUpdate32) {
  SeededRandom rng(5);
  for (int trial = 0; trial < 1000; ++trial) {
    ByteVec data = random_bytes(rng, 20);
    std::uint16_t ck = internet_checksum(data);
    std::uint32_t old_v = load_be32(data, 4);
    std::uint32_t new_v = rng.next_u32();
    store_be32(data, 4, new_v);
    ASSERT_EQ(checksum_update32(ck, old_v, new_v), internet_checksum(data));
  }
}

}  // namespace
}  // namespace synack
