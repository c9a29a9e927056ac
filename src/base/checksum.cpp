#include "synack/base/checksum.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace synack {
namespace {

// Folds a 64-bit one's-complement accumulator down to 16 bits (RFC 1071 §2(C)).
std::uint16_t fold(std::uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffu) + (acc >> 16);
  acc = (acc & 0xffffu) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

std::uint16_t bswap16(std::uint16_t v) {
  return static_cast<std::uint16_t>((v << 8) | (v >> 8));
}

// Adds a 64-bit word with end-around carry (one's-complement addition).
inline std::uint64_t add64(std::uint64_t acc, std::uint64_t w) {
  acc += w;
  return acc + (acc < w);
}

// The last 0..7 bytes, zero padded as the next whole word would be (a trailing odd
// byte lands in the low byte of its little-endian 16-bit word, where the final swap
// puts it high, as RFC 1071 pads). Fixed-size loads: no memcpy call of unknown length.
inline std::uint64_t tail_word(const std::byte* p, std::size_t n) {
  std::uint64_t w = 0;
  std::size_t shift = 0;
  if (n & 4) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    w = v;
    p += 4;
    shift = 32;
  }
  if (n & 2) {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    w |= std::uint64_t{v} << shift;
    p += 2;
    shift += 16;
  }
  if (n & 1) w |= std::uint64_t{std::to_integer<std::uint8_t>(*p)} << shift;
  return w;
}

// Sums `data` as native-endian 16-bit words (RFC 1071 §2(B): the sum is byte-order
// independent, so we swap once at the end). The bulk loop adds 32-bit words into four
// independent 64-bit lanes with no carry handling at all (a lane would need 2^31 loop
// turns, 64 GiB, to overflow), so the adds don't wait on each other; the lanes and the
// tail are then folded with end-around carry.
std::uint64_t sum_scalar(const std::byte* p, std::size_t n, std::uint64_t acc) {
  std::uint64_t lane[4] = {0, 0, 0, 0};
  while (n >= 32) {
    std::uint32_t w[8];
    std::memcpy(w, p, 32);
    lane[0] += w[0] + std::uint64_t{w[4]};
    lane[1] += w[1] + std::uint64_t{w[5]};
    lane[2] += w[2] + std::uint64_t{w[6]};
    lane[3] += w[3] + std::uint64_t{w[7]};
    p += 32;
    n -= 32;
  }
  for (std::uint64_t l : lane) acc = add64(acc, l);
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    acc = add64(acc, w);
    p += 8;
    n -= 8;
  }
  return add64(acc, tail_word(p, n));
}

#if defined(__x86_64__)
// The same sum with AVX2, three vector operations per 32 bytes. vpmaddwd multiplies
// 16-bit words by 1 and adds neighbours into 32-bit lanes, but reads the words as
// signed; with each word's top bit flipped first (XOR 0x8000) it reads u - 32768 for
// every word u, so each lane gets (u1 + u2) - 65536: the unsigned pair sum less a
// constant, put back at the end (65536 per lane and vector summed). A lane moves by at
// most 65536 per vector, so four accumulators of at most 2^12 + 3 vectors each (512 KiB)
// still add up within a signed 32-bit lane before they are emptied into the 64-bit sum.
__attribute__((target("avx2"))) inline __m256i pair_sums(__m256i v) {
  const __m256i flip = _mm256_set1_epi16(static_cast<short>(0x8000));
  return _mm256_madd_epi16(_mm256_xor_si256(v, flip), _mm256_set1_epi16(1));
}

// 32 bytes at p + at as pair sums; with kCopy also stored at d + at.
template <bool kCopy>
__attribute__((target("avx2"))) inline __m256i take(const std::byte* p, std::byte* d,
                                                    std::size_t at) {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + at));
  if constexpr (kCopy) _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + at), v);
  return pair_sums(v);
}

// With kCopy each 32 bytes loaded are also stored at `d` (the same offset): the copy
// and the sum in one pass.
template <bool kCopy>
__attribute__((target("avx2"))) std::uint64_t sum_avx2(const std::byte* p, std::byte* d,
                                                       std::size_t n, std::uint64_t acc) {
  constexpr std::size_t kChunk = std::size_t{1} << 12;  // vectors per accumulator
  while (n >= 32) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    std::size_t vectors = 0;
    for (std::size_t t = 0; t < kChunk && n >= 128; ++t) {
      a0 = _mm256_add_epi32(a0, take<kCopy>(p, d, 0));
      a1 = _mm256_add_epi32(a1, take<kCopy>(p, d, 32));
      a2 = _mm256_add_epi32(a2, take<kCopy>(p, d, 64));
      a3 = _mm256_add_epi32(a3, take<kCopy>(p, d, 96));
      p += 128;
      if constexpr (kCopy) d += 128;
      n -= 128;
      vectors += 4;
    }
    if (n < 128) {  // the last 32..127 bytes, a vector each, in the same accumulators
      for (; n >= 32; n -= 32, ++vectors) {
        a0 = _mm256_add_epi32(a0, take<kCopy>(p, d, 0));
        p += 32;
        if constexpr (kCopy) d += 32;
      }
    }
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3));
    // Eight signed lanes widened to 64 bits and added, then the constant put back.
    const __m256i wide = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(sum)),
                                          _mm256_cvtepi32_epi64(_mm256_extracti128_si256(sum, 1)));
    alignas(32) std::int64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), wide);
    const std::int64_t total =
        lanes[0] + lanes[1] + lanes[2] + lanes[3] + static_cast<std::int64_t>(vectors) * 8 * 65536;
    acc = add64(acc, static_cast<std::uint64_t>(total));
  }
  if constexpr (kCopy) std::memcpy(d, p, n);
  return sum_scalar(p, n, acc);
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#endif

bool g_force_scalar = false;

std::uint64_t sum_native(const std::byte* p, std::size_t n, std::uint64_t acc) {
#if defined(__x86_64__)
  if (n >= 128 && !g_force_scalar && cpu_has_avx2()) return sum_avx2<false>(p, nullptr, n, acc);
#endif
  return sum_scalar(p, n, acc);
}

// The sum of `n` bytes at `p`, copied to `d` on the way.
std::uint64_t copy_sum_native(std::byte* d, const std::byte* p, std::size_t n, std::uint64_t acc) {
#if defined(__x86_64__)
  if (n >= 128 && !g_force_scalar && cpu_has_avx2()) return sum_avx2<true>(p, d, n, acc);
#endif
  std::memcpy(d, p, n);
  return sum_scalar(d, n, acc);
}

}  // namespace

// The native sum of a chunk that starts at an odd offset is byte-swapped relative to
// the running sum (RFC 1071 §2(B)); fold and swap it into place.
Checksum& Checksum::add_native(std::uint64_t native_sum, std::size_t len) {
  std::uint16_t part = fold(native_sum);
  static_assert(std::endian::native == std::endian::little, "big-endian hosts: drop the swap");
  part = bswap16(part);  // native little-endian words -> network order
  if (odd_) part = bswap16(part);
  acc_ += part;
  if (len % 2 == 1) odd_ = !odd_;
  return *this;
}

Checksum& Checksum::add(Bytes data) {
  if (data.empty()) return *this;
  return add_native(sum_native(data.data(), data.size(), 0), data.size());
}

Checksum& Checksum::add_copy(MutBytes dst, Bytes src) {
  if (src.empty()) return *this;
  return add_native(copy_sum_native(dst.first(src.size()).data(), src.data(), src.size(), 0),
                    src.size());
}

Checksum& Checksum::add(const Checksum& other) {
  // `other` summed its bytes from an even position: in network order already, swapped
  // into place if they follow an odd number of bytes.
  const std::uint16_t part = fold(other.acc_);
  acc_ += odd_ ? bswap16(part) : part;
  if (other.odd_) odd_ = !odd_;
  return *this;
}

void checksum_force_scalar(bool on) {
  g_force_scalar = on;
}

std::uint16_t Checksum::sum16() const {
  return fold(acc_);
}
std::uint16_t Checksum::finish() const {
  return static_cast<std::uint16_t>(~sum16());
}

std::uint16_t internet_checksum(Bytes data) {
  return Checksum().add(data).finish();
}

std::uint16_t checksum_update16(std::uint16_t old_checksum, std::uint16_t old_word,
                                std::uint16_t new_word) {
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
  std::uint64_t acc = static_cast<std::uint16_t>(~old_checksum);
  acc += static_cast<std::uint16_t>(~old_word);
  acc += new_word;
  return static_cast<std::uint16_t>(~fold(acc));
}

std::uint16_t checksum_update32(std::uint16_t old_checksum, std::uint32_t old_value,
                                std::uint32_t new_value) {
  std::uint16_t c = checksum_update16(old_checksum, static_cast<std::uint16_t>(old_value >> 16),
                                      static_cast<std::uint16_t>(new_value >> 16));
  return checksum_update16(c, static_cast<std::uint16_t>(old_value),
                           static_cast<std::uint16_t>(new_value));
}

}  // namespace synack
