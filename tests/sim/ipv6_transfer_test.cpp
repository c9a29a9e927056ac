// A bulk transfer over IPv6 between two whole stacks on a lossy cable: NDP resolves the
// neighbours over it, SACK recovers what is lost, and every byte arrives.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "bulk_transfer.hpp"
#include "synack/base/random.hpp"
#include "synack/wire/ipv6.hpp"
#include "synack/wire/tcp.hpp"
#include "two_hosts.hpp"

namespace synack::test {
namespace {

using namespace std::chrono_literals;

// The TCP segment of an IPv6 frame (checksum verified); nullopt for anything else.
std::optional<wire::TcpRepr> tcp6_of(Bytes frame) {
  if (frame.size() < 14 + wire::Ipv6Repr::kHeaderLen || load_be16(frame, 12) != 0x86dd) {
    return std::nullopt;
  }
  auto ip = wire::Ipv6Repr::parse(frame.subspan(14));
  if (!ip.ok() || ip->next_header != 6) return std::nullopt;
  auto t = wire::TcpRepr::parse(ip->payload, ip->pseudo_header());
  if (!t.ok()) return std::nullopt;
  return *t;
}

// No DAD or router solicitation delays: the static addresses are usable at once.
stack::StackConfig quiet6() {
  stack::StackConfig c;
  c.ipv6.dad_transmits = 0;
  c.ipv6.max_rtr_solicitations = 0;
  return c;
}

// 1 MiB from A to B over IPv6 with 2 % of the frames lost each way: B -> A (ACKs,
// neighbour advertisements) by the link's own loss, A -> B by a seeded draw on every
// frame A sends, so that the test knows exactly which data segments never arrived.
TEST(Ipv6Transfer, OneMebibyteOverALossyLinkWithSack) {
  link::DirectionConfig ab, ba;
  ab.delay = ba.delay = 5ms;
  ba.loss = 0.02;
  TwoHosts net(61, ab, ba, quiet6());
  ASSERT_TRUE(net.enable_ipv6());
  ASSERT_TRUE(net.b.addr6.has_value());

  SeededRandom loss(0x6d0c);
  std::uint64_t dropped_data = 0, data_segments = 0, ipv4_frames = 0;
  net.copies = [&](link::End from, Bytes f) {
    if (from != link::End::A) return 1;
    if (f.size() >= 14 && load_be16(f, 12) == 0x0800) ++ipv4_frames;
    const auto t = tcp6_of(f);
    const bool data = t && !t->payload.empty();
    data_segments += data ? 1 : 0;
    if (!loss.chance(0.02)) return 1;
    dropped_data += data ? 1 : 0;
    return 0;
  };

  constexpr std::size_t kBytes = 1 << 20;
  BulkTransfer bt(net, 6001, kBytes, 13, 5, wire::IpAddr(*net.b.addr6));
  ASSERT_TRUE(bt.run(10min));
  EXPECT_EQ(bt.received, kBytes);  // pump() compared every byte with the pattern
  EXPECT_EQ(bt.sent, kBytes);

  ASSERT_TRUE(bt.client.has_value() && bt.server.has_value());
  const auto client_peer = bt.client->remote();
  const auto server_peer = bt.server->remote();
  ASSERT_TRUE(client_peer && server_peer);
  EXPECT_EQ(client_peer->addr, wire::IpAddr(*net.b.addr6));
  EXPECT_EQ(server_peer->addr, wire::IpAddr(*net.a.addr6));
  EXPECT_EQ(ipv4_frames, 0u);  // nothing went over IPv4

  const auto info = bt.client->info(net.now);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->sack);
  EXPECT_GT(info->sack_recoveries, 0u);
  const auto st = bt.client->stats();
  ASSERT_TRUE(st.has_value());
  // Every data segment the link dropped (retransmissions included) was sent again.
  EXPECT_GT(dropped_data, 0u);
  EXPECT_GE(st->retransmitted_segs, dropped_data)
      << data_segments << " data segments sent, " << dropped_data << " dropped";
}

}  // namespace
}  // namespace synack::test
