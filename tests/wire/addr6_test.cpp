// Ipv6Addr / Ipv6Cidr: RFC 4291 §2.2 text input, RFC 5952 canonical output, the
// special addresses and the derived ones (solicited-node, 33:33 MAC, modified EUI-64).
#include <arpa/inet.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "synack/wire/addr.hpp"

namespace synack::wire {
namespace {

Ipv6Addr must(std::string_view s) {
  auto a = Ipv6Addr::parse(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(Ipv6Addr{});
}

// glibc's inet_pton, as an independent oracle for what is a valid address.
std::optional<Ipv6Addr> libc_parse(const std::string& s) {
  Ipv6Addr a;
  if (inet_pton(AF_INET6, s.c_str(), a.octets.data()) != 1) return std::nullopt;
  return a;
}

TEST(Ipv6Addr, ParsesFullAndCompressedForms) {
  const Ipv6Addr want = Ipv6Addr::from_groups(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1);
  // RFC 5952 §2.1: all of these are the same address.
  for (const char* s :
       {"2001:db8:0:0:1:0:0:1", "2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", "2001:db8::0:1:0:0:1",
        "2001:0db8::1:0:0:1", "2001:db8:0:0:1::1", "2001:db8:0000:0:1::1", "2001:DB8:0:0:1::1"}) {
    EXPECT_EQ(Ipv6Addr::parse(s), want) << s;
  }
  EXPECT_EQ(must("::"), Ipv6Addr::unspecified());
  EXPECT_EQ(must("::1"), Ipv6Addr::loopback());
  EXPECT_EQ(must("ff02::1"), Ipv6Addr::all_nodes());
  EXPECT_EQ(must("ff02::2"), Ipv6Addr::all_routers());
  EXPECT_EQ(must("ff02::16"), Ipv6Addr::all_mldv2_routers());
  EXPECT_EQ(must("1:2:3:4:5:6:7::"), Ipv6Addr::from_groups(1, 2, 3, 4, 5, 6, 7, 0));
  EXPECT_EQ(must("::2:3:4:5:6:7:8"), Ipv6Addr::from_groups(0, 2, 3, 4, 5, 6, 7, 8));
  EXPECT_EQ(must("1:2:3:4:5:6::8"), Ipv6Addr::from_groups(1, 2, 3, 4, 5, 6, 0, 8));
  EXPECT_EQ(must("FFFF:ffff:AbCd::"), Ipv6Addr::from_groups(0xffff, 0xffff, 0xabcd, 0, 0, 0, 0, 0));
  // The embedded dotted quad (RFC 4291 §2.2 item 3).
  EXPECT_EQ(must("::ffff:192.0.2.1"), Ipv6Addr::from_groups(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201));
  EXPECT_EQ(must("1:2:3:4:5:6:1.2.3.4"), Ipv6Addr::from_groups(1, 2, 3, 4, 5, 6, 0x0102, 0x0304));
  EXPECT_EQ(must("::13.1.68.3"), Ipv6Addr::from_groups(0, 0, 0, 0, 0, 0, 0x0d01, 0x4403));
  EXPECT_EQ(must("64:ff9b::192.0.2.33"),
            Ipv6Addr::from_groups(0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221));
  auto a = must("fd00:77::1");
  EXPECT_EQ(a.octets[0], 0xfd);
  EXPECT_EQ(a.octets[1], 0x00);
  EXPECT_EQ(a.octets[2], 0x00);
  EXPECT_EQ(a.octets[3], 0x77);
  EXPECT_EQ(a.octets[15], 0x01);
  EXPECT_EQ(a.group(1), 0x77);
}

TEST(Ipv6Addr, RejectsMalformedText) {
  for (const char* bad : {"",
                          ":",
                          ":::",
                          "::::",
                          "1::2::3",
                          "1:2:3:4:5:6:7:8:9",
                          "1:2:3:4:5:6:7",
                          "1:2:3:4:5:6:7:8::",
                          "::1:2:3:4:5:6:7:8",
                          "1::2:3:4:5:6:7:8",
                          ":1::",
                          "1::2:",
                          ":1:2:3:4:5:6:7:8",
                          "1:2:3:4:5:6:7:8:",
                          "12345::",
                          "1:2:3:4:5:6:7:00000",
                          "g::",
                          "::g",
                          "1:2:3:4:5:6:7:8 ",
                          " ::1",
                          "::1 ",
                          "fe80::1%eth0",
                          "[::1]",
                          "::1/128",
                          "::ffff:01.2.3.4",
                          "::ffff:1.2.3",
                          "::ffff:256.1.1.1",
                          "::1.2.3.4.5",
                          "1.2.3.4::",
                          "::1.2.3.4:5",
                          "1:2:3:4:5:6:7:1.2.3.4",
                          "1:2:3:4:5:6:7:8:1.2.3.4",
                          "1::2:3:4:5:6:7:1.2.3.4",
                          "::ffff:1.2.3.04",
                          "::-1",
                          "::+1",
                          "0x1::",
                          "1:::2",
                          "1::2:::",
                          "::1:",
                          "1:2:3:4:5:6:7:8:",
                          "--"}) {
    EXPECT_FALSE(Ipv6Addr::parse(bad).has_value()) << '"' << bad << '"';
    // glibc agrees on every one of these.
    EXPECT_FALSE(libc_parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(Ipv6Addr, FormatsCanonicallyPerRfc5952) {
  struct Case {
    const char* in;
    const char* want;
  };
  for (auto [in, want] : std::initializer_list<Case>{
           // §4.1: leading zeros suppressed.
           {"2001:0db8::0001", "2001:db8::1"},
           // §4.2.1: "::" as much as possible.
           {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},
           {"2001:db8::0:1", "2001:db8::1"},
           // §4.2.2: never for one 16-bit zero field.
           {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
           {"2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
           // §4.2.3: the longest run; the first one on a tie.
           {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
           {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
           // §4.3: lower case.
           {"2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:AAAA", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa"},
           // §5: IPv4-mapped addresses keep the dotted quad.
           {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
           {"0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1"},
           {"::", "::"},
           {"::1", "::1"},
           {"1::", "1::"},
           {"0:0:0:0:0:0:0:1", "::1"},
           {"1:0:0:0:0:0:0:0", "1::"},
           {"0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1"},
           {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
           {"1:0:0:0:2:0:0:3", "1::2:0:0:3"},
           {"fe80:0:0:0:9cc8:5cff:fe2e:931c", "fe80::9cc8:5cff:fe2e:931c"},
           {"ff02:0:0:0:0:1:ff00:1", "ff02::1:ff00:1"},
           {"fd00:77:0:0:0:0:0:2", "fd00:77::2"},
           {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
       }) {
    EXPECT_EQ(must(in).to_string(), want) << in;
  }
}

TEST(Ipv6Addr, AgreesWithGlibcOnRandomAddresses) {
  // Random groups, most of them zero so that runs of every length and position occur.
  std::mt19937 rng(6);
  for (int n = 0; n < 20000; ++n) {
    Ipv6Addr a;
    for (std::size_t i = 0; i < 8; ++i) {
      std::uint16_t g = (rng() % 3 == 0) ? static_cast<std::uint16_t>(rng()) : 0;
      if (rng() % 8 == 0) g = static_cast<std::uint16_t>(rng() % 16);
      a.octets[2 * i] = static_cast<std::uint8_t>(g >> 8);
      a.octets[2 * i + 1] = static_cast<std::uint8_t>(g);
    }
    // glibc prints IPv4-compatible addresses (::a.b.c.d, deprecated, RFC 4291 §2.5.5.1)
    // with a dotted quad; RFC 5952 does not ask for that.
    bool compat = true;
    for (std::size_t i = 0; i < 6; ++i) compat = compat && a.group(i) == 0;
    char buf[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, a.octets.data(), buf, sizeof buf), nullptr);
    std::string text = a.to_string();
    if (!compat) {
      EXPECT_EQ(text, buf);
    }
    EXPECT_EQ(Ipv6Addr::parse(text), a) << text;
    EXPECT_EQ(Ipv6Addr::parse(buf), a) << buf;
  }
}

TEST(Ipv6Addr, Classification) {
  EXPECT_TRUE(Ipv6Addr::unspecified().is_unspecified());
  EXPECT_FALSE(Ipv6Addr::loopback().is_unspecified());
  EXPECT_TRUE(Ipv6Addr::loopback().is_loopback());
  EXPECT_FALSE(must("::2").is_loopback());
  EXPECT_TRUE(must("ff02::1").is_multicast());
  EXPECT_TRUE(must("ff0e::101").is_multicast());
  EXPECT_FALSE(must("fe80::1").is_multicast());
  EXPECT_EQ(must("ff02::1").multicast_scope(), 2);
  EXPECT_EQ(must("ff05::2").multicast_scope(), 5);
  EXPECT_EQ(must("ff1e::1").multicast_scope(), 0xe);
  EXPECT_EQ(must("fe80::1").multicast_scope(), 0);
  // fe80::/10: fe80 .. febf.
  EXPECT_TRUE(must("fe80::1").is_link_local());
  EXPECT_TRUE(must("febf:ffff::1").is_link_local());
  EXPECT_FALSE(must("fec0::1").is_link_local());
  EXPECT_FALSE(must("fe7f::1").is_link_local());
  // fc00::/7: fc00 .. fdff.
  EXPECT_TRUE(must("fd00:77::1").is_unique_local());
  EXPECT_TRUE(must("fc00::1").is_unique_local());
  EXPECT_FALSE(must("fe00::1").is_unique_local());
  EXPECT_FALSE(must("fb00::1").is_unique_local());
  EXPECT_TRUE(must("ff02::1:ff00:1").is_solicited_node());
  EXPECT_TRUE(must("ff02::1:ffab:cdef").is_solicited_node());
  EXPECT_FALSE(must("ff02::1:fe00:1").is_solicited_node());
  EXPECT_FALSE(must("ff02::1").is_solicited_node());
  EXPECT_FALSE(must("ff05::1:ff00:1").is_solicited_node());
}

TEST(Ipv6Addr, V4Mapped) {
  const Ipv4Addr v4 = Ipv4Addr::from_octets(192, 0, 2, 1);
  const Ipv6Addr m = Ipv6Addr::from_v4(v4);
  EXPECT_EQ(m, must("::ffff:192.0.2.1"));
  EXPECT_TRUE(m.is_v4_mapped());
  EXPECT_EQ(m.to_v4(), v4);
  EXPECT_EQ(m.to_string(), "::ffff:192.0.2.1");
  EXPECT_FALSE(must("::192.0.2.1").is_v4_mapped());
  EXPECT_FALSE(must("::1:ffff:c000:201").is_v4_mapped());
  EXPECT_FALSE(must("fd00::1").to_v4().has_value());
  EXPECT_EQ(Ipv6Addr::from_v4(Ipv4Addr::any()).to_string(), "::ffff:0.0.0.0");
}

TEST(Ipv6Addr, SolicitedNodeAndMulticastMac) {
  // Values seen on the wire (tests/vectors/kernel6.pcap): Linux's DAD for fd00:77::1
  // goes to ff02::1:ff00:1, 33:33:ff:00:00:01.
  EXPECT_EQ(must("fd00:77::1").solicited_node(), must("ff02::1:ff00:1"));
  EXPECT_EQ(must("fe80::9cc8:5cff:fe2e:931c").solicited_node(), must("ff02::1:ff2e:931c"));
  EXPECT_EQ(must("2001:db8::abcd:ef12:3456").solicited_node(), must("ff02::1:ff12:3456"));
  EXPECT_EQ(must("ff02::1:ff2e:931c").multicast_mac(),
            (MacAddr{{0x33, 0x33, 0xff, 0x2e, 0x93, 0x1c}}));
  EXPECT_EQ(Ipv6Addr::all_mldv2_routers().multicast_mac(),
            (MacAddr{{0x33, 0x33, 0x00, 0x00, 0x00, 0x16}}));
  EXPECT_EQ(Ipv6Addr::all_nodes().multicast_mac().to_string(), "33:33:00:00:00:01");
}

TEST(Ipv6Addr, ModifiedEui64) {
  // RFC 4291 Appendix A: 34:56:78:9a:bc:de -> 3656:78ff:fe9a:bcde (U/L bit inverted).
  auto iid = modified_eui64(MacAddr{{0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde}});
  EXPECT_EQ(iid, (std::array<std::uint8_t, 8>{0x36, 0x56, 0x78, 0xff, 0xfe, 0x9a, 0xbc, 0xde}));
  // The link-local and SLAAC addresses Linux made from these MACs (kernel6.pcap).
  EXPECT_EQ(Ipv6Addr::link_local_from_mac(*MacAddr::parse("9e:c8:5c:2e:93:1c")),
            must("fe80::9cc8:5cff:fe2e:931c"));
  EXPECT_EQ(Ipv6Addr::link_local_from_mac(*MacAddr::parse("1a:a8:ce:1a:15:f8")),
            must("fe80::18a8:ceff:fe1a:15f8"));
  EXPECT_EQ(Ipv6Addr::from_prefix_and_iid(must("fd00:77::"),
                                          modified_eui64(*MacAddr::parse("9e:c8:5c:2e:93:1c"))),
            must("fd00:77::9cc8:5cff:fe2e:931c"));
}

TEST(Ipv6Addr, LoadStoreAndOrder) {
  std::array<std::byte, 20> buf{};
  const Ipv6Addr a = must("2001:db8::1");
  a.store(buf, 2);
  EXPECT_EQ(buf[2], std::byte{0x20});
  EXPECT_EQ(buf[3], std::byte{0x01});
  EXPECT_EQ(buf[4], std::byte{0x0d});
  EXPECT_EQ(buf[5], std::byte{0xb8});
  EXPECT_EQ(buf[17], std::byte{0x01});
  EXPECT_EQ(buf[1], std::byte{0});
  EXPECT_EQ(buf[18], std::byte{0});
  EXPECT_EQ(Ipv6Addr::load(buf, 2), a);
  EXPECT_LT(must("::1"), must("::2"));
  EXPECT_LT(must("fe80::ffff"), must("fe81::"));
}

TEST(Ipv6Cidr, ParsesContainsAndNetwork) {
  auto c = Ipv6Cidr::parse("fd00::1/64");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->addr, must("fd00::1"));
  EXPECT_EQ(c->prefix_len, 64);
  EXPECT_EQ(c->network(), must("fd00::"));
  EXPECT_TRUE(c->contains(must("fd00::ffff:1")));
  EXPECT_TRUE(c->contains(must("fd00:0:0:0:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(c->contains(must("fd00:0:0:1::1")));
  EXPECT_EQ(c->to_string(), "fd00::1/64");

  auto odd = Ipv6Cidr::parse("2001:db8:abcd:ef12::1/29");
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(odd->network(), must("2001:db8::"));  // 0xabcd cut to 0 after 29 bits
  EXPECT_TRUE(odd->contains(must("2001:dbf::")));
  EXPECT_FALSE(odd->contains(must("2001:dc0::")));
  EXPECT_EQ(Ipv6Cidr::parse("fe80::/10")->network(), must("fe80::"));
  EXPECT_TRUE(Ipv6Cidr::parse("fe80::/10")->contains(must("febf::1")));
  EXPECT_FALSE(Ipv6Cidr::parse("fe80::/10")->contains(must("fec0::1")));

  auto all = Ipv6Cidr::parse("::/0");
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->contains(must("2001:db8::1")));
  EXPECT_EQ(all->network(), Ipv6Addr::unspecified());
  auto host = Ipv6Cidr::parse("fd00:77::3/128");
  ASSERT_TRUE(host.has_value());
  EXPECT_TRUE(host->contains(must("fd00:77::3")));
  EXPECT_FALSE(host->contains(must("fd00:77::2")));
  EXPECT_EQ(host->network(), must("fd00:77::3"));

  for (const char* bad : {"fd00::1", "fd00::1/", "fd00::1/129", "fd00::1/064", "/64", "fd00::1/6 4",
                          "fd00::g/64", "fd00::1/-1", "fd00::1/64/64", "1.2.3.4/24"}) {
    EXPECT_FALSE(Ipv6Cidr::parse(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace synack::wire
