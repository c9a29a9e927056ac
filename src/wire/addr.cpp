#include "synack/wire/addr.hpp"

#include <cstdio>
#include <cstring>

namespace synack::wire {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A decimal number of 1..max_digits digits without a leading zero (so "010" is
// rejected rather than guessed as octal, as inet_aton would) and at most max_value.
std::optional<std::uint32_t> parse_decimal(std::string_view s, std::size_t max_digits,
                                           std::uint32_t max_value) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > max_value) return std::nullopt;
  return v;
}

}  // namespace

MacAddr MacAddr::load(Bytes b, std::size_t off) {
  MacAddr m;
  for (std::size_t i = 0; i < m.octets.size(); ++i) m.octets[i] = load_u8(b, off + i);
  return m;
}

void MacAddr::store(MutBytes b, std::size_t off) const {
  // One bounds check and one 6-byte copy (two per frame sent: not a byte at a time).
  std::memcpy(b.subspan(off, octets.size()).data(), octets.data(), octets.size());
}

std::optional<MacAddr> MacAddr::parse(std::string_view text) {
  // Exactly "xx:xx:xx:xx:xx:xx": 6 two-digit hex groups, 17 characters.
  if (text.size() != 17) return std::nullopt;
  MacAddr m;
  for (std::size_t i = 0; i < 6; ++i) {
    std::size_t at = i * 3;
    int hi = hex_digit(text[at]);
    int lo = hex_digit(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && text[at + 2] != ':') return std::nullopt;
    m.octets[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return m;
}

std::string MacAddr::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", octets[0], octets[1], octets[2],
                octets[3], octets[4], octets[5]);
  return buf;
}

std::optional<Ipv4Addr> Ipv4Addr::parse(std::string_view text) {
  std::uint32_t value = 0;
  for (int part = 0; part < 4; ++part) {
    std::size_t dot = text.find('.');
    bool last = part == 3;
    // Exactly three dots: the first three parts end at a dot, the last at the end.
    if (last != (dot == std::string_view::npos)) return std::nullopt;
    std::string_view digits = last ? text : text.substr(0, dot);
    auto octet = parse_decimal(digits, 3, 255);
    if (!octet) return std::nullopt;
    value = (value << 8) | *octet;
    if (!last) text.remove_prefix(dot + 1);
  }
  return Ipv4Addr{value};
}

std::string Ipv4Addr::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff,
                (value >> 8) & 0xff, value & 0xff);
  return buf;
}

std::optional<Ipv4Cidr> Ipv4Cidr::parse(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = Ipv4Addr::parse(text.substr(0, slash));
  auto prefix = parse_decimal(text.substr(slash + 1), 2, 32);
  if (!addr || !prefix) return std::nullopt;
  return Ipv4Cidr{*addr, static_cast<std::uint8_t>(*prefix)};
}

std::string Ipv4Cidr::to_string() const {
  return addr.to_string() + "/" + std::to_string(prefix_len);
}

}  // namespace synack::wire
