// RFC 9293 requirements that a script cannot express (docs/CONFORMANCE.md names these
// tests): the scripts run with one fixed seed and one fixed peer address, and see
// sequence numbers only relative to the ISN.
#include <gtest/gtest.h>

#include <optional>

#include "synack/base/random.hpp"
#include "synack/tcp/protocol.hpp"
#include "synack/wire/tcp.hpp"

namespace synack::tcp {
namespace {

constexpr wire::Ipv4Addr kLocal = wire::Ipv4Addr::from_octets(10, 77, 0, 2);
constexpr wire::Ipv4Addr kRemote = wire::Ipv4Addr::from_octets(10, 77, 0, 1);

Instant at_ms(std::int64_t ms) {
  return Instant::from_nanos(ms * 1'000'000);
}

// The ISN of the SYN sent by an active open of 10.77.0.2:1000 -> 10.77.0.1:80 at `t` on a
// fresh TcpProtocol whose Random is seeded with `seed`.
std::uint32_t isn_of_active_open(std::uint64_t seed, Instant t) {
  SeededRandom rng(seed);
  TcpProtocol p(TcpConfig{}, rng);
  EXPECT_TRUE(p.connect(Endpoint{kLocal, 1000}, Endpoint{kRemote, 80}, t).ok());
  auto out = p.pop_segment();
  EXPECT_TRUE(out.has_value());
  if (!out) return 0;
  auto syn = wire::TcpRepr::parse(out->bytes(), wire::PseudoHeader::between(out->src, out->dst));
  EXPECT_TRUE(syn.ok());
  EXPECT_TRUE(syn.ok() && syn->flags.syn() && !syn->flags.ack());
  return syn.ok() ? syn->seq.raw() : 0;
}

// MUST-9: "F() MUST NOT be computable from the outside"; SHLD-1: ISN = M +
// F(localip, localport, remoteip, remoteport, secretkey). The same 4-tuple at the same
// instant gives a different ISN under a different secret key (drawn from the injected
// Random), so knowing the tuple and the clock is not enough to predict it; the same key
// gives the same ISN (F is a function, not noise). M is checked by
// Handshake.IsnDependsOnTupleAndClock.
TEST(Conformance, IsnDependsOnTheSecretKey) {
  const Instant t = at_ms(1000);
  const std::uint32_t a = isn_of_active_open(1, t);
  EXPECT_EQ(isn_of_active_open(1, t), a);
  int differing = 0;
  for (std::uint64_t seed = 2; seed < 10; ++seed) {
    if (isn_of_active_open(seed, t) != a) ++differing;
  }
  EXPECT_EQ(differing, 8);
}

// MUST-63: "An incoming SYN with an invalid source address MUST be ignored either by TCP
// or by the IP layer"; MUST-57 for the destination side. A listener gets SYNs from the
// unspecified, limited-broadcast and a multicast address, and one addressed to a
// multicast group: none is answered or creates a connection. A valid SYN then is.
TEST(Conformance, SynFromInvalidSourceIsIgnored) {
  SeededRandom rng(1);
  TcpProtocol p(TcpConfig{}, rng);
  ASSERT_TRUE(p.listen(Endpoint{wire::Ipv4Addr::any(), 80}, 8).ok());
  auto syn_from = [](wire::Ipv4Addr src, wire::Ipv4Addr dst) {
    SegmentIn in;
    in.src = src;
    in.dst = dst;
    in.seg.src_port = 40000;
    in.seg.dst_port = 80;
    in.seg.seq = SeqNum(5000);
    in.seg.flags.bits = wire::TcpFlags::kSyn;
    in.seg.window = 65535;
    return in;
  };
  const wire::Ipv4Addr invalid_sources[] = {wire::Ipv4Addr::any(), wire::Ipv4Addr::broadcast(),
                                            wire::Ipv4Addr::from_octets(224, 0, 0, 1)};
  for (const auto src : invalid_sources) p.on_segment(syn_from(src, kLocal), at_ms(0));
  p.on_segment(syn_from(kRemote, wire::Ipv4Addr::from_octets(239, 1, 2, 3)), at_ms(0));
  EXPECT_FALSE(p.pop_segment().has_value());
  EXPECT_EQ(p.connection_count(), 0u);
  EXPECT_EQ(p.stats().dropped_broadcast, 4u);

  p.on_segment(syn_from(kRemote, kLocal), at_ms(1));
  auto out = p.pop_segment();
  ASSERT_TRUE(out.has_value());
  auto synack = wire::TcpRepr::parse(out->bytes(), wire::PseudoHeader::between(out->src, out->dst));
  ASSERT_TRUE(synack.ok());
  EXPECT_TRUE(synack->flags.syn() && synack->flags.ack());
  EXPECT_EQ(synack->ack, SeqNum(5001));
  EXPECT_EQ(p.connection_count(), 1u);
}

}  // namespace
}  // namespace synack::tcp
