// Hostile input: random segments, options and ICMP errors thrown at live
// connections must never crash, assert or leak (run under ASan/UBSan in CI).
#include <gtest/gtest.h>

#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

SegmentIn random_segment(SeededRandom& r, const Established& c, ByteVec& payload) {
  const std::uint32_t near_seq = c.peer_seq + static_cast<std::uint32_t>(r.below(200000)) - 100000;
  const std::uint32_t near_ack = c.nxt + static_cast<std::uint32_t>(r.below(200000)) - 100000;
  payload.resize(r.below(1600));
  for (auto& b : payload) b = std::byte(r.next_u32());
  auto in = c.peer.seg(
      static_cast<std::uint8_t>(r.next_u32() & 0x3f), r.chance(0.7) ? near_seq : r.next_u32(),
      r.chance(0.7) ? near_ack : r.next_u32(), static_cast<std::uint16_t>(r.next_u32()), payload);
  if (r.chance(0.3)) in.seg.options.mss = static_cast<std::uint16_t>(r.next_u32());
  if (r.chance(0.3)) in.seg.options.window_scale = static_cast<std::uint8_t>(r.next_u32());
  if (r.chance(0.5)) in.seg.options.timestamps = wire::TcpTimestamps{r.next_u32(), r.next_u32()};
  in.seg.urgent = static_cast<std::uint16_t>(r.next_u32());
  return in;
}

TEST(Robustness, RandomSegmentsNeverBreakTheProtocol) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    SeededRandom r(seed);
    TcpConfig cfg;
    cfg.timestamps = r.chance(0.5);
    cfg.window_scaling = r.chance(0.5);
    Established c(cfg);
    ByteVec payload;
    for (int i = 0; i < 2000; ++i) {
      c.now += std::chrono::milliseconds(r.below(300));
      switch (r.below(6)) {
        case 0:
          (void)c.proto.send(c.id, as_bytes(pattern(r.below(5000))));
          break;
        case 1:
          c.read_all();
          break;
        case 2: {
          IcmpErrorIn e;
          e.type = static_cast<std::uint8_t>(r.below(13));
          e.code = static_cast<std::uint8_t>(r.below(6));
          e.next_hop_mtu = static_cast<std::uint16_t>(r.below(1600));
          e.local = Endpoint{kAddrA, 80};
          e.remote = Endpoint{kAddrB, 40000};
          e.quoted_seq = SeqNum(c.nxt + static_cast<std::uint32_t>(r.below(3000)));
          c.proto.on_icmp_error(e, c.now);
          break;
        }
        default:
          c.deliver(random_segment(r, c, payload));
          break;
      }
      c.proto.on_timer(c.now);
      for (auto& s : drain(c.proto)) EXPECT_LE(s.out.bytes().size(), 1500u);
      events(c.proto);
      auto st = c.proto.state(c.id);
      if (!st || *st == State::Closed) break;
      // The peer occasionally learns what we sent, so some segments are acceptable.
      if (r.chance(0.2)) c.nxt = c.proto.tcb(c.id)->snd_nxt().raw();
      if (r.chance(0.2)) c.peer_seq = c.proto.tcb(c.id)->rcv_nxt().raw();
    }
  }
}

}  // namespace
}  // namespace synack::tcp::testing
