#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "synack/base/bytes.hpp"

/// The wire formats: addresses, and parse/emit of Ethernet, ARP, IPv4, ICMP, IPv6 and its
/// extension headers, ICMPv6 (NDP, MLD), UDP, TCP and its options (each header as an
/// `XxxRepr` with `parse` and `emit`). No state.
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

/// An IPv6 address: 16 octets in network order (RFC 4291).
struct Ipv6Addr {
  std::array<std::uint8_t, 16> octets{};  ///< in network order; all zero is ::

  /// From eight 16-bit groups, as written: from_groups(0xfe80, 0, 0, 0, 0, 0, 0, 1) is fe80::1.
  static constexpr Ipv6Addr from_groups(std::uint16_t g0, std::uint16_t g1, std::uint16_t g2,
                                        std::uint16_t g3, std::uint16_t g4, std::uint16_t g5,
                                        std::uint16_t g6, std::uint16_t g7) {
    Ipv6Addr a;
    const std::uint16_t g[8] = {g0, g1, g2, g3, g4, g5, g6, g7};
    for (std::size_t i = 0; i < 8; ++i) {
      a.octets[2 * i] = static_cast<std::uint8_t>(g[i] >> 8);
      a.octets[2 * i + 1] = static_cast<std::uint8_t>(g[i] & 0xff);
    }
    return a;
  }
  static constexpr Ipv6Addr unspecified() { return {}; }  ///< ::
  /// ::1.
  static constexpr Ipv6Addr loopback() { return from_groups(0, 0, 0, 0, 0, 0, 0, 1); }
  /// The link-local all-nodes group ff02::1.
  static constexpr Ipv6Addr all_nodes() { return from_groups(0xff02, 0, 0, 0, 0, 0, 0, 1); }
  /// The link-local all-routers group ff02::2.
  static constexpr Ipv6Addr all_routers() { return from_groups(0xff02, 0, 0, 0, 0, 0, 0, 2); }
  /// The all-MLDv2-capable-routers group ff02::16, where MLDv2 reports go (RFC 3810 §5.2.14).
  static constexpr Ipv6Addr all_mldv2_routers() {
    return from_groups(0xff02, 0, 0, 0, 0, 0, 0, 0x16);
  }
  /// The IPv4-mapped address \::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
  static Ipv6Addr from_v4(Ipv4Addr v4);
  /// A 64-bit prefix (the first 8 octets of `prefix`) followed by an interface identifier.
  static Ipv6Addr from_prefix_and_iid(const Ipv6Addr& prefix,
                                      const std::array<std::uint8_t, 8>& iid);
  /// The link-local address: fe80::/64 and the modified EUI-64 identifier of `mac`.
  static Ipv6Addr link_local_from_mac(MacAddr mac);

  /// The 16-bit group `i` (0..7) in host order.
  std::uint16_t group(std::size_t i) const {
    return static_cast<std::uint16_t>((octets[2 * i] << 8) | octets[2 * i + 1]);
  }
  /// The unspecified address ::.
  bool is_unspecified() const { return *this == unspecified(); }
  bool is_loopback() const { return *this == loopback(); }  ///< ::1
  bool is_multicast() const { return octets[0] == 0xff; }   ///< ff00::/8
  /// Unicast link-local: fe80::/10.
  bool is_link_local() const { return octets[0] == 0xfe && (octets[1] & 0xc0) == 0x80; }
  /// Unique local: fc00::/7 (RFC 4193).
  bool is_unique_local() const { return (octets[0] & 0xfe) == 0xfc; }
  /// IPv4-mapped: \::ffff:0:0/96.
  bool is_v4_mapped() const;
  /// A solicited-node group: ff02::1:ff00:0/104 (RFC 4291 §2.7.1).
  bool is_solicited_node() const;
  /// A multicast address's scope (the low 4 bits of octet 1: 1 interface, 2 link, 5 site,
  /// 8 organization, e global); 0 for a unicast address.
  std::uint8_t multicast_scope() const { return is_multicast() ? octets[1] & 0x0f : 0; }
  /// The IPv4 address inside an IPv4-mapped address; nullopt for any other address.
  std::optional<Ipv4Addr> to_v4() const;
  /// The solicited-node multicast group of this address: ff02::1:ff00:0 with its low
  /// 24 bits (RFC 4291 §2.7.1).
  Ipv6Addr solicited_node() const;
  /// The Ethernet group address a multicast packet to this address goes to: 33:33 and
  /// the low 32 bits (RFC 2464 §7).
  MacAddr multicast_mac() const;

  /// The 16 bytes at `off` (no bounds check).
  static Ipv6Addr load(Bytes b, std::size_t off);
  /// Writes the 16 bytes at `off`.
  void store(MutBytes b, std::size_t off) const;
  /// Text form per RFC 4291 §2.2: eight groups of 1..4 hex digits (either case), at
  /// most one "::" standing for one or more zero groups, and optionally a strict dotted
  /// quad as the last 32 bits. No zone index, no brackets, no prefix; nullopt otherwise.
  static std::optional<Ipv6Addr> parse(std::string_view text);
  /// The canonical text form of RFC 5952: lower case, no leading zeros, the longest run
  /// of two or more zero groups as "::" (the first on a tie), \::ffff:a.b.c.d for an
  /// IPv4-mapped address.
  std::string to_string() const;
  auto operator<=>(const Ipv6Addr&) const = default;  ///< octet by octet (numeric order)
};

/// The modified EUI-64 interface identifier of an Ethernet address: ff:fe in the middle
/// and the universal/local bit inverted (RFC 4291 §2.5.1 and Appendix A).
std::array<std::uint8_t, 8> modified_eui64(MacAddr mac);

/// An IPv6 address with a prefix length: fd00:77::1/64.
struct Ipv6Cidr {
  Ipv6Addr addr;                  ///< the address itself (not necessarily the network's)
  std::uint8_t prefix_len = 128;  ///< 0..128

  /// "fd00::1/64": an address as Ipv6Addr::parse takes it and a decimal prefix length of
  /// 0..128 without leading zeros; nullopt otherwise (a prefix is required).
  static std::optional<Ipv6Cidr> parse(std::string_view text);
  /// True if the first prefix_len bits of `a` are those of addr.
  bool contains(const Ipv6Addr& a) const;
  /// The address with the bits after the prefix cleared.
  Ipv6Addr network() const;
  std::string to_string() const;                     ///< "fd00::1/64" (canonical address)
  bool operator==(const Ipv6Cidr&) const = default;  ///< address and prefix length
};

/// An IPv4 or an IPv6 address, as a dual-stack socket sees it: IPv4 is held in its
/// IPv4-mapped form \::ffff:a.b.c.d (RFC 4291 §2.5.5.2; RFC 3493 §3.7), so one ordered,
/// hashable value serves both families. IPv6 packets carrying an IPv4-mapped address
/// are dropped on input (RFC 4291 §2.5.5.2, as Linux does), so the mapping is never
/// ambiguous. The default is the IPv4 0.0.0.0; IpAddr(Ipv6Addr::unspecified()) is ::
/// (a listener on :: takes both families, one on 0.0.0.0 IPv4 only).
class IpAddr {
 public:
  /// 0.0.0.0.
  constexpr IpAddr() : IpAddr(Ipv4Addr{}) {}
  /// An IPv4 address (implicit: every IPv4 address is an IpAddr).
  constexpr IpAddr(Ipv4Addr v4) {  // NOLINT(google-explicit-constructor)
    a_.octets[10] = 0xff;
    a_.octets[11] = 0xff;
    for (std::size_t i = 0; i < 4; ++i)
      a_.octets[12 + i] = static_cast<std::uint8_t>(v4.value >> (24 - 8 * i));
  }
  /// An IPv6 address (implicit). An IPv4-mapped one is the IPv4 address it maps.
  constexpr IpAddr(const Ipv6Addr& v6) : a_(v6) {}  // NOLINT(google-explicit-constructor)

  /// An IPv4 address (held IPv4-mapped).
  bool is_v4() const { return a_.is_v4_mapped(); }
  bool is_v6() const { return !is_v4(); }  ///< an IPv6 address proper
  /// The IPv4 address; only meaningful when is_v4().
  Ipv4Addr v4() const { return Ipv4Addr::load(Bytes(as_bytes()), 12); }
  /// The 16-byte form: the address itself, or the IPv4-mapped form of an IPv4 one.
  const Ipv6Addr& v6() const { return a_; }
  /// 0.0.0.0 or ::.
  bool is_unspecified() const { return is_v4() ? v4().is_unspecified() : a_.is_unspecified(); }
  /// 224.0.0.0/4 or ff00::/8.
  bool is_multicast() const { return is_v4() ? v4().is_multicast() : a_.is_multicast(); }
  /// 255.255.255.255 (IPv6 has no broadcast).
  bool is_broadcast() const { return is_v4() && v4().is_broadcast(); }
  /// 127.0.0.0/8 or \::1.
  bool is_loopback() const { return is_v4() ? v4().is_loopback() : a_.is_loopback(); }
  /// The address as it goes on the wire: 4 bytes for IPv4, 16 for IPv6.
  Bytes wire_bytes() const { return Bytes(as_bytes()).subspan(is_v4() ? 12 : 0); }
  /// Dotted quad for IPv4, RFC 5952 text for IPv6.
  std::string to_string() const { return is_v4() ? v4().to_string() : a_.to_string(); }
  /// Text with IPv6 in brackets, as before a port: "10.77.0.1", "[fd77::1]".
  std::string to_uri_string() const { return is_v4() ? to_string() : "[" + to_string() + "]"; }
  /// An IPv4 dotted quad or an IPv6 address (Ipv6Addr::parse, which also takes
  /// \::ffff:a.b.c.d); nullopt otherwise.
  static std::optional<IpAddr> parse(std::string_view text);
  auto operator<=>(const IpAddr&) const = default;  ///< IPv4 (as mapped) before most IPv6

 private:
  std::span<const std::byte, 16> as_bytes() const {
    return std::span<const std::byte, 16>(reinterpret_cast<const std::byte*>(a_.octets.data()), 16);
  }
  Ipv6Addr a_;
};

}  // namespace synack::wire
