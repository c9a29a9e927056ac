// Helpers shared by the wire-layer tests.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "synack/base/bytes.hpp"
#include "synack/base/checksum.hpp"

namespace synack::wire::test {

// "45 00 00 54" or "45000054" -> bytes; whitespace ignored.
inline ByteVec hex(std::string_view s) {
  ByteVec out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ' || c == '\n' || c == '\t') {
      continue;
    } else {
      throw std::invalid_argument("bad hex digit");
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(std::byte(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

inline ByteVec bytes_of(std::string_view s) {
  Bytes b = as_bytes(s);
  return ByteVec(b.begin(), b.end());
}

inline Bytes view(const ByteVec& v) {
  return Bytes(v.data(), v.size());
}

inline void flip_bit(ByteVec& v, std::size_t bit) {
  v[bit / 8] ^= std::byte(0x80 >> (bit % 8));
}

}  // namespace synack::wire::test
