#include "synack/base/ring_buffer.hpp"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include <deque>

#include "synack/base/random.hpp"

namespace synack {
namespace {

TEST(ByteRing, WrapsAndPreservesOrderAgainstModel) {
  SeededRandom rng(11);
  ByteRing ring(97);
  std::deque<std::byte> model;
  std::uint8_t next = 0;
  for (int step = 0; step < 20000; ++step) {
    if (rng.chance(0.5)) {
      ByteVec in(rng.below(60));
      for (auto& b : in) b = std::byte(next++);
      std::size_t n = ring.write(in);
      ASSERT_EQ(n, std::min(in.size(), 97 - model.size()));
      model.insert(model.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
      next = static_cast<std::uint8_t>(next - (in.size() - n));
    } else {
      ByteVec out(rng.below(60));
      std::size_t n = ring.read(out);
      ASSERT_EQ(n, std::min(out.size(), model.size()));
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(out[i], model.front());
        model.pop_front();
      }
    }
    ASSERT_EQ(ring.size(), model.size());
  }
}

// peek with a sum copies what peek copies and sums exactly those bytes, also when the
// range wraps around the end of the ring (two parts, the first of odd length).
TEST(ByteRing, PeekWithASumCopiesAndSumsAcrossTheWrap) {
  ByteRing r(4096);
  std::vector<std::byte> fill(4096);
  for (std::size_t i = 0; i < fill.size(); ++i) fill[i] = std::byte(i * 7 + 1);
  ASSERT_EQ(r.write(fill), 4096u);
  r.consume(3001);                                     // head near the end
  ASSERT_EQ(r.write(Bytes(fill).first(2999)), 2999u);  // wraps
  for (std::size_t off : {0u, 1u, 1094u, 1095u}) {
    for (std::size_t n : {1u, 200u, 1448u, 3000u}) {
      std::vector<std::byte> a(n), b(n);
      Checksum sum;
      const std::size_t got = r.peek(off, b, sum);
      ASSERT_EQ(r.peek(off, a), got);
      ASSERT_EQ(a, b) << off << " " << n;
      EXPECT_EQ(sum.finish(), internet_checksum(Bytes(a).first(got))) << off << " " << n;
    }
  }
}

TEST(ByteRing, WriteAtThenCommitForOutOfOrderData) {
  ByteRing ring(8);
  ring.write(as_bytes("ab"));
  EXPECT_EQ(ring.write_at(2, as_bytes("ef")), 2u);  // a hole of 2 bytes at offset 0..1
  EXPECT_EQ(ring.size(), 2u);
  EXPECT_EQ(ring.write_at(0, as_bytes("cd")), 2u);
  ring.commit(4);
  char out[8] = {};
  EXPECT_EQ(ring.read(MutBytes(reinterpret_cast<std::byte*>(out), 8)), 6u);
  EXPECT_EQ(std::string(out, 6), "abcdef");
  EXPECT_EQ(ring.write_at(8, as_bytes("x")), 0u);  // beyond capacity
}

TEST(ByteRing, PeekDoesNotConsumeAndReserveKeepsData) {
  ByteRing ring(4);
  ring.write(as_bytes("wxyz"));
  ring.consume(2);
  ring.write(as_bytes("12"));  // wraps
  char out[4] = {};
  EXPECT_EQ(ring.peek(1, MutBytes(reinterpret_cast<std::byte*>(out), 3)), 3u);
  EXPECT_EQ(std::string(out, 3), "z12");
  ring.reserve(16);
  EXPECT_EQ(ring.capacity(), 16u);
  EXPECT_EQ(ring.write(as_bytes("abc")), 3u);
  char all[7] = {};
  EXPECT_EQ(ring.read(MutBytes(reinterpret_cast<std::byte*>(all), 7)), 7u);
  EXPECT_EQ(std::string(all, 7), "yz12abc");
}

TEST(ByteRing, AllocatesOnlyAsDataArrivesUpToTheLimit) {
  ByteRing ring(1 << 20);
  EXPECT_EQ(ring.capacity(), 1u << 20);
  EXPECT_EQ(ring.allocated(), 0u);  // an idle connection costs no buffer memory
  ring.write(as_bytes("x"));
  EXPECT_EQ(ring.allocated(), 4096u);
  std::vector<std::byte> big(100000, std::byte{7});
  EXPECT_EQ(ring.write(big), big.size());
  EXPECT_GE(ring.allocated(), 100001u);
  EXPECT_LE(ring.allocated(), 2 * 100001u);
  std::vector<std::byte> huge(2 << 20, std::byte{1});
  EXPECT_EQ(ring.write(huge), (1u << 20) - 100001u);  // clipped at the limit
  EXPECT_EQ(ring.allocated(), 1u << 20);              // never beyond it
}

TEST(ByteRing, GrowthKeepsWrappedAndOutOfOrderBytes) {
  ByteRing ring(64 * 1024);
  std::vector<std::byte> a(4000), b(3000), ooo(50);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::byte(i % 251);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::byte(i % 241);
  for (std::size_t i = 0; i < ooo.size(); ++i) ooo[i] = std::byte(200 + i);
  ring.write(a);
  std::vector<std::byte> sink(3500);
  ring.read(sink);                                // head now at 3500 of a 4096 allocation
  ring.write(b);                                  // 3500 bytes live, wrapping, allocation grows
  EXPECT_EQ(ring.write_at(10, ooo), ooo.size());  // out of order, past size()
  std::vector<std::byte> more(20000, std::byte{9});
  EXPECT_EQ(ring.write_at(100, more), more.size());  // forces another growth
  EXPECT_GE(ring.allocated(), 3500u + 100 + 20000);
  ring.commit(10 + ooo.size());
  std::vector<std::byte> out(ring.size());
  ASSERT_EQ(ring.read(out), 3500u + 10 + ooo.size());
  EXPECT_TRUE(std::equal(a.begin() + 3500, a.end(), out.begin()));
  EXPECT_TRUE(std::equal(b.begin(), b.end(), out.begin() + 500));
  EXPECT_TRUE(std::equal(ooo.begin(), ooo.end(), out.begin() + 3510));
}

}  // namespace
}  // namespace synack
