#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "synack/base/bytes.hpp"

namespace synack::wire {

struct MacAddr {
  std::array<std::uint8_t, 6> octets{};

  static constexpr MacAddr broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  bool is_broadcast() const { return *this == broadcast(); }
  bool is_multicast() const { return (octets[0] & 1) != 0; }
  static MacAddr load(Bytes b, std::size_t off);
  void store(MutBytes b, std::size_t off) const;
  static std::optional<MacAddr> parse(std::string_view text);  ///< "02:00:00:00:00:01"
  std::string to_string() const;
  bool operator==(const MacAddr&) const = default;
};

/// An IPv4 address held in host order (value 0x0a4d0001 is 10.77.0.1).
struct Ipv4Addr {
  std::uint32_t value = 0;

  static constexpr Ipv4Addr from_octets(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                        std::uint8_t d) {
    return {(std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d};
  }
  static constexpr Ipv4Addr any() { return {0}; }
  static constexpr Ipv4Addr broadcast() { return {0xffffffffu}; }
  bool is_unspecified() const { return value == 0; }
  bool is_broadcast() const { return value == 0xffffffffu; }
  bool is_multicast() const { return (value >> 28) == 0xe; }
  bool is_loopback() const { return (value >> 24) == 127; }
  static Ipv4Addr load(Bytes b, std::size_t off) { return {load_be32(b, off)}; }
  void store(MutBytes b, std::size_t off) const { store_be32(b, off, value); }
  static std::optional<Ipv4Addr> parse(std::string_view text);  ///< dotted quad, strict
  std::string to_string() const;
  auto operator<=>(const Ipv4Addr&) const = default;
};

/// An address with a prefix length: 10.77.0.2/24.
struct Ipv4Cidr {
  Ipv4Addr addr;
  std::uint8_t prefix_len = 32;

  static std::optional<Ipv4Cidr> parse(std::string_view text);
  std::uint32_t netmask() const {
    return prefix_len == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_len);
  }
  bool contains(Ipv4Addr a) const { return (a.value & netmask()) == (addr.value & netmask()); }
  Ipv4Addr network() const { return {addr.value & netmask()}; }
  Ipv4Addr subnet_broadcast() const { return {addr.value | ~netmask()}; }
  std::string to_string() const;
  bool operator==(const Ipv4Cidr&) const = default;
};

}  // namespace synack::wire
