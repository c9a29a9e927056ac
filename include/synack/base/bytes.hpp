// Byte spans and big-endian (network order) load/store helpers.
// Protocol code reads and writes fields only through these: no ntohs, no casts to packed structs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace synack {

using Bytes = std::span<const std::byte>;  ///< read-only view of bytes someone else owns
using MutBytes = std::span<std::byte>;     ///< writable view of bytes someone else owns
using ByteVec = std::vector<std::byte>;    ///< owned bytes

/// The byte at `off`. Like every load/store here, it does not check bounds: the
/// caller has checked the length.
inline std::uint8_t load_u8(Bytes b, std::size_t off) {
  return std::to_integer<std::uint8_t>(b[off]);
}
/// The big-endian (network order) 16-bit value at `off`.
inline std::uint16_t load_be16(Bytes b, std::size_t off) {
  return static_cast<std::uint16_t>((load_u8(b, off) << 8) | load_u8(b, off + 1));
}
/// The big-endian 32-bit value at `off`.
inline std::uint32_t load_be32(Bytes b, std::size_t off) {
  return (std::uint32_t{load_be16(b, off)} << 16) | load_be16(b, off + 2);
}
/// The big-endian 64-bit value at `off`.
inline std::uint64_t load_be64(Bytes b, std::size_t off) {
  return (std::uint64_t{load_be32(b, off)} << 32) | load_be32(b, off + 4);
}
/// Writes `v` at `off` (no bounds check, as for the loads).
inline void store_u8(MutBytes b, std::size_t off, std::uint8_t v) {
  b[off] = std::byte{v};
}
/// Writes `v` at `off`, big-endian (network order).
inline void store_be16(MutBytes b, std::size_t off, std::uint16_t v) {
  b[off] = std::byte(v >> 8);
  b[off + 1] = std::byte(v & 0xff);
}
/// Writes `v` at `off`, big-endian.
inline void store_be32(MutBytes b, std::size_t off, std::uint32_t v) {
  store_be16(b, off, static_cast<std::uint16_t>(v >> 16));
  store_be16(b, off + 2, static_cast<std::uint16_t>(v));
}
/// Writes `v` at `off`, big-endian.
inline void store_be64(MutBytes b, std::size_t off, std::uint64_t v) {
  store_be32(b, off, static_cast<std::uint32_t>(v >> 32));
  store_be32(b, off + 4, static_cast<std::uint32_t>(v));
}

/// Views a string literal or std::string as bytes (handy in tests and services).
inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace synack
