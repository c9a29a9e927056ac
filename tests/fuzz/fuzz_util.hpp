// Shared by the libFuzzer targets: property checks that crash loudly on failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "synack/base/bytes.hpp"
#include "synack/base/checksum.hpp"
#include "synack/wire/ipv4.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::wire::fuzz {

// A failed property is a bug: stop here so libFuzzer saves the input.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

inline Bytes input(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

inline bool same_bytes(Bytes a, Bytes b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Transport targets take an 8-byte pseudo-header (source, destination) first.
inline PseudoHeader take_pseudo_header(Bytes& in) {
  PseudoHeader ph{Ipv4Addr::load(in, 0), Ipv4Addr::load(in, 4)};
  in = in.subspan(8);
  return ph;
}

// Rewrites the 16-bit checksum at `at` so the covered bytes (plus an optional
// pseudo-header) sum correctly; lets the fuzzer reach the code behind the check.
inline std::vector<std::byte> with_checksum(Bytes in, std::size_t at, std::size_t covered,
                                            const PseudoHeader* ph, std::uint8_t proto) {
  std::vector<std::byte> copy(in.begin(), in.end());
  store_be16(copy, at, 0);
  Checksum c;
  if (ph != nullptr) {
    c.add_u32(ph->src.value).add_u32(ph->dst.value).add_u16(proto);
    c.add_u16(static_cast<std::uint16_t>(covered));
  }
  c.add(Bytes(copy.data(), covered));
  store_be16(copy, at, c.finish());
  return copy;
}

// Options after emit -> parse: equal except that emit may drop trailing SACK blocks
// when everything does not fit in 40 bytes.
inline bool options_match(const TcpOptions& before, const TcpOptions& after) {
  TcpOptions no_sack = before;
  no_sack.sack_count = 0;
  no_sack.sack_blocks = {};
  std::size_t base = no_sack.encoded_len();
  std::size_t full = before.encoded_len();
  std::size_t sent = full > base ? (full - base - 4) / 8 : 0;
  TcpOptions expect = before;
  expect.sack_count = static_cast<std::uint8_t>(sent);
  for (std::size_t i = sent; i < expect.sack_blocks.size(); ++i) expect.sack_blocks[i] = {};
  return full <= 40 && full % 4 == 0 && after == expect;
}

}  // namespace synack::wire::fuzz
