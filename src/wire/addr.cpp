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

namespace synack::wire {

namespace {

// One group of 1..4 hex digits.
std::optional<std::uint16_t> parse_group(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<std::uint32_t>(d);
  }
  return static_cast<std::uint16_t>(v);
}

// The groups of one side of "::" (or of a whole address without it), appended to
// `out`. An empty side has none; otherwise every group is non-empty, and only the last
// group of the address (`may_end_in_v4`) may be a dotted quad, which counts as two.
bool parse_groups(std::string_view s, bool may_end_in_v4, std::uint16_t* out, std::size_t& n) {
  if (s.empty()) return true;
  while (true) {
    std::size_t colon = s.find(':');
    std::string_view part = s.substr(0, colon);
    bool last = colon == std::string_view::npos;
    if (last && may_end_in_v4 && part.find('.') != std::string_view::npos) {
      auto v4 = Ipv4Addr::parse(part);
      if (!v4 || n + 2 > 8) return false;
      out[n++] = static_cast<std::uint16_t>(v4->value >> 16);
      out[n++] = static_cast<std::uint16_t>(v4->value & 0xffff);
      return true;
    }
    auto g = parse_group(part);
    if (!g || n == 8) return false;
    out[n++] = *g;
    if (last) return true;
    s.remove_prefix(colon + 1);
  }
}

}  // namespace

Ipv6Addr Ipv6Addr::from_v4(Ipv4Addr v4) {
  Ipv6Addr a;
  a.octets[10] = 0xff;
  a.octets[11] = 0xff;
  for (std::size_t i = 0; i < 4; ++i) {
    a.octets[12 + i] = static_cast<std::uint8_t>(v4.value >> (24 - 8 * i));
  }
  return a;
}

Ipv6Addr Ipv6Addr::from_prefix_and_iid(const Ipv6Addr& prefix,
                                       const std::array<std::uint8_t, 8>& iid) {
  Ipv6Addr a = prefix;
  std::memcpy(a.octets.data() + 8, iid.data(), 8);
  return a;
}

Ipv6Addr Ipv6Addr::link_local_from_mac(MacAddr mac) {
  return from_prefix_and_iid(from_groups(0xfe80, 0, 0, 0, 0, 0, 0, 0), modified_eui64(mac));
}

bool Ipv6Addr::is_v4_mapped() const {
  for (std::size_t i = 0; i < 10; ++i) {
    if (octets[i] != 0) return false;
  }
  return octets[10] == 0xff && octets[11] == 0xff;
}

bool Ipv6Addr::is_solicited_node() const {
  static constexpr Ipv6Addr kPrefix = from_groups(0xff02, 0, 0, 0, 0, 1, 0xff00, 0);
  return std::memcmp(octets.data(), kPrefix.octets.data(), 13) == 0;
}

std::optional<Ipv4Addr> Ipv6Addr::to_v4() const {
  if (!is_v4_mapped()) return std::nullopt;
  return Ipv4Addr::from_octets(octets[12], octets[13], octets[14], octets[15]);
}

Ipv6Addr Ipv6Addr::solicited_node() const {
  Ipv6Addr a = from_groups(0xff02, 0, 0, 0, 0, 1, 0xff00, 0);
  a.octets[13] = octets[13];
  a.octets[14] = octets[14];
  a.octets[15] = octets[15];
  return a;
}

MacAddr Ipv6Addr::multicast_mac() const {
  return {{0x33, 0x33, octets[12], octets[13], octets[14], octets[15]}};
}

Ipv6Addr Ipv6Addr::load(Bytes b, std::size_t off) {
  Ipv6Addr a;
  std::memcpy(a.octets.data(), b.subspan(off, 16).data(), 16);
  return a;
}

void Ipv6Addr::store(MutBytes b, std::size_t off) const {
  std::memcpy(b.subspan(off, 16).data(), octets.data(), 16);
}

std::optional<Ipv6Addr> Ipv6Addr::parse(std::string_view text) {
  std::uint16_t head[8];
  std::uint16_t tail[8];
  std::size_t nh = 0;
  std::size_t nt = 0;
  std::size_t gap = text.find("::");
  if (gap == std::string_view::npos) {
    // No compression: exactly eight groups (a dotted quad counting as two).
    if (!parse_groups(text, true, head, nh) || nh != 8) return std::nullopt;
  } else {
    std::string_view before = text.substr(0, gap);
    std::string_view after = text.substr(gap + 2);
    // At most one "::" (":::" is caught here too: its second colon starts `after`).
    if (after.find("::") != std::string_view::npos || after.starts_with(':')) {
      return std::nullopt;
    }
    if (!parse_groups(before, false, head, nh) || !parse_groups(after, true, tail, nt)) {
      return std::nullopt;
    }
    // "::" stands for at least one group of zeros.
    if (nh + nt > 7) return std::nullopt;
  }
  Ipv6Addr a;
  for (std::size_t i = 0; i < nh; ++i) {
    a.octets[2 * i] = static_cast<std::uint8_t>(head[i] >> 8);
    a.octets[2 * i + 1] = static_cast<std::uint8_t>(head[i] & 0xff);
  }
  for (std::size_t i = 0; i < nt; ++i) {
    std::size_t g = 8 - nt + i;
    a.octets[2 * g] = static_cast<std::uint8_t>(tail[i] >> 8);
    a.octets[2 * g + 1] = static_cast<std::uint8_t>(tail[i] & 0xff);
  }
  return a;
}

std::string Ipv6Addr::to_string() const {
  char buf[48];
  std::size_t len = 0;
  auto put = [&](const char* s) {
    int n = std::snprintf(buf + len, sizeof buf - len, "%s", s);
    len += static_cast<std::size_t>(n);
  };
  if (is_v4_mapped()) {
    // RFC 5952 §5: the IPv4-mapped prefix followed by the dotted quad.
    return "::ffff:" + to_v4()->to_string();
  }
  // RFC 5952 §4.2: the longest run of two or more zero groups, the first on a tie.
  std::size_t best = 8;
  std::size_t best_len = 1;
  for (std::size_t i = 0; i < 8;) {
    if (group(i) != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && group(j) == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == best) {
      put("::");
      i += best_len - 1;
      continue;
    }
    if (i != 0 && i != best + best_len) put(":");
    char g[8];
    std::snprintf(g, sizeof g, "%x", static_cast<unsigned>(group(i)));
    put(g);
  }
  return std::string(buf, len);
}

std::array<std::uint8_t, 8> modified_eui64(MacAddr mac) {
  const auto& m = mac.octets;
  return {static_cast<std::uint8_t>(m[0] ^ 0x02), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]};
}

std::optional<Ipv6Cidr> Ipv6Cidr::parse(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = Ipv6Addr::parse(text.substr(0, slash));
  auto prefix = parse_decimal(text.substr(slash + 1), 3, 128);
  if (!addr || !prefix) return std::nullopt;
  return Ipv6Cidr{*addr, static_cast<std::uint8_t>(*prefix)};
}

bool Ipv6Cidr::contains(const Ipv6Addr& a) const {
  return Ipv6Cidr{a, prefix_len}.network() == network();
}

Ipv6Addr Ipv6Cidr::network() const {
  Ipv6Addr n = addr;
  std::size_t len = prefix_len > 128 ? 128 : prefix_len;
  for (std::size_t i = 0; i < 16; ++i) {
    std::size_t bits = len > i * 8 ? len - i * 8 : 0;
    if (bits >= 8) continue;
    n.octets[i] = static_cast<std::uint8_t>(n.octets[i] & (0xff00 >> bits));
  }
  return n;
}

std::string Ipv6Cidr::to_string() const {
  return addr.to_string() + "/" + std::to_string(prefix_len);
}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  if (auto v4 = Ipv4Addr::parse(text)) return IpAddr(*v4);
  if (auto v6 = Ipv6Addr::parse(text)) return IpAddr(*v6);
  return std::nullopt;
}

}  // namespace synack::wire
