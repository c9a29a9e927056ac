// TCP Fast Open (RFC 7413): the server's cookie (SipHash-2-4 of the client address
// under a rotating key, with a grace period for the previous key) and the client's
// bounded cookie cache. The segment-level behaviour is in tests/scripts/tfo-*.pkt.
#include <gtest/gtest.h>

#include <sodium.h>

#include "synack/base/random.hpp"
#include "synack/tcp/fastopen.hpp"
#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

using namespace std::chrono_literals;

const wire::Ipv4Addr kClient = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
const wire::Ipv4Addr kOther = wire::Ipv4Addr::from_octets(10, 77, 0, 9);

// A Random whose words are fixed, so the key is known.
class FixedRandom final : public Random {
 public:
  std::uint64_t next_u64() override { return next_++; }

 private:
  std::uint64_t next_ = 0x0706050403020100ull;
};

TEST(TfoServerKeys, CookieIsSipHashOfTheClientAddressUnderTheKey) {
  FixedRandom rng;
  TfoServerKeys keys(rng, 1h);
  const TfoCookie c = keys.make(kClient, at_ms(0));
  ASSERT_EQ(c.len, 8);
  // The key: the first two words little-endian: 00 01 .. 07, then 01 01 02 .. 07
  // (the second word is the first plus one).
  std::array<unsigned char, 16> key{0, 1, 2, 3, 4, 5, 6, 7, 1, 1, 2, 3, 4, 5, 6, 7};
  const unsigned char in[4] = {10, 77, 0, 1};
  std::array<unsigned char, 8> want{};
  ASSERT_EQ(sodium_init() >= 0, true);
  crypto_shorthash(want.data(), in, sizeof in, key.data());
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(c.bytes[i], want[i]) << i;
  for (std::size_t i = 8; i < 16; ++i) EXPECT_EQ(c.bytes[i], 0) << i;
  // Deterministic under the key; another address gets another cookie.
  EXPECT_EQ(keys.make(kClient, at_ms(10)), c);
  EXPECT_TRUE(keys.valid(kClient, c, at_ms(20)));
  EXPECT_FALSE(keys.valid(kOther, c, at_ms(20)));
  EXPECT_NE(keys.make(kOther, at_ms(20)), c);
}

TEST(TfoServerKeys, SameSeedSameCookieOtherSeedOther) {
  SeededRandom a(7), b(7), c(8);
  TfoServerKeys ka(a, 1h), kb(b, 1h), kc(c, 1h);
  EXPECT_EQ(ka.make(kClient, at_ms(0)), kb.make(kClient, at_ms(0)));
  EXPECT_NE(ka.make(kClient, at_ms(0)), kc.make(kClient, at_ms(0)));
}

TEST(TfoServerKeys, RejectsWrongLengthAndTamperedCookies) {
  SeededRandom rng(3);
  TfoServerKeys keys(rng, 1h);
  TfoCookie c = keys.make(kClient, at_ms(0));
  TfoCookie request;  // len 0: a request is never a valid cookie
  EXPECT_FALSE(keys.valid(kClient, request, at_ms(0)));
  TfoCookie longer = c;
  longer.len = 10;
  EXPECT_FALSE(keys.valid(kClient, longer, at_ms(0)));
  for (std::size_t i = 0; i < 8; ++i) {
    TfoCookie t = c;
    t.bytes[i] ^= 0x01;
    EXPECT_FALSE(keys.valid(kClient, t, at_ms(0))) << i;
  }
}

TEST(TfoServerKeys, RotationKeepsThePreviousKeyForOneInterval) {
  SeededRandom rng(5);
  TfoServerKeys keys(rng, 10s);
  const TfoCookie old = keys.make(kClient, at_ms(0));
  EXPECT_EQ(keys.rotations(), 0u);
  // Before the interval: same key.
  EXPECT_EQ(keys.make(kClient, at_ms(9'999)), old);
  // At 10 s the key rotates: a new cookie, the old one still valid (grace).
  const TfoCookie fresh = keys.make(kClient, at_ms(10'000));
  EXPECT_EQ(keys.rotations(), 1u);
  EXPECT_NE(fresh, old);
  EXPECT_TRUE(keys.valid(kClient, old, at_ms(15'000)));
  EXPECT_TRUE(keys.valid(kClient, fresh, at_ms(15'000)));
  // At 20 s the next rotation: `fresh` becomes the previous key, `old` is gone.
  EXPECT_FALSE(keys.valid(kClient, old, at_ms(20'000)));
  EXPECT_EQ(keys.rotations(), 2u);
  EXPECT_TRUE(keys.valid(kClient, fresh, at_ms(20'000)));
}

TEST(TfoServerKeys, IdleForTwoIntervalsDropsThePreviousKey) {
  SeededRandom rng(5);
  TfoServerKeys keys(rng, 10s);
  const TfoCookie old = keys.make(kClient, at_ms(0));
  // First use after 25 s: the previous key would be 25 s old, past its grace.
  EXPECT_FALSE(keys.valid(kClient, old, at_ms(25'000)));
  EXPECT_EQ(keys.rotations(), 1u);
}

TEST(TfoServerKeys, ZeroRotationNeverRotates) {
  SeededRandom rng(5);
  TfoServerKeys keys(rng, Duration::zero());
  const TfoCookie c = keys.make(kClient, at_ms(0));
  EXPECT_TRUE(keys.valid(kClient, c, at_ms(1'000'000'000)));
  EXPECT_EQ(keys.rotations(), 0u);
}

TfoCookie cookie_of(std::uint8_t b) {
  TfoCookie c;
  c.len = 8;
  c.bytes.fill(0);
  for (std::size_t i = 0; i < 8; ++i) c.bytes[i] = static_cast<std::uint8_t>(b + i);
  return c;
}

TEST(TfoCookieCache, StoresCookieAndMssPerServer) {
  TfoCookieCache cache(4, 60s);
  EXPECT_EQ(cache.find(kClient), nullptr);
  cache.store(kClient, cookie_of(1), 1400);
  const auto* e = cache.find(kClient);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->cookie, cookie_of(1));
  EXPECT_EQ(e->mss, 1400);
  // A new cookie replaces the old; a SYN,ACK without an MSS keeps the known one.
  cache.store(kClient, cookie_of(9), 0);
  EXPECT_EQ(cache.find(kClient)->cookie, cookie_of(9));
  EXPECT_EQ(cache.find(kClient)->mss, 1400);
  // A request (len 0) or a short cookie is never cached.
  cache.store(kOther, TfoCookie{}, 1460);
  EXPECT_EQ(cache.find(kOther), nullptr);
}

TEST(TfoCookieCache, BoundedLeastRecentlyUsedGoesFirst) {
  TfoCookieCache cache(3, 60s);
  auto addr = [](std::uint8_t i) { return wire::Ipv4Addr::from_octets(10, 77, 1, i); };
  for (std::uint8_t i = 1; i <= 3; ++i) cache.store(addr(i), cookie_of(i), 1460);
  EXPECT_EQ(cache.size(), 3u);
  cache.store(addr(1), cookie_of(11), 1460);  // 1 becomes the most recent
  cache.store(addr(4), cookie_of(4), 1460);   // evicts 2, the least recent
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_NE(cache.find(addr(1)), nullptr);
  EXPECT_EQ(cache.find(addr(2)), nullptr);
  EXPECT_NE(cache.find(addr(3)), nullptr);
  EXPECT_NE(cache.find(addr(4)), nullptr);
  // Many servers: never more than the capacity.
  for (std::uint8_t i = 5; i < 200; ++i) cache.store(addr(i), cookie_of(i), 1460);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_NE(cache.find(addr(199)), nullptr);
  TfoCookieCache none(0, 60s);
  none.store(addr(1), cookie_of(1), 1460);
  EXPECT_EQ(none.size(), 0u);
}

TEST(TfoCookieCache, SynLossHoldsTheServerOffDoublingPerLoss) {
  TfoCookieCache cache(4, 60s);
  cache.store(kClient, cookie_of(1), 1460);
  EXPECT_FALSE(cache.held_off(kClient, at_ms(0)));
  cache.note_syn_loss(kClient, at_ms(1'000));
  EXPECT_TRUE(cache.held_off(kClient, at_ms(60'999)));
  EXPECT_FALSE(cache.held_off(kClient, at_ms(61'000)));
  cache.note_syn_loss(kClient, at_ms(100'000));  // second in a row: 120 s
  EXPECT_TRUE(cache.held_off(kClient, at_ms(219'999)));
  EXPECT_FALSE(cache.held_off(kClient, at_ms(220'000)));
  cache.note_success(kClient);
  cache.note_syn_loss(kClient, at_ms(300'000));  // the count started again: 60 s
  EXPECT_FALSE(cache.held_off(kClient, at_ms(360'000)));
  EXPECT_FALSE(cache.held_off(kOther, at_ms(300'000)));
}

}  // namespace
}  // namespace synack::tcp::testing
