// Two stacks on one wire where a's link segments for it (TSO, over IPv4 or IPv6) and
// b's link vouches for what it delivers: a frame from a reaches b whole, with what a's
// TxMeta said (as a TAP hands the kernel a GSO write and the kernel's GRO hands one
// back). Shared by the IPv4 tests (tests/stack/offload_test.cpp) and the IPv6 ones
// (tests/link/tso6_test.cpp, which also cut the super-frames in software).
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "ipv6_harness.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::stack::test {

struct TsoWire {
  // `v6`: both hosts get fd77::1 and fd77::2 too, and transfer() connects over IPv6.
  explicit TsoWire(LinkOffloads a_offloads = {true, 65535, 65535}, bool ipv6 = false) : v6(ipv6) {
    ia = a.add_interface(mac(1), Ipv4Cidr{ip(10, 77, 0, 1), 24}, 1500, a_offloads);
    ib = b.add_interface(mac(2), Ipv4Cidr{ip(10, 77, 0, 2), 24}, 1500);
    if (v6) {
      EXPECT_TRUE(a.enable_ipv6(ia, Ipv6Cidr{a6("fd77::1"), 64}, false, now));
      EXPECT_TRUE(b.enable_ipv6(ib, Ipv6Cidr{a6("fd77::2"), 64}, false, now));
    }
  }
  bool v6;
  SeededRandom ra{11}, rb{12};
  Stack a{Host::numbered(quiet6(), 1), ra};
  Stack b{Host::numbered(quiet6(), 2), rb};
  IfaceId ia, ib;
  Instant now;
  std::vector<Frame> from_a;  // every frame a sent, as it left

  wire::IpAddr addr_a() const {
    return v6 ? wire::IpAddr(a6("fd77::1")) : wire::IpAddr(ip(10, 77, 0, 1));
  }
  wire::IpAddr addr_b() const {
    return v6 ? wire::IpAddr(a6("fd77::2")) : wire::IpAddr(ip(10, 77, 0, 2));
  }

  void pump() {
    for (int round = 0; round < 10000; ++round) {
      bool moved = false;
      while (auto f = a.pop_frame()) {
        moved = true;
        from_a.push_back(*f);
        b.on_frame(ib, f->bytes, f->tx.as_received(), now);
      }
      while (auto f = b.pop_frame()) {
        moved = true;
        ASSERT_EQ(f->tx, TxMeta{});  // b offers nothing: its frames are complete
        a.on_frame(ia, f->bytes, now);
      }
      if (!moved) return;
    }
  }

  // a connects to b's listener on port 80 and sends `data`; what b read.
  ByteVec transfer(const ByteVec& data) {
    auto lid = b.tcp().listen(tcp::Endpoint{addr_b(), 80}, 8);
    EXPECT_TRUE(lid.ok());
    auto cid = a.tcp().connect(tcp::Endpoint{addr_a(), 0}, tcp::Endpoint{addr_b(), 80}, now);
    EXPECT_TRUE(cid.ok());
    a.flush_tcp(now);
    pump();
    auto server = b.tcp().accept(*lid);
    EXPECT_TRUE(server.ok());
    ByteVec got;
    if (!server.ok()) return got;
    std::size_t sent = 0;
    for (int step = 0; step < 20000 && got.size() < data.size(); ++step) {
      if (sent < data.size()) {
        auto n = a.tcp().send(*cid, Bytes(data).subspan(sent));
        if (n.ok()) sent += *n;
        a.flush_tcp(now);
      }
      pump();
      ByteVec buf(65536);
      auto n = b.tcp().receive(*server, buf);
      if (n.ok() && *n > 0) {
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
        b.flush_tcp(now);
        pump();
      }
      now += std::chrono::milliseconds(1);
      a.on_timer(now);
      b.on_timer(now);
    }
    return got;
  }

  // The frames a sent that carry TCP (an Ethernet type of the wire's family).
  std::vector<const Frame*> tcp_from_a() const {
    std::vector<const Frame*> out;
    const std::uint16_t type = v6 ? 0x86dd : 0x0800;
    const std::size_t proto_at = v6 ? kEthHeaderLen + 6 : kEthHeaderLen + 9;
    for (const Frame& f : from_a) {
      if (load_be16(f.bytes, 12) == type && load_u8(f.bytes, proto_at) == 6) out.push_back(&f);
    }
    return out;
  }
};

// The sum of the TCP pseudo-header (RFC 9293 §3.1; RFC 8200 §8.1) for a segment of
// `len` bytes, not complemented: what a partial checksum field holds.
inline std::uint16_t tcp_pseudo_sum(const wire::IpAddr& src, const wire::IpAddr& dst,
                                    std::size_t len) {
  Checksum c;
  if (src.is_v4()) {
    c.add_u32(src.v4().value).add_u32(dst.v4().value).add_u16(6);
    c.add_u16(static_cast<std::uint16_t>(len));
  } else {
    c.add(Bytes(reinterpret_cast<const std::byte*>(src.v6().octets.data()), 16));
    c.add(Bytes(reinterpret_cast<const std::byte*>(dst.v6().octets.data()), 16));
    c.add_u32(static_cast<std::uint32_t>(len)).add_u32(6);
  }
  return c.sum16();
}

// The super-segments among what a sent, each checked: a whole number of pieces of
// gso_size (`mss`), one IP packet within 64 KB whose length field says so, headers
// (Ethernet + IP + TCP) that each piece repeats and that fit the 1500-byte MTU with it,
// the checksum left to the link with the pseudo-header sum of the whole segment in the
// field (Linux's convention), and the family's GSO type. Frames that are not
// super-segments fit the MTU.
inline std::vector<const Frame*> checked_super_frames(const TsoWire& w, std::uint16_t mss) {
  std::vector<const Frame*> supers;
  const std::size_t ip_header = w.v6 ? 40 : 20;
  const std::size_t tcp_at = kEthHeaderLen + ip_header;
  for (const Frame* f : w.tcp_from_a()) {
    if (f->tx.gso_size == 0) {
      EXPECT_LE(f->bytes.size() - kEthHeaderLen, 1500u);
      continue;
    }
    supers.push_back(f);
    EXPECT_TRUE(f->tx.needs_checksum());  // TSO always with checksum offload
    EXPECT_EQ(f->tx.csum_start, tcp_at);
    EXPECT_EQ(f->tx.csum_offset, wire::TcpRepr::kChecksumOffset);
    EXPECT_EQ(f->tx.gso_ipv6, w.v6);
    EXPECT_EQ(f->tx.gso_size, mss);
    const auto tcp_hdr = static_cast<std::size_t>(load_u8(f->bytes, tcp_at + 12) >> 4) * 4;
    EXPECT_EQ(f->tx.hdr_len, tcp_at + tcp_hdr);
    const std::size_t payload = f->bytes.size() - f->tx.hdr_len;
    EXPECT_GT(payload, f->tx.gso_size);
    EXPECT_EQ(payload % f->tx.gso_size, 0u);
    EXPECT_LE(f->bytes.size() - kEthHeaderLen, 65535u);
    EXPECT_LE(f->tx.hdr_len - kEthHeaderLen + f->tx.gso_size, 1500u);
    if (w.v6) {
      EXPECT_EQ(load_be16(f->bytes, kEthHeaderLen + 4), f->bytes.size() - tcp_at);
    } else {
      EXPECT_EQ(load_be16(f->bytes, kEthHeaderLen + 2), f->bytes.size() - kEthHeaderLen);
    }
    EXPECT_EQ(load_be16(f->bytes, tcp_at + 16),
              tcp_pseudo_sum(w.addr_a(), w.addr_b(), f->bytes.size() - tcp_at));
  }
  return supers;
}

}  // namespace synack::stack::test
