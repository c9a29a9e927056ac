// Congestion control on its own, fed ACKs over a virtual clock: the initial window
// (RFC 6928 / RFC 5681 §3.1), NewReno (RFC 5681) with the Tcb's fast recovery
// arithmetic (RFC 6582), CUBIC (RFC 9438) against its formulas computed here, and
// HyStart++ (RFC 9406).
#include <gtest/gtest.h>

#include <cmath>

#include "synack/tcp/congestion.hpp"
#include "synack/tcp/recovery.hpp"

namespace synack::tcp::testing {
namespace {

using std::chrono::milliseconds;
constexpr std::uint32_t kMss = 1000;

// A sender that always fills cwnd, one MSS per ACK, evenly spread over an RTT.
template <typename Cc>
struct Clock {
  Clock(Cc& c, Duration r) : cc(c), rtt(r) {}
  Cc& cc;
  Duration rtt;
  Instant now = Instant::zero() + std::chrono::seconds(1);
  SeqNum una{1};
  SeqNum snd_max{1};
  std::optional<Duration> sample;  // the RTT sample each ACK carries (HyStart++)

  SeqNum round_end;  // RFC 9406's windowEnd: the round ends when it is acknowledged
  bool started = false;

  // One ACK of one MSS at the pace a full window produces; true if it ended a round.
  bool ack() {
    const std::uint32_t cwnd = cc.cwnd();
    if (seq_lt(snd_max, una + cwnd)) snd_max = una + cwnd;  // the window was filled
    if (!started) {
      round_end = snd_max;
      started = true;
    }
    now += rtt * kMss / std::max<std::uint32_t>(cwnd, kMss);
    AckSample a;
    a.acked = kMss;
    a.flight_before = static_cast<std::uint32_t>(snd_max - una);
    una += kMss;
    a.ack = una;
    a.snd_max = snd_max;
    a.rtt = sample;
    a.srtt = rtt;
    a.now = now;
    cc.on_ack(a);
    if (seq_lt(una, round_end)) return false;
    round_end = snd_max;
    return true;
  }
  // ACKs until the current round ends.
  void round() {
    while (!ack()) {
    }
  }
};

double secs(Duration d) {
  return std::chrono::duration<double>(d).count();
}

// ------------------------------------------------------------ initial window

TEST(InitialWindow, Rfc6928TenSegmentsBoundedBy14600Bytes) {
  // "min (10*MSS, max (2*MSS, 14600))".
  for (std::uint32_t mss : {536u, 1000u, 1460u, 2000u, 4000u, 8960u}) {
    const std::uint32_t want = std::min(10 * mss, std::max(2 * mss, 14600u));
    EXPECT_EQ(initial_window(mss, 10), want) << "mss " << mss;
  }
  EXPECT_EQ(initial_window(1460, 10), 14600u);
  EXPECT_EQ(initial_window(4000, 10), 14600u);  // bytes bound: 3.65 segments
  EXPECT_EQ(initial_window(8960, 10), 17920u);  // two jumbo segments
  // Other segment counts scale the bound: 4 segments of 500 bytes.
  EXPECT_EQ(initial_window(500, 4), 2000u);
}

TEST(InitialWindow, Rfc5681FormulaWhenZero) {
  EXPECT_EQ(initial_window(2191, 0), 2 * 2191u);  // SMSS > 2190: 2 segments
  EXPECT_EQ(initial_window(2190, 0), 3 * 2190u);  // 1095 < SMSS <= 2190: 3
  EXPECT_EQ(initial_window(1096, 0), 3 * 1096u);
  EXPECT_EQ(initial_window(1095, 0), 4 * 1095u);  // SMSS <= 1095: 4
  EXPECT_EQ(initial_window(536, 0), 4 * 536u);
}

TEST(InitialWindow, FollowsTheMssUntilDataIsAcked) {
  Congestion cc(CcAlgorithm::Cubic, 536, 10);
  EXPECT_EQ(cc.cwnd(), 5360u);
  cc.set_mss(1448);  // the handshake's MSS: IW recomputed
  EXPECT_EQ(cc.cwnd(), 14480u);
  AckSample a{1448,           14480, SeqNum(1449), SeqNum(14481), std::nullopt, milliseconds(10),
              Instant::zero()};
  cc.on_ack(a);
  EXPECT_EQ(cc.cwnd(), 14480u + 1448u);
  cc.set_mss(1000);  // later (PMTU): the window keeps its 11 segments
  EXPECT_EQ(cc.cwnd(), 11000u);
}

TEST(CubicTest, StateIsAllocatedAtTheFirstAckAndCopiedWhole) {
  Cubic cc(1448, 10);
  EXPECT_FALSE(cc.has_state());  // an idle connection holds the window only
  EXPECT_EQ(cc.w_max_segments(), 0.0);
  EXPECT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::SlowStart);
  const Cubic idle = cc;
  cc.on_ack({1448, 14480, SeqNum(1449), SeqNum(14481), milliseconds(10), milliseconds(10),
             Instant::zero()});
  EXPECT_TRUE(cc.has_state());
  EXPECT_FALSE(idle.has_state());
  cc.on_congestion_event(20 * 1448, Instant::zero());
  EXPECT_GT(cc.w_max_segments(), 0.0);
  Cubic copy = cc;  // (the undo snapshot is such a copy)
  copy.on_rto(20 * 1448, Instant::zero());
  EXPECT_TRUE(copy.has_state());
  EXPECT_EQ(cc.cwnd(), cc.ssthresh());  // the original is untouched
  EXPECT_EQ(copy.cwnd(), 1448u);
  EXPECT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::Done);
}

// ------------------------------------------------------------ NewReno

TEST(NewRenoTest, SlowStartAvoidanceAndRecovery) {
  NewReno cc(1000, 4);
  FastRecovery rec;
  EXPECT_EQ(cc.cwnd(), 4000u);
  cc.on_ack({1000, 4000, SeqNum(1001), SeqNum(4001), std::nullopt, {}, Instant::zero()});
  EXPECT_EQ(cc.cwnd(), 5000u);  // slow start: + min(N, SMSS)
  cc.on_congestion_event(6000, Instant::zero());
  EXPECT_EQ(cc.ssthresh(), 3000u);  // max(FlightSize / 2, 2*SMSS)
  rec.enter(cc.ssthresh(), 1000);
  EXPECT_EQ(rec.window(), 6000u);  // RFC 6582 step 3: ssthresh + 3*SMSS
  rec.on_dup_ack(1000);
  EXPECT_EQ(rec.window(), 7000u);  // step 4: inflate
  rec.on_partial_ack(2000, 1000);
  EXPECT_EQ(rec.window(), 6000u);  // step 5: deflate by 2000, add back SMSS
  rec.on_partial_ack(500, 1000);
  EXPECT_EQ(rec.window(), 5500u);  // less than one SMSS acked: nothing added back
  rec.exit();
  cc.on_recovery_exit(2000);
  EXPECT_EQ(cc.cwnd(), 3000u);  // step 6: min(ssthresh, max(flight, SMSS) + SMSS)
  // Congestion avoidance: one SMSS per cwnd of acknowledged bytes.
  cc.on_ack({1500, 3000, SeqNum(1), SeqNum(1), std::nullopt, {}, Instant::zero()});
  EXPECT_EQ(cc.cwnd(), 3000u);
  cc.on_ack({1500, 3000, SeqNum(1), SeqNum(1), std::nullopt, {}, Instant::zero()});
  EXPECT_EQ(cc.cwnd(), 4000u);
  // Not growing when the window was not used (flight far below cwnd).
  for (int i = 0; i < 10; ++i)
    cc.on_ack({1500, 1000, SeqNum(1), SeqNum(1), std::nullopt, {}, Instant::zero()});
  EXPECT_EQ(cc.cwnd(), 4000u);
  cc.on_rto(4000, Instant::zero());
  EXPECT_EQ(cc.ssthresh(), 2000u);
  EXPECT_EQ(cc.cwnd(), 1000u);
}

// ------------------------------------------------------------ CUBIC

// Slow start to `segments`, without RTT samples (HyStart++ stays quiet), then one
// loss with the window full.
Cubic cubic_after_loss(std::uint32_t segments) {
  Cubic cc(kMss, 10);
  Clock<Cubic> clk{cc, milliseconds(100)};
  while (cc.cwnd() < segments * kMss) clk.ack();
  EXPECT_EQ(cc.cwnd(), segments * kMss);
  cc.on_congestion_event(cc.cwnd(), clk.now);
  cc.on_recovery_exit(cc.ssthresh());
  return cc;
}

TEST(CubicTest, MultiplicativeDecreaseBeta07) {
  Cubic cc = cubic_after_loss(100);
  // §4.6: ssthresh = flight_size * beta_cubic; cwnd = ssthresh.
  EXPECT_EQ(cc.ssthresh(), static_cast<std::uint32_t>(100 * kMss * 0.7));
  EXPECT_EQ(cc.cwnd(), cc.ssthresh());
  EXPECT_DOUBLE_EQ(cc.w_max_segments(), 100.0);
  // With less in flight than cwnd the reduction follows the flight ...
  Cubic c2(kMss, 10);
  c2.on_congestion_event(5000, Instant::zero());
  EXPECT_EQ(c2.ssthresh(), 3500u);
  // ... and never goes below two segments.
  Cubic c3(kMss, 10);
  c3.on_congestion_event(1000, Instant::zero());
  EXPECT_EQ(c3.ssthresh(), 2 * kMss);
  EXPECT_EQ(c3.cwnd(), 2 * kMss);
}

TEST(CubicTest, KAfterALoss) {
  Cubic cc = cubic_after_loss(100);
  Clock<Cubic> clk{cc, milliseconds(100)};
  clk.ack();  // the first ACK in avoidance starts the epoch
  // §4.2 eq. 2 with cwnd_epoch = beta * W_max: K = cbrt(W_max * (1 - beta) / C).
  const double k = std::cbrt(100.0 * (1 - 0.7) / 0.4);
  EXPECT_NEAR(cc.k_seconds(), k, 1e-9);
  EXPECT_NEAR(cc.k_seconds(), 4.217, 1e-3);
}

TEST(CubicTest, WindowFollowsTheCubicCurve) {
  // W_max = 200 segments, RTT 100 ms: the Reno-friendly estimate stays below the
  // curve, so cwnd(t) is W_cubic(t) = C*(t-K)^3 + W_max through the concave region,
  // the plateau and well into the convex region.
  Cubic cc = cubic_after_loss(200);
  Clock<Cubic> clk{cc, milliseconds(100)};
  clk.ack();
  const Instant epoch = *cc.epoch_start();
  const double k = std::cbrt(200.0 * 0.3 / 0.4);
  double worst = 0;
  int checked = 0;
  while (clk.now - epoch < std::chrono::seconds(static_cast<int>(2 * k))) {
    clk.ack();
    const double t = secs(clk.now - epoch);
    const double want = 0.4 * std::pow(t - k, 3) + 200.0;
    const double got = static_cast<double>(cc.cwnd()) / kMss;
    worst = std::max(worst, std::abs(got - want));
    ASSERT_NEAR(got, want, 1.0) << "t = " << t;
    ++checked;
  }
  EXPECT_GT(checked, 1000);
  EXPECT_GT(cc.cwnd(), 200 * kMss + 20 * kMss);  // convex: beyond W_max by now
  std::printf("cubic curve: %d ACKs, largest difference %.3f segments\n", checked, worst);
}

TEST(CubicTest, RenoFriendlyRegion) {
  // Short RTT, small W_max: Reno's AIMD (alpha_cubic per RTT until cwnd_prior, then
  // 1 per RTT) outgrows the cubic curve and cwnd follows W_est (§4.3).
  Cubic cc = cubic_after_loss(20);
  Clock<Cubic> clk{cc, milliseconds(10)};
  clk.ack();
  const Instant epoch = *cc.epoch_start();
  const double alpha = 3 * (1 - 0.7) / (1 + 0.7);
  // W_est grows by alpha * acked / cwnd per ACK: alpha segments per RTT, reaching
  // cwnd_prior (20) after 6 / alpha RTTs, then one segment per RTT.
  while (clk.now - epoch < std::chrono::seconds(1)) clk.ack();
  const double rtts = secs(clk.now - epoch) / 0.010;
  const double to_prior = (20.0 - 14.0) / alpha;
  const double want = 20.0 + (rtts - to_prior);
  const double got = static_cast<double>(cc.cwnd()) / kMss;
  EXPECT_NEAR(got, want, 2.0);
  EXPECT_GT(got, cc.w_cubic(secs(clk.now - epoch)) + 50);  // far above the cubic curve
  EXPECT_NEAR(cc.w_est_segments(), got, 1.0);
}

TEST(CubicTest, FastConvergence) {
  Cubic cc = cubic_after_loss(100);
  EXPECT_DOUBLE_EQ(cc.w_max_segments(), 100.0);
  // A second loss before the window regained W_max: "W_max = cwnd * (1 + beta) / 2".
  Clock<Cubic> clk{cc, milliseconds(100)};
  while (cc.cwnd() < 80 * kMss) clk.ack();
  const double cwnd = static_cast<double>(cc.cwnd()) / kMss;
  cc.on_congestion_event(cc.cwnd(), clk.now);
  EXPECT_NEAR(cc.w_max_segments(), cwnd * (1 + 0.7) / 2, 1e-9);
  EXPECT_LT(cc.w_max_segments(), cwnd);
  // A loss above W_max: W_max = cwnd.
  cc.on_recovery_exit(cc.ssthresh());
  while (cc.cwnd() < 90 * kMss) clk.ack();
  const double cwnd2 = static_cast<double>(cc.cwnd()) / kMss;
  ASSERT_GT(cwnd2, cc.w_max_segments());
  cc.on_congestion_event(cc.cwnd(), clk.now);
  EXPECT_DOUBLE_EQ(cc.w_max_segments(), cwnd2);
}

TEST(CubicTest, TimeoutCollapsesThenRestartsWithKZero) {
  Cubic cc = cubic_after_loss(100);
  Clock<Cubic> clk{cc, milliseconds(100)};
  for (int i = 0; i < 50; ++i) clk.ack();
  const double cwnd = static_cast<double>(cc.cwnd()) / kMss;
  cc.on_rto(cc.cwnd(), clk.now);
  // §4.8: cwnd as Reno (one segment), ssthresh with beta_cubic.
  EXPECT_EQ(cc.cwnd(), kMss);
  EXPECT_EQ(cc.ssthresh(), static_cast<std::uint32_t>(cwnd * kMss * 0.7));
  // Slow start back to ssthresh (standard, HyStart++ is over), then the first
  // avoidance stage has K = 0 and W_max = cwnd at its start.
  while (cc.cwnd() < cc.ssthresh()) clk.ack();
  clk.ack();
  EXPECT_EQ(cc.k_seconds(), 0.0);
  EXPECT_NEAR(cc.w_max_segments(), static_cast<double>(cc.ssthresh()) / kMss, 1.0);
}

// ------------------------------------------------------------ HyStart++

TEST(HystartTest, RttIncreaseEntersCssThenAvoidanceAfterFiveRounds) {
  Cubic cc(kMss, 10);
  Clock<Cubic> clk{cc, milliseconds(100)};
  clk.sample = milliseconds(100);
  clk.round();
  clk.round();
  EXPECT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::SlowStart);
  // RttThresh = max(4 ms, min(100 ms / 8, 16 ms)) = 12.5 ms: 112 ms is not enough ...
  clk.sample = milliseconds(112);
  clk.round();
  EXPECT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::SlowStart);
  // ... 126 ms is: 112 ms + min(112 ms / 8, 16 ms), once N_RTT_SAMPLE = 8 samples
  // were seen in the round.
  clk.sample = milliseconds(126);
  for (int i = 0; i < 7; ++i) clk.ack();
  EXPECT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::SlowStart);
  clk.ack();
  ASSERT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::Css);
  EXPECT_EQ(cc.hystart().css_baseline_min_rtt(), milliseconds(126));
  // CSS grows by min(N, L*SMSS) / CSS_GROWTH_DIVISOR per ACK.
  const std::uint32_t before = cc.cwnd();
  clk.ack();
  EXPECT_EQ(cc.cwnd(), before + kMss / 4);
  EXPECT_EQ(cc.ssthresh(), std::numeric_limits<std::uint32_t>::max());
  // CSS_ROUNDS = 5 rounds (the one it started in counts) and it is congestion avoidance.
  clk.round();  // the round CSS began in
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::Css) << "round " << r;
    clk.round();
  }
  EXPECT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::Done);
  EXPECT_EQ(cc.ssthresh(), cc.cwnd());  // "setting the ssthresh to the current cwnd"
  EXPECT_GT(cc.ssthresh(), 10 * kMss);
}

TEST(HystartTest, RttDropInCssResumesSlowStart) {
  Cubic cc(kMss, 10);
  Clock<Cubic> clk{cc, milliseconds(50)};
  clk.sample = milliseconds(50);
  clk.round();
  clk.round();
  // 50/8 = 6.25 ms threshold: 57 ms enters CSS.
  clk.sample = milliseconds(57);
  clk.round();
  ASSERT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::Css);
  // The next round's minimum is below the CSS baseline: the increase was spurious.
  clk.sample = milliseconds(51);
  for (int i = 0; i < 8; ++i) clk.ack();
  EXPECT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::SlowStart);
  EXPECT_FALSE(cc.hystart().css_baseline_min_rtt().has_value());
  const std::uint32_t before = cc.cwnd();
  clk.ack();
  EXPECT_EQ(cc.cwnd(), before + kMss);  // full slow-start growth again
}

TEST(HystartTest, SteadyRttStaysInSlowStart) {
  Cubic cc(kMss, 10);
  Clock<Cubic> clk{cc, milliseconds(20)};
  clk.sample = milliseconds(20);
  for (int r = 0; r < 6; ++r) clk.round();
  EXPECT_EQ(cc.hystart().phase(), HystartPlusPlus::Phase::SlowStart);
  EXPECT_GT(cc.cwnd(), 10 * kMss * 32);  // doubled every round
}

// ------------------------------------------------------------ dispatch

TEST(CongestionTest, SwitchingAlgorithmKeepsTheWindow) {
  Congestion cc(CcAlgorithm::Cubic, kMss, 10);
  EXPECT_EQ(cc.algorithm(), CcAlgorithm::Cubic);
  cc.on_congestion_event(20 * kMss, Instant::zero());
  EXPECT_EQ(cc.ssthresh(), 14 * kMss);
  cc.switch_to(CcAlgorithm::NewReno);
  EXPECT_EQ(cc.algorithm(), CcAlgorithm::NewReno);
  EXPECT_EQ(cc.cwnd(), 14 * kMss);
  EXPECT_EQ(cc.ssthresh(), 14 * kMss);
  cc.on_congestion_event(20 * kMss, Instant::zero());
  EXPECT_EQ(cc.ssthresh(), 10 * kMss);  // NewReno halves
}

}  // namespace
}  // namespace synack::tcp::testing
