// The time-sequence graph: what it draws for a small connection, and that a long one
// (70,000 segments) stays a few thousand elements.
#include "plot.hpp"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "svg_util.hpp"
#include "view_test_util.hpp"

namespace synack::view {
namespace {

using namespace testing;

constexpr std::uint32_t kMss = 1448;

// With SYNACK_VIEW_OUT=DIR the pictures are also written there, for a person to look at
// (tests/view/browser_test.sh renders them to PNG).
void keep_for_a_look(const std::string& name, const std::string& svg) {
  if (const char* dir = std::getenv("SYNACK_VIEW_OUT")) {
    EXPECT_EQ(write_whole_file(std::string(dir) + "/" + name, svg), "");
  }
}

SegmentInfo data(std::int64_t t_us, std::uint32_t seq, std::uint32_t marks = 0, bool lost = false) {
  SegmentInfo s;
  s.t = Instant::from_nanos(t_us * 1000);
  s.dir = Dir::AtoB;
  s.flags.bits = wire::TcpFlags::kAck;
  s.seq = seq;
  s.ack = 1;
  s.len = kMss;
  s.window = 65535;
  s.marks = marks;
  s.lost = lost;
  return s;
}

SegmentInfo ack(std::int64_t t_us, std::uint32_t a, std::vector<SackRange> sack = {}) {
  SegmentInfo s;
  s.t = Instant::from_nanos(t_us * 1000);
  s.dir = Dir::BtoA;
  s.flags.bits = wire::TcpFlags::kAck;
  s.seq = 1;
  s.ack = a;
  s.window = 262144;
  s.sack = std::move(sack);
  if (!s.sack.empty()) s.marks |= mark::kSack;
  return s;
}

Connection base() {
  Connection c;
  c.a = {kIpA, 49152};
  c.b = {kIpB, 80};
  c.saw_syn = true;
  return c;
}

// Ten segments; the third is lost, then sent again by a retransmission; the last is
// sent again as a tail loss probe. Three RTT samples.
Connection small() {
  Connection c = base();
  std::int64_t t = 1000;
  for (std::uint32_t k = 0; k < 10; ++k)
    c.segments.push_back(data(t + k * 10, 1 + k * kMss, 0, k == 2));
  c.segments.push_back(ack(3000, 1 + 2 * kMss));
  c.segments.push_back(ack(3010, 1 + 2 * kMss, {{1 + 3 * kMss, 1 + 10 * kMss}}));
  c.segments.push_back(data(3020, 1 + 2 * kMss, mark::kRetransmission));
  c.segments.push_back(ack(5000, 1 + 10 * kMss));
  c.segments.push_back(data(5100, 1 + 9 * kMss, mark::kRetransmission | mark::kProbe));
  c.rtt = {{Instant::from_nanos(3'000'000), Dir::AtoB, Duration(2'000'000)},
           {Instant::from_nanos(5'000'000), Dir::AtoB, Duration(1'980'000)},
           {Instant::from_nanos(5'000'000), Dir::BtoA, Duration(9'000'000)}};
  c.dir[0].bytes = 10 * kMss;
  c.dir[0].segments = 12;
  c.dir[0].retransmissions = 2;
  c.first = c.segments.front().t;
  c.last = c.segments.back().t;
  return c;
}

TEST(TimeSequence, DrawsEveryPart) {
  const std::string svg = render_time_sequence(small(), Dir::AtoB);
  EXPECT_EQ(xml_problem(svg), "");
  keep_for_a_look("tsg-small.svg", svg);
  EXPECT_NE(svg.find("time-sequence graph: 10.77.0.1:49152 &gt; 10.77.0.2:80"), std::string::npos);
  EXPECT_NE(svg.find("12 data segments sent (1 retransmission, 1 TLP probe), 14480 bytes, 1 lost "
                     "on the link"),
            std::string::npos);
  // Each retransmission and probe its own mark, with what it was on hover.
  EXPECT_EQ(count(svg, "<line class=\"retransmission\""), 1u);
  EXPECT_EQ(count(svg, "<line class=\"probe\""), 1u);
  EXPECT_NE(svg.find("<title>retransmission seq 2897:4345 at 3.02 ms</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>tail loss probe seq 13033:14481 at 5.1 ms</title>"),
            std::string::npos);
  for (const char* cls : {"data", "lost", "ack", "window", "sack", "flight"})
    EXPECT_NE(svg.find(fmt::format("<path class=\"{}\"", cls)), std::string::npos) << cls;
  // The RTT panel holds this direction's two samples, not the other direction's.
  EXPECT_EQ(count(svg, "<circle"), 2u);
  EXPECT_NE(svg.find("<title>RTT 2 ms at 3 ms</title>"), std::string::npos);
  EXPECT_NE(svg.find("RTT samples (2)"), std::string::npos);
  // In flight: named for what it is.
  EXPECT_NE(svg.find("bytes in flight (seen on the wire)"), std::string::npos);
  EXPECT_EQ(svg.find("cwnd"), std::string::npos);
  // Legend.
  for (const char* l : {">data<", ">lost on the link<", ">retransmission<", ">TLP probe<", ">ACK<",
                        ">ACK + window<", ">SACK block<"})
    EXPECT_NE(svg.find(l), std::string::npos) << l;
}

// The visible heading (15px bold) of a graph.
std::string heading_of(const std::string& svg) {
  const std::string open = "font-size=\"15\" font-weight=\"bold\" fill=\"#111\">";
  const auto at = svg.find(open);
  if (at == std::string::npos) return "<no heading>";
  const auto start = at + open.size();
  return svg.substr(start, svg.find("</text>", start) - start);
}

TEST(TimeSequence, LongIpv6EndpointsFitTheHeading) {
  Connection c = small();
  c.a = {*wire::IpAddr::parse("2001:db8:1234:5678:9abc:def0:1234:5678"), 49152};
  c.b = {*wire::IpAddr::parse("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"), 80};
  const std::string full =
      fmt::format("time-sequence graph: {} &gt; {}", c.a.to_string(), c.b.to_string());
  const std::string svg = render_time_sequence(c, Dir::AtoB);
  EXPECT_EQ(xml_problem(svg), "");
  keep_for_a_look("tsg-ipv6.svg", svg);
  // The whole title on hover; the heading without the prefix, as it fits 1000 px.
  EXPECT_NE(svg.find("<title>" + full + "</title>"), std::string::npos);
  const std::string both = fmt::format("{} &gt; {}", c.a.to_string(), c.b.to_string());
  EXPECT_EQ(heading_of(svg), both);
  // Narrower: cut, and never wider than the plot (about 9 px a character).
  PlotOptions narrow;
  narrow.width = 600;
  std::string cut = heading_of(render_time_sequence(c, Dir::AtoB, narrow));
  ASSERT_NE(cut.find("&gt;"), std::string::npos) << cut;
  cut.replace(cut.find("&gt;"), 4, ">");  // as drawn
  EXPECT_TRUE(cut.ends_with("...")) << cut;
  EXPECT_LE(cut.size() * 9, 600u - 86u - 24u) << cut;
  const std::string drawn = fmt::format("{} > {}", c.a.to_string(), c.b.to_string());
  EXPECT_EQ(drawn.rfind(cut.substr(0, cut.size() - 3), 0), 0u) << cut;
  // IPv4 endpoints keep the whole title.
  EXPECT_EQ(heading_of(render_time_sequence(small(), Dir::AtoB)),
            "time-sequence graph: 10.77.0.1:49152 &gt; 10.77.0.2:80");
}

TEST(TimeSequence, OtherDirectionAndEmpty) {
  const std::string back = render_time_sequence(small(), Dir::BtoA);
  EXPECT_EQ(xml_problem(back), "");
  EXPECT_NE(back.find("10.77.0.2:80 &gt; 10.77.0.1:49152"), std::string::npos);
  EXPECT_EQ(count(back, "<circle"), 1u);
  const std::string empty = render_time_sequence(base(), Dir::AtoB);
  EXPECT_EQ(xml_problem(empty), "");
  EXPECT_NE(empty.find("no RTT samples"), std::string::npos);
}

// 70,000 data segments (100 MiB), an ACK for every second one with SACK blocks now and
// then, 1,400 retransmissions and 35,000 RTT samples.
Connection big(std::uint32_t rtx_every) {
  Connection c = base();
  std::uint32_t next_rtx = 0;
  for (std::uint32_t k = 0; k < 70'000; ++k) {
    const std::int64_t t = 1000 + k * 12;
    c.segments.push_back(data(t, 1 + k * kMss));
    if (k % 2 == 1) {
      std::vector<SackRange> sack;
      if (k % 50 == 1) sack.push_back({1 + (k + 1) * kMss, 1 + (k + 3) * kMss});
      c.segments.push_back(ack(t + 6, 1 + (k - 1) * kMss, sack));
      c.rtt.push_back(
          {Instant::from_nanos((t + 6) * 1000), Dir::AtoB, Duration((400 + k % 97) * 1000)});
    }
    if (rtx_every && k % rtx_every == rtx_every - 1) {
      c.segments.push_back(data(t + 3, 1 + next_rtx * kMss, mark::kRetransmission));
      next_rtx = k;
    }
  }
  c.dir[0].bytes = 70'000ull * kMss;
  c.first = c.segments.front().t;
  c.last = c.segments.back().t;
  return c;
}

TEST(TimeSequence, BoundedForAHundredMebibytes) {
  const Connection c = big(50);
  ASSERT_GT(c.segments.size(), 100'000u);
  const std::string svg = render_time_sequence(c, Dir::AtoB);
  EXPECT_EQ(xml_problem(svg), "");
  keep_for_a_look("tsg-big.svg", svg);
  EXPECT_LT(elements(svg), 3000u);
  EXPECT_LT(svg.size(), 1'000'000u);
  // 1,400 retransmissions are more than are drawn one by one: merged, but still drawn.
  EXPECT_EQ(count(svg, "<line class=\"retransmission\""), 0u);
  EXPECT_NE(svg.find("<path class=\"retransmission\""), std::string::npos);
  EXPECT_NE(
      svg.find("71400 data segments sent (1400 retransmissions, 0 TLP probes), 101360000 bytes<"),
      std::string::npos);
  EXPECT_NE(svg.find("<path class=\"rtt\""), std::string::npos);
  EXPECT_EQ(count(svg, "<circle"), 0u);
  // The sequence axis is in MiB, ticks every 20 MiB up to the transfer's end (96.7 MiB).
  EXPECT_NE(svg.find("relative sequence number (MiB)"), std::string::npos);
  EXPECT_NE(svg.find(">80</text>"), std::string::npos);

  // Fewer retransmissions than the limit: each its own mark, still bounded.
  const std::string fewer = render_time_sequence(big(100), Dir::AtoB);
  EXPECT_EQ(count(fewer, "<line class=\"retransmission\""), 700u);
  EXPECT_LT(elements(fewer), 3000u);
}

TEST(TimeSequence, BusiestDirection) {
  Analysis a;
  EXPECT_FALSE(busiest_direction(a));
  a.connections.push_back(base());
  a.connections.push_back(base());
  a.connections[0].dir[0].bytes = 100;
  a.connections[1].dir[1].bytes = 5000;
  auto b = busiest_direction(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->connection, 1u);
  EXPECT_EQ(b->dir, Dir::BtoA);
}

}  // namespace
}  // namespace synack::view
