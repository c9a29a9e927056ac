// The table of legal transitions (tcp/state.hpp: rule_spec, is_legal) that debug,
// sanitizer and fuzz builds check every state change against. The sanitizer run of
// the whole suite is what proves the stack never breaks it; these tests pin the
// table itself to RFC 9293's text.
#include <gtest/gtest.h>

#include "synack/tcp/state.hpp"

namespace synack::tcp {
namespace {

using enum State;

TEST(TransitionTable, EveryRuleHasLegalStatesAndATarget) {
  // Rule is a dense enum from 0 to its last member.
  for (unsigned r = 0; r <= static_cast<unsigned>(Rule::rfc4987_3_6_syn_cookie_ack); ++r) {
    Rule rule = static_cast<Rule>(r);
    EXPECT_NE(rule_spec(rule).from, 0) << to_string(rule);
    EXPECT_NE(to_string(rule), "?") << r;
  }
}

TEST(TransitionTable, CloseIsLegalOnlyWhereRfc9293Section3_10_4SaysSo) {
  EXPECT_TRUE(is_legal(Rule::rfc9293_3_10_4_close_established, Established, FinWait1));
  EXPECT_TRUE(is_legal(Rule::rfc9293_3_10_4_close_established, SynReceived, FinWait1));
  // CLOSE in CLOSE-WAIT goes to LAST-ACK by its own rule, never to FIN-WAIT-1.
  EXPECT_FALSE(is_legal(Rule::rfc9293_3_10_4_close_established, CloseWait, FinWait1));
  EXPECT_TRUE(is_legal(Rule::rfc9293_3_10_4_close_close_wait, CloseWait, LastAck));
  EXPECT_FALSE(is_legal(Rule::rfc9293_3_10_4_close_close_wait, Established, LastAck));
}

TEST(TransitionTable, TargetMustBeTheRulesOwn) {
  // The right state to start from but the wrong destination is refused.
  EXPECT_TRUE(is_legal(Rule::rfc9293_3_10_7_4_fin_fin_wait_2, FinWait2, TimeWait));
  EXPECT_FALSE(is_legal(Rule::rfc9293_3_10_7_4_fin_fin_wait_2, FinWait2, Closed));
  EXPECT_FALSE(is_legal(Rule::rfc9293_3_10_7_3_syn_sent_syn_ack, SynSent, SynReceived));
}

TEST(TransitionTable, ResetInASynchronizedStateButNotBeforeTheHandshake) {
  for (State s : {Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait}) {
    EXPECT_TRUE(is_legal(Rule::rfc9293_3_10_7_4_rst, s, Closed)) << to_string(s);
  }
  // In SYN-SENT and SYN-RECEIVED a RST has rules of its own (§3.10.7.3, §3.10.7.4).
  EXPECT_FALSE(is_legal(Rule::rfc9293_3_10_7_4_rst, SynSent, Closed));
  EXPECT_FALSE(is_legal(Rule::rfc9293_3_10_7_4_rst, SynReceived, Closed));
  EXPECT_TRUE(is_legal(Rule::rfc9293_3_10_7_4_rst_syn_received_passive, SynReceived, Closed));
}

TEST(TransitionTable, TimeWaitLeavesOnlyForClosed) {
  for (Rule r : {Rule::rfc9293_3_10_8_time_wait_timeout, Rule::rfc9293_3_6_1_time_wait_reopen,
                 Rule::impl_time_wait_reuse, Rule::impl_time_wait_overflow}) {
    EXPECT_TRUE(is_legal(r, TimeWait, Closed)) << to_string(r);
    EXPECT_FALSE(is_legal(r, Established, Closed)) << to_string(r);
  }
}

TEST(TransitionTable, StateSetsHoldExactlyTheirMembers) {
  StateSet s = states_of(SynSent, TimeWait);
  EXPECT_EQ(s, (1u << static_cast<unsigned>(SynSent)) | (1u << static_cast<unsigned>(TimeWait)));
  EXPECT_EQ(s & states_of(Established), 0);
}

}  // namespace
}  // namespace synack::tcp
