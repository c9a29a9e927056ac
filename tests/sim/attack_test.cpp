// The `synack sim attack` scenario's core: an off-path attacker guesses SEQ and ACK.
// Against TcpConfig.insecure (counter ISNs, RFC 793 rules) its injected bytes reach the
// server's application and its RST sweep resets the connection; against the defaults
// (RFC 6528 ISNs, RFC 5961) nothing it sends gets in, the RFC 5961 counters move, and
// the connection keeps exchanging data. Checked on the run's facts, not its text.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim_attack.hpp"

namespace synack::cli {
namespace {

constexpr std::int64_t kWindow = 256 * 1024;  // the default receive buffer

AttackOptions options(std::uint64_t seed) {
  AttackOptions o;
  o.seed = seed;
  o.link.delay = std::chrono::milliseconds(1);
  return o;
}

std::int64_t moved(std::uint64_t before, std::uint64_t after) {
  return static_cast<std::int64_t>(after - before);
}

TEST(SimAttack, InsecureStackTakesTheInjectionAndTheReset) {
  for (std::uint64_t seed : {1, 2, 3, 42}) {
    SCOPED_TRACE(seed);
    std::string out;
    const AttackResult r = play_attack(options(seed), /*insecure=*/true, out);
    EXPECT_TRUE(r.insecure);
    EXPECT_TRUE(r.session_up);
    EXPECT_TRUE(r.probes_answered);
    EXPECT_EQ(r.session_frames_seen_by_c, 0u);
    // One probe connection per host predicts the session's ISNs to within the
    // attacker's slack (512 bytes): the counter leaks them.
    EXPECT_LT(std::abs(r.isn_error_a), 512);
    EXPECT_LT(std::abs(r.isn_error_b), 512);
    EXPECT_GT(r.injected_bytes, 0u);
    EXPECT_TRUE(r.injected_command_ran);
    EXPECT_TRUE(r.reset);
    EXPECT_FALSE(r.alive_after);
    EXPECT_FALSE(r.answered_after);
    EXPECT_EQ(moved(r.b_before.rst_accepted, r.b_after.rst_accepted), 1);
    // RFC 793 rules: no challenge ACK at all.
    EXPECT_EQ(r.b_after.challenge_acks_rst + r.b_after.challenge_acks_syn +
                  r.b_after.challenge_acks_ack + r.b_after.challenge_acks_limited,
              0u);
    EXPECT_NE(out.find("INJECTED"), std::string::npos);
  }
}

TEST(SimAttack, DefaultStackKeepsTheConnection) {
  for (std::uint64_t seed : {1, 2, 3, 42}) {
    SCOPED_TRACE(seed);
    std::string out;
    const AttackResult r = play_attack(options(seed), /*insecure=*/false, out);
    EXPECT_FALSE(r.insecure);
    EXPECT_TRUE(r.session_up);
    EXPECT_TRUE(r.probes_answered);
    EXPECT_EQ(r.session_frames_seen_by_c, 0u);
    // Keyed-hash ISNs: the probes tell nothing; the guesses miss by far more than a window.
    EXPECT_GT(std::abs(r.isn_error_a), kWindow);
    EXPECT_GT(std::abs(r.isn_error_b), kWindow);
    EXPECT_EQ(r.injected_bytes, 0u);
    EXPECT_FALSE(r.injected_command_ran);
    EXPECT_FALSE(r.reset);
    EXPECT_TRUE(r.alive_after);
    EXPECT_TRUE(r.answered_after);  // A's command after the attack got its answer
    // The "even if it guessed right" step: §3 (RST in window), §4 (SYN), §5 (old ACK).
    EXPECT_EQ(moved(r.b_before.challenge_acks_rst, r.b_after.challenge_acks_rst), 1);
    EXPECT_EQ(moved(r.b_before.challenge_acks_syn, r.b_after.challenge_acks_syn), 1);
    EXPECT_EQ(moved(r.b_before.challenge_acks_ack, r.b_after.challenge_acks_ack), 1);
    EXPECT_EQ(r.b_after.challenge_acks_limited, 0u);
    EXPECT_EQ(r.b_after.rst_accepted, 0u);
  }
}

TEST(SimAttack, SameSeedSameRunDifferentSeedDifferentIsns) {
  std::string a, b, c;
  const AttackResult ra = play_attack(options(7), false, a);
  const AttackResult rb = play_attack(options(7), false, b);
  const AttackResult rc = play_attack(options(8), false, c);
  EXPECT_EQ(a, b);
  EXPECT_EQ(ra.isn_error_a, rb.isn_error_a);
  EXPECT_NE(a, c);
  EXPECT_NE(ra.isn_error_a, rc.isn_error_a);
}

TEST(SimAttack, WholeScenarioWritesBothVerdictsAndACapture) {
  const std::string path = ::testing::TempDir() + "attack_test.pcapng";
  AttackOptions o = options(5);
  o.pcap_path = path;
  std::string out;
  EXPECT_TRUE(run_attack(o, out));
  EXPECT_NE(out.find("run 1 of 2"), std::string::npos);
  EXPECT_NE(out.find("run 2 of 2"), std::string::npos);
  EXPECT_NE(out.find("verdict"), std::string::npos);
  EXPECT_NE(out.find("challenge ACK (RFC 5961 §3)"), std::string::npos);
  EXPECT_NE(out.find("RST in the window: connection RESET (RFC 793)"), std::string::npos);

  // The capture is B's view of both runs: the forged segments are in it.
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  ASSERT_NE(p, nullptr) << err;
  int frames = 0, forged_rsts = 0;
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  while (pcap_next_ex(p, &h, &d) == 1) {
    ++frames;
    // Ethernet source C (…:42 = 66) carrying TCP from 10.77.0.1 with only RST set.
    if (h->caplen >= 54 && d[11] == 66 && d[23] == 6 && d[29] == 1 && d[47] == 0x04) ++forged_rsts;
  }
  pcap_close(p);
  std::remove(path.c_str());
  EXPECT_GT(frames, 40);
  EXPECT_EQ(forged_rsts, 2 * 8 + 1);  // each run's sweep, and the default run's in-window RST
}

TEST(SimAttack, OneRunOnly) {
  AttackOptions o = options(3);
  o.run_default = false;
  std::string out;
  EXPECT_TRUE(run_attack(o, out));
  EXPECT_NE(out.find("run 1 of 1"), std::string::npos);
  EXPECT_EQ(out.find("default configuration"), std::string::npos);
}

}  // namespace
}  // namespace synack::cli
