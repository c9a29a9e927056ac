// R2 of RFC 9293 §3.8.3 for data: a count of retransmissions turned into a time as
// Linux does (tcp_model_timeout), the user timeout that replaces it (MUST-21), the
// 100 s floor (SHLD-11); and the RTO floor of RFC 6298 (2.4) as configured.
#include <gtest/gtest.h>

#include "synack/tcp/rtt.hpp"
#include "tcp_harness.hpp"

namespace synack::tcp::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(R2, BackoffSpanIsLinuxTcpModelTimeout) {
  // Linux defaults: 15 retransmissions from 200 ms doubling up to 120 s:
  // 0.2 * (2^10 - 1) + 6 * 120 = 924.6 s.
  EXPECT_EQ(backoff_span(15, milliseconds(200), seconds(120)), milliseconds(924600));
  // Ours by default: from 1 s up to 60 s: 63 + 10 * 60 = 663 s.
  EXPECT_EQ(backoff_span(15, seconds(1), seconds(60)), seconds(663));
  // No retransmission: the first timeout only; all in the doubling phase.
  EXPECT_EQ(backoff_span(0, seconds(1), seconds(60)), seconds(1));
  EXPECT_EQ(backoff_span(3, seconds(1), seconds(60)), seconds(15));
  // A maximum that is not a power-of-two multiple of the base caps the doubling.
  EXPECT_EQ(backoff_span(2, seconds(1), seconds(3)), seconds(1 + 2 + 3));
  // Saturates instead of overflowing; a zero base still terminates.
  EXPECT_EQ(backoff_span(0xffffffffu, seconds(1), seconds(60)), Duration::max());
  EXPECT_GT(backoff_span(100, Duration{0}, seconds(60)), seconds(60 * 50));
}

TEST(R2, DefaultIsFifteenRetransmissionsAsATime) {
  TcpConfig cfg;
  EXPECT_EQ(cfg.r2_retransmissions, 15u);
  EXPECT_FALSE(cfg.defaults.user_timeout.has_value());
  EXPECT_EQ(data_r2(cfg, cfg.defaults),
            backoff_span(15, cfg.min_rto, cfg.max_rto));  // 663 s with 1 s / 60 s
  EXPECT_GE(data_r2(cfg, cfg.defaults), kMinR2);
}

TEST(R2, UserTimeoutReplacesTheCountButNotTheFloor) {
  TcpConfig cfg;
  SocketOptions o;
  o.user_timeout = seconds(1000);  // longer than the count
  EXPECT_EQ(data_r2(cfg, o), seconds(1000));
  o.user_timeout = seconds(150);  // shorter than the count
  EXPECT_EQ(data_r2(cfg, o), seconds(150));
  o.user_timeout = seconds(20);  // SHLD-11: never below 100 s
  EXPECT_EQ(data_r2(cfg, o), kMinR2);
  o.user_timeout = Duration{0};
  EXPECT_EQ(data_r2(cfg, o), kMinR2);
  EXPECT_EQ(kMinR2, seconds(100));
}

TEST(R2, FewRetransmissionsStillGiveAtLeastOneHundredSeconds) {
  TcpConfig cfg;
  cfg.r2_retransmissions = 3;  // 15 s of backoff
  EXPECT_EQ(data_r2(cfg, cfg.defaults), kMinR2);
  cfg.r2_retransmissions = 0;
  cfg.min_rto = milliseconds(1);
  EXPECT_EQ(data_r2(cfg, cfg.defaults), kMinR2);
}

TEST(R2, NegativeUserTimeoutIsRejected) {
  Established c;
  SocketOptions o = *c.proto.options(c.id);
  o.user_timeout = seconds(-1);
  EXPECT_EQ(c.proto.set_options(c.id, o).error(), OptionError::InvalidValue);
  o.user_timeout = std::nullopt;
  EXPECT_TRUE(c.proto.set_options(c.id, o).ok());
}

TEST(R2, ConnectionSurvivesAnOutageLongerThanOneHundredSeconds) {
  // Every segment lost for 10 minutes: the connection is still there (the old R2 was
  // 100 s), and closes at the 15th retransmission's timeout, 663 s after the first
  // transmission.
  Established c;
  ASSERT_TRUE(c.proto.send(c.id, as_bytes("x")).ok());
  drain(c.proto);
  const Instant sent = c.now;
  std::uint64_t retransmissions = 0;
  while (c.proto.state(c.id) == State::Established) {
    ASSERT_LT(retransmissions, 100u);
    c.advance_to(*c.proto.next_deadline());
    retransmissions += drain(c.proto).size();
  }
  EXPECT_EQ(c.now - sent, seconds(663));
  EXPECT_EQ(retransmissions, 15u);
}

TEST(MinRto, FloorAppliesToTheFirstTimeoutAndTheBackoff) {
  // RFC 6298 (2.4): the configured floor (here Linux's 200 ms) bounds the RTO computed
  // from a small RTT; the backoff doubles from it.
  RttEstimator r(seconds(1), milliseconds(200), seconds(60));
  r.sample(milliseconds(2));
  EXPECT_EQ(r.rto(), milliseconds(200));
  r.backoff();
  EXPECT_EQ(r.rto(), milliseconds(400));
  // A floor above the maximum wins instead of being undefined (std::clamp).
  RttEstimator odd(seconds(1), seconds(2), seconds(1));
  EXPECT_EQ(odd.rto(), seconds(2));
}

}  // namespace
}  // namespace synack::tcp::testing
