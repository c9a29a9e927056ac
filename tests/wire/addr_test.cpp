#include "synack/wire/addr.hpp"

#include <gtest/gtest.h>

#include "synack/wire/error.hpp"

namespace synack::wire {
namespace {

TEST(Ipv4Addr, ParsesDottedQuad) {
  EXPECT_EQ(Ipv4Addr::parse("10.77.0.1"), Ipv4Addr::from_octets(10, 77, 0, 1));
  EXPECT_EQ(Ipv4Addr::parse("10.77.0.1")->value, 0x0a4d0001u);
  EXPECT_EQ(Ipv4Addr::parse("0.0.0.0"), Ipv4Addr::any());
  EXPECT_EQ(Ipv4Addr::parse("255.255.255.255"), Ipv4Addr::broadcast());
  EXPECT_EQ(Ipv4Addr::parse("192.168.100.200"), Ipv4Addr::from_octets(192, 168, 100, 200));
}

TEST(Ipv4Addr, RejectsAnythingButFourDecimalOctets) {
  for (const char* bad : {"",          "10.0.0",    "256.1.1.1", "1.2.3.4.5",       " 1.2.3.4",
                          "x1.2.3.4",  "1.2.3.4 ",  "1..2.3",    "1.2.3.",          ".1.2.3",
                          "01.2.3.4",  "1.2.3.-4",  "1.2.3.+4",  "1234.1.1.1",      "1.2.3.4/24",
                          "0x1.2.3.4", "1.2.3.4\n", "1.2.3.256", "999.999.999.999", "..."}) {
    EXPECT_FALSE(Ipv4Addr::parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(Ipv4Addr, FormatsAndRoundTrips) {
  EXPECT_EQ(Ipv4Addr::from_octets(10, 77, 0, 2).to_string(), "10.77.0.2");
  EXPECT_EQ(Ipv4Addr::broadcast().to_string(), "255.255.255.255");
  EXPECT_EQ(Ipv4Addr::any().to_string(), "0.0.0.0");
  for (std::uint32_t v : {0u, 1u, 0x7f000001u, 0xc0a80001u, 0xdeadbeefu, 0xffffffffu}) {
    Ipv4Addr a{v};
    EXPECT_EQ(Ipv4Addr::parse(a.to_string()), a) << a.to_string();
  }
}

TEST(Ipv4Addr, Classification) {
  EXPECT_TRUE(Ipv4Addr::from_octets(224, 0, 0, 1).is_multicast());
  EXPECT_FALSE(Ipv4Addr::from_octets(10, 0, 0, 1).is_multicast());
  EXPECT_TRUE(Ipv4Addr::from_octets(127, 0, 0, 1).is_loopback());
  EXPECT_TRUE(Ipv4Addr::any().is_unspecified());
  EXPECT_TRUE(Ipv4Addr::broadcast().is_broadcast());
}

TEST(Ipv4Cidr, ParsesAddressAndPrefix) {
  auto c = Ipv4Cidr::parse("10.77.0.2/24");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->addr, Ipv4Addr::from_octets(10, 77, 0, 2));
  EXPECT_EQ(c->prefix_len, 24);
  EXPECT_EQ(c->netmask(), 0xffffff00u);
  EXPECT_EQ(c->network(), Ipv4Addr::from_octets(10, 77, 0, 0));
  EXPECT_EQ(c->subnet_broadcast(), Ipv4Addr::from_octets(10, 77, 0, 255));
  EXPECT_TRUE(c->contains(Ipv4Addr::from_octets(10, 77, 0, 200)));
  EXPECT_FALSE(c->contains(Ipv4Addr::from_octets(10, 77, 1, 1)));
  EXPECT_EQ(c->to_string(), "10.77.0.2/24");

  auto all = Ipv4Cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->netmask(), 0u);
  EXPECT_TRUE(all->contains(Ipv4Addr::from_octets(8, 8, 8, 8)));
  auto host = Ipv4Cidr::parse("1.2.3.4/32");
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(host->netmask(), 0xffffffffu);
}

TEST(Ipv4Cidr, RejectsMalformed) {
  for (const char* bad : {"1.2.3.4/33", "1.2.3.4/", "1.2.3.4", "1.2.3.4/2x", "/24", "1.2.3.4/024",
                          "1.2.3.4/-1", "10.0.0/8", " 1.2.3.4/8", "1.2.3.4/8 ", "1.2.3.4/100",
                          "1.2.3.4//8", "1.2.3.4/8/8", "256.0.0.0/8", ""}) {
    EXPECT_FALSE(Ipv4Cidr::parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(MacAddr, ParsesAndFormats) {
  auto m = MacAddr::parse("02:00:00:00:00:01");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->octets, (std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 1}));
  auto upper = MacAddr::parse("AA:bb:Cc:0F:10:FF");
  ASSERT_TRUE(upper.has_value());
  EXPECT_EQ(upper->octets, (std::array<std::uint8_t, 6>{0xaa, 0xbb, 0xcc, 0x0f, 0x10, 0xff}));
  EXPECT_EQ(upper->to_string(), "aa:bb:cc:0f:10:ff");
  EXPECT_EQ(MacAddr::broadcast().to_string(), "ff:ff:ff:ff:ff:ff");
  EXPECT_TRUE(MacAddr::parse("ff:ff:ff:ff:ff:ff")->is_broadcast());
  EXPECT_TRUE(MacAddr::parse("01:00:5e:00:00:01")->is_multicast());
  EXPECT_FALSE(m->is_multicast());
}

TEST(MacAddr, RejectsMalformed) {
  for (const char* bad : {"", "02:00:00:00:00", "02-00-00-00-00-01", "02:00:00:00:00:0g",
                          "002:00:00:00:00:01", "02:00:00:00:00:01:", "2:0:0:0:0:1",
                          " 02:00:00:00:00:01", "02:00:00:00:00:011", "02:00:00:00:00-01"}) {
    EXPECT_FALSE(MacAddr::parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(MacAddr, LoadStoreAtOffset) {
  std::array<std::byte, 10> buf{};
  MacAddr m{{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
  m.store(buf, 3);
  EXPECT_EQ(buf[2], std::byte{0});
  EXPECT_EQ(buf[3], std::byte{0x02});
  EXPECT_EQ(buf[8], std::byte{0x55});
  EXPECT_EQ(buf[9], std::byte{0});
  EXPECT_EQ(MacAddr::load(buf, 3), m);
}

TEST(WireError, ToStringNamesEveryError) {
  EXPECT_EQ(to_string(WireError::Truncated), "truncated");
  EXPECT_EQ(to_string(WireError::BadVersion), "bad version");
  EXPECT_EQ(to_string(WireError::BadHeaderLength), "bad header length");
  EXPECT_EQ(to_string(WireError::BadTotalLength), "bad total length");
  EXPECT_EQ(to_string(WireError::BadChecksum), "bad checksum");
  EXPECT_EQ(to_string(WireError::BadDataOffset), "bad data offset");
  EXPECT_EQ(to_string(WireError::BadOptionLength), "bad option length");
  EXPECT_EQ(to_string(WireError::Unsupported), "unsupported");
}

}  // namespace
}  // namespace synack::wire
