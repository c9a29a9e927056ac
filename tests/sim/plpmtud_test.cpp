// Packetization-layer path MTU discovery (RFC 4821, src/tcp/tcb_plpmtud.cpp) on a
// simulated path whose middle hop carries only small packets and drops larger ones
// without an ICMP message (link::DirectionConfig::mtu: an ICMP black hole). The test
// watches the wire: the sizes of the packets A hands to the link and of those that get
// through; the expected values come from the hop's MTU and TcpConfig, not from the code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <optional>
#include <vector>

#include "bulk_transfer.hpp"
#include "two_hosts.hpp"

namespace synack::test {
namespace {

constexpr std::uint16_t kPort = 5001;
constexpr std::size_t kEth = 14;

// The IPv4 packet length of a TCP data segment in an Ethernet frame; 0 for others.
std::size_t data_packet_len(Bytes frame) {
  if (frame.size() < kEth + 20 || load_be16(frame, 12) != 0x0800) return 0;
  auto ip = wire::Ipv4Repr::parse(frame.subspan(kEth));
  if (!ip.ok() || ip->protocol != 6) return 0;
  auto t = wire::TcpRepr::parse(ip->payload, wire::PseudoHeader{ip->src, ip->dst});
  if (!t.ok() || t->payload.empty()) return 0;
  return ip->total_len();
}

struct Wire {
  std::vector<std::size_t> sent;      // A's data packets, in order, lengths
  std::size_t largest_delivered = 0;  // the largest of A's data packets B received
  std::size_t sent_over_hop = 0;      // A's data packets larger than the hop's MTU
};

// A sends `bytes` to B over a link whose hop drops packets over `hop_mtu` bytes (0: no
// such hop) both ways. A uses `mode`; B the defaults.
class Transfer : public WithNet, public BulkTransfer {
 public:
  Transfer(std::size_t hop_mtu, tcp::MtuProbing mode, std::size_t bytes)
      : WithNet(5, link_cfg(hop_mtu), link_cfg(hop_mtu), cfg(mode), cfg(mode)),
        BulkTransfer(net, kPort, bytes, 13, 5),
        hop_(hop_mtu) {
    net.on_send = [this](link::End from, Bytes f, Instant) {
      if (from != link::End::A) return;
      if (const std::size_t n = data_packet_len(f)) {
        w.sent.push_back(n);
        if (hop_ != 0 && n > hop_) ++w.sent_over_hop;
      }
    };
    net.on_deliver = [this](link::End to, Bytes f, Instant) {
      if (to == link::End::B)
        w.largest_delivered = std::max(w.largest_delivered, data_packet_len(f));
    };
  }

  static link::DirectionConfig link_cfg(std::size_t mtu) {
    link::DirectionConfig d;
    d.delay = std::chrono::milliseconds(5);
    d.mtu = mtu;
    return d;
  }
  static stack::StackConfig cfg(tcp::MtuProbing mode) {
    stack::StackConfig c;
    c.tcp.mtu_probing = mode;
    return c;
  }

  std::size_t hop_;
  Wire w;
};

// The default (MtuProbing::BlackHole): full-sized segments vanish at the hop; after R1
// timeouts A cuts segments for the base size (1024 + 40), then probes its way up to
// within mtu_probe_threshold of the hop's MTU, and every byte arrives.
TEST(Plpmtud, BlackHoleIsFoundAndTheSearchConvergesBelowTheHopMtu) {
  constexpr std::size_t kHop = 1280;
  Transfer t(kHop, tcp::MtuProbing::BlackHole, 600'000);
  ASSERT_TRUE(t.run(std::chrono::seconds(120)));
  const tcp::TcpConfig defaults;
  auto s = t.net.a.stack.tcp().conn_stats(t.client->id());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->mtu_black_holes, 1u);
  EXPECT_GE(s->rto_expirations, defaults.r1_retransmissions);
  // The first data packets were full-sized for the 1500-byte interface.
  ASSERT_FALSE(t.w.sent.empty());
  EXPECT_EQ(t.w.sent.front(), 1500u);
  // After the black hole: the base size, then only probes were larger than it.
  EXPECT_GE(s->mtu_probes, 3u);
  EXPECT_GE(s->mtu_probes_acked, 1u);
  EXPECT_GE(s->mtu_probes_lost, 1u);
  EXPECT_EQ(s->mtu_probes, s->mtu_probes_acked + s->mtu_probes_lost);
  EXPECT_LE(s->packet_mtu, kHop);
  EXPECT_GE(s->packet_mtu + defaults.mtu_probe_threshold, kHop);
  EXPECT_LE(t.w.largest_delivered, kHop);
  // The hop dropped exactly the packets above its MTU: the full-sized ones before the
  // black hole was suspected, and the probes that were too big.
  EXPECT_EQ(t.net.link.stats(link::End::A).too_big, t.w.sent_over_hop);
  const auto full_sized =
      static_cast<std::size_t>(std::count(t.w.sent.begin(), t.w.sent.end(), std::size_t{1500}));
  EXPECT_EQ(t.w.sent_over_hop, full_sized + s->mtu_probes_lost);
}

// Without probing, RFC 1191 has nothing to go on (no ICMP): nothing but the handshake
// gets through, whatever the wait.
TEST(Plpmtud, WithoutProbingABlackHoleDeliversNothing) {
  Transfer t(1280, tcp::MtuProbing::Off, 100'000);
  EXPECT_FALSE(t.run(std::chrono::seconds(60)));
  EXPECT_EQ(t.received, 0u);
  auto s = t.net.a.stack.tcp().conn_stats(t.client->id());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->mtu_black_holes, 0u);
  EXPECT_EQ(s->mtu_probes, 0u);
  EXPECT_EQ(s->packet_mtu, 1500u);
  EXPECT_GT(t.net.link.stats(link::End::A).too_big, 3u);
}

// MtuProbing::Always on a clean path: the connection starts at the base size and probes
// up to the interface MTU; no probe is lost, so no timeout or recovery.
TEST(Plpmtud, AlwaysStartsAtTheBaseSizeAndClimbsToTheInterfaceMtu) {
  Transfer t(0, tcp::MtuProbing::Always, 600'000);
  ASSERT_TRUE(t.run(std::chrono::seconds(60)));
  const tcp::TcpConfig defaults;
  auto s = t.net.a.stack.tcp().conn_stats(t.client->id());
  ASSERT_TRUE(s);
  ASSERT_FALSE(t.w.sent.empty());
  EXPECT_EQ(t.w.sent.front(), defaults.mtu_probe_base_mss + 40u);
  EXPECT_GE(s->mtu_probes_acked, 3u);
  EXPECT_EQ(s->mtu_probes_lost, 0u);
  EXPECT_EQ(s->rto_expirations, 0u);
  EXPECT_EQ(s->retransmitted_segs, 0u);
  EXPECT_LE(s->packet_mtu, 1500u);
  EXPECT_GE(s->packet_mtu + defaults.mtu_probe_threshold, 1500u);
  EXPECT_EQ(t.w.largest_delivered, *std::max_element(t.w.sent.begin(), t.w.sent.end()));
}

// A probe lost at a 1400-byte hop is recovered from the duplicate ACKs behind it, not
// by a timeout: the search narrows to the hop's MTU without one. The link loses
// nothing else, so RFC 4821 §7.6.2 (a lost probe is no congestion) leaves the window
// as it was: every recovery's reduction was undone, ssthresh never fell.
TEST(Plpmtud, LostProbesAreRepairedWithoutATimeout) {
  constexpr std::size_t kHop = 1400;
  Transfer t(kHop, tcp::MtuProbing::Always, 600'000);
  ASSERT_TRUE(t.run(std::chrono::seconds(60)));
  const tcp::TcpConfig defaults;
  auto s = t.net.a.stack.tcp().conn_stats(t.client->id());
  ASSERT_TRUE(s);
  EXPECT_GE(s->mtu_probes_lost, 1u);
  EXPECT_EQ(s->rto_expirations, 0u);
  EXPECT_EQ(s->mtu_black_holes, 0u);
  EXPECT_LE(s->packet_mtu, kHop);
  EXPECT_GE(s->packet_mtu + defaults.mtu_probe_threshold, kHop);
  EXPECT_EQ(t.net.link.stats(link::End::A).too_big, s->mtu_probes_lost);
  EXPECT_GE(s->sack_recoveries, s->mtu_probes_lost);
  EXPECT_EQ(s->ssthresh, std::numeric_limits<std::uint32_t>::max());
}

}  // namespace
}  // namespace synack::test
