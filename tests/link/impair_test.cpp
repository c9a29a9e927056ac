#include "synack/link/impair.hpp"

#include "synack/wire/ipv4.hpp"
#include "synack/wire/ipv6.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace synack::link {
namespace {

// --- parser -------------------------------------------------------------------

TEST(ImpairParse, FullSpec) {
  auto r = parse_impair("loss=0.1,dup=0.02,reorder=0.05,corrupt=0.001,delay=20,seed=42");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_DOUBLE_EQ(r->config.loss, 0.1);
  EXPECT_DOUBLE_EQ(r->config.duplicate, 0.02);
  EXPECT_DOUBLE_EQ(r->config.reorder, 0.05);
  EXPECT_DOUBLE_EQ(r->config.corrupt, 0.001);
  EXPECT_EQ(r->config.delay, std::chrono::milliseconds(20));
  EXPECT_EQ(r->config.jitter, Duration{0});
  EXPECT_EQ(r->seed, 42u);
  EXPECT_EQ(r->config.rate_bps, 0u);  // untouched: unlimited
  EXPECT_TRUE(r->config.valid());
}

TEST(ImpairParse, OptionalKeysAndEdgeValues) {
  auto r = parse_impair("delay=2.5,jitter=0.25,loss=1,seed=18446744073709551615");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.delay, Duration(2'500'000));
  EXPECT_EQ(r->config.jitter, Duration(250'000));
  EXPECT_DOUBLE_EQ(r->config.loss, 1.0);
  EXPECT_DOUBLE_EQ(r->config.duplicate, 0.0);
  EXPECT_EQ(r->seed, 18446744073709551615ull);

  auto only_seed = parse_impair("seed=9");
  ASSERT_TRUE(only_seed.ok());
  ImpairSpec expected;
  expected.seed = 9;
  EXPECT_EQ(*only_seed, expected);

  auto zero = parse_impair("loss=0,corrupt=0.0");
  ASSERT_TRUE(zero.ok());
  EXPECT_DOUBLE_EQ(zero->config.loss, 0.0);
}

struct BadCase {
  const char* spec;
  ImpairErrorCode code;
  const char* key;
  const char* value;
};

TEST(ImpairParse, BadSpecsNameTheKeyAndValue) {
  const BadCase cases[] = {
      {"", ImpairErrorCode::Empty, "", ""},
      {"loss=0.1,", ImpairErrorCode::Empty, "", ""},
      {",loss=0.1", ImpairErrorCode::Empty, "", ""},
      {"loss=0.1,,dup=0.1", ImpairErrorCode::Empty, "", ""},
      {"loss", ImpairErrorCode::MissingValue, "loss", ""},
      {"loss=", ImpairErrorCode::MissingValue, "loss", ""},
      {"wobble=1", ImpairErrorCode::UnknownKey, "wobble", "1"},
      {"Loss=0.1", ImpairErrorCode::UnknownKey, "Loss", "0.1"},
      {"loss=0.1,loss=0.2", ImpairErrorCode::DuplicateKey, "loss", "0.2"},
      {"loss=1.5", ImpairErrorCode::OutOfRange, "loss", "1.5"},
      {"dup=-0.1", ImpairErrorCode::OutOfRange, "dup", "-0.1"},
      {"corrupt=2", ImpairErrorCode::OutOfRange, "corrupt", "2"},
      {"delay=-1", ImpairErrorCode::OutOfRange, "delay", "-1"},
      {"delay=60001", ImpairErrorCode::OutOfRange, "delay", "60001"},
      {"reorder=abc", ImpairErrorCode::BadNumber, "reorder", "abc"},
      {"loss=0.5x", ImpairErrorCode::BadNumber, "loss", "0.5x"},
      {"loss=nan", ImpairErrorCode::BadNumber, "loss", "nan"},
      {"delay=inf", ImpairErrorCode::BadNumber, "delay", "inf"},
      {"loss= 0.1", ImpairErrorCode::BadNumber, "loss", " 0.1"},
      {"seed=-1", ImpairErrorCode::BadNumber, "seed", "-1"},
      {"seed=1.5", ImpairErrorCode::BadNumber, "seed", "1.5"},
      {"seed=18446744073709551616", ImpairErrorCode::BadNumber, "seed", "18446744073709551616"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.spec);
    auto r = parse_impair(c.spec);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, c.code);
    EXPECT_EQ(r.error().key, c.key);
    EXPECT_EQ(r.error().value, c.value);
    const std::string msg = r.error().message();
    EXPECT_EQ(msg.rfind("--impair: ", 0), 0u) << msg;
    if (*c.key != '\0') {
      EXPECT_NE(msg.find(c.key), std::string::npos) << msg;
    }
  }
}

TEST(ImpairParse, MessagesSayWhatIsWrong) {
  EXPECT_EQ(parse_impair("loss=1.5").error().message(),
            "--impair: loss=1.5: probability must be between 0 and 1");
  EXPECT_EQ(parse_impair("delay=70000").error().message(),
            "--impair: delay=70000: milliseconds must be between 0 and 60000");
  EXPECT_EQ(
      parse_impair("x=1").error().message(),
      "--impair: unknown key 'x' (expected loss, dup, reorder, corrupt, ce, delay, jitter, seed, "
      "dir)");
}

// --- Impairer -----------------------------------------------------------------

// Frame i carries its direction tag and index, so the sink can tell them apart.
ByteVec numbered(std::uint8_t tag, std::uint32_t i) {
  ByteVec f(60, std::byte{0});
  f[0] = std::byte{tag};
  store_be32(f, 1, i);
  return f;
}

struct FakeSink : ImpairSink {
  std::vector<ByteVec> device;
  std::vector<ByteVec> stack;
  void to_device(ByteVec frame, Instant) override { device.push_back(std::move(frame)); }
  void to_stack(ByteVec frame, Instant) override { stack.push_back(std::move(frame)); }
};

constexpr std::uint8_t kOut = 0xa0;
constexpr std::uint8_t kIn = 0xb0;

// Sends n frames each way, one per microsecond, releasing as it goes.
FakeSink pump(Impairer& imp, std::uint32_t n) {
  FakeSink sink;
  Instant now = Instant::from_nanos(1'000'000);
  for (std::uint32_t i = 0; i < n; ++i) {
    imp.from_stack(numbered(kOut, i), now);
    imp.from_device(numbered(kIn, i), now);
    imp.release(now, sink);
    now += std::chrono::microseconds(1);
  }
  imp.release(now + std::chrono::seconds(1), sink);
  return sink;
}

std::vector<std::uint32_t> indices(const std::vector<ByteVec>& frames, std::uint8_t tag) {
  std::vector<std::uint32_t> out;
  for (const auto& f : frames) {
    EXPECT_EQ(f.size(), 60u);
    EXPECT_EQ(f[0], std::byte{tag});  // never crosses to the wrong side
    out.push_back(load_be32(f, 1));
  }
  return out;
}

TEST(Impairer, LossDropsAboutThatShareEachWayAndKeepsOrder) {
  constexpr std::uint32_t kFrames = 20000;
  Impairer imp(*parse_impair("loss=0.25,seed=7"));
  FakeSink sink = pump(imp, kFrames);

  for (auto [frames, tag, stats] : {std::tuple{&sink.device, kOut, &imp.outbound()},
                                    std::tuple{&sink.stack, kIn, &imp.inbound()}}) {
    const auto idx = indices(*frames, tag);
    EXPECT_EQ(stats->sent, kFrames);
    EXPECT_EQ(stats->delivered, idx.size());
    EXPECT_EQ(stats->lost + stats->delivered, kFrames);
    EXPECT_EQ(stats->duplicated + stats->corrupted + stats->reordered, 0u);
    // Binomial(20000, 0.25): sd ~61 frames, so +-600 is ten standard deviations.
    EXPECT_GT(stats->lost, 4400u);
    EXPECT_LT(stats->lost, 5600u);
    // No delay: survivors come out at once, in send order, unchanged.
    for (std::size_t k = 1; k < idx.size(); ++k) ASSERT_LT(idx[k - 1], idx[k]);
  }
  EXPECT_EQ(imp.in_flight(), 0u);
}

TEST(Impairer, SameSeedSameLossPatternOtherSeedDiffers) {
  Impairer a(*parse_impair("loss=0.3,seed=11"));
  Impairer b(*parse_impair("loss=0.3,seed=11"));
  Impairer c(*parse_impair("loss=0.3,seed=12"));
  const auto da = indices(pump(a, 2000).device, kOut);
  const auto db = indices(pump(b, 2000).device, kOut);
  const auto dc = indices(pump(c, 2000).device, kOut);
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(Impairer, NoImpairmentPassesEverythingAtOnce) {
  Impairer imp(ImpairSpec{});
  FakeSink sink;
  const Instant t = Instant::from_nanos(5);
  imp.from_stack(numbered(kOut, 1), t);
  imp.from_device(numbered(kIn, 2), t);
  EXPECT_EQ(imp.next_deadline(), t);
  EXPECT_EQ(imp.release(t, sink), 2u);
  ASSERT_EQ(sink.device.size(), 1u);
  ASSERT_EQ(sink.stack.size(), 1u);
  EXPECT_EQ(sink.device[0], numbered(kOut, 1));
  EXPECT_EQ(sink.stack[0], numbered(kIn, 2));
  EXPECT_FALSE(imp.next_deadline().has_value());
}

TEST(Impairer, DelayHoldsFramesUntilTheirTime) {
  Impairer imp(*parse_impair("delay=10"));
  FakeSink sink;
  const Instant t0 = Instant::from_nanos(1'000'000'000);
  imp.from_stack(numbered(kOut, 1), t0);
  imp.from_device(numbered(kIn, 2), t0 + std::chrono::milliseconds(1));
  EXPECT_EQ(imp.next_deadline(), t0 + std::chrono::milliseconds(10));
  EXPECT_EQ(imp.release(t0 + std::chrono::milliseconds(10) - Duration(1), sink), 0u);
  EXPECT_EQ(imp.release(t0 + std::chrono::milliseconds(10), sink), 1u);
  EXPECT_EQ(sink.device.size(), 1u);
  EXPECT_EQ(imp.next_deadline(), t0 + std::chrono::milliseconds(11));
  EXPECT_EQ(imp.release(t0 + std::chrono::milliseconds(11), sink), 1u);
  EXPECT_EQ(sink.stack.size(), 1u);
}

TEST(Impairer, DuplicateOneDeliversEveryFrameTwice) {
  Impairer imp(*parse_impair("dup=1,seed=3"));
  FakeSink sink = pump(imp, 100);
  const auto out = indices(sink.device, kOut);
  const auto in = indices(sink.stack, kIn);
  ASSERT_EQ(out.size(), 200u);
  ASSERT_EQ(in.size(), 200u);
  for (std::uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(std::count(out.begin(), out.end(), i), 2);
    EXPECT_EQ(std::count(in.begin(), in.end(), i), 2);
  }
  EXPECT_EQ(imp.outbound().duplicated, 100u);
}

TEST(Impairer, CorruptOneFlipsOneToThreeBitsPerFrame) {
  Impairer imp(*parse_impair("corrupt=1,seed=5"));
  FakeSink sink;
  const Instant t = Instant::from_nanos(0);
  for (std::uint32_t i = 0; i < 200; ++i) imp.from_stack(numbered(kOut, i), t);
  imp.release(t, sink);
  ASSERT_EQ(sink.device.size(), 200u);
  for (std::uint32_t i = 0; i < 200; ++i) {
    const ByteVec original = numbered(kOut, i);
    int flipped = 0;
    for (std::size_t k = 0; k < original.size(); ++k) {
      flipped += std::popcount(std::to_integer<unsigned>(original[k] ^ sink.device[i][k]));
    }
    EXPECT_GE(flipped, 1);
    EXPECT_LE(flipped, 3);
  }
}

}  // namespace
}  // namespace synack::link

namespace synack::link {
namespace {

TEST(ImpairParse, DirectionKey) {
  EXPECT_EQ(parse_impair("loss=0.1")->direction, ImpairDirection::Both);
  EXPECT_EQ(parse_impair("loss=0.1,dir=in")->direction, ImpairDirection::In);
  EXPECT_EQ(parse_impair("dir=out,loss=0.1")->direction, ImpairDirection::Out);
  auto bad = parse_impair("loss=0.1,dir=sideways");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "--impair: dir=sideways: must be both, in or out");
}

// dir=in impairs only what the stack receives; dir=out only what it sends.
TEST(Impairer, DirectionLimitsTheImpairmentToOneWay) {
  constexpr std::uint32_t kFrames = 5000;
  Impairer in_only(*parse_impair("loss=0.5,seed=3,dir=in"));
  FakeSink a = pump(in_only, kFrames);
  EXPECT_EQ(a.device.size(), kFrames);
  EXPECT_EQ(in_only.outbound().lost, 0u);
  EXPECT_GT(in_only.inbound().lost, 2000u);
  EXPECT_LT(a.stack.size(), 3000u);

  Impairer out_only(*parse_impair("loss=0.5,seed=3,dir=out"));
  FakeSink b = pump(out_only, kFrames);
  EXPECT_EQ(b.stack.size(), kFrames);
  EXPECT_EQ(out_only.inbound().lost, 0u);
  EXPECT_GT(out_only.outbound().lost, 2000u);
}

}  // namespace
}  // namespace synack::link

// --- ce=P: ECN marking (RFC 3168 §5) -----------------------------------------------

namespace synack::link {
namespace {

// An Ethernet II frame with an IPv4 header (TOS byte `tos`) and 8 payload bytes whose
// first four carry the index i.
ByteVec ipv4_frame(std::uint8_t tos, std::uint32_t i) {
  ByteVec payload(8, std::byte{0x5a});
  store_be32(payload, 0, i);
  wire::Ipv4Repr ip;
  ip.src = wire::Ipv4Addr::from_octets(10, 77, 0, 1);
  ip.dst = wire::Ipv4Addr::from_octets(10, 77, 0, 2);
  ip.protocol = static_cast<std::uint8_t>(wire::IpProto::Tcp);
  ip.dscp_ecn = tos;
  ip.ident = static_cast<std::uint16_t>(i);
  ip.payload = payload;
  ByteVec f(14 + ip.total_len(), std::byte{0});
  store_be16(f, 12, 0x0800);
  ip.emit(MutBytes(f).subspan(14));
  return f;
}

wire::Ipv4Repr parsed(const ByteVec& f) {
  auto r = wire::Ipv4Repr::parse(Bytes(f).subspan(14));
  EXPECT_TRUE(r.ok());  // the header checksum is right
  return r.ok() ? *r : wire::Ipv4Repr{};
}

TEST(ImpairParse, CeKey) {
  auto r = parse_impair("ce=0.05,dir=in");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_DOUBLE_EQ(r->config.ce, 0.05);
  EXPECT_TRUE(r->config.valid());
  EXPECT_FALSE(*r == *parse_impair("ce=0.06,dir=in"));
  EXPECT_EQ(parse_impair("ce=1.5").error().message(),
            "--impair: ce=1.5: probability must be between 0 and 1");
  EXPECT_EQ(parse_impair("ce=x").error().code, ImpairErrorCode::BadNumber);
}

TEST(MarkCe, EctBecomesCeWithAValidChecksumAndNothingElseChanges) {
  // DSCP 46 (EF) with ECT(0), then ECT(1): only the two ECN bits and the checksum change.
  for (const std::uint8_t tos : {std::uint8_t{46 << 2 | 0b10}, std::uint8_t{46 << 2 | 0b01}}) {
    const ByteVec before = ipv4_frame(tos, 7);
    ByteVec f = before;
    ASSERT_TRUE(mark_ce(f));
    EXPECT_EQ(std::to_integer<std::uint8_t>(f[15]), (46 << 2) | 0b11);
    const auto ip = parsed(f);
    EXPECT_EQ(wire::ecn_of(ip.dscp_ecn), wire::Ecn::Ce);
    EXPECT_EQ(ip.dscp_ecn >> 2, 46);
    for (std::size_t k = 0; k < f.size(); ++k) {
      if (k == 15 || k == 24 || k == 25) continue;  // TOS, header checksum
      EXPECT_EQ(f[k], before[k]) << "byte " << k;
    }
    // The same as a header built with CE from the start.
    EXPECT_EQ(f, ipv4_frame(static_cast<std::uint8_t>((46 << 2) | 0b11), 7));
  }
}

TEST(MarkCe, Ipv6EctBecomesCeInTheTrafficClass) {
  // Traffic Class = DSCP 46 with ECT(0), then ECT(1), and a flow label: the ECN bits are
  // the low two of the Traffic Class (bits 4-5 of the second byte); nothing else moves.
  for (const std::uint8_t tc : {std::uint8_t{46 << 2 | 0b10}, std::uint8_t{46 << 2 | 0b01}}) {
    wire::Ipv6Repr ip;
    ip.traffic_class = tc;
    ip.flow_label = 0xabcde;
    ip.next_header = 17;
    ip.hop_limit = 64;
    ip.src = *wire::Ipv6Addr::parse("fd77::1");
    ip.dst = *wire::Ipv6Addr::parse("fd77::2");
    const ByteVec payload(8, std::byte{0x5a});
    ip.payload = payload;
    ByteVec before(14 + 40 + payload.size(), std::byte{0});
    store_be16(before, 12, 0x86dd);
    ip.emit(MutBytes(before).subspan(14));
    ByteVec f = before;
    ASSERT_TRUE(mark_ce(f));
    auto got = wire::Ipv6Repr::parse(Bytes(f).subspan(14));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->traffic_class, (46 << 2) | 0b11);
    EXPECT_EQ(got->flow_label, 0xabcdeu);
    for (std::size_t k = 0; k < f.size(); ++k) {
      if (k == 15) continue;  // Traffic Class low nibble, ECN bits
      EXPECT_EQ(f[k], before[k]) << "byte " << k;
    }
    EXPECT_FALSE(mark_ce(f));  // CE stays CE
  }
}

TEST(MarkCe, LeavesNotEctCeAndNonIpv4Alone) {
  for (const std::uint8_t tos : {std::uint8_t{0}, std::uint8_t{10 << 2}, std::uint8_t{0b11}}) {
    ByteVec f = ipv4_frame(tos, 1);
    const ByteVec before = f;
    EXPECT_FALSE(mark_ce(f));
    EXPECT_EQ(f, before);
  }
  ByteVec arp = ipv4_frame(0b10, 1);
  store_be16(arp, 12, 0x0806);
  const ByteVec arp_before = arp;
  EXPECT_FALSE(mark_ce(arp));
  EXPECT_EQ(arp, arp_before);
  ByteVec cut = ipv4_frame(0b10, 1);
  cut.resize(14 + 19);  // not a whole header
  EXPECT_FALSE(mark_ce(cut));
  EXPECT_EQ(std::to_integer<std::uint8_t>(cut[15]), 0b10);
}

TEST(Impairer, CeOneMarksEveryEctFrameAndNoOther) {
  Impairer imp(*parse_impair("ce=1,seed=3"));
  FakeSink sink;
  const Instant t = Instant::from_nanos(0);
  for (std::uint32_t i = 0; i < 100; ++i) {
    imp.from_stack(ipv4_frame(i % 2 ? 0b10 : 0b00, i), t);   // odd: ECT(0), even: Not-ECT
    imp.from_device(ipv4_frame(i % 2 ? 0b01 : 0b00, i), t);  // odd: ECT(1)
  }
  imp.release(t, sink);
  ASSERT_EQ(sink.device.size(), 100u);
  ASSERT_EQ(sink.stack.size(), 100u);
  for (std::uint32_t i = 0; i < 100; ++i) {
    const auto want = i % 2 ? wire::Ecn::Ce : wire::Ecn::NotEct;
    EXPECT_EQ(wire::ecn_of(parsed(sink.device[i]).dscp_ecn), want) << i;
    EXPECT_EQ(wire::ecn_of(parsed(sink.stack[i]).dscp_ecn), want) << i;
    if (i % 2 == 0) {
      EXPECT_EQ(sink.device[i], ipv4_frame(0, i));  // untouched, byte for byte
    }
  }
  EXPECT_EQ(imp.outbound().ce_marked, 50u);
  EXPECT_EQ(imp.inbound().ce_marked, 50u);
}

TEST(Impairer, CeDirInMarksOnlyWhatTheStackReceives) {
  Impairer imp(*parse_impair("ce=1,dir=in"));
  FakeSink sink;
  const Instant t = Instant::from_nanos(0);
  imp.from_stack(ipv4_frame(0b10, 1), t);
  imp.from_device(ipv4_frame(0b10, 2), t);
  imp.release(t, sink);
  ASSERT_EQ(sink.device.size(), 1u);
  ASSERT_EQ(sink.stack.size(), 1u);
  EXPECT_EQ(sink.device[0], ipv4_frame(0b10, 1));
  EXPECT_EQ(wire::ecn_of(parsed(sink.stack[0]).dscp_ecn), wire::Ecn::Ce);
}

TEST(Impairer, CeMarksAboutThatShareAndDrawsOnlyForEctFrames) {
  // Binomial(10000, 0.3) for the ECT frames: sd ~46, so +-500 is over ten sd.
  Impairer imp(*parse_impair("ce=0.3,seed=9,dir=out"));
  FakeSink sink;
  Instant now = Instant::from_nanos(0);
  for (std::uint32_t i = 0; i < 10000; ++i) imp.from_stack(ipv4_frame(0b10, i), now);
  imp.release(now, sink);
  EXPECT_GT(imp.outbound().ce_marked, 2500u);
  EXPECT_LT(imp.outbound().ce_marked, 3500u);
  // Not-ECT traffic takes no draws: with ce set, loss hits the same frames as without.
  Impairer plain(*parse_impair("loss=0.3,seed=11"));
  Impairer with_ce(*parse_impair("loss=0.3,ce=0.5,seed=11"));
  FakeSink a, b;
  for (std::uint32_t i = 0; i < 2000; ++i) {
    plain.from_stack(ipv4_frame(0, i), now);
    with_ce.from_stack(ipv4_frame(0, i), now);
  }
  plain.release(now, a);
  with_ce.release(now, b);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(with_ce.outbound().ce_marked, 0u);
}

}  // namespace
}  // namespace synack::link
