// The injected random source. The stack never calls a global RNG: ISN keys,
// ephemeral ports and link impairments all draw from one of these.
#pragma once

#include <cstdint>

namespace synack {

/// The source of every random number the stack draws (ISN keys, ephemeral ports, IP
/// identification, SYN cookie and Fast Open keys, the challenge ACK budget). The caller
/// owns it and passes it by reference: it must outlive the Stack that uses it.
class Random {
 public:
  virtual ~Random() = default;
  virtual std::uint64_t next_u64() = 0;  ///< 64 uniformly random bits
  /// 32 uniformly random bits (the high half of next_u64())
  std::uint32_t next_u32() { return static_cast<std::uint32_t>(next_u64() >> 32); }
  /// Uniform in [0, n) (n > 0), without modulo bias.
  std::uint64_t below(std::uint64_t n);
  /// Uniform in [0, 1).
  double next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// True with probability `p` (never for p <= 0)
  bool chance(double p) { return p > 0 && next_double() < p; }
};

/// Deterministic generator (xoshiro256**, seeded through SplitMix64): same seed, same stream.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed);  ///< the stream of `seed`
  std::uint64_t next_u64() override;          ///< the next value of the stream

 private:
  std::uint64_t s_[4];
};

/// Cryptographically strong randomness from libsodium (randombytes), for real links.
class SystemRandom final : public Random {
 public:
  SystemRandom();                     ///< initialises libsodium (idempotent)
  std::uint64_t next_u64() override;  ///< 64 bits from randombytes_buf
};

}  // namespace synack
