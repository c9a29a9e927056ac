// `synack trace` infers both ends' RFC 9293 states and marks each segment from the
// frames alone. The simulator knows the truth: every state change its two stacks made
// (with the rule), and every retransmission they counted. These tests run the `synack
// sim` scenarios, hand the frames to the analysis — as recorded on the wire, and as the
// client's pcapng capture read back by the capture reader — and compare.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "analysis.hpp"
#include "capture.hpp"
#include "sim_scenarios.hpp"
#include "world.hpp"

namespace synack::cli {
namespace {

using view::Dir;

// Rules a capture cannot show: timers that fire with nothing sent.
bool timer_rule(const std::string& rule) {
  return rule == "rfc9293_3_10_8_time_wait_timeout" || rule == "impl_fin_wait_2_timeout" ||
         rule == "rfc9293_3_10_8_user_timeout" || rule == "rfc9293_3_8_4_keepalive_timeout";
}

using Changes = std::vector<std::string>;  // "FROM -> TO [rule]" in order, one side

std::pair<Changes, Changes> truth(const view::Recording& r) {
  std::pair<Changes, Changes> out;
  for (const auto& n : r.notes) {
    if (n.rule.empty() || timer_rule(n.rule)) continue;
    (n.side == view::Side::Left ? out.first : out.second).push_back(n.text + " [" + n.rule + "]");
  }
  return out;
}

std::pair<Changes, Changes> inferred(const view::Analysis& a, bool client_is_a = true) {
  std::pair<Changes, Changes> out;
  for (const auto& c : a.connections) {
    for (const auto& s : c.states) {
      bool left = (s.end == Dir::AtoB) == client_is_a;
      (left ? out.first : out.second).push_back(s.from + " -> " + s.to + " [" + s.rule + "]");
    }
  }
  return out;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("synack-trace-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

struct Played {
  std::unique_ptr<World> world;
  bool ok = false;
  TransferReport report;
};

Played play(const std::string& scenario, std::uint64_t seed, double loss, const std::string& pcap,
            bool ip6 = false) {
  WorldOptions wo;
  wo.seed = seed;
  wo.ip6 = ip6;
  wo.link.loss = loss;
  wo.link.delay = std::chrono::milliseconds(1);
  wo.pcap_path = pcap;
  Played r;
  r.world = std::make_unique<World>(wo);
  const Scenario* sc = find_scenario(scenario);
  EXPECT_NE(sc, nullptr) << scenario;
  if (!sc) return r;
  ScenarioParams p;
  p.report = &r.report;
  r.ok = sc->run(*r.world, p);
  EXPECT_TRUE(r.world->finish_capture());
  return r;
}

class EveryScenario : public ::testing::TestWithParam<std::string> {};

// The scenario's states inferred from its frames (as sent, and from the client's
// capture read back) against the stacks' own, over IPv4 or (`sim --ip6`) IPv6.
void check_inferred(const std::string& scenario, bool ip6) {
  const std::string pcap = temp_path(scenario + (ip6 ? "-6" : "") + ".pcapng");
  Played run = play(scenario, 1, 0.0, pcap, ip6);
  EXPECT_TRUE(run.ok);
  auto [left, right] = truth(run.world->recording());
  ASSERT_FALSE(left.empty());

  // From the frames as they left each host.
  view::Analysis wire = view::analyze(run.world->recording().frames);
  auto [wl, wr] = inferred(wire);
  EXPECT_EQ(wl, left) << "client, from the wire";
  EXPECT_EQ(wr, right) << "server, from the wire";

  // Round trips measured from a data segment's sending to its ACK's arrival back at
  // the sender: never shorter than the path's 2 ms (1 ms each way).
  for (const auto& c : wire.connections) {
    for (const auto& r : c.rtt) EXPECT_GE(r.rtt, std::chrono::milliseconds(2));
  }
  if (scenario == "request-response") {
    ASSERT_EQ(wire.connections.size(), 1u);
    EXPECT_EQ(wire.connections[0].srtt(Dir::AtoB), Duration(std::chrono::milliseconds(2)));
    EXPECT_EQ(wire.connections[0].a.ip.is_v6(), ip6);
  }

  // From the client's capture file, read back.
  auto cap = view::read_capture_file(pcap);
  std::filesystem::remove(pcap);
  ASSERT_TRUE(cap) << cap.error();
  view::Analysis file = view::analyze(cap->frames);
  auto [fl, fr] = inferred(file);
  EXPECT_EQ(fl, left) << "client, from its capture";
  EXPECT_EQ(fr, right) << "server, from the client's capture";
}

TEST_P(EveryScenario, InferredStatesAreTheStacksOwn) {
  check_inferred(GetParam(), false);
}

TEST_P(EveryScenario, InferredStatesAreTheStacksOwnOverIpv6) {
  check_inferred(GetParam(), true);
}

INSTANTIATE_TEST_SUITE_P(Sim, EveryScenario,
                         ::testing::Values("request-response", "handshake", "transfer",
                                           "simultaneous-open", "simultaneous-close", "half-close",
                                           "rst", "server-first", "zero-window", "loss", "tfo"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// The marks of the flow-control and Fast Open scenarios, against what the stacks did.
std::size_t count_marks(const view::Analysis& a, std::uint32_t bit) {
  std::size_t n = 0;
  for (const auto& c : a.connections)
    for (const auto& s : c.segments) n += (s.marks & bit) != 0;
  return n;
}

TEST(TraceMarks, ZeroWindowAndItsProbesAsTheSenderCountedThem) {
  Played run = play("zero-window", 1, 0.0, "");
  ASSERT_TRUE(run.ok);
  view::Analysis a = view::analyze(run.world->recording().frames);
  EXPECT_GT(count_marks(a, view::mark::kZeroWindow), 0u);
  EXPECT_EQ(count_marks(a, view::mark::kZeroWindowProbe), run.report.sender.zero_window_probes);
  EXPECT_GT(count_marks(a, view::mark::kZeroWindowProbe), 0u);
}

TEST(TraceMarks, FastOpenSynsMarked) {
  Played run = play("tfo", 1, 0.0, "");
  ASSERT_TRUE(run.ok);
  view::Analysis a = view::analyze(run.world->recording().frames);
  ASSERT_EQ(a.connections.size(), 2u);  // the cookie request, then the SYN with data
  for (const auto& c : a.connections) {
    const auto& syn = c.segments.front();
    EXPECT_TRUE(syn.flags.syn() && (syn.marks & view::mark::kFastOpen));
  }
  EXPECT_GT(a.connections[1].segments.front().len, 0u);  // the request rode on the SYN
}

// Over a lossy link the analysis counts exactly the retransmissions the sender made
// (the recording holds every frame sent, lost ones marked), and a lost frame is marked.
class LossySeeds : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(LossySeeds, RetransmissionsCountedAsTheSenderCounted) {
  Played run = play("loss", GetParam(), 0.05, "");
  ASSERT_TRUE(run.ok);
  view::Analysis a = view::analyze(run.world->recording().frames);
  ASSERT_EQ(a.connections.size(), 1u);
  const view::Connection& c = a.connections.front();
  EXPECT_EQ(c.dir[0].retransmissions, run.report.sender.retransmitted_segs);
  EXPECT_EQ(c.dir[0].retransmitted_bytes, run.report.sender.retransmitted_bytes);
  EXPECT_GT(c.dir[0].retransmissions, 0u) << "seed gave no loss: pick another";
  std::size_t lost = 0, probes = 0;
  for (const auto& s : c.segments) {
    lost += (s.marks & view::mark::kLost) != 0;
    probes += (s.marks & view::mark::kProbe) != 0;
    if (s.marks & view::mark::kProbe) {
      EXPECT_TRUE(s.marks & view::mark::kRetransmission);
    }
  }
  EXPECT_GT(lost, 0u);
  EXPECT_EQ(probes, run.report.sender.tlp_probes);
  // The receiver's duplicate ACKs: as many as the sender took in.
  std::size_t dup = 0;
  for (const auto& s : c.segments) dup += s.dir == Dir::BtoA && (s.marks & view::mark::kDupAck);
  EXPECT_GT(dup, 0u);
}

INSTANTIATE_TEST_SUITE_P(Sim, LossySeeds, ::testing::Values(1, 2, 3, 5, 6, 7));

}  // namespace
}  // namespace synack::cli
