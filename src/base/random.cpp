#include "synack/base/random.hpp"

#include <sodium.h>

#include <cstdlib>

namespace synack {
namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
}  // namespace

std::uint64_t Random::below(std::uint64_t n) {
  // Rejection sampling: discard the top partial range so every value is equally likely.
  std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
  std::uint64_t v;
  do {
    v = next_u64();
  } while (v >= limit);
  return v % n;
}

SeededRandom::SeededRandom(std::uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

std::uint64_t SeededRandom::next_u64() {
  // xoshiro256** (Blackman & Vigna).
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

SystemRandom::SystemRandom() {
  if (sodium_init() < 0) std::abort();  // libsodium could not initialise its RNG
}

std::uint64_t SystemRandom::next_u64() {
  std::uint64_t v;
  randombytes_buf(&v, sizeof v);
  return v;
}

}  // namespace synack
