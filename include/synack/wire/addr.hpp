#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "synack/base/bytes.hpp"

/// The wire formats: addresses, and parse/emit of Ethernet, ARP, IPv4, ICMP, UDP, TCP
/// and its options (each header as an `XxxRepr` with `parse` and `emit`). No state.
namespace synack::wire {

/// An Ethernet (EUI-48) address.
struct MacAddr {
  std::array<std::uint8_t, 6> octets{};  ///< in transmission order

  /// Ff:ff:ff:ff:ff:ff.
  static constexpr MacAddr broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  bool is_broadcast() const { return *this == broadcast(); }  ///< ff:ff:ff:ff:ff:ff
  /// Group bit set (broadcast included)
  bool is_multicast() const { return (octets[0] & 1) != 0; }
  static MacAddr load(Bytes b, std::size_t off);  ///< the 6 bytes at `off` (no bounds check)
  void store(MutBytes b, std::size_t off) const;  ///< writes the 6 bytes at `off`
  static std::optional<MacAddr> parse(std::string_view text);  ///< "02:00:00:00:00:01"
  std::string to_string() const;                               ///< lower-case "02:00:00:00:00:01"
  bool operator==(const MacAddr&) const = default;             ///< octet by octet
};

/// An IPv4 address held in host order (value 0x0a4d0001 is 10.77.0.1).
struct Ipv4Addr {
  std::uint32_t value = 0;  ///< host order; 0 is 0.0.0.0

  /// A.b.c.d.
  static constexpr Ipv4Addr from_octets(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                        std::uint8_t d) {
    return {(std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d};
  }
  static constexpr Ipv4Addr any() { return {0}; }  ///< 0.0.0.0
  /// 255.255.255.255, the limited broadcast.
  static constexpr Ipv4Addr broadcast() { return {0xffffffffu}; }
  bool is_unspecified() const { return value == 0; }  ///< 0.0.0.0
  /// 255.255.255.255 (not a subnet broadcast)
  bool is_broadcast() const { return value == 0xffffffffu; }
  bool is_multicast() const { return (value >> 28) == 0xe; }  ///< 224.0.0.0/4
  bool is_loopback() const { return (value >> 24) == 127; }   ///< 127.0.0.0/8
  /// The 4 network-order bytes at `off`.
  static Ipv4Addr load(Bytes b, std::size_t off) { return {load_be32(b, off)}; }
  /// Writes it in network order at `off`.
  void store(MutBytes b, std::size_t off) const { store_be32(b, off, value); }
  /// A strict dotted quad: four decimal parts of 0..255 without leading zeros (no octal,
  /// no shorthand as inet_aton takes); nullopt otherwise.
  static std::optional<Ipv4Addr> parse(std::string_view text);
  std::string to_string() const;                      ///< dotted quad, "10.77.0.1"
  auto operator<=>(const Ipv4Addr&) const = default;  ///< numeric order
};

/// An address with a prefix length: 10.77.0.2/24.
struct Ipv4Cidr {
  Ipv4Addr addr;                 ///< the address itself (not necessarily the network's)
  std::uint8_t prefix_len = 32;  ///< 0..32

  /// "10.77.0.2/24": a strict dotted quad and a prefix length of 0..32; nullopt
  /// otherwise (a prefix is required).
  static std::optional<Ipv4Cidr> parse(std::string_view text);
  std::uint32_t netmask() const {  ///< prefix_len leading one bits, host order
    return prefix_len == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_len);
  }
  /// True if `a` is in the prefix.
  bool contains(Ipv4Addr a) const { return (a.value & netmask()) == (addr.value & netmask()); }
  /// The address with the host bits cleared.
  Ipv4Addr network() const { return {addr.value & netmask()}; }
  /// The address with the host bits set.
  Ipv4Addr subnet_broadcast() const { return {addr.value | ~netmask()}; }
  std::string to_string() const;                     ///< "10.77.0.2/24"
  bool operator==(const Ipv4Cidr&) const = default;  ///< address and prefix length
};

}  // namespace synack::wire
